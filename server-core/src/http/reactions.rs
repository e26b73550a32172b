//! Ours: reactions to a message, added and taken back by id; the emoji is
//! the last segment of the path, percent-encoded (docs/protocol.md).

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Json, Path};
use crate::{
    auth::AuthUser,
    domain::reactions,
    error::{AppResult, Problem},
    state::AppState,
    store::{ConversationId, MessageId, Reaction},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(add_reaction, remove_reaction))
}

/// A message's reactions after the change.
#[derive(Serialize, ToSchema)]
struct Reactions {
    /// By emoji, in the order each was first used; who, in the order they
    /// reacted.
    reactions: Vec<Reaction>,
}

/// Adds the caller's reaction to a message; adding one that is there
/// already changes nothing. Every member hears of it (`reaction`).
#[utoipa::path(
    put,
    path = "/conversations/{id}/messages/{message_id}/reactions/{emoji}",
    tag = "conversations",
    params(
        ("id" = ConversationId, Path, description = "The conversation"),
        ("message_id" = MessageId, Path, description = "The message"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded (skin tones included)"),
    ),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The message's reactions now", body = Reactions),
        (status = 403, description = "Not in this room or direct conversation (a group one is not in is a 404)", body = Problem),
        (status = 404, description = "No such message in that conversation for the caller", body = Problem),
        (status = 409, description = "A notice or deleted message, or already 20 different emoji on it", body = Problem),
        (status = 422, description = "Not an emoji", body = Problem),
    )
)]
async fn add_reaction(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, message, emoji)): Path<(ConversationId, MessageId, String)>,
) -> AppResult<Json<Reactions>> {
    let reactions = reactions::react(&state, user.user_id, Some(id), message, &emoji, true).await?;
    Ok(Json(Reactions { reactions }))
}

/// Takes the caller's reaction back; taking back one that is not there
/// changes nothing.
#[utoipa::path(
    delete,
    path = "/conversations/{id}/messages/{message_id}/reactions/{emoji}",
    tag = "conversations",
    params(
        ("id" = ConversationId, Path, description = "The conversation"),
        ("message_id" = MessageId, Path, description = "The message"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded"),
    ),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "The message's reactions now", body = Reactions),
        (status = 403, description = "Not in this room or direct conversation (a group one is not in is a 404)", body = Problem),
        (status = 404, description = "No such message in that conversation for the caller", body = Problem),
        (status = 409, description = "A notice or deleted message", body = Problem),
        (status = 422, description = "Not an emoji", body = Problem),
    )
)]
async fn remove_reaction(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, message, emoji)): Path<(ConversationId, MessageId, String)>,
) -> AppResult<Json<Reactions>> {
    let reactions =
        reactions::react(&state, user.user_id, Some(id), message, &emoji, false).await?;
    Ok(Json(Reactions { reactions }))
}
