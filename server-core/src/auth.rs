//! Passwords, session tokens and login throttling.
//!
//! Passwords are hashed with argon2id (OWASP's m = 19 MiB, t = 2, p = 1) on
//! a few dedicated threads, so a burst of logins can neither stall the async
//! runtime nor eat memory.
//! A session token is 256 random bits, URL-safe base64; the database keeps
//! only its SHA-256, so a leaked database opens no accounts.

use std::{marker::PhantomData, net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use std::cell::RefCell;

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{Output, SaltString, rand_core::OsRng},
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

use crate::{
    config::Config,
    domain::{DomainError, DomainResult},
    error::{AppError, AppResult},
    pool::Pool,
    state::AppState,
    store::{SessionId, Store, UserId},
};

/// A session is re-dated (sliding expiry) at most this often, so that most
/// requests cost no write.
const TOUCH_EVERY_SECS: i64 = 600;

/// The authenticated caller. As an extractor it takes the token from
/// `Authorization: Bearer` or the `token` query parameter and refuses with
/// 401 and the words `W` gives, which the contract sets per route; routes
/// whose contract also puts the token in a body use [`crate::http::extract`].
pub struct AuthUser<W = InvalidToken> {
    pub user_id: UserId,
    pub session_id: SessionId,
    wording: PhantomData<W>,
}

impl<W> AuthUser<W> {
    fn new(user_id: UserId, session_id: SessionId) -> Self {
        Self {
            user_id,
            session_id,
            wording: PhantomData,
        }
    }

    /// The same caller, whatever a route calls a refusal.
    pub fn plain(&self) -> AuthUser {
        AuthUser::new(self.user_id, self.session_id)
    }
}

impl<W> Clone for AuthUser<W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<W> Copy for AuthUser<W> {}

impl<W> std::fmt::Debug for AuthUser<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthUser")
            .field("user_id", &self.user_id)
            .field("session_id", &self.session_id)
            .finish()
    }
}

/// How a route words its refusal of a missing or bad token.
pub trait Refusal: Send + Sync + 'static {
    const DETAIL: &'static str;
}

/// "Invalid token": `/messages`, `/users`, `/ws`, `/upload-profile`.
pub enum InvalidToken {}
/// "Unauthorized": `/logout`, `/remove-profile`, `/upload-file`...
pub enum Unauthorized {}

impl Refusal for InvalidToken {
    const DETAIL: &'static str = "Invalid token";
}

impl Refusal for Unauthorized {
    const DETAIL: &'static str = "Unauthorized";
}

impl<W: Refusal> FromRequestParts<AppState> for AuthUser<W> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let Ok(token) = Token::from_request_parts(parts, state).await;
        state.auth.authenticate(token.0.as_deref(), W::DETAIL).await
    }
}

pub struct Auth {
    store: Arc<dyn Store>,
    session_secs: i64,
    /// Verified against when a username is unknown, so that the answer takes
    /// as long as for a known one.
    dummy_hash: String,
    hashers: Pool<Workspace>,
    per_username: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl Auth {
    /// Blocking: computes the dummy hash.
    pub fn new(store: Arc<dyn Store>, config: &Config) -> std::io::Result<Self> {
        let burst = NonZeroU32::new(config.login_burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = |burst| {
            Quota::with_period(config.login_refill.max(Duration::from_millis(1)))
                .expect("period is positive")
                .allow_burst(burst)
        };
        let address_burst = burst.saturating_mul(NonZeroU32::new(4).unwrap_or(NonZeroU32::MIN));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        let workspaces: Vec<Workspace> = (0..threads).map(|_| Workspace::default()).collect();
        Ok(Self {
            store,
            session_secs: i64::from(config.session_days) * 86_400,
            dummy_hash: hash_password(&workspaces[0], "not a real password"),
            hashers: Pool::start("argon2", workspaces)?,
            per_username: RateLimiter::keyed(quota(burst)),
            per_address: RateLimiter::keyed(quota(address_burst)),
        })
    }

    pub async fn hash(&self, password: &str) -> DomainResult<String> {
        let password = password.to_owned();
        self.hashers
            .run(move |workspace| hash_password(workspace, &password))
            .await
            .map_err(|_| stopped())
    }

    /// Checks `password` against `hash`, or against a dummy when there is no
    /// user, taking the same time either way.
    pub async fn verify(&self, hash: Option<String>, password: &str) -> DomainResult<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let password = password.to_owned();
        let matches = self
            .hashers
            .run(move |workspace| verify_password(workspace, &hash, &password))
            .await
            .map_err(|_| stopped())?;
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
    pub async fn authenticate<W>(
        &self,
        token: Option<&str>,
        refusal: &'static str,
    ) -> AppResult<AuthUser<W>> {
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
        Ok(AuthUser::new(session.user_id, session.id))
    }
}

fn stopped() -> DomainError {
    DomainError::Unavailable("hashing threads stopped".into())
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hashing thread's working memory, allocated on first use and then
/// reused. Argon2 needs 19 MiB per hash; allocating it for each hash made
/// the allocator keep hundreds of MiB after a burst of logins (glibc holds
/// freed blocks of this size per thread), where one block per thread keeps
/// memory flat.
#[derive(Default)]
struct Workspace(RefCell<Vec<Block>>);

impl Workspace {
    /// The raw argon2 output for `password`. Hashes made with bigger
    /// parameters than ours (none yet) get memory of their own.
    fn compute(
        &self,
        argon: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> argon2::Result<()> {
        let needed = argon.params().block_count();
        if needed > argon2().params().block_count() {
            return argon.hash_password_into(password, salt, out);
        }
        let mut memory = self.0.borrow_mut();
        if memory.len() < needed {
            memory.resize(needed, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..needed])
    }
}

fn hash_password(workspace: &Workspace, password: &str) -> String {
    let argon = argon2();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .expect("generated salts decode");
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        workspace
            .compute(&argon, password.as_bytes(), salt_bytes, out)
            .map_err(Into::into)
    })
    .expect("argon2 accepts any password with valid parameters");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: argon.params().try_into().expect("parameters encode"),
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string()
}

/// Checks `password` against a PHC hash string, in constant time.
fn verify_password(workspace: &Workspace, hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from);
    let Ok(version) = version else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params);
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    Output::init_with(expected.len(), |out| {
        workspace
            .compute(&argon, password.as_bytes(), salt_bytes, out)
            .map_err(Into::into)
    })
    .is_ok_and(|computed| computed == expected)
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

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify_only_their_password() {
        let workspace = Workspace::default();
        let hash = hash_password(&workspace, "correct horse");

        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(&workspace, &hash, "correct horse"));
        assert!(!verify_password(&workspace, &hash, "correct horsf"));
        assert!(!verify_password(&workspace, "not a hash", "correct horse"));
        // The reference implementation agrees.
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(argon2().verify_password(b"correct horse", &parsed).is_ok());
    }

    #[test]
    fn hashes_made_with_other_parameters_still_verify() {
        let workspace = Workspace::default();
        for m_cost in [8 * 1024, 64 * 1024] {
            let params = Params::new(m_cost, 1, 1, None).unwrap();
            let salt = SaltString::generate(&mut OsRng);
            let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(b"old password", &salt)
                .unwrap()
                .to_string();

            assert!(verify_password(&workspace, &hash, "old password"));
            assert!(!verify_password(&workspace, &hash, "new password"));
        }
    }
}
