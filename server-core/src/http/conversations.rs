//! Ours: conversations of every kind, by id: listing, creating and managing
//! rooms and groups, pages of history, deleting, read positions, settings
//! and the event backfill (docs/protocol.md).

use axum::{
    Router,
    extract::State,
    routing::{delete, get, post, put},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::extract::{Json, Path, Query};
use crate::{
    auth::AuthUser,
    domain::{conversations, messages},
    error::AppResult,
    state::AppState,
    store::{
        ConversationId, ConversationKind, MemberInfo, MembershipChange, MessageId, Page, Role, Seq,
        Summary, UserId, timestamp,
    },
    ws::protocol::{MessageView, ServerEvent},
};

/// A page when the client names no size, and the most it may ask for.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(list).post(create))
        .route("/conversations/{id}", get(show).patch(rename))
        .route("/conversations/{id}/join", post(join))
        .route("/conversations/{id}/leave", post(leave))
        .route("/conversations/{id}/members", post(add_member))
        .route(
            "/conversations/{id}/members/{user_id}",
            delete(remove_member),
        )
        .route("/conversations/{id}/members/{user_id}/role", put(set_role))
        .route("/conversations/{id}/messages", get(history))
        .route(
            "/conversations/{id}/messages/{message_id}",
            delete(delete_message),
        )
        .route("/conversations/{id}/read", post(mark_read))
        .route("/rooms", get(rooms))
        .route("/settings", get(settings).put(save_settings))
        .route("/events", get(events))
}

/// A conversation as a member sees it in a list.
#[derive(Serialize)]
struct ConversationView {
    conversation_id: ConversationId,
    kind: ConversationKind,
    title: Option<String>,
    /// The other person of a direct conversation.
    user_id: Option<UserId>,
    role: Role,
    member_count: usize,
    unread: u64,
    last_read_message_id: MessageId,
    last_message: Option<MessageView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<MemberView>>,
}

#[derive(Serialize)]
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

#[derive(Deserialize)]
struct NewConversation {
    kind: ConversationKind,
    title: String,
    #[serde(default)]
    members: Vec<UserId>,
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<NewConversation>,
) -> AppResult<Json<ConversationView>> {
    let id =
        conversations::create(&state, user.user_id, body.kind, &body.title, body.members).await?;
    show(State(state), user, Path(id)).await
}

#[derive(Deserialize)]
struct Rename {
    title: String,
}

async fn rename(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
    Json(body): Json<Rename>,
) -> AppResult<Json<ConversationView>> {
    conversations::rename(&state, user.user_id, id, &body.title).await?;
    show(State(state), user, Path(id)).await
}

async fn join(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
) -> AppResult<Json<Value>> {
    conversations::change(&state, user.user_id, id, MembershipChange::Join).await?;
    Ok(Json(json!({ "message": "Joined" })))
}

async fn leave(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
) -> AppResult<Json<Value>> {
    conversations::change(&state, user.user_id, id, MembershipChange::Leave).await?;
    Ok(Json(json!({ "message": "Left" })))
}

#[derive(Deserialize)]
struct NewMember {
    user_id: UserId,
}

async fn add_member(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
    Json(body): Json<NewMember>,
) -> AppResult<Json<Value>> {
    let change = MembershipChange::Add(body.user_id);
    conversations::change(&state, user.user_id, id, change).await?;
    Ok(Json(json!({ "message": "Added" })))
}

async fn remove_member(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, member)): Path<(ConversationId, UserId)>,
) -> AppResult<Json<Value>> {
    let change = MembershipChange::Remove(member);
    conversations::change(&state, user.user_id, id, change).await?;
    Ok(Json(json!({ "message": "Removed" })))
}

#[derive(Deserialize)]
struct NewRole {
    role: Role,
}

async fn set_role(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, member)): Path<(ConversationId, UserId)>,
    Json(body): Json<NewRole>,
) -> AppResult<Json<Value>> {
    conversations::set_role(&state, user.user_id, id, member, body.role).await?;
    Ok(Json(json!({ "message": "Role set" })))
}

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<MessageId>,
    after: Option<MessageId>,
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

async fn delete_message(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, message)): Path<(ConversationId, MessageId)>,
) -> AppResult<Json<Value>> {
    conversations::delete_message(&state, user.user_id, Some(id), message).await?;
    Ok(Json(json!({ "message": "Deleted" })))
}

#[derive(Deserialize)]
struct ReadUpTo {
    message_id: MessageId,
}

async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
    Json(body): Json<ReadUpTo>,
) -> AppResult<Json<Value>> {
    conversations::mark_read(&state, user.user_id, id, body.message_id).await?;
    Ok(Json(json!({ "message": "Marked read" })))
}

async fn rooms(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Vec<Value>>> {
    let rooms = conversations::rooms(&state, user.user_id).await?;
    Ok(Json(
        rooms
            .into_iter()
            .map(|room| {
                json!({
                    "conversation_id": room.id,
                    "title": room.title,
                    "member_count": room.member_count,
                    "joined": room.joined,
                })
            })
            .collect(),
    ))
}

#[derive(Serialize, Deserialize)]
struct Settings {
    read_receipts: bool,
}

async fn settings(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Settings>> {
    let read_receipts = conversations::read_receipts(&state, user.user_id).await?;
    Ok(Json(Settings { read_receipts }))
}

async fn save_settings(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<Settings>,
) -> AppResult<Json<Settings>> {
    conversations::set_read_receipts(&state, user.user_id, body.read_receipts).await?;
    Ok(Json(body))
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Seq,
    limit: Option<u32>,
}

async fn events(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<EventsQuery>,
) -> AppResult<Json<Value>> {
    let limit = query.limit.unwrap_or(conversations::MAX_BACKFILL);
    let backfill = conversations::backfill(&state, user.user_id, query.after, limit).await?;
    let events: Vec<ServerEvent> = backfill.events.iter().map(ServerEvent::committed).collect();
    Ok(Json(json!({
        "events": events,
        "seq": backfill.seq,
        "complete": backfill.complete,
    })))
}
