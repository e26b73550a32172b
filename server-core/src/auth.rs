//! Passwords, session tokens and throttling of what costs a hash.
//!
//! Passwords are hashed with argon2id (OWASP's m = 19 MiB, t = 2, p = 1) on
//! a few dedicated threads, so a burst of logins can neither stall the async
//! runtime nor eat memory; their queue is bounded, and a request that would
//! wait behind a full queue gets 503 at once.
//!
//! Password guesses are throttled by failures only ([`Failures`]): per
//! address, per username and address, per username across addresses, and
//! per user for `/change-password`. Registrations, which always hash, are
//! throttled per address.
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
    http::{HeaderMap, HeaderValue, header, request::Parts},
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
    metrics::{Metrics, Throttle},
    pool::{Pool, Refused},
    state::AppState,
    store::{SessionId, Store, UserId},
    throttle::Failures,
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
    /// Wrong logins from one address, whatever the names tried.
    login_by_address: Failures<IpAddr>,
    /// Wrong logins for one (lower-cased) name from one address.
    login_by_pair: Failures<(String, IpAddr)>,
    /// Wrong logins for one name from anywhere. Once spent, only addresses
    /// that have not failed on that name may still try it, so guessers
    /// spread over many addresses are slowed without locking its owner out.
    login_by_name: Failures<String>,
    /// Wrong old passwords given to `/change-password` with a user's token.
    password_change: Failures<UserId>,
    registrations: DefaultKeyedRateLimiter<IpAddr>,
    /// Counts each refusal by the budget that made it.
    metrics: Arc<Metrics>,
}

impl Auth {
    /// Blocking: computes the dummy hash.
    pub fn new(
        store: Arc<dyn Store>,
        config: &Config,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Self> {
        let burst = config.login_burst.max(1);
        let wide_burst = burst.saturating_mul(4);
        let refill = config.login_refill;
        let registrations =
            Quota::with_period(config.register_refill.max(Duration::from_millis(1)))
                .expect("period is positive")
                .allow_burst(NonZeroU32::new(config.register_burst).unwrap_or(NonZeroU32::MIN));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        let workspaces: Vec<Workspace> = (0..threads).map(|_| Workspace::default()).collect();
        Ok(Self {
            store,
            session_secs: i64::from(config.session_days) * 86_400,
            dummy_hash: hash_password(&workspaces[0], "not a real password"),
            hashers: Pool::start_bounded("argon2", workspaces, config.hash_queue as usize)?,
            login_by_address: Failures::new(wide_burst, refill),
            login_by_pair: Failures::new(burst, refill),
            login_by_name: Failures::new(wide_burst, refill),
            password_change: Failures::new(burst, refill),
            registrations: RateLimiter::keyed(registrations),
            metrics,
        })
    }

    /// Runs a hashing job unless too many are waiting already.
    async fn hashing<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Workspace) -> T + Send + 'static,
    ) -> DomainResult<T> {
        self.hashers
            .try_run(job)
            .await
            .map_err(|refused| match refused {
                Refused::Busy => DomainError::Busy("Server busy, try again in a moment"),
                Refused::Stopped => stopped(),
            })
    }

    pub async fn hash(&self, password: &str) -> DomainResult<String> {
        let password = password.to_owned();
        self.hashing(move |workspace| hash_password(workspace, &password))
            .await
    }

    /// Checks `password` against `hash`, or against a dummy when there is no
    /// user, taking the same time either way.
    pub async fn verify(&self, hash: Option<String>, password: &str) -> DomainResult<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let password = password.to_owned();
        let matches = self
            .hashing(move |workspace| verify_password(workspace, &hash, &password))
            .await?;
        Ok(known && matches)
    }

    /// Refuses a login while this address, or this address for this name,
    /// has failed too often lately, or the name has and this address is one
    /// of those failing. Counts nothing: see [`Auth::login_failed`].
    pub fn throttle_login(&self, username: &str, address: IpAddr) -> AppResult<()> {
        let pair = (username.to_lowercase(), address);
        self.login_by_address
            .check(&address)
            .map_err(|wait| self.refused(Throttle::LoginAddress, wait))
            .and_then(|()| {
                self.login_by_pair
                    .check(&pair)
                    .map_err(|wait| self.refused(Throttle::LoginUsernameAddress, wait))
            })
            .map_err(AppError::TooManyRequests)?;
        if let Err(wait) = self.login_by_name.check(&pair.0)
            && self.login_by_pair.has_failed(&pair)
        {
            return Err(AppError::TooManyRequests(
                self.refused(Throttle::LoginUsername, wait),
            ));
        }
        Ok(())
    }

    /// Counts a refusal by `limit`; returns the `wait` it tells of.
    fn refused(&self, limit: Throttle, wait: Duration) -> Duration {
        self.metrics.throttled(limit);
        wait
    }

    /// Counts a wrong password (or unknown name) given from `address`.
    pub fn login_failed(&self, username: &str, address: IpAddr) {
        let name = username.to_lowercase();
        self.login_by_address.fail(&address);
        self.login_by_name.fail(&name);
        self.login_by_pair.fail(&(name, address));
    }

    /// Refuses `/change-password` while `user`'s token has given too many
    /// wrong old passwords lately: a stolen token must not buy unlimited
    /// guesses at the password that would take the account for good.
    pub fn throttle_password_change(&self, user: UserId) -> DomainResult<()> {
        self.password_change
            .check(&user)
            .map_err(|wait| DomainError::Throttled(self.refused(Throttle::PasswordChange, wait)))
    }

    pub fn password_change_failed(&self, user: UserId) {
        self.password_change.fail(&user);
    }

    /// Counts a registration from `address`; refuses it when the address has
    /// registered too often lately (each one costs a hash).
    pub fn throttle_registration(&self, address: IpAddr) -> DomainResult<()> {
        let now = DefaultClock::default().now();
        if self.registrations.len() > 10_000 {
            self.registrations.retain_recent();
        }
        self.registrations.check_key(&address).map_err(|wait| {
            DomainError::Throttled(self.refused(Throttle::Registration, wait.wait_time_from(now)))
        })
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

/// The cookie by which a browser proves who it is when it downloads a file
/// (`<img src>`, links). Its path is `/static`: it reaches no API route,
/// so it can authorise nothing but downloads, and SameSite=Strict keeps
/// other sites' pages from using it.
pub const SESSION_COOKIE: &str = "chatterbox_session";

impl Auth {
    /// `Set-Cookie` for a session's download cookie, living as long as it.
    pub fn session_cookie(&self, token: &str) -> HeaderValue {
        cookie(token, self.session_secs)
    }
}

/// `Set-Cookie` that clears the download cookie.
pub fn expired_session_cookie() -> HeaderValue {
    cookie("", 0)
}

fn cookie(token: &str, max_age: i64) -> HeaderValue {
    // Tokens are URL-safe base64: always a valid header value.
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/static; Max-Age={max_age}; HttpOnly; SameSite=Strict"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("chatterbox_session=; Max-Age=0"))
}

/// The download cookie's token, if the request carries one.
pub fn cookie_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, token)| token.to_owned())
        .filter(|token| !token.is_empty())
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
        let bearer = bearer(&parts.headers);
        if bearer.is_some() {
            return Ok(Self(bearer));
        }
        let query = Query::<TokenQuery>::from_request_parts(parts, state).await;
        Ok(Self(query.ok().and_then(|Query(q)| q.token)))
    }
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned())
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
