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

use crate::{
    error::{AppError, AppResult},
    state::AppState,
};

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
        .route("/readyz", get(ready))
        .route("/metrics", get(crate::metrics::export_metrics))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
}

/// Readiness: the database takes a write and the server is not shutting
/// down; 503 otherwise, so a load balancer or a supervisor stops sending it
/// people.
async fn ready(State(state): State<AppState>) -> AppResult<Json<Value>> {
    if state.shutdown.is_cancelled() {
        return Err(AppError::Unavailable("Shutting down"));
    }
    if let Err(e) = state.store.check_writable().await {
        tracing::warn!(error = %e, "not ready: the database takes no writes");
        return Err(AppError::Unavailable("The database cannot be written"));
    }
    Ok(Json(json!({ "status": "ready" })))
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
