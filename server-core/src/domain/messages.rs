//! Sending, editing, reading and searching messages, and typing. The
//! WebSocket and `/upload-file` both send through here, so a message is
//! always committed before anyone hears of it.

use super::{DomainError, DomainResult};
use crate::{
    bus::Event,
    state::AppState,
    store::{
        Body, Conversation, ConversationId, Message, MessageId, NewMessage, Page, Posted,
        SearchPage, SearchQuery, Seq, UserId, now,
    },
};

pub const MAX_MESSAGE_CHARS: usize = 10_000;

pub fn check_text(content: &str) -> DomainResult<()> {
    if content.trim().is_empty() {
        return Err(DomainError::Invalid("Message is empty".into()));
    }
    if content.chars().count() > MAX_MESSAGE_CHARS {
        return Err(DomainError::Invalid(format!(
            "Message is too long (at most {MAX_MESSAGE_CHARS} characters)"
        )));
    }
    Ok(())
}

/// The direct conversation of `me` and `peer`, created on first use: how the
/// contract's peer-keyed routes and frames reach a conversation.
pub async fn direct_conversation(
    state: &AppState,
    me: UserId,
    peer: UserId,
) -> DomainResult<ConversationId> {
    Ok(state.store.direct_conversation(me, peer).await?)
}

/// A stored message with the conversation it is in.
#[derive(Debug)]
pub struct Sent {
    pub message: Message,
    pub conversation: Conversation,
    /// Its event's place in the log; `None` when this was a resend of a
    /// message already stored, which the members have already been told of.
    pub seq: Option<Seq>,
}

/// Stores a message from `sender`, who must be a member. Its members hear
/// of it once it is committed (see the module docs of [`super`]).
pub async fn send(state: &AppState, new: NewMessage) -> DomainResult<Sent> {
    queue(state, new).await?.await
}

/// Queues a message like [`send`], returning once it is queued; what it
/// returns completes once it is committed. A sender's messages are stored
/// in the order they were queued. Mentions and replies are checked as it
/// is stored, with no round trip of their own.
pub async fn queue(
    state: &AppState,
    new: NewMessage,
) -> DomainResult<impl Future<Output = DomainResult<Sent>> + Send + 'static> {
    if let Body::Text(text) = &new.body {
        check_text(text)?;
    }
    let pending = state.store.queue_message(new, now()).await?;
    let state = state.clone();
    Ok(async move {
        match pending.await? {
            Posted::New {
                seq,
                conversation,
                message,
            } => Ok(Sent {
                message,
                conversation,
                seq: Some(seq),
            }),
            Posted::Duplicate(message) => {
                let conversation = state
                    .store
                    .conversation(message.conversation_id)
                    .await?
                    .ok_or(DomainError::NotFound("Conversation not found"))?;
                Ok(Sent {
                    message,
                    conversation,
                    seq: None,
                })
            }
        }
    })
}

/// Replaces the text of the editor's own message.
pub async fn edit(
    state: &AppState,
    editor: UserId,
    id: MessageId,
    new_content: &str,
) -> DomainResult<()> {
    check_text(new_content)?;
    state
        .store
        .edit_message(editor, id, new_content, now())
        .await?;
    Ok(())
}

/// A page of the history of a conversation `viewer` is in.
pub async fn history(
    state: &AppState,
    viewer: UserId,
    conversation: ConversationId,
    page: Page,
) -> DomainResult<(Conversation, Vec<Message>)> {
    Ok(state.store.history(viewer, conversation, page).await?)
}

/// The messages `viewer` may read that match `query`, best first.
pub async fn search(
    state: &AppState,
    viewer: UserId,
    query: SearchQuery,
) -> DomainResult<SearchPage> {
    Ok(state.store.search(viewer, query).await?)
}

/// Tells the other members of a conversation `sender` is in that they are
/// typing, or stopped.
pub async fn typing_in(
    state: &AppState,
    sender: UserId,
    conversation: ConversationId,
    is_typing: bool,
) -> DomainResult<()> {
    let found = state
        .store
        .conversation(conversation)
        .await?
        .ok_or(DomainError::NotFound("Conversation not found"))?;
    if !found.members.contains(&sender) {
        return Err(DomainError::Forbidden(
            "You are not a member of this conversation",
        ));
    }
    let to: Vec<UserId> = found.members.into_iter().filter(|m| *m != sender).collect();
    if to.is_empty() {
        return Ok(());
    }
    state
        .bus
        .publish(Event::Typing {
            sender,
            to,
            conversation: Some(conversation),
            is_typing,
        })
        .await?;
    Ok(())
}

/// Tells `receiver` that `sender` is typing to them, or stopped. Nothing is
/// stored, and no conversation is created for it.
pub async fn typing_to(
    state: &AppState,
    sender: UserId,
    receiver: UserId,
    is_typing: bool,
) -> DomainResult<()> {
    if receiver == sender {
        return Ok(());
    }
    let conversation = state
        .store
        .find_direct_conversation(sender, receiver)
        .await?;
    state
        .bus
        .publish(Event::Typing {
            sender,
            to: vec![receiver],
            conversation,
            is_typing,
        })
        .await?;
    Ok(())
}
