//! Passwords, session tokens and login throttling.
//!
//! Passwords are hashed with argon2id (OWASP's m = 19 MiB, t = 2, p = 1) on
//! the blocking pool, a few at a time so a burst of logins cannot eat memory.
//! A session token is 256 random bits, URL-safe base64; the database keeps
//! only its SHA-256, so a leaked database opens no accounts.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use axum::{
    extract::{FromRequestParts, Query},
    http::{header, request::Parts},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{
    config::Config,
    error::{AppError, AppResult},
    store::{SessionId, Store, UserId},
};

/// A session is re-dated (sliding expiry) at most this often, so that most
/// requests cost no write.
const TOUCH_EVERY_SECS: i64 = 600;

/// The authenticated caller.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub user_id: UserId,
    pub session_id: SessionId,
}

pub struct Auth {
    store: Arc<dyn Store>,
    session_secs: i64,
    /// Verified against when a username is unknown, so that the answer takes
    /// as long as for a known one.
    dummy_hash: String,
    hashing: Semaphore,
    per_username: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl Auth {
    pub fn new(store: Arc<dyn Store>, config: &Config) -> Self {
        let burst = NonZeroU32::new(config.login_burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = |burst| {
            Quota::with_period(config.login_refill.max(Duration::from_millis(1)))
                .expect("period is positive")
                .allow_burst(burst)
        };
        let address_burst = burst.saturating_mul(NonZeroU32::new(4).unwrap_or(NonZeroU32::MIN));
        Self {
            store,
            session_secs: i64::from(config.session_days) * 86_400,
            dummy_hash: hash_password("not a real password"),
            hashing: Semaphore::new(4),
            per_username: RateLimiter::keyed(quota(burst)),
            per_address: RateLimiter::keyed(quota(address_burst)),
        }
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let _permit = self.hashing.acquire().await.map_err(AppError::internal)?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(AppError::internal)
    }

    /// Checks `password` against `hash`, or against a dummy when there is no
    /// user, taking the same time either way.
    pub async fn verify(&self, hash: Option<String>, password: &str) -> AppResult<bool> {
        let _permit = self.hashing.acquire().await.map_err(AppError::internal)?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
            .await
            .map_err(AppError::internal)?;
        Ok(known && matches)
    }

    /// Counts a login attempt; refuses it when this username or address has
    /// tried too often lately.
    pub fn throttle_login(&self, username: &str, address: IpAddr) -> AppResult<()> {
        let now = DefaultClock::default().now();
        let username = username.to_lowercase();
        if self.per_username.len() > 10_000 {
            self.per_username.retain_recent();
            self.per_address.retain_recent();
        }
        self.per_address
            .check_key(&address)
            .and_then(|()| self.per_username.check_key(&username))
            .map_err(|wait| AppError::TooManyRequests(wait.wait_time_from(now)))
    }

    /// Starts a session; returns its token, which is never stored.
    pub async fn start_session(&self, user: UserId) -> AppResult<String> {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let token = URL_SAFE_NO_PAD.encode(secret);
        let now = unix_now();
        self.store
            .create_session(user, token_hash(&token), now, now + self.session_secs)
            .await?;
        Ok(token)
    }

    /// The user a token belongs to, extending the session's life; fails with
    /// 401 and the route's own wording otherwise.
    pub async fn authenticate(
        &self,
        token: Option<&str>,
        refusal: &'static str,
    ) -> AppResult<AuthUser> {
        let token = token.filter(|t| !t.is_empty() && t.len() <= 128);
        let Some(token) = token else {
            return Err(AppError::Unauthorized(refusal));
        };
        let now = unix_now();
        let session = self
            .store
            .session(token_hash(token))
            .await?
            .filter(|s| s.expires_at > now)
            .ok_or(AppError::Unauthorized(refusal))?;
        if now - session.last_used_at >= TOUCH_EVERY_SECS {
            self.store
                .touch_session(session.id, now, now + self.session_secs)
                .await?;
        }
        Ok(AuthUser {
            user_id: session.user_id,
            session_id: session.id,
        })
    }

    pub async fn end_session(&self, user: AuthUser) -> AppResult<()> {
        Ok(self.store.delete_session(user.session_id).await?)
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password with valid parameters")
        .to_string()
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The token a request carries in `Authorization: Bearer` or in the
/// `token` query parameter, if any. Body and form fields are read by the
/// routes whose contract puts it there.
#[derive(Debug, Default)]
pub struct Token(pub Option<String>);

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Token {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(|token| token.trim().to_owned());
        if bearer.is_some() {
            return Ok(Self(bearer));
        }
        let query = Query::<TokenQuery>::from_request_parts(parts, state).await;
        Ok(Self(query.ok().and_then(|Query(q)| q.token)))
    }
}

impl Token {
    /// This token, or else one from the body or form.
    pub fn or(self, other: Option<String>) -> Option<String> {
        self.0.or(other)
    }
}
