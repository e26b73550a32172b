//! Conversation history and files sent into a conversation, by the
//! contract's peer-keyed routes: the peer's direct conversation is found
//! here, at the edge.

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};

use super::{
    extract::{Json, Multipart, Path, Query},
    incoming::receive_upload,
};
use crate::{
    auth::{AuthUser, Token, Unauthorized},
    domain::messages,
    error::AppResult,
    files::Folder,
    state::AppState,
    store::{Body, MessageId, Page, UserId},
    ws::protocol::{MessageView, ServerEvent},
};

/// The most messages one history request returns when it asks for a page.
const MAX_PAGE: u32 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages/{receiver_id}", get(history))
        .route("/conversations", get(conversations))
        .route(
            "/upload-file",
            // The upload enforces its own limit while streaming (files.rs).
            post(upload_file).layer(DefaultBodyLimit::disable()),
        )
}

#[derive(Deserialize)]
struct HistoryQuery {
    /// Ours: only messages older than this id...
    before: Option<MessageId>,
    /// ...and at most this many of the newest of them. Without either, the
    /// whole conversation, as the contract has it.
    limit: Option<u32>,
}

async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    Path(receiver_id): Path<UserId>,
    Query(query): Query<HistoryQuery>,
) -> AppResult<Json<Vec<MessageView>>> {
    // Reading never creates a conversation: none yet is an empty history.
    let Some(conversation) = state
        .store
        .find_direct_conversation(user.user_id, receiver_id)
        .await?
    else {
        return Ok(Json(Vec::new()));
    };
    let page = Page {
        before: query.before,
        limit: query.limit.map(|limit| limit.clamp(1, MAX_PAGE)),
    };
    let (conversation, found) = messages::history(&state, user.user_id, conversation, page).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|message| MessageView::new(message, &conversation))
            .collect(),
    ))
}

/// Ours: the caller's direct conversations, most recent first, each as the
/// user it is with and its newest message; what a sidebar needs to sort
/// people and show what is new.
#[derive(Serialize)]
struct ConversationView {
    user_id: UserId,
    last_message: MessageView,
}

async fn conversations(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<Vec<ConversationView>>> {
    let latest = state.store.latest_direct_messages(user.user_id).await?;
    Ok(Json(
        latest
            .into_iter()
            .map(|(conversation, message)| ConversationView {
                user_id: conversation.peer_of(user.user_id),
                last_message: MessageView::new(message, &conversation),
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct UploadQuery {
    receiver_id: UserId,
}

async fn upload_file(
    State(state): State<AppState>,
    token: Token,
    Query(query): Query<UploadQuery>,
    mut multipart: Multipart,
) -> AppResult<Json<ServerEvent>> {
    let (user, file) = receive_upload::<Unauthorized>(&state, token, &mut multipart).await?;
    let conversation =
        messages::direct_conversation(&state, user.user_id, query.receiver_id).await?;
    let meta = state.files.keep(file, Folder::Chat, user.user_id).await?;
    let path = meta.path.clone();
    match messages::send(&state, user.user_id, conversation, Body::File(meta), None).await {
        Ok(sent) => Ok(Json(ServerEvent::PrivateMessage {
            message: MessageView::new(sent.message, &sent.conversation),
            seq: sent.seq,
        })),
        Err(err) => {
            state.files.remove(&path).await;
            Err(err.into())
        }
    }
}
