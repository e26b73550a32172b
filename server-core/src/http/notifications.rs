//! Ours: the caller's settings (read receipts, do not disturb, sound) and
//! how each conversation notifies them. Kept by the server so that they
//! follow the person to every device; each change reaches their other
//! devices as a frame (docs/protocol.md).

use axum::extract::State;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Json, Path};
use crate::{
    auth::AuthUser,
    domain::notifications,
    error::{AppError, AppResult, Problem},
    state::AppState,
    store::{ConversationId, NotifyLevel, SettingsChange, parse_timestamp},
    ws::protocol::Settings,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(settings, save_settings))
        .routes(routes!(set_notify))
}

/// The caller's settings.
#[utoipa::path(
    get,
    path = "/settings",
    tag = "conversations",
    security(("bearer" = []), ("token" = [])),
    responses((status = 200, description = "The settings", body = Settings, example = json!({
        "read_receipts": true, "dnd_until": "2026-12-02T08:00:00.000000Z", "sound": false,
    })))
)]
async fn settings(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Settings>> {
    let settings = notifications::settings(&state, user.user_id).await?;
    Ok(Json((&settings).into()))
}

/// Some settings to change; those left out stay as they are.
#[derive(Deserialize, ToSchema)]
struct SettingsUpdate {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = bool)]
    read_receipts: Option<bool>,
    /// Do not disturb until this time (RFC 3339); `null` turns it off.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    dnd_until: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = bool)]
    sound: Option<bool>,
}

/// A field that is there as a `T`: `Some`; one left out stays `None` (by
/// `serde(default)`). So `null` is a `T` only where `T` takes it: it turns
/// do not disturb off, and is no switch's value.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Saves the settings named in the body, leaving the others; answers all of
/// them. The caller's sockets (every device) hear a `settings` frame.
#[utoipa::path(
    put,
    path = "/settings",
    tag = "conversations",
    security(("bearer" = []), ("token" = [])),
    request_body(content = SettingsUpdate, example = json!({"dnd_until": "2026-12-02T08:00:00Z"})),
    responses(
        (status = 200, description = "Saved; all the settings", body = Settings),
        (status = 422, description = "A field of the wrong type, or a `dnd_until` that is not a time", body = Problem),
    )
)]
async fn save_settings(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<SettingsUpdate>,
) -> AppResult<Json<Settings>> {
    let dnd_until = match body.dnd_until {
        Some(Some(text)) => Some(Some(parse_timestamp(&text).ok_or_else(|| {
            AppError::Unprocessable(
                "dnd_until must be a time such as 2026-12-02T08:00:00Z, or null".into(),
            )
        })?)),
        Some(None) => Some(None),
        None => None,
    };
    let change = SettingsChange {
        read_receipts: body.read_receipts,
        dnd_until,
        sound: body.sound,
    };
    let settings = notifications::change_settings(&state, user.user_id, change).await?;
    Ok(Json((&settings).into()))
}

#[derive(Deserialize, ToSchema)]
struct NotifyChoice {
    notify: NotifyLevel,
}

/// How a conversation notifies the caller, as set.
#[derive(Serialize, ToSchema)]
struct NotifySet {
    conversation_id: ConversationId,
    notify: NotifyLevel,
}

/// Which messages of a conversation notify the caller: `all`, `mentions`
/// (only those that mention them or the room) or `muted` (the same, shown
/// muted). The caller's sockets hear a `notify_changed` frame.
#[utoipa::path(
    put,
    path = "/conversations/{id}/notifications",
    tag = "conversations",
    params(("id" = ConversationId, Path, description = "The conversation")),
    security(("bearer" = []), ("token" = [])),
    request_body(content = NotifyChoice, example = json!({"notify": "mentions"})),
    responses(
        (status = 200, description = "Set", body = NotifySet, example = json!({"conversation_id": 4, "notify": "mentions"})),
        (status = 403, description = "Not in this room or direct conversation (a group one is not in is a 404)", body = Problem),
        (status = 404, description = "No such conversation for the caller", body = Problem),
        (status = 422, description = "Not one of the levels", body = Problem),
    )
)]
async fn set_notify(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<ConversationId>,
    Json(body): Json<NotifyChoice>,
) -> AppResult<Json<NotifySet>> {
    notifications::set_notify(&state, user.user_id, id, body.notify).await?;
    Ok(Json(NotifySet {
        conversation_id: id,
        notify: body.notify,
    }))
}
