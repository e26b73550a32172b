//! Profile pictures, display names and the About text.

use axum::extract::{DefaultBodyLimit, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{
    router::{OpenApiRouter, UtoipaMethodRouterExt},
    routes,
};

use super::{
    Done,
    extract::{AuthedJson, Json, Multipart, WithToken},
    incoming::{UploadForm, receive_upload},
};
use crate::{
    auth::{AuthUser, InvalidToken, Token, Unauthorized},
    domain::profile,
    error::{AppResult, Problem},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_profile).layer(DefaultBodyLimit::disable()))
        .routes(routes!(remove_profile))
        .routes(routes!(update_about))
        .routes(routes!(update_display_name))
}

#[derive(Serialize, ToSchema)]
struct PictureSaved {
    #[schema(example = "Profile updated")]
    message: &'static str,
    /// Where the picture is served, relative to the site (`static/uploads/…`).
    path: String,
}

/// Sets the caller's profile picture (an image).
#[utoipa::path(
    post,
    path = "/upload-profile",
    tag = "profile",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = []), ("token" = []), ()),
    responses(
        (status = 200, description = "Saved", body = PictureSaved),
        (status = 413, description = "The picture is larger than the server takes", body = Problem),
        (status = 415, description = "Not an image", body = Problem),
    )
)]
async fn upload_profile(
    State(state): State<AppState>,
    token: Token,
    mut multipart: Multipart,
) -> AppResult<Json<PictureSaved>> {
    let (user, file) = receive_upload::<InvalidToken>(&state, token, &mut multipart).await?;
    let path = profile::set_picture(&state, user.user_id, file).await?;
    Ok(Json(PictureSaved {
        message: "Profile updated",
        path,
    }))
}

/// Removes the caller's profile picture.
#[utoipa::path(
    post,
    path = "/remove-profile",
    tag = "profile",
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Removed", body = Done, example = json!({"message": "Profile removed"})),
    )
)]
async fn remove_profile(
    State(state): State<AppState>,
    user: AuthUser<Unauthorized>,
) -> AppResult<Json<Done>> {
    profile::remove_picture(&state, user.user_id).await?;
    Ok(Json(Done::new("Profile removed")))
}

#[derive(Deserialize, ToSchema)]
struct AboutUpdate {
    #[schema(max_length = 500)]
    about: String,
}

/// Sets the caller's About text.
#[utoipa::path(
    post,
    path = "/update-about",
    tag = "profile",
    request_body = WithToken<AboutUpdate>,
    security(("bearer" = []), ("token" = []), ()),
    responses(
        (status = 200, description = "Saved", body = Done, example = json!({"message": "About updated"})),
        (status = 400, description = "Too long", body = Problem),
    )
)]
async fn update_about(
    State(state): State<AppState>,
    AuthedJson { user, body }: AuthedJson<AboutUpdate>,
) -> AppResult<Json<Done>> {
    profile::set_about(&state, user.user_id, &body.about).await?;
    Ok(Json(Done::new("About updated")))
}

#[derive(Deserialize, ToSchema)]
struct DisplayNameUpdate {
    /// Blank: show the username again.
    #[schema(max_length = 64)]
    display_name: String,
}

/// Ours: sets the name shown for the caller (their username stays what they
/// log in with and are @mentioned by).
#[utoipa::path(
    post,
    path = "/update-display-name",
    tag = "profile",
    request_body = WithToken<DisplayNameUpdate>,
    security(("bearer" = []), ("token" = []), ()),
    responses(
        (status = 200, description = "Saved", body = Done, example = json!({"message": "Display name updated"})),
        (status = 400, description = "Too long, or has control characters", body = Problem),
    )
)]
async fn update_display_name(
    State(state): State<AppState>,
    AuthedJson { user, body }: AuthedJson<DisplayNameUpdate>,
) -> AppResult<Json<Done>> {
    profile::set_display_name(&state, user.user_id, &body.display_name).await?;
    Ok(Json(Done::new("Display name updated")))
}
