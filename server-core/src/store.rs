//! The storage seam: what the server needs from a database, in domain terms.
//! [`crate::db::Db`] is the SQLite implementation; a deployment that outgrows
//! one host can put another behind the same trait.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub type UserId = i64;
pub type MessageId = i64;
pub type SessionId = i64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("username is taken")]
    UsernameTaken,
    #[error("no such user")]
    UserNotFound,
    #[error("no such message")]
    MessageNotFound,
    #[error("message belongs to someone else")]
    NotYourMessage,
    #[error("message cannot be edited")]
    NotEditable,
    /// The database failed or is shutting down.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub profile_pic: Option<String>,
    pub about: Option<String>,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    /// Unix seconds.
    pub expires_at: i64,
    pub last_used_at: i64,
}

/// A stored file attached to a message.
#[derive(Debug, Clone)]
pub struct FileMeta {
    /// Relative path as the contract shows it, e.g. `static/files/3_ab_x.pdf`.
    pub path: String,
    /// The name the sender's file had, for display and download.
    pub name: String,
    pub size: u64,
    pub mime_type: String,
}

#[derive(Debug, Clone)]
pub enum Body {
    Text(String),
    File(FileMeta),
}

/// A message in a one-to-one conversation, from the point of view of its
/// two parties (`receiver_id == sender_id` for a note to self).
#[derive(Debug, Clone)]
pub struct Message {
    pub id: MessageId,
    pub sender_id: UserId,
    pub receiver_id: UserId,
    pub body: Body,
    pub created_at: String,
    pub edited_at: Option<String>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Fails with [`StoreError::UsernameTaken`], case-insensitively.
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<UserId>;
    /// The id and password hash of the user with this name, if any.
    async fn credentials(&self, username: &str) -> StoreResult<Option<(UserId, String)>>;
    async fn password_hash(&self, user: UserId) -> StoreResult<String>;
    /// Changes the password and revokes every session of the user but `keep`.
    async fn set_password(&self, user: UserId, hash: &str, keep: SessionId) -> StoreResult<()>;

    /// Stores a new session (only the token's hash) and forgets expired ones.
    async fn create_session(
        &self,
        user: UserId,
        token_hash: [u8; 32],
        now: i64,
        expires_at: i64,
    ) -> StoreResult<SessionId>;
    async fn session(&self, token_hash: [u8; 32]) -> StoreResult<Option<Session>>;
    async fn touch_session(&self, session: SessionId, now: i64, expires_at: i64)
    -> StoreResult<()>;
    async fn delete_session(&self, session: SessionId) -> StoreResult<()>;

    async fn users(&self) -> StoreResult<Vec<User>>;
    async fn user(&self, user: UserId) -> StoreResult<Option<User>>;
    /// Sets or clears the profile picture; returns the previous one.
    async fn set_profile_pic(
        &self,
        user: UserId,
        path: Option<String>,
    ) -> StoreResult<Option<String>>;
    async fn set_about(&self, user: UserId, about: &str) -> StoreResult<()>;
    async fn set_last_seen(&self, user: UserId, at: &str) -> StoreResult<()>;

    /// Stores a message in the conversation of `sender` and `receiver`,
    /// creating it on first use. Returns once it is committed.
    async fn send_message(
        &self,
        sender: UserId,
        receiver: UserId,
        body: Body,
        at: &str,
    ) -> StoreResult<Message>;
    /// Replaces the text of a message; only its sender may.
    async fn edit_message(
        &self,
        editor: UserId,
        id: MessageId,
        content: &str,
        at: &str,
    ) -> StoreResult<Message>;
    /// Messages between `me` and `other`, oldest first: all of them, or the
    /// `limit` newest before message `before`.
    async fn history(
        &self,
        me: UserId,
        other: UserId,
        before: Option<MessageId>,
        limit: Option<u32>,
    ) -> StoreResult<Vec<Message>>;

    /// The newest message of each one-to-one conversation `me` is in, the
    /// most recent conversation first.
    async fn latest_messages(&self, me: UserId) -> StoreResult<Vec<Message>>;

    /// Finishes every write already accepted, then refuses new ones.
    async fn close(&self);
}

/// The wire format of timestamps: UTC, microseconds, explicit `Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn now_timestamp() -> String {
    timestamp(Utc::now())
}
