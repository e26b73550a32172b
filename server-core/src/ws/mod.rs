//! The WebSocket at `/ws`: the handshake (token and origin checks) here;
//! [`socket`]: one task per socket, relaying frames out and client frames
//! in ([`frames`]), noting deliveries ([`delivery`]); [`registry`]: this
//! process's sockets; [`fanout`]: the bus subscription that feeds them;
//! [`protocol`]: the frames.

mod delivery;
pub mod fanout;
mod frames;
pub mod protocol;
pub mod registry;
mod socket;

use axum::{
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, header},
    response::Response,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::{AuthUser, Token},
    error::{AppError, AppResult, Problem},
    http::extract::Query,
    state::AppState,
    store::Seq,
};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;

/// Largest frame or message a client may send.
const MAX_FRAME: usize = 64 * 1024;
/// How much a socket reads from the connection at once. tungstenite's
/// default, 128 KiB, is allocated for every socket and zeroed before every
/// read: it cost about 140 KiB of memory per idle socket and a fifth of
/// the server's CPU under load. Chat frames are small; a larger one is read
/// in several goes.
const READ_CHUNK: usize = 4 * 1024;
/// Frames gathered before they are written to the connection; a batch of
/// queued frames is flushed at its end anyway.
const WRITE_CHUNK: usize = 16 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upgrade))
}

/// Ours: where a reconnecting client was (docs/protocol.md).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Resume {
    /// Send everything the caller missed after this position of the event
    /// log first, then `synced`, then live frames.
    after: Option<Seq>,
    /// With no `after`: start with a `synced` frame saying where the log
    /// stands (`1`).
    #[serde(default)]
    sync: Option<String>,
}

impl Resume {
    /// Whether the client asked to be told where the log stands.
    fn wants_sync(&self) -> bool {
        self.after.is_some()
            || self
                .sync
                .as_deref()
                .is_some_and(|v| v != "0" && v != "false")
    }
}

/// The WebSocket. Its frames, both ways, are in the AsyncAPI document at
/// `/asyncapi.json` and listed below.
#[utoipa::path(
    get,
    path = "/ws",
    tag = "websocket",
    params(Resume),
    security(("token" = []), ("bearer" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = Problem),
        (status = 403, description = "From a page of another origin", body = Problem),
    )
)]
async fn upgrade(
    State(state): State<AppState>,
    token: Token,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    if !origin_allowed(&headers, &state.config.allowed_origins) {
        return Err(AppError::Forbidden("Cross-origin WebSocket refused"));
    }
    let token = token.0.unwrap_or_default();
    let user: AuthUser = state
        .auth
        .authenticate(Some(&token), "Invalid token")
        .await?;
    let upgrade = upgrade.map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
    let tracker = state.sockets.clone();
    Ok(upgrade
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(READ_CHUNK)
        .write_buffer_size(WRITE_CHUNK)
        .on_upgrade(move |ws| tracker.track_future(socket::run(state, user, token, resume, ws))))
}

/// Browsers always send `Origin` on a WebSocket handshake; a page of another
/// site must not ride on our users' tokens. Clients that are not browsers
/// send none and are let through (they hold the token themselves).
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}
