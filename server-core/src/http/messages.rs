//! Conversation history and files sent into a conversation, by the
//! contract's peer-keyed routes: the peer's direct conversation is found
//! here, at the edge.

use axum::extract::{DefaultBodyLimit, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{
    router::{OpenApiRouter, UtoipaMethodRouterExt},
    routes,
};

use super::{
    conversations::PageQuery,
    extract::{Json, Multipart, Path, Query},
    incoming::{UploadForm, receive_upload},
};
use crate::{
    auth::{AuthUser, Token, Unauthorized},
    domain::messages,
    error::{AppError, AppResult, Problem},
    files::Folder,
    state::AppState,
    store::{Body, ConversationId, NewMessage, UserId},
    ws::protocol::{MessageView, ServerEvent},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(history)).routes(
        // The upload enforces its own limit while streaming (files.rs).
        routes!(upload_file).layer(DefaultBodyLimit::disable()),
    )
}

/// The caller's direct conversation with someone: the whole of it, oldest
/// first, unless a page is asked for (ours). Messages only, no notices.
#[utoipa::path(
    get,
    path = "/messages/{receiver_id}",
    tag = "messages",
    params(("receiver_id" = UserId, Path, description = "The other person"), PageQuery),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Oldest first; empty when they never talked", body = Vec<MessageView>),
    )
)]
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
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// The person to send the file to.
    receiver_id: Option<UserId>,
    /// Ours: the conversation to send it into.
    conversation_id: Option<ConversationId>,
}

/// Sends a file to a person or a conversation; the answer is the message's
/// frame, which the members' sockets get too.
#[utoipa::path(
    post,
    path = "/upload-file",
    tag = "messages",
    params(UploadQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = []), ("token" = []), ()),
    responses(
        (status = 200, description = "Sent: a `private_message` frame (a `message` frame in rooms and groups)", body = ServerEvent),
        (status = 403, description = "Not in that room or direct conversation", body = Problem),
        (status = 404, description = "No such person or conversation for the caller", body = Problem),
        (status = 413, description = "The file is larger than the server takes", body = Problem),
    )
)]
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
    let (path, size) = (meta.path.clone(), meta.size);
    let new = NewMessage {
        conversation,
        sender: user.user_id,
        body: Body::File(meta),
        client_id: None,
        reply_to: None,
    };
    match messages::send(&state, new).await {
        Ok(sent) => {
            state.metrics.upload_kept(Folder::Chat, size);
            Ok(Json(ServerEvent::message(
                sent.message,
                &sent.conversation,
                sent.seq,
            )))
        }
        Err(err) => {
            state.files.remove(&path).await;
            Err(err.into())
        }
    }
}
