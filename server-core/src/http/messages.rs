//! Conversation history and files sent into a conversation, by the
//! contract's peer-keyed routes: the peer's direct conversation is found
//! here, at the edge.

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    conversations::PageQuery,
    extract::{Json, Multipart, Path, Query},
    incoming::receive_upload,
};
use crate::{
    auth::{AuthUser, Token, Unauthorized},
    domain::messages,
    error::{AppError, AppResult},
    files::Folder,
    state::AppState,
    store::{Body, ConversationId, UserId},
    ws::protocol::{MessageView, ServerEvent},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages/{receiver_id}", get(history))
        .route(
            "/upload-file",
            // The upload enforces its own limit while streaming (files.rs).
            post(upload_file).layer(DefaultBodyLimit::disable()),
        )
}

async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    Path(receiver_id): Path<UserId>,
    Query(query): Query<PageQuery>,
) -> AppResult<Json<Vec<MessageView>>> {
    // Reading never creates a conversation: none yet is an empty history.
    let Some(conversation) = state
        .store
        .find_direct_conversation(user.user_id, receiver_id)
        .await?
    else {
        return Ok(Json(Vec::new()));
    };
    // Ours: `before`, `after`, `limit`; without them the whole
    // conversation, as the contract has it, and only its messages.
    let page = query.page(None, true);
    let (conversation, found) = messages::history(&state, user.user_id, conversation, page).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|message| MessageView::new(message, &conversation))
            .collect(),
    ))
}

/// The contract's `receiver_id`, or ours, `conversation_id`.
#[derive(Deserialize)]
struct UploadQuery {
    receiver_id: Option<UserId>,
    conversation_id: Option<ConversationId>,
}

async fn upload_file(
    State(state): State<AppState>,
    token: Token,
    Query(query): Query<UploadQuery>,
    mut multipart: Multipart,
) -> AppResult<Json<ServerEvent>> {
    let (user, file) = receive_upload::<Unauthorized>(&state, token, &mut multipart).await?;
    let conversation = match (query.conversation_id, query.receiver_id) {
        (Some(conversation), _) => conversation,
        (None, Some(receiver)) => {
            messages::direct_conversation(&state, user.user_id, receiver).await?
        }
        (None, None) => {
            return Err(AppError::Unprocessable(
                "Name the `receiver_id` or the `conversation_id` in the query".into(),
            ));
        }
    };
    let meta = state.files.keep(file, Folder::Chat, user.user_id).await?;
    let path = meta.path.clone();
    match messages::send(&state, user.user_id, conversation, Body::File(meta), None).await {
        Ok(sent) => Ok(Json(ServerEvent::message(
            sent.message,
            &sent.conversation,
            sent.seq,
        ))),
        Err(err) => {
            state.files.remove(&path).await;
            Err(err.into())
        }
    }
}
