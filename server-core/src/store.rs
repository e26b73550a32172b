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
    /// The one an admin acts on is not in the conversation.
    #[error("no such member")]
    MemberNotFound,
    #[error("no such message")]
    MessageNotFound,
    #[error("message belongs to someone else")]
    NotYourMessage,
    #[error("message cannot be edited")]
    NotEditable,
    #[error("notices cannot be deleted")]
    NotDeletable,
    #[error("only admins may do this")]
    NotAnAdmin,
    /// Rooms and groups only: direct conversations have fixed members and
    /// no title.
    #[error("not a room or group")]
    NotARoom,
    #[error("the last admin must hand the role on first")]
    LastAdmin,
    /// A reply to a message that is not there to reply to: in another
    /// conversation, not visible to the sender, a notice or deleted.
    #[error("no such message to reply to")]
    ReplyTargetNotFound,
    /// `@room` from a member who is not an admin of a conversation of more
    /// than [`LARGE_CONVERSATION`] members.
    #[error("only admins may notify everyone in a conversation this large")]
    RoomMentionNotAllowed,
    #[error("notices and deleted messages cannot be reacted to")]
    NotReactable,
    /// A message has [`MAX_REACTIONS`] different emoji already.
    #[error("too many different reactions")]
    TooManyReactions,
    /// The database failed or is shutting down.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Most different emoji one message may carry.
pub const MAX_REACTIONS: usize = 20;
/// In a conversation of more members than this, only its admins may
/// notify everyone with `@room`.
pub const LARGE_CONVERSATION: usize = 50;
/// Most characters of a quoted text's first line.
pub const EXCERPT_CHARS: usize = 140;

/// A queued write: completes once it is committed (or has failed).
pub type Pending<T> = futures_util::future::BoxFuture<'static, StoreResult<T>>;

/// Where a store sends its committed events, in `seq` order.
pub type EventFeed = flume::Sender<Committed>;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub profile_pic: Option<String>,
    pub about: Option<String>,
    pub last_seen: Option<DateTime<Utc>>,
    /// The name shown for them; `None`: their username.
    pub display_name: Option<String>,
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
    /// A change to the conversation, shown in it ("alice added bob"); its
    /// sender is who made the change.
    Notice(Notice),
    /// What is left of a deleted message.
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notice {
    pub action: NoticeAction,
    /// Whom it was done to: added, removed, promoted, demoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// The new title, when renamed or created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeAction {
    Created,
    Joined,
    Left,
    Added,
    Removed,
    Promoted,
    Demoted,
    Renamed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub sender_id: UserId,
    pub body: Body,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// The sender's own id for the message, if it gave one: a resend with
    /// the same id is the same message.
    pub client_id: Option<String>,
    /// The message this one replies to, as that one is now.
    pub reply_to: Option<Quote>,
    /// The members its text names with `@username` (when it was posted or
    /// last edited), ascending.
    pub mentions: Vec<UserId>,
    /// Its text says `@room` or `@everyone`, and its sender may.
    pub mentions_room: bool,
    /// In the order of each emoji's first reaction.
    pub reactions: Vec<Reaction>,
}

/// What a reply shows of the message it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub message_id: MessageId,
    pub sender_id: UserId,
    pub quoted: Quoted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Quoted {
    /// The [`excerpt`] of its text.
    Text(String),
    /// Its file's name.
    File(String),
    Deleted,
}

/// One emoji on a message and who reacted with it, in the order they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reaction {
    #[schema(example = "👍")]
    pub emoji: String,
    pub user_ids: Vec<UserId>,
}

/// What a quote shows of a text: its first line that is not blank, cut
/// to [`EXCERPT_CHARS`] characters with "…" when longer. It depends only
/// on the text's first `EXCERPT_CHARS + 2` characters once leading blank
/// lines are gone (a line ending may be `\r\n`), so a store need read no
/// more.
pub fn excerpt(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim_start)
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line.trim_end().to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Two people, or one for notes to self.
    Direct,
    /// Open: listed for everyone, anyone may join.
    Room,
    /// Private: invisible to all but its members.
    Group,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

