//! Ours: conversations of every kind, by id: listing, creating and managing
//! rooms and groups, pages of history, deleting, read positions and the
//! event backfill (docs/protocol.md). Settings are in [`super::notifications`].

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    Done,
    extract::{Json, Path, Query},
};
use crate::{
    auth::AuthUser,
    domain::{conversations, messages},
    error::{AppResult, Problem},
    state::AppState,
    store::{
        Catchup, ConversationId, ConversationKind, MemberInfo, MembershipChange, MessageId,
        NotifyLevel, Page, Role, Seq, Summary, UserId, timestamp,
    },
    ws::protocol::{MessageView, ServerEvent},
};

/// A page when the client names no size, and the most it may ask for.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, rename))
        .routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(set_role))
        .routes(routes!(history))
        .routes(routes!(delete_message))
        .routes(routes!(mark_read))
        .routes(routes!(rooms))
        .routes(routes!(events))
}

/// A conversation as a member sees it in a list.
#[derive(Serialize, ToSchema)]
struct ConversationView {
    conversation_id: ConversationId,
    kind: ConversationKind,
    title: Option<String>,
    /// The other person of a direct conversation.
    user_id: Option<UserId>,
    role: Role,
    member_count: usize,
    unread: u64,
    /// Of the unread, those that mention the caller or the room.
    unread_mentions: u64,
    /// Which of its messages notify the caller.
    notify: NotifyLevel,
    last_read_message_id: MessageId,
    last_message: Option<MessageView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<MemberView>>,
}

#[derive(Serialize, ToSchema)]
struct MemberView {
    user_id: UserId,
    role: Role,
    joined_at: String,
    last_read_message_id: Option<MessageId>,
    delivered_message_id: Option<MessageId>,
}

impl ConversationView {
    fn new(viewer: UserId, summary: Summary, members: Option<Vec<MemberInfo>>) -> Self {
        let conversation = summary.conversation;
        Self {
            conversation_id: conversation.id,
            kind: conversation.kind,
            title: conversation.title.clone(),
            user_id: (conversation.kind == ConversationKind::Direct)
                .then(|| conversation.peer_of(viewer)),
            role: summary.role,
            member_count: conversation.members.len(),
            unread: summary.unread,
            unread_mentions: summary.unread_mentions,
            notify: summary.notify,
            last_read_message_id: summary.last_read,
            last_message: summary
                .last_message
                .map(|message| MessageView::new(message, &conversation)),
            members: members.map(|members| {
                members
                    .into_iter()
                    .map(|member| MemberView {
                        user_id: member.user_id,
                        role: member.role,
                        joined_at: timestamp(member.joined_at),
                        last_read_message_id: member.last_read,
                        delivered_message_id: member.delivered,
                    })
                    .collect()
            }),
        }
    }
}

/// The caller's conversations, with unread counts and last messages.
#[utoipa::path(
    get,
    path = "/conversations",
    tag = "conversations",
    security(("bearer" = []), ("token" = [])),
    responses((status = 200, description = "The caller's conversations", body = Vec<ConversationView>))
)]
async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<ConversationView>>> {
    let summaries = conversations::list(&state, user.user_id).await?;
    Ok(Json(
        summaries
            .into_iter()
            .map(|summary| ConversationView::new(user.user_id, summary, None))
            .collect(),
    ))
}

/// One conversation, with its members and their read positions.
#[utoipa::path(
    get,
    path = "/conversations/{id}",
    tag = "conversations",
    params(("id" = ConversationId, Path, description = "The conversation")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The conversation", body = ConversationView),
        (status = 403, description = "Not in this room or direct conversation (a group one is not in is a 404)", body = Problem),
        (status = 404, description = "No such conversation, or a private one the caller is not in", body = Problem),
    )
)]
async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
) -> AppResult<Json<ConversationView>> {
    let (summary, members) = conversations::show(&state, user.user_id, id).await?;
    Ok(Json(ConversationView::new(
        user.user_id,
        summary,
        Some(members),
    )))
}

#[derive(Deserialize, ToSchema)]
struct NewConversation {
    /// `room` or `group`.
    kind: ConversationKind,
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    title: String,
    /// Who else is in it from the start.
    #[serde(default)]
    #[schema(max_items = 1000)]
    members: Vec<UserId>,
}

/// Creates a room (open to all) or a group (private); the caller is its
/// admin.
#[utoipa::path(
    post,
    path = "/conversations",
    tag = "conversations",
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Created", body = ConversationView),
        (status = 400, description = "A bad title, kind or member list", body = Problem),
        (status = 404, description = "A member who does not exist", body = Problem),
    )
)]
async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<NewConversation>,
) -> AppResult<Json<ConversationView>> {
    let id =
        conversations::create(&state, user.user_id, body.kind, &body.title, body.members).await?;
    show(State(state), user, Path(id)).await
}

#[derive(Deserialize, ToSchema)]
struct Rename {
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    title: String,
}

