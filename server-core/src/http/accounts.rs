//! Registering, logging in and out, changing passwords, listing users.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    Router,
    extract::{ConnectInfo, State},
    http::Extensions,
    http::{HeaderName, HeaderValue, header},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::extract::{AuthedJson, Json};
use crate::{
    auth::{self, AuthUser, Token, Unauthorized},
    domain::accounts,
    error::{AppError, AppResult},
    state::AppState,
    store::{UserId, timestamp},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/session-cookie", post(session_cookie))
        .route("/change-password", post(change_password))
        .route("/users", get(list_users))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn register(
    State(state): State<AppState>,
    extensions: Extensions,
    Json(body): Json<Credentials>,
) -> AppResult<Json<Value>> {
    let from = client_address(&extensions);
    accounts::register(&state, &body.username, &body.password, from).await?;
    Ok(Json(json!({ "message": "User created" })))
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

#[derive(Serialize)]
struct LoginAnswer {
    token: String,
    user_id: UserId,
}

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

async fn logout(
    State(state): State<AppState>,
    user: AuthUser<Unauthorized>,
) -> AppResult<([(HeaderName, HeaderValue); 1], Json<Value>)> {
    accounts::logout(&state, user.plain()).await?;
    Ok((
        [(header::SET_COOKIE, auth::expired_session_cookie())],
        Json(json!({ "message": "Logged out" })),
    ))
}

/// Ours: sets the file-download cookie for a page that logged in before it
/// existed (or whose cookie was cleared).
async fn session_cookie(
    State(state): State<AppState>,
    token: Token,
) -> AppResult<([(HeaderName, HeaderValue); 1], Json<Value>)> {
    let token = token.0.unwrap_or_default();
    let _: AuthUser = state
        .auth
        .authenticate(Some(&token), "Invalid token")
        .await?;
    Ok((
        [(header::SET_COOKIE, state.auth.session_cookie(&token))],
        Json(json!({ "message": "Cookie set" })),
    ))
}

#[derive(Deserialize)]
struct PasswordChange {
    old_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    AuthedJson { user, body }: AuthedJson<PasswordChange>,
) -> AppResult<Json<Value>> {
    accounts::change_password(&state, user.plain(), &body.old_password, &body.new_password).await?;
    Ok(Json(json!({ "message": "Password changed" })))
}

#[derive(Serialize)]
struct UserView {
    id: UserId,
    username: String,
    /// 0 or 1, as the original's column.
    is_online: u8,
    last_seen: Option<String>,
    profile_pic: Option<String>,
    about: Option<String>,
}

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
            })
            .collect(),
    ))
}