/// A conversation and who is in it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title: Option<String>,
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
    /// The conversation with its members after the change.
    pub conversation: Conversation,
    /// Who hears of it: its members, and one just removed; for a read
    /// position, the reader and those who share read receipts with them.
    pub audience: Vec<UserId>,
    pub at: DateTime<Utc>,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// A message or notice, as it is now (a backfill may find it edited or
    /// deleted since).
    Posted(Message),
    Edited(Message),
    Deleted {
        message_id: MessageId,
        deleted_by: UserId,
    },
    Read {
        user_id: UserId,
        message_id: MessageId,
    },
    Delivered {
        user_id: UserId,
        message_id: MessageId,
    },
    /// `user_id` added (or took back) a reaction.
    Reacted {
        message_id: MessageId,
        user_id: UserId,
        emoji: String,
        added: bool,
    },
}

/// What to create.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub creator: UserId,
    /// [`ConversationKind::Room`] or [`ConversationKind::Group`].
    pub kind: ConversationKind,
    pub title: String,
    /// Besides the creator.
    pub members: Vec<UserId>,
}

/// A change of membership or title, made by `actor`.
#[derive(Debug, Clone)]
pub enum MembershipChange {
    /// `actor` joins an open room.
    Join,
    /// `actor` leaves.
    Leave,
    Add(UserId),
    Remove(UserId),
    SetRole(UserId, Role),
    Rename(String),
}

/// A conversation as one of its members sees it in a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub conversation: Conversation,
    pub role: Role,
    pub last_read: MessageId,
    pub unread: u64,
    /// Of the unread, those that mention this member or the room.
    pub unread_mentions: u64,
    pub last_message: Option<Message>,
    pub notify: NotifyLevel,
}

/// Which messages of a conversation notify one of its members. Whatever
/// the level, one's own messages never do, nor any message while they are
/// on do not disturb.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    /// Every message.
    #[default]
    All,
    /// Only messages that mention them or the whole room.
    Mentions,
    /// As `mentions`, and shown muted.
    Muted,
}

impl NotifyLevel {
    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mentions => "mentions",
            Self::Muted => "muted",
        }
    }

    /// Reads a stored level; anything else (only a hand-edited database
    /// could hold it) notifies, so that nothing is silenced by mistake.
    pub fn parse(text: &str) -> Self {
        match text {
            "mentions" => Self::Mentions,
            "muted" => Self::Muted,
            _ => Self::All,
        }
    }
}

/// A person's own settings, the same on all their devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSettings {
    /// Whether they share (and so see) read positions.
    pub read_receipts: bool,
    /// Do not disturb until then: no notifications at all before it.
    pub dnd_until: Option<DateTime<Utc>>,
    /// Whether a notification plays a sound.
    pub sound: bool,
}

/// A change of some settings; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub read_receipts: Option<bool>,
    /// `Some(None)` turns do not disturb off.
    pub dnd_until: Option<Option<DateTime<Utc>>>,
    pub sound: Option<bool>,
}

/// A member as another member sees them. Read and delivery positions are
/// `None` where receipts are not shared.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberInfo {
    pub user_id: UserId,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    pub last_read: Option<MessageId>,
    pub delivered: Option<MessageId>,
}

/// What a client missed.
#[derive(Debug, Clone, PartialEq)]
pub struct Backfill {
    /// Empty when `Catchup::Whole` found more than it takes.
    pub events: Vec<Committed>,
    /// Where the client is once it has these.
    pub seq: Seq,
    /// False when there is more after `seq`.
    pub complete: bool,
}

/// How much of what a client missed to read from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catchup {
    /// At most this many events; the rest is asked for again from `seq`.
    Page(u32),
    /// Everything, if it is at most this many events; otherwise none, with
    /// `complete` false and `seq` at the head (the client starts over from
    /// there), so a client far behind costs a count, not the events.
    Whole(u32),
}

impl Catchup {
    /// The most events it takes.
    pub fn limit(self) -> u32 {
        match self {
            Catchup::Page(limit) | Catchup::Whole(limit) => limit,
        }
    }
}