/// Renames a room or group (admins only).
#[utoipa::path(
    patch,
    path = "/conversations/{id}",
    tag = "conversations",
    params(("id" = ConversationId, Path, description = "The conversation")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Renamed", body = ConversationView),
        (status = 400, description = "A bad title, or a direct conversation", body = Problem),
        (status = 403, description = "The caller is not an admin, or not a member of this room", body = Problem),
        (status = 404, description = "No such conversation for the caller", body = Problem),
    )
)]
async fn rename(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
    Json(body): Json<Rename>,
) -> AppResult<Json<ConversationView>> {
    conversations::rename(&state, user.user_id, id, &body.title).await?;
    show(State(state), user, Path(id)).await
}

/// Joins an open room.
#[utoipa::path(
    post,
    path = "/conversations/{id}/join",
    tag = "conversations",
    params(("id" = ConversationId, Path, description = "The room")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Joined (or a member already)", body = Done, example = json!({"message": "Joined"})),
        (status = 400, description = "A direct conversation", body = Problem),
        (status = 404, description = "No such room (a group one is not in counts as none)", body = Problem),
    )
)]
async fn join(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
) -> AppResult<Json<Done>> {
    conversations::change(&state, user.user_id, id, MembershipChange::Join).await?;
    Ok(Json(Done::new("Joined")))
}

/// Leaves a room or group; its last admin hands over to the longest-standing
/// member.
#[utoipa::path(
    post,
    path = "/conversations/{id}/leave",
    tag = "conversations",
    params(("id" = ConversationId, Path, description = "The room or group")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Left", body = Done, example = json!({"message": "Left"})),
        (status = 400, description = "A direct conversation cannot be left", body = Problem),
        (status = 403, description = "Not in this room or direct conversation (a group one is not in is a 404)", body = Problem),
        (status = 404, description = "No such conversation for the caller", body = Problem),
    )
)]
async fn leave(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
) -> AppResult<Json<Done>> {
    conversations::change(&state, user.user_id, id, MembershipChange::Leave).await?;
    Ok(Json(Done::new("Left")))
}

#[derive(Deserialize, ToSchema)]
struct NewMember {
    user_id: UserId,
}

/// Adds someone to a room or group (admins only).
#[utoipa::path(
    post,
    path = "/conversations/{id}/members",
    tag = "conversations",
    params(("id" = ConversationId, Path, description = "The room or group")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Added", body = Done, example = json!({"message": "Added"})),
        (status = 400, description = "A direct conversation", body = Problem),
        (status = 403, description = "The caller is not an admin, or not in the room", body = Problem),
        (status = 404, description = "No such conversation for the caller, or no such user", body = Problem),
    )
)]
async fn add_member(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
    Json(body): Json<NewMember>,
) -> AppResult<Json<Done>> {
    let change = MembershipChange::Add(body.user_id);
    conversations::change(&state, user.user_id, id, change).await?;
    Ok(Json(Done::new("Added")))
}

/// Removes someone from a room or group (admins only).
#[utoipa::path(
    delete,
    path = "/conversations/{id}/members/{user_id}",
    tag = "conversations",
    params(
        ("id" = ConversationId, Path, description = "The room or group"),
        ("user_id" = UserId, Path, description = "The member to remove"),
    ),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Removed", body = Done, example = json!({"message": "Removed"})),
        (status = 400, description = "A direct conversation", body = Problem),
        (status = 403, description = "The caller is not an admin, or not in the room", body = Problem),
        (status = 404, description = "No such conversation for the caller, or they are not in it", body = Problem),
    )
)]
async fn remove_member(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, member)): Path<(ConversationId, UserId)>,
) -> AppResult<Json<Done>> {
    let change = MembershipChange::Remove(member);
    conversations::change(&state, user.user_id, id, change).await?;
    Ok(Json(Done::new("Removed")))
}

#[derive(Deserialize, ToSchema)]
struct NewRole {
    role: Role,
}

/// Makes a member an admin, or an admin a member (admins only).
#[utoipa::path(
    put,
    path = "/conversations/{id}/members/{user_id}/role",
    tag = "conversations",
    params(
        ("id" = ConversationId, Path, description = "The room or group"),
        ("user_id" = UserId, Path, description = "The member"),
    ),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Role set", body = Done, example = json!({"message": "Role set"})),
        (status = 400, description = "The last admin stepping down, or a direct conversation", body = Problem),
        (status = 403, description = "The caller is not an admin, or not in the room", body = Problem),
        (status = 404, description = "No such conversation for the caller, or they are not in it", body = Problem),
    )
)]
async fn set_role(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, member)): Path<(ConversationId, UserId)>,
    Json(body): Json<NewRole>,
) -> AppResult<Json<Done>> {
    conversations::set_role(&state, user.user_id, id, member, body.role).await?;
    Ok(Json(Done::new("Role set")))
}

/// Ours: a page of history. Without `after`, the newest messages (before
/// `before`, if given); with it, the oldest after it. Either way oldest
/// first.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Only messages older than this one.
    before: Option<MessageId>,
    /// Only messages newer than this one.
    after: Option<MessageId>,
    /// How many, at most; fewer than 1 count as 1, more than 1000 as 1000.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295_i64)]
    limit: Option<u32>,
}

