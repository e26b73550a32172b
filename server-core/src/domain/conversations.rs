//! Rooms and groups, membership, read state and receipts, deleting, and the
//! backfill a reconnecting client asks for.

use super::{DomainError, DomainResult};
use crate::{
    state::AppState,
    store::{
        Backfill, Catchup, ConversationId, ConversationKind, MemberInfo, MembershipChange,
        MessageId, NewConversation, Role, RoomListing, Seq, Summary, UserId, now,
    },
};

pub const MAX_TITLE_CHARS: usize = 80;
/// Most members a conversation may be created with at once.
pub const MAX_INITIAL_MEMBERS: usize = 1000;
/// Most events one backfill holds; a client further behind reloads.
pub const MAX_BACKFILL: u32 = 5000;

/// A title as stored: trimmed; as sent, at most 80 characters, none of
/// them control characters, and not only spaces.
fn check_title(title: &str) -> DomainResult<String> {
    let sent = title.chars().count();
    let controls = title.contains(char::is_control);
    let title = title.trim();
    if title.is_empty() || sent > MAX_TITLE_CHARS || controls {
        return Err(DomainError::Invalid(format!(
            "A title must be 1 to {MAX_TITLE_CHARS} characters, without control characters"
        )));
    }
    Ok(title.to_owned())
}

pub async fn create(
    state: &AppState,
    creator: UserId,
    kind: ConversationKind,
    title: &str,
    members: Vec<UserId>,
) -> DomainResult<ConversationId> {
    if kind == ConversationKind::Direct {
        return Err(DomainError::Invalid(
            "Create a room or a group; a direct conversation starts with a message".into(),
        ));
    }
    if members.len() > MAX_INITIAL_MEMBERS {
        return Err(DomainError::Invalid(format!(
            "At most {MAX_INITIAL_MEMBERS} members at once"
        )));
    }
    let mut members = members;
    members.sort_unstable();
    members.dedup();
    let new = NewConversation {
        creator,
        kind,
        title: check_title(title)?,
        members,
    };
    Ok(state.store.create_conversation(new, now()).await?)
}

pub async fn rename(
    state: &AppState,
    actor: UserId,
    conversation: ConversationId,
    title: &str,
) -> DomainResult<()> {
    let title = check_title(title)?;
    change(state, actor, conversation, MembershipChange::Rename(title)).await
}

/// Joins, leaves, adds, removes or sets a role, as the store allows `actor`.
pub async fn change(
    state: &AppState,
    actor: UserId,
    conversation: ConversationId,
    change: MembershipChange,
) -> DomainResult<()> {
    Ok(state
        .store
        .change_membership(actor, conversation, change, now())
        .await?)
}

pub async fn set_role(
    state: &AppState,
    actor: UserId,
    conversation: ConversationId,
    user: UserId,
    role: Role,
) -> DomainResult<()> {
    change(
        state,
        actor,
        conversation,
        MembershipChange::SetRole(user, role),
    )
    .await
}

pub async fn list(state: &AppState, user: UserId) -> DomainResult<Vec<Summary>> {
    Ok(state.store.summaries(user).await?)
}

pub async fn show(
    state: &AppState,
    user: UserId,
    conversation: ConversationId,
) -> DomainResult<(Summary, Vec<MemberInfo>)> {
    Ok(state.store.summary(user, conversation).await?)
}

pub async fn rooms(state: &AppState, user: UserId) -> DomainResult<Vec<RoomListing>> {
    Ok(state.store.open_rooms(user).await?)
}

/// Deletes a message for everyone, and its file from the disk. With
/// `conversation`, the message must be in it.
pub async fn delete_message(
    state: &AppState,
    user: UserId,
    conversation: Option<ConversationId>,
    id: MessageId,
) -> DomainResult<()> {
    if let Some(path) = state
        .store
        .delete_message(user, conversation, id, now())
        .await?
    {
        state.files.remove(&path).await;
    }
    Ok(())
}

pub async fn mark_read(
    state: &AppState,
    user: UserId,
    conversation: ConversationId,
    message: MessageId,
) -> DomainResult<()> {
    Ok(state
        .store
        .mark_read(user, conversation, message, now())
        .await?)
}

pub async fn mark_delivered(
    state: &AppState,
    user: UserId,
    conversation: ConversationId,
    message: MessageId,
) -> DomainResult<()> {
    Ok(state
        .store
        .mark_delivered(user, conversation, message, now())
        .await?)
}

/// What `user` missed after `after`, as much as `catchup` takes, at most
/// `MAX_BACKFILL` events.
pub async fn backfill(
    state: &AppState,
    user: UserId,
    after: Seq,
    catchup: Catchup,
) -> DomainResult<Backfill> {
    let catchup = match catchup {
        Catchup::Page(limit) => Catchup::Page(limit.clamp(1, MAX_BACKFILL)),
        Catchup::Whole(limit) => Catchup::Whole(limit.clamp(1, MAX_BACKFILL)),
    };
    Ok(state.store.events_after(user, after, catchup).await?)
}

pub async fn head(state: &AppState) -> DomainResult<Seq> {
    Ok(state.store.head().await?)
}
