//! Registering, logging in and out, changing passwords, listing users.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    extract::{ConnectInfo, State},
    http::Extensions,
    http::{HeaderName, HeaderValue, header},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    Done,
    extract::{AuthedJson, Json, WithToken},
};
use crate::{
    auth::{self, AuthUser, Token, Unauthorized},
    domain::accounts,
    error::{AppError, AppResult, Problem},
    state::AppState,
    store::{UserId, timestamp},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(session_cookie))
        .routes(routes!(change_password))
        .routes(routes!(list_users))
}

#[derive(Deserialize, ToSchema)]
struct Credentials {
    #[schema(
        example = "ada",
        min_length = 3,
        max_length = 32,
        pattern = "^[A-Za-z0-9_.-]+$"
    )]
    username: String,
    #[schema(example = "correct horse battery", min_length = 8, max_length = 128)]
    password: String,
}

/// Creates an account.
#[utoipa::path(
    post,
    path = "/register",
    tag = "accounts",
    responses(
        (status = 200, description = "Created", body = Done, example = json!({"message": "User created"})),
        (status = 400, description = "The name is taken (`User exists`) or breaks a rule", body = Problem),
        (status = 429, description = "Too many registrations from this address", body = Problem),
    )
)]
async fn register(
    State(state): State<AppState>,
    extensions: Extensions,
    Json(body): Json<Credentials>,
) -> AppResult<Json<Done>> {
    let from = client_address(&extensions);
    accounts::register(&state, &body.username, &body.password, from).await?;
    Ok(Json(Done::new("User created")))
}

/// The client's address, for throttling; unknown when the router runs
/// without connection info (as in some tests).
fn client_address(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| {
            addr.ip()
        })
}

#[derive(Serialize, ToSchema)]
struct LoginAnswer {
    /// The session token: send it as `Authorization: Bearer`, or as the
    /// `token` query parameter, form field or body field.
    token: String,
    user_id: UserId,
}

/// Starts a session. Also sets the `chatterbox_session` cookie, which
/// lets a page's `<img>` and links download files.
#[utoipa::path(
    post,
    path = "/login",
    tag = "accounts",
    responses(
        (status = 200, description = "Logged in", body = LoginAnswer,
            headers(("set-cookie" = String, description = "The file-download cookie"))),
        (status = 401, description = "`Invalid credentials`", body = Problem),
        (status = 429, description = "Too many failed attempts; see `Retry-After`", body = Problem),
    )
)]
async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    Json(body): Json<Credentials>,
) -> AppResult<([(HeaderName, HeaderValue); 1], Json<LoginAnswer>)> {
    let refused = AppError::Unauthorized("Invalid credentials");
    if body.username.len() > 64 || body.password.len() > 1024 {
        return Err(refused);
    }
    let address = client_address(&extensions);
    state.auth.throttle_login(&body.username, address)?;
    let found = state.store.credentials(&body.username).await?;
    let (user_id, hash) = match found {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let valid = state.auth.verify(hash, &body.password).await?;
    let Some(user_id) = user_id.filter(|_| valid) else {
        state.auth.login_failed(&body.username, address);
        return Err(refused);
    };
    let token = state.auth.start_session(user_id).await?;
    tracing::info!(user_id, "logged in");
    let cookie = state.auth.session_cookie(&token);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(LoginAnswer { token, user_id }),
    ))
}

/// Ours: ends this session (its token stops working) and clears the cookie.
#[utoipa::path(
    post,
    path = "/logout",
    tag = "accounts",
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Logged out", body = Done, example = json!({"message": "Logged out"})),
    )
)]
async fn logout(
    State(state): State<AppState>,
    user: AuthUser<Unauthorized>,
) -> AppResult<([(HeaderName, HeaderValue); 1], Json<Done>)> {
    accounts::logout(&state, user.plain()).await?;
    Ok((
        [(header::SET_COOKIE, auth::expired_session_cookie())],
        Json(Done::new("Logged out")),
    ))
}

/// Ours: sets the file-download cookie for a page that logged in before it
/// existed (or whose cookie was cleared).
#[utoipa::path(
    post,
    path = "/session-cookie",
    tag = "accounts",
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Cookie set", body = Done,
            headers(("set-cookie" = String, description = "The file-download cookie"))),
    )
)]
async fn session_cookie(
    State(state): State<AppState>,
    token: Token,
) -> AppResult<([(HeaderName, HeaderValue); 1], Json<Done>)> {
    let token = token.0.unwrap_or_default();
    let _: AuthUser = state
        .auth
        .authenticate(Some(&token), "Invalid token")
        .await?;
    Ok((
        [(header::SET_COOKIE, state.auth.session_cookie(&token))],
        Json(Done::new("Cookie set")),
    ))
}

#[derive(Deserialize, ToSchema)]
struct PasswordChange {
    old_password: String,
    #[schema(min_length = 8, max_length = 128)]
    new_password: String,
}

/// Changes the caller's password; their other sessions end.
#[utoipa::path(
    post,
    path = "/change-password",
    tag = "accounts",
    request_body = WithToken<PasswordChange>,
    security(("bearer" = []), ("token" = []), ()),
    responses(
        (status = 200, description = "Changed", body = Done, example = json!({"message": "Password changed"})),
        (status = 400, description = "`Wrong old password`, or the new one breaks a rule", body = Problem),
        (status = 429, description = "Too many wrong old passwords; see `Retry-After`", body = Problem),
    )
)]
async fn change_password(
    State(state): State<AppState>,
    AuthedJson { user, body }: AuthedJson<PasswordChange>,
) -> AppResult<Json<Done>> {
    accounts::change_password(&state, user.plain(), &body.old_password, &body.new_password).await?;
    Ok(Json(Done::new("Password changed")))
}

#[derive(Serialize, ToSchema)]
struct UserView {
    id: UserId,
    username: String,
    /// 0 or 1, as the original's column.
    is_online: u8,
    last_seen: Option<String>,
    profile_pic: Option<String>,
    about: Option<String>,
    /// Ours: the name to show for them; `null`: their username, which
    /// stays what they log in with and are @mentioned by.
    display_name: Option<String>,
}

/// Everyone with an account, the caller included.
#[utoipa::path(
    get,
    path = "/users",
    tag = "accounts",
    security(("bearer" = []), ("token" = [])),
    responses((status = 200, description = "The users", body = Vec<UserView>))
)]
async fn list_users(
    State(state): State<AppState>,
    _caller: AuthUser,
) -> AppResult<Json<Vec<UserView>>> {
    let online = state.presence.online();
    let users = state.store.users().await?;
    Ok(Json(
        users
            .into_iter()
            .map(|user| UserView {
                is_online: u8::from(online.contains(&user.id)),
                id: user.id,
                username: user.username,
                last_seen: user.last_seen.map(timestamp),
                profile_pic: user.profile_pic,
                about: user.about,
                display_name: user.display_name,
            })
            .collect(),
    ))
}
