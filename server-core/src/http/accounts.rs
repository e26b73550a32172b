//! Registering, logging in and out, changing passwords, listing users.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    Router,
    extract::{ConnectInfo, State},
    http::Extensions,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::extract::Json;
use crate::{
    auth::Token,
    error::{AppError, AppResult},
    state::AppState,
    store::UserId,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/change-password", post(change_password))
        .route("/users", get(list_users))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

fn check_username(username: &str) -> AppResult<()> {
    let length = username.chars().count();
    let allowed = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if (3..=32).contains(&length) && allowed {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "Username must be 3 to 32 characters: letters, digits, '.', '_' or '-'".into(),
        ))
    }
}

fn check_password(password: &str) -> AppResult<()> {
    if (8..=128).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "Password must be 8 to 128 characters".into(),
        ))
    }
}

async fn register(
    State(state): State<AppState>,
    Json(body): Json<Credentials>,
) -> AppResult<Json<Value>> {
    check_username(&body.username)?;
    check_password(&body.password)?;
    let hash = state.auth.hash(&body.password).await?;
    let id = state.store.create_user(&body.username, &hash).await?;
    tracing::info!(user_id = id, "registered");
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
) -> AppResult<Json<LoginAnswer>> {
    let refused = AppError::Unauthorized("Invalid credentials");
    if body.username.len() > 64 || body.password.len() > 1024 {
        return Err(refused);
    }
    state
        .auth
        .throttle_login(&body.username, client_address(&extensions))?;
    let found = state.store.credentials(&body.username).await?;
    let (user_id, hash) = match found {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let valid = state.auth.verify(hash, &body.password).await?;
    let Some(user_id) = user_id.filter(|_| valid) else {
        return Err(refused);
    };
    let token = state.auth.start_session(user_id).await?;
    tracing::info!(user_id, "logged in");
    Ok(Json(LoginAnswer { token, user_id }))
}

async fn logout(State(state): State<AppState>, token: Token) -> AppResult<Json<Value>> {
    let user = state
        .auth
        .authenticate(token.0.as_deref(), "Unauthorized")
        .await?;
    state.auth.end_session(user).await?;
    Ok(Json(json!({ "message": "Logged out" })))
}

#[derive(Deserialize)]
struct PasswordChange {
    token: Option<String>,
    old_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    token: Token,
    Json(body): Json<PasswordChange>,
) -> AppResult<Json<Value>> {
    let user = state
        .auth
        .authenticate(token.or(body.token).as_deref(), "Unauthorized")
        .await?;
    let hash = state.store.password_hash(user.user_id).await?;
    if !state.auth.verify(Some(hash), &body.old_password).await? {
        return Err(AppError::BadRequest("Wrong old password".into()));
    }
    check_password(&body.new_password)?;
    let hash = state.auth.hash(&body.new_password).await?;
    state
        .store
        .set_password(user.user_id, &hash, user.session_id)
        .await?;
    tracing::info!(
        user_id = user.user_id,
        "changed password; other sessions revoked"
    );
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

async fn list_users(State(state): State<AppState>, token: Token) -> AppResult<Json<Vec<UserView>>> {
    state
        .auth
        .authenticate(token.0.as_deref(), "Invalid token")
        .await?;
    let online = state.hub.online_users();
    let users = state.store.users().await?;
    Ok(Json(
        users
            .into_iter()
            .map(|user| UserView {
                is_online: u8::from(online.contains(&user.id)),
                id: user.id,
                username: user.username,
                last_seen: user.last_seen,
                profile_pic: user.profile_pic,
                about: user.about,
            })
            .collect(),
    ))
}