/// An open room, for browsing.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomListing {
    pub id: ConversationId,
    pub title: String,
    pub member_count: u64,
    pub joined: bool,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub conversation: ConversationId,
    pub sender: UserId,
    pub body: Body,
    pub client_id: Option<String>,
    /// The message in the same conversation it answers.
    pub reply_to: Option<MessageId>,
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

/// Which page of a history: with no bound, all of it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    /// Only messages older than this id, the newest of them...
    pub before: Option<MessageId>,
    /// ...or only messages newer than this id, the oldest of them...
    pub after: Option<MessageId>,
    /// ...at most this many.
    pub limit: Option<u32>,
    /// Leave out notices and deleted messages (the contract's history).
    pub messages_only: bool,
}

/// What a person searches for, and where.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// The words as typed. Each must be in the message (in its text or its
    /// file's name), in any order; the last one may be the start of a word,
    /// being typed. Nothing in it is syntax: quotes, `*`, `NEAR` or `-` are
    /// text like any other.
    pub text: String,
    pub conversation: Option<ConversationId>,
    pub sender: Option<UserId>,
    /// Sent at or after this time...
    pub after: Option<DateTime<Utc>>,
    /// ...and before this one.
    pub before: Option<DateTime<Utc>>,
    /// Only files (`true`), or only text (`false`).
    pub has_file: Option<bool>,
    /// How many results, after skipping `offset`.
    pub limit: u32,
    pub offset: u32,
}

/// A piece of a snippet: the words that matched are `hit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// A message found, with the part of it that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub message: Message,
    /// Its text (or its file's name) around the words found, in order.
    pub snippet: Vec<Segment>,
}

