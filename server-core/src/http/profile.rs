//! Profile pictures and the About text.

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    routing::post,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    extract::{AuthedJson, Json, Multipart},
    incoming::receive_upload,
};
use crate::{
    auth::{AuthUser, InvalidToken, Token, Unauthorized},
    domain::profile,
    error::AppResult,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/upload-profile",
            post(upload_profile).layer(DefaultBodyLimit::disable()),
        )
        .route("/remove-profile", post(remove_profile))
        .route("/update-about", post(update_about))
}

async fn upload_profile(
    State(state): State<AppState>,
    token: Token,
    mut multipart: Multipart,
) -> AppResult<Json<Value>> {
    let (user, file) = receive_upload::<InvalidToken>(&state, token, &mut multipart).await?;
    let path = profile::set_picture(&state, user.user_id, file).await?;
    Ok(Json(json!({ "message": "Profile updated", "path": path })))
}

async fn remove_profile(
    State(state): State<AppState>,
    user: AuthUser<Unauthorized>,
) -> AppResult<Json<Value>> {
    profile::remove_picture(&state, user.user_id).await?;
    Ok(Json(json!({ "message": "Profile removed" })))
}

#[derive(Deserialize)]
struct AboutUpdate {
    about: String,
}

async fn update_about(
    State(state): State<AppState>,
    AuthedJson { user, body }: AuthedJson<AboutUpdate>,
) -> AppResult<Json<Value>> {
    profile::set_about(&state, user.user_id, &body.about).await?;
    Ok(Json(json!({ "message": "About updated" })))
}
