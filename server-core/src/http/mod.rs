//! The HTTP API: one router per concern, merged, plus JSON answers for
//! unknown routes and methods.

mod accounts;
mod conversations;
pub mod extract;
mod incoming;
mod messages;
mod profile;
mod uploads;

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State},
    routing::get,
};
use serde_json::{Value, json};

use crate::state::AppState;

/// JSON bodies are small; uploads lift this for themselves.
const MAX_JSON_BODY: usize = 64 * 1024;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(accounts::router())
        .merge(conversations::router())
        .merge(messages::router())
        .merge(profile::router())
        .merge(uploads::router(state))
        .route("/healthz", get(health))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
}

/// Liveness, plus what a LAN browser of servers wants to show.
async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "name": "ChatterBox",
        "version": env!("CARGO_PKG_VERSION"),
        "online": state.presence.online().len(),
    }))
}
