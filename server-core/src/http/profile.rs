//! Profile pictures and the About text.

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    routing::post,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Json, Multipart};
use crate::{
    auth::Token,
    error::{AppError, AppResult},
    files::Folder,
    state::AppState,
    store::UserId,
    ws::protocol::ServerEvent,
};

const MAX_ABOUT_CHARS: usize = 500;

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
    Multipart(mut multipart): Multipart,
) -> AppResult<Json<Value>> {
    let early = match &token.0 {
        Some(token) => Some(
            state
                .auth
                .authenticate(Some(token), "Invalid token")
                .await?,
        ),
        None => None,
    };
    let upload = state.files.receive(&mut multipart).await?;
    let user = match early {
        Some(user) => user,
        None => {
            state
                .auth
                .authenticate(upload.token.as_deref(), "Invalid token")
                .await?
        }
    };
    let file = upload
        .file
        .ok_or_else(|| AppError::Unprocessable("Missing the `file` field".into()))?;
    if file.sniffed_image().is_none() {
        return Err(AppError::UnsupportedMedia(
            "A profile picture must be a PNG, JPEG, GIF or WebP image",
        ));
    }
    let meta = state
        .files
        .keep(file, Folder::Profiles, user.user_id)
        .await?;
    let old = match state
        .store
        .set_profile_pic(user.user_id, Some(meta.path.clone()))
        .await
    {
        Ok(old) => old,
        Err(err) => {
            state.files.remove(&meta.path).await;
            return Err(err.into());
        }
    };
    if let Some(old) = old {
        state.files.remove(&old).await;
    }
    announce(&state, user.user_id).await?;
    Ok(Json(
        json!({ "message": "Profile updated", "path": meta.path }),
    ))
}

async fn remove_profile(State(state): State<AppState>, token: Token) -> AppResult<Json<Value>> {
    let user = state
        .auth
        .authenticate(token.0.as_deref(), "Unauthorized")
        .await?;
    if let Some(old) = state.store.set_profile_pic(user.user_id, None).await? {
        state.files.remove(&old).await;
    }
    announce(&state, user.user_id).await?;
    Ok(Json(json!({ "message": "Profile removed" })))
}

#[derive(Deserialize)]
struct AboutUpdate {
    token: Option<String>,
    about: String,
}

async fn update_about(
    State(state): State<AppState>,
    token: Token,
    Json(body): Json<AboutUpdate>,
) -> AppResult<Json<Value>> {
    let user = state
        .auth
        .authenticate(token.or(body.token).as_deref(), "Unauthorized")
        .await?;
    if body.about.chars().count() > MAX_ABOUT_CHARS {
        return Err(AppError::BadRequest(format!(
            "About is too long (at most {MAX_ABOUT_CHARS} characters)"
        )));
    }
    state
        .store
        .set_about(user.user_id, body.about.trim())
        .await?;
    announce(&state, user.user_id).await?;
    Ok(Json(json!({ "message": "About updated" })))
}

/// Tells everyone connected about `user`'s new picture or About.
async fn announce(state: &AppState, user: UserId) -> AppResult<()> {
    if let Some(user) = state.store.user(user).await? {
        state.hub.broadcast(&ServerEvent::UserUpdated {
            user_id: user.id,
            profile_pic: user.profile_pic,
            about: user.about,
        });
    }
    Ok(())
}
