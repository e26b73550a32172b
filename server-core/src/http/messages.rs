//! Conversation history and files sent into a conversation.

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};

use super::extract::{Json, Multipart, Path, Query};
use crate::{
    auth::Token,
    chat,
    error::{AppError, AppResult},
    files::Folder,
    state::AppState,
    store::{Body, MessageId, UserId},
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
    token: Token,
    Path(receiver_id): Path<UserId>,
    Query(query): Query<HistoryQuery>,
) -> AppResult<Json<Vec<MessageView>>> {
    let user = state
        .auth
        .authenticate(token.0.as_deref(), "Invalid token")
        .await?;
    let limit = query.limit.map(|limit| limit.clamp(1, MAX_PAGE));
    let messages = state
        .store
        .history(user.user_id, receiver_id, query.before, limit)
        .await?;
    Ok(Json(messages.into_iter().map(MessageView::from).collect()))
}

/// Ours: the caller's conversations, most recent first, each as the user
/// it is with and its newest message; what a sidebar needs to sort people
/// and show what is new.
#[derive(Serialize)]
struct ConversationView {
    user_id: UserId,
    last_message: MessageView,
}

async fn conversations(
    State(state): State<AppState>,
    token: Token,
) -> AppResult<Json<Vec<ConversationView>>> {
    let user = state
        .auth
        .authenticate(token.0.as_deref(), "Invalid token")
        .await?;
    let latest = state.store.latest_messages(user.user_id).await?;
    Ok(Json(
        latest
            .into_iter()
            .map(|message| ConversationView {
                user_id: if message.sender_id == user.user_id {
                    message.receiver_id
                } else {
                    message.sender_id
                },
                last_message: message.into(),
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
    Multipart(mut multipart): Multipart,
) -> AppResult<Json<ServerEvent>> {
    // Refuse early when the token came with the headers or the query; a
    // token sent as a form field is only known once the form is read.
    let early = match &token.0 {
        Some(token) => Some(state.auth.authenticate(Some(token), "Unauthorized").await?),
        None => None,
    };
    let upload = state.files.receive(&mut multipart).await?;
    let user = match early {
        Some(user) => user,
        None => {
            state
                .auth
                .authenticate(upload.token.as_deref(), "Unauthorized")
                .await?
        }
    };
    let file = upload
        .file
        .ok_or_else(|| AppError::Unprocessable("Missing the `file` field".into()))?;
    if state.store.user(query.receiver_id).await?.is_none() {
        return Err(AppError::NotFound("User not found"));
    }
    let meta = state.files.keep(file, Folder::Chat, user.user_id).await?;
    let path = meta.path.clone();
    let sent = chat::send(
        &state,
        user.user_id,
        query.receiver_id,
        Body::File(meta),
        None,
    )
    .await;
    match sent {
        Ok(view) => Ok(Json(ServerEvent::PrivateMessage(view))),
        Err(err) => {
            state.files.remove(&path).await;
            Err(err)
        }
    }
}