impl PageQuery {
    /// The page asked for; `default` is its size when none is named (`None`:
    /// everything).
    pub fn page(&self, default: Option<u32>, messages_only: bool) -> Page {
        Page {
            before: self.before,
            after: self.after,
            limit: self.limit.or(default).map(|limit| limit.clamp(1, MAX_PAGE)),
            messages_only,
        }
    }
}

/// A page of a conversation's history, notices included.
#[utoipa::path(
    get,
    path = "/conversations/{id}/messages",
    tag = "conversations",
    params(("id" = ConversationId, Path, description = "The conversation"), PageQuery),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Oldest first; 50 when no `limit` is given", body = Vec<MessageView>),
        (status = 403, description = "Not in this room or direct conversation (a group one is not in is a 404)", body = Problem),
        (status = 404, description = "No such conversation for the caller", body = Problem),
    )
)]
async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
    Query(query): Query<PageQuery>,
) -> AppResult<Json<Vec<MessageView>>> {
    let page = query.page(Some(DEFAULT_PAGE), false);
    let (conversation, found) = messages::history(&state, user.user_id, id, page).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|message| MessageView::new(message, &conversation))
            .collect(),
    ))
}

/// Deletes a message for everyone: its text and file are gone, a tombstone
/// stays. The sender, or an admin of a room or group.
#[utoipa::path(
    delete,
    path = "/conversations/{id}/messages/{message_id}",
    tag = "conversations",
    params(
        ("id" = ConversationId, Path, description = "The conversation"),
        ("message_id" = MessageId, Path, description = "The message"),
    ),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Deleted", body = Done, example = json!({"message": "Deleted"})),
        (status = 400, description = "A notice", body = Problem),
        (status = 403, description = "Neither the sender nor an admin, or not in the conversation", body = Problem),
        (status = 404, description = "No such message in that conversation, or deleted already", body = Problem),
    )
)]
async fn delete_message(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, message)): Path<(ConversationId, MessageId)>,
) -> AppResult<Json<Done>> {
    conversations::delete_message(&state, user.user_id, Some(id), message).await?;
    Ok(Json(Done::new("Deleted")))
}

#[derive(Deserialize, ToSchema)]
struct ReadUpTo {
    message_id: MessageId,
}

/// Moves the caller's read position forward (never back) to a message.
#[utoipa::path(
    post,
    path = "/conversations/{id}/read",
    tag = "conversations",
    params(("id" = ConversationId, Path, description = "The conversation")),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Marked (a message past the newest counts as the newest)", body = Done, example = json!({"message": "Marked read"})),
        (status = 403, description = "Not in this room or direct conversation (a group one is not in is a 404)", body = Problem),
        (status = 404, description = "No such conversation for the caller", body = Problem),
    )
)]
async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
    Json(body): Json<ReadUpTo>,
) -> AppResult<Json<Done>> {
    conversations::mark_read(&state, user.user_id, id, body.message_id).await?;
    Ok(Json(Done::new("Marked read")))
}

/// An open room, as the room list shows it.
#[derive(Serialize, ToSchema)]
struct RoomView {
    conversation_id: ConversationId,
    title: String,
    member_count: u64,
    /// Whether the caller is a member.
    joined: bool,
}

/// Every open room, joined or not.
#[utoipa::path(
    get,
    path = "/rooms",
    tag = "conversations",
    security(("bearer" = []), ("token" = [])),
    responses((status = 200, description = "The open rooms", body = Vec<RoomView>))
)]
async fn rooms(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Vec<RoomView>>> {
    let rooms = conversations::rooms(&state, user.user_id).await?;
    Ok(Json(
        rooms
            .into_iter()
            .map(|room| RoomView {
                conversation_id: room.id,
                title: room.title,
                member_count: room.member_count,
                joined: room.joined,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// The last position the client has seen (the `seq` of a frame, or of a
    /// previous answer).
    after: Seq,
    /// How many events, at most; fewer than 1 count as 1, more than 5000
    /// as 5000.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295_i64)]
    limit: Option<u32>,
}

/// What the caller missed since a position of the event log.
#[derive(Serialize, ToSchema)]
struct Backfill {
    /// The frames the WebSocket would have sent, in log order.
    events: Vec<ServerEvent>,
    /// Where to continue from.
    seq: Seq,
    /// False when there is more: ask again from `seq`.
    complete: bool,
}

/// Ours: the caller's events after a position of the log, as WebSocket
/// frames, for a client catching up over HTTP.
#[utoipa::path(
    get,
    path = "/events",
    tag = "conversations",
    params(EventsQuery),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The events", body = Backfill),
    )
)]
async fn events(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<EventsQuery>,
) -> AppResult<Json<Backfill>> {
    let limit = query.limit.unwrap_or(conversations::MAX_BACKFILL);
    let backfill =
        conversations::backfill(&state, user.user_id, query.after, Catchup::Page(limit)).await?;
    Ok(Json(Backfill {
        events: backfill.events.iter().map(ServerEvent::committed).collect(),
        seq: backfill.seq,
        complete: backfill.complete,
    }))
}