/// A page of search results, best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    pub results: Vec<Found>,
    /// The conversations the results are in, as they are now.
    pub conversations: Vec<Conversation>,
    /// False when there are no further results.
    pub more: bool,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Fails with [`StoreError::UsernameTaken`], case-insensitively. The
    /// new user joins General (whose first member is its admin).
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
    /// Sets the name shown for `user`, or clears it (`None`).
    async fn set_display_name(&self, user: UserId, name: Option<&str>) -> StoreResult<()>;
    async fn set_last_seen(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<()>;
    async fn settings(&self, user: UserId) -> StoreResult<UserSettings>;
    /// Applies `change` and returns all the settings as they are then.
    async fn change_settings(
        &self,
        user: UserId,
        change: SettingsChange,
    ) -> StoreResult<UserSettings>;
    /// Sets which messages of a conversation notify `user`, a member of it
    /// (others are refused as [`Store::history`] refuses them).
    async fn set_notify(
        &self,
        user: UserId,
        conversation: ConversationId,
        notify: NotifyLevel,
    ) -> StoreResult<()>;

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

    /// Stores a message from a member of the conversation. Its text's
    /// mentions are found with [`crate::domain::mentions::parse`] and kept for the
    /// members they name; `@room` follows the rule of
    /// [`LARGE_CONVERSATION`]. A reply must be to a text or file the sender
    /// can see in the same conversation. Returns once it is committed.
    async fn post_message(&self, message: NewMessage, at: DateTime<Utc>) -> StoreResult<Posted> {
        self.queue_message(message, at).await?.await
    }
    /// Queues a message to store, returning once it is queued; what it
    /// returns completes once it is committed. Messages one caller queues
    /// are stored in the order queued, so that a client may send many
    /// without waiting for each to be committed.
    async fn queue_message(
        &self,
        message: NewMessage,
        at: DateTime<Utc>,
    ) -> StoreResult<Pending<Posted>>;
    /// Replaces the text of a message, and its mentions; only its sender
    /// may.
    async fn edit_message(
        &self,
        editor: UserId,
        id: MessageId,
        content: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Committed>;
    /// Creates a room or group with its creator as admin.
    async fn create_conversation(
        &self,
        new: NewConversation,
        at: DateTime<Utc>,
    ) -> StoreResult<ConversationId>;
    /// Joins, leaves, adds, removes, promotes or renames, as `actor` may.
    async fn change_membership(
        &self,
        actor: UserId,
        conversation: ConversationId,
        change: MembershipChange,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The conversations `user` is in, most recent activity first.
    async fn summaries(&self, user: UserId) -> StoreResult<Vec<Summary>>;
    /// One conversation `user` is in, with its members.
    async fn summary(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> StoreResult<(Summary, Vec<MemberInfo>)>;
    async fn open_rooms(&self, user: UserId) -> StoreResult<Vec<RoomListing>>;
    /// Deletes a message for everyone: its sender may, and an admin of a
    /// room or group. With `conversation`, the message must be in it.
    /// Returns the stored file to remove, if it was one.
    async fn delete_message(
        &self,
        user: UserId,
        conversation: Option<ConversationId>,
        id: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<String>>;
    /// Adds `user`'s reaction `emoji` to a message (`added`), or takes it
    /// back; who may is as for reading it, and `conversation`, if given,
    /// must be the message's. Adding what is there, or taking back what is
    /// not, changes nothing and logs nothing. Returns the message's
    /// reactions after.
    async fn react(
        &self,
        user: UserId,
        conversation: Option<ConversationId>,
        message: MessageId,
        emoji: &str,
        added: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Reaction>>;
    /// Moves `user`'s read position forward to `message` (and their
    /// delivery position with it).
    async fn mark_read(
        &self,
        user: UserId,
        conversation: ConversationId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Moves `user`'s delivery position forward in a direct conversation.
    async fn mark_delivered(
        &self,
        user: UserId,
        conversation: ConversationId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The events after `after` that `viewer` may see, oldest first, as
    /// much as `catchup` takes, each showing its message as it is now.
    async fn events_after(
        &self,
        viewer: UserId,
        after: Seq,
        catchup: Catchup,
    ) -> StoreResult<Backfill>;
    /// The newest position in the log.
    async fn head(&self) -> StoreResult<Seq>;
    /// Whether `user` may download the conversation file stored at `path`.
    async fn may_download(&self, user: UserId, path: &str) -> StoreResult<bool>;

    /// A conversation `viewer` is a member of, and a page of its messages,
    /// oldest first.
    async fn history(
        &self,
        viewer: UserId,
        conversation: ConversationId,
        page: Page,
    ) -> StoreResult<(Conversation, Vec<Message>)>;

    /// The messages `viewer` may read that match `query`: in the
    /// conversations they are in, and up to when they left in those they
    /// left; never from before they joined. Notices and deleted messages
    /// are never found. Best first (most relevant; the newer on a tie).
    async fn search(&self, viewer: UserId, query: SearchQuery) -> StoreResult<SearchPage>;

    /// Commits a small write, as a readiness probe: fails when nothing can
    /// be written (a full disk, a read-only mount, a store closing).
    async fn check_writable(&self) -> StoreResult<()>;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_the_first_line_that_is_not_blank() {
        assert_eq!(excerpt("hello\nworld"), "hello");
        assert_eq!(excerpt("\n  \r\n  hi there  \r\nmore"), "hi there");
        assert_eq!(excerpt("one line"), "one line");
    }

    #[test]
    fn an_excerpt_needs_only_the_start_of_a_text() {
        let line = "x".repeat(EXCERPT_CHARS);
        for text in [
            format!("{line}\r\nnext"),
            format!("{line}y\r\nnext"),
            format!("{line}yz"),
            format!("\n\n{line}\nnext"),
        ] {
            let start: String = text
                .trim_start_matches(['\n', '\r', ' ', '\t'])
                .chars()
                .take(EXCERPT_CHARS + 2)
                .collect();
            assert_eq!(excerpt(&start), excerpt(&text), "{text:?}");
        }
    }

    #[test]
    fn a_long_line_is_cut_on_a_character_with_an_ellipsis() {
        let exact = "é".repeat(EXCERPT_CHARS);
        assert_eq!(excerpt(&exact), exact, "at the limit, whole");

        let long = format!("{}{}", "ü".repeat(EXCERPT_CHARS), "tail");
        let cut = excerpt(&long);

        assert_eq!(cut, format!("{}…", "ü".repeat(EXCERPT_CHARS)));
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        let emoji = "👍🏽".repeat(EXCERPT_CHARS);
        assert!(excerpt(&emoji).ends_with('…'));
    }
}
