//! The HTTP API: one router per concern, merged, plus JSON answers for
//! unknown routes and methods.

mod accounts;
mod conversations;
pub mod extract;
mod incoming;
mod messages;
mod notifications;
mod profile;
mod reactions;
mod search;
mod uploads;

use axum::extract::{DefaultBodyLimit, State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{AppError, AppResult, Problem},
    metrics,
    state::AppState,
};
use extract::Json;

/// JSON bodies are small; uploads lift this for themselves.
const MAX_JSON_BODY: usize = 64 * 1024;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::router())
        .merge(conversations::router())
        .merge(messages::router())
        .merge(notifications::router())
        .merge(profile::router())
        .merge(reactions::router())
        .merge(search::router())
        .merge(uploads::router(state))
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(metrics::export_metrics))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
}

/// A plain acknowledgement, in the contract's words.
#[derive(Serialize, ToSchema)]
pub struct Done {
    #[schema(example = "User created")]
    message: &'static str,
}

impl Done {
    pub fn new(message: &'static str) -> Self {
        Self { message }
    }
}

#[derive(Serialize, ToSchema)]
struct Readiness {
    #[schema(example = "ready")]
    status: &'static str,
}

/// Readiness: the database takes a write and the server is not shutting
/// down; 503 otherwise, so a load balancer or a supervisor stops sending it
/// people.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Shutting down, or the database takes no writes", body = Problem),
    )
)]
async fn ready(State(state): State<AppState>) -> AppResult<Json<Readiness>> {
    if state.shutdown.is_cancelled() {
        return Err(AppError::Unavailable("Shutting down"));
    }
    if let Err(e) = state.store.check_writable().await {
        tracing::warn!(error = %e, "not ready: the database takes no writes");
        return Err(AppError::Unavailable("The database cannot be written"));
    }
    Ok(Json(Readiness { status: "ready" }))
}

#[derive(Serialize, ToSchema)]
struct Health {
    #[schema(example = "ok")]
    status: &'static str,
    #[schema(example = "ChatterBox")]
    name: &'static str,
    #[schema(example = "0.1.0")]
    version: &'static str,
    /// How many people are online.
    online: usize,
}

/// Liveness, plus what a LAN browser of servers wants to show.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Alive", body = Health))
)]
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        name: "ChatterBox",
        version: env!("CARGO_PKG_VERSION"),
        online: state.presence.online().len(),
    })
}
