//! The storage seam: what the server needs from a database, in domain terms.
//! [`crate::db::Db`] is the SQLite implementation; a deployment that outgrows
//! one host can put another behind the same trait, and prove it with the
//! conformance suite in `tests/store/`.
//!
//! Everything is keyed by conversation. A one-to-one chat is a *direct*
//! conversation of its two people (one, for notes to self); the contract's
//! peer-keyed routes find it with [`Store::direct_conversation`] at the edge.
//!
//! Every change to a conversation is a [`Committed`] event with a position
//! (`seq`) in one strictly increasing log, written in the same transaction
//! as the change. A store hands each committed event, in `seq` order, to the
//! [`EventFeed`] it was opened with; that feed is what gets published.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub type UserId = i64;
pub type MessageId = i64;
pub type SessionId = i64;
pub type ConversationId = i64;
/// A position in the event log.
pub type Seq = i64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("username is taken")]
    UsernameTaken,
    #[error("no such user")]
    UserNotFound,
    #[error("no such conversation")]
    ConversationNotFound,
    #[error("not a member of this conversation")]
    NotAMember,
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

/// Where a store sends its committed events, in `seq` order.
pub type EventFeed = flume::Sender<Committed>;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub profile_pic: Option<String>,
    pub about: Option<String>,
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    /// Unix seconds.
    pub expires_at: i64,
    pub last_used_at: i64,
}

/// A stored file attached to a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Relative path as the contract shows it, e.g. `static/files/3_ab_x.pdf`.
    pub path: String,
    /// The name the sender's file had, for display and download.
    pub name: String,
    pub size: u64,
    pub mime_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    Text(String),
    File(FileMeta),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub sender_id: UserId,
    pub body: Body,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    /// The sender's own id for the message, if it gave one: a resend with
    /// the same id is the same message.
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConversationKind {
    /// Two people, or one for notes to self.
    Direct,
    Group,
}

/// A conversation and who is in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub members: Vec<UserId>,
}

impl Conversation {
    /// In a direct conversation, the other party of `user` (`user` itself
    /// for notes to self).
    pub fn peer_of(&self, user: UserId) -> UserId {
        self.members
            .iter()
            .copied()
            .find(|&member| member != user)
            .unwrap_or(user)
    }
}

/// A change to a conversation, as it was committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Committed {
    pub seq: Seq,
    /// The conversation with its members when the change was made: who
    /// hears of it.
    pub conversation: Conversation,
    pub at: DateTime<Utc>,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    Posted(Message),
    Edited(Message),
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub conversation: ConversationId,
    pub sender: UserId,
    pub body: Body,
    pub client_id: Option<String>,
}

/// What storing a message did.
#[derive(Debug, Clone, PartialEq)]
pub enum Posted {
    New {
        seq: Seq,
        conversation: Conversation,
        message: Message,
    },
    /// The sender had already sent a message with this `client_id`: that
    /// one, unchanged, and no new event.
    Duplicate(Message),
}

/// Which page of a history: with neither bound, all of it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    /// Only messages older than this id...
    pub before: Option<MessageId>,
    /// ...and at most this many of the newest of them.
    pub limit: Option<u32>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Fails with [`StoreError::UsernameTaken`], case-insensitively.
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<UserId>;
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
    async fn set_last_seen(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<()>;

    /// The direct conversation of `a` and `b`, created on first use; fails
    /// with [`StoreError::UserNotFound`] if either does not exist.
    async fn direct_conversation(&self, a: UserId, b: UserId) -> StoreResult<ConversationId>;
    /// The direct conversation of `a` and `b` if it exists; never writes.
    async fn find_direct_conversation(
        &self,
        a: UserId,
        b: UserId,
    ) -> StoreResult<Option<ConversationId>>;
    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>>;

    /// Stores a message from a member of the conversation. Returns once it
    /// is committed.
    async fn post_message(&self, message: NewMessage, at: DateTime<Utc>) -> StoreResult<Posted>;
    /// Replaces the text of a message; only its sender may.
    async fn edit_message(
        &self,
        editor: UserId,
        id: MessageId,
        content: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Committed>;
    /// A conversation `viewer` is a member of, and a page of its messages,
    /// oldest first.
    async fn history(
        &self,
        viewer: UserId,
        conversation: ConversationId,
        page: Page,
    ) -> StoreResult<(Conversation, Vec<Message>)>;
    /// Each direct conversation `me` is in with its newest message, the
    /// most recent first.
    async fn latest_direct_messages(&self, me: UserId)
    -> StoreResult<Vec<(Conversation, Message)>>;

    /// Finishes every write already accepted, then refuses new ones.
    async fn close(&self);
}

/// The wire and storage format of timestamps: UTC, microseconds, explicit `Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Reads a [`timestamp`] (or any RFC 3339 time).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Now, to the microsecond: what a stored timestamp can hold, so that a
/// value read back equals the one written.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    let micros = now.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(now)
}
