//! [`Store`] for [`Db`]: the SQL. Accounts and sessions here; conversations,
//! messages and the event log in [`super::conversations`] (reads) and
//! [`super::changes`] (writes).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Db, changes, conversations, search};
use crate::store::{
    Backfill, Catchup, Change, Committed, Conversation, ConversationId, MemberInfo,
    MembershipChange, Message, MessageId, NewConversation, NewMessage, NotifyLevel, Page, Pending,
    Posted, Reaction, RoomListing, SearchPage, SearchQuery, Seq, Session, SessionId,
    SettingsChange, Store, StoreError, StoreResult, Summary, User, UserId, UserSettings, now,
    parse_timestamp, timestamp,
};

fn settings_of(conn: &Connection, user: UserId) -> StoreResult<UserSettings> {
    conn.prepare_cached("SELECT read_receipts, dnd_until, sound FROM users WHERE id = ?1")?
        .query_row([user], |row| {
            Ok(UserSettings {
                read_receipts: row.get(0)?,
                dnd_until: row
                    .get::<_, Option<String>>(1)?
                    .as_deref()
                    .and_then(parse_timestamp),
                sound: row.get(2)?,
            })
        })
        .optional()?
        .ok_or(StoreError::UserNotFound)
}

fn user_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        profile_pic: row.get(2)?,
        about: row.get(3)?,
        last_seen: row
            .get::<_, Option<String>>(4)?
            .as_deref()
            .and_then(parse_timestamp),
        display_name: row.get(5)?,
    })
}

#[async_trait]
impl Store for Db {
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<UserId> {
        let (username, hash) = (username.to_owned(), password_hash.to_owned());
        self.write_logged(move |conn| {
            let inserted = conn.execute(
                "INSERT INTO users (username, password_hash, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (username) DO NOTHING",
                params![username, hash, timestamp(at)],
            )?;
            if inserted == 0 {
                return Err(StoreError::UsernameTaken);
            }
            let id = conn.last_insert_rowid();
            let joined = changes::join_general(conn, id, at)?;
            Ok((id, joined.into_iter().collect()))
        })
        .await
    }

    async fn credentials(&self, username: &str) -> StoreResult<Option<(UserId, String)>> {
        let username = username.to_owned();
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, password_hash FROM users WHERE username = ?1",
                    [username],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?)
        })
        .await
    }

    async fn password_hash(&self, user: UserId) -> StoreResult<String> {
        self.read(move |conn| {
            conn.query_row(
                "SELECT password_hash FROM users WHERE id = ?1",
                [user],
                |row| row.get(0),
            )
            .optional()?
            .ok_or(StoreError::UserNotFound)
        })
        .await
    }

    async fn set_password(&self, user: UserId, hash: &str, keep: SessionId) -> StoreResult<()> {
        let hash = hash.to_owned();
        self.write(move |conn| {
            conn.execute(
                "UPDATE users SET password_hash = ?1 WHERE id = ?2",
                params![hash, user],
            )?;
            conn.execute(
                "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2",
                params![user, keep],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_session(
        &self,
        user: UserId,
        token_hash: [u8; 32],
        now: i64,
        expires_at: i64,
    ) -> StoreResult<SessionId> {
        self.write(move |conn| {
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
            conn.execute(
                "INSERT INTO sessions (user_id, token_hash, created_at, expires_at, last_used_at)
                 VALUES (?1, ?2, ?3, ?4, ?3)",
                params![user, token_hash, now, expires_at],
            )?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    async fn session(&self, token_hash: [u8; 32]) -> StoreResult<Option<Session>> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT id, user_id, expires_at, last_used_at FROM sessions WHERE token_hash = ?1",
                )?
                .query_row([token_hash], |row| {
                    Ok(Session {
                        id: row.get(0)?,
                        user_id: row.get(1)?,
                        expires_at: row.get(2)?,
                        last_used_at: row.get(3)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn touch_session(
        &self,
        session: SessionId,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute(
                "UPDATE sessions SET last_used_at = ?1, expires_at = ?2 WHERE id = ?3",
                params![now, expires_at, session],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, session: SessionId) -> StoreResult<()> {
        self.write(move |conn| {
            conn.execute("DELETE FROM sessions WHERE id = ?1", [session])?;
            Ok(())
        })
        .await
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        self.read(|conn| {
            let mut query = conn.prepare_cached(
                "SELECT id, username, profile_pic, about, last_seen, display_name FROM users
                 ORDER BY username COLLATE NOCASE",
            )?;
            let users = query.query_map([], user_row)?.collect::<Result<_, _>>()?;
            Ok(users)
        })
        .await
    }

    async fn user(&self, user: UserId) -> StoreResult<Option<User>> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT id, username, profile_pic, about, last_seen, display_name FROM users
                     WHERE id = ?1",
                )?
                .query_row([user], user_row)
                .optional()?)
        })
        .await
    }

    async fn set_profile_pic(
        &self,
        user: UserId,
        path: Option<String>,
    ) -> StoreResult<Option<String>> {
        self.write(move |conn| {
            let old: Option<String> = conn
                .query_row(
                    "SELECT profile_pic FROM users WHERE id = ?1",
                    [user],
                    |row| row.get(0),
                )
                .optional()?
                .ok_or(StoreError::UserNotFound)?;
            conn.execute(
                "UPDATE users SET profile_pic = ?1 WHERE id = ?2",
                params![path, user],
            )?;
            Ok(old)
        })
        .await
    }

    async fn set_about(&self, user: UserId, about: &str) -> StoreResult<()> {
        let about = about.to_owned();
        self.write(move |conn| {
            conn.execute(
                "UPDATE users SET about = ?1 WHERE id = ?2",
                params![about, user],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_display_name(&self, user: UserId, name: Option<&str>) -> StoreResult<()> {
        let name = name.map(str::to_owned);
        self.write(move |conn| {
            conn.execute(
                "UPDATE users SET display_name = ?1 WHERE id = ?2",
                params![name, user],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_last_seen(&self, user: UserId, at: DateTime<Utc>) -> StoreResult<()> {
        let at = timestamp(at);
        self.write(move |conn| {
            conn.execute(
                "UPDATE users SET last_seen = ?1 WHERE id = ?2",
                params![at, user],
            )?;
            Ok(())
        })
        .await
    }

    async fn settings(&self, user: UserId) -> StoreResult<UserSettings> {
        self.read(move |conn| settings_of(conn, user)).await
    }

    async fn change_settings(
        &self,
        user: UserId,
        change: SettingsChange,
    ) -> StoreResult<UserSettings> {
        self.write(move |conn| {
            // Each column keeps its value where the change names none;
            // ?5 tells "turn do not disturb off" (NULL) from "leave it".
            conn.execute(
                "UPDATE users SET read_receipts = COALESCE(?1, read_receipts),
                                  dnd_until = CASE WHEN ?5 THEN ?2 ELSE dnd_until END,
                                  sound = COALESCE(?3, sound)
                 WHERE id = ?4",
                params![
                    change.read_receipts,
                    change.dnd_until.flatten().map(timestamp),
                    change.sound,
                    user,
                    change.dnd_until.is_some(),
                ],
            )?;
            settings_of(conn, user)
        })
        .await
    }

    async fn set_notify(
        &self,
        user: UserId,
        conversation: ConversationId,
        notify: NotifyLevel,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            conversations::membership(conn, user, conversation)?;
            conn.execute(
                "UPDATE conversation_members SET notify = ?1
                 WHERE conversation_id = ?2 AND user_id = ?3 AND left_seq IS NULL",
                params![notify.as_str(), conversation, user],
            )?;
            Ok(())
        })
        .await
    }

    async fn direct_conversation(&self, a: UserId, b: UserId) -> StoreResult<ConversationId> {
        let at = now();
        self.write(move |conn| changes::direct(conn, a, b, at))
            .await
    }

    async fn find_direct_conversation(
        &self,
        a: UserId,
        b: UserId,
    ) -> StoreResult<Option<ConversationId>> {
        self.read(move |conn| conversations::find_direct(conn, a, b))
            .await
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        self.read(move |conn| conversations::load(conn, id)).await
    }

    async fn create_conversation(
        &self,
        new: NewConversation,
        at: DateTime<Utc>,
    ) -> StoreResult<ConversationId> {
        self.write_logged(move |conn| {
            let (id, event) = changes::create(conn, new, at)?;
            Ok((id, vec![event]))
        })
        .await
    }

    async fn change_membership(
        &self,
        actor: UserId,
        conversation: ConversationId,
        change: MembershipChange,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write_logged(move |conn| {
            let events = changes::change_membership(conn, actor, conversation, change, at)?;
            Ok(((), events))
        })
        .await
    }

    async fn summaries(&self, user: UserId) -> StoreResult<Vec<Summary>> {
        self.read(move |conn| conversations::summaries(conn, user))
            .await
    }

    async fn summary(
        &self,
        user: UserId,
        conversation: ConversationId,
    ) -> StoreResult<(Summary, Vec<MemberInfo>)> {
        self.read(move |conn| conversations::summary(conn, user, conversation))
            .await
    }

    async fn open_rooms(&self, user: UserId) -> StoreResult<Vec<RoomListing>> {
        self.read(move |conn| conversations::open_rooms(conn, user))
            .await
    }

    async fn queue_message(
        &self,
        message: NewMessage,
        at: DateTime<Utc>,
    ) -> StoreResult<Pending<Posted>> {
        self.queue_logged(move |conn| {
            let posted = changes::post(conn, message, at)?;
            let events = match &posted {
                Posted::New {
                    seq,
                    conversation,
                    message,
                } => vec![Committed {
                    seq: *seq,
                    conversation: conversation.clone(),
                    audience: conversation.members.clone(),
                    at,
                    change: Change::Posted(message.clone()),
                }],
                Posted::Duplicate(_) => Vec::new(),
            };
            Ok((posted, events))
        })
        .await
    }

    async fn edit_message(
        &self,
        editor: UserId,
        id: MessageId,
        content: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Committed> {
        let content = content.to_owned();
        self.write_logged(move |conn| {
            let event = changes::edit(conn, editor, id, &content, at)?;
            Ok((event.clone(), vec![event]))
        })
        .await
    }

    async fn delete_message(
        &self,
        user: UserId,
        conversation: Option<ConversationId>,
        id: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<String>> {
        self.write_logged(move |conn| {
            let (file, event) = changes::delete(conn, user, conversation, id, at)?;
            Ok((file, vec![event]))
        })
        .await
    }

    async fn react(
        &self,
        user: UserId,
        conversation: Option<ConversationId>,
        message: MessageId,
        emoji: &str,
        added: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Reaction>> {
        let emoji = emoji.to_owned();
        self.write_logged(move |conn| {
            let (reactions, event) =
                changes::react(conn, user, conversation, message, &emoji, added, at)?;
            Ok((reactions, event.into_iter().collect()))
        })
        .await
    }

    async fn mark_read(
        &self,
        user: UserId,
        conversation: ConversationId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write_logged(move |conn| {
            let event = changes::mark(conn, user, conversation, message, true, at)?;
            Ok(((), event.into_iter().collect()))
        })
        .await
    }

    async fn mark_delivered(
        &self,
        user: UserId,
        conversation: ConversationId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write_logged(move |conn| {
            let event = changes::mark(conn, user, conversation, message, false, at)?;
            Ok(((), event.into_iter().collect()))
        })
        .await
    }

    async fn events_after(
        &self,
        viewer: UserId,
        after: Seq,
        catchup: Catchup,
    ) -> StoreResult<Backfill> {
        self.read(move |conn| conversations::events_after(conn, viewer, after, catchup))
            .await
    }

    async fn head(&self) -> StoreResult<Seq> {
        self.read(conversations::head).await
    }

    async fn may_download(&self, user: UserId, path: &str) -> StoreResult<bool> {
        let path = path.to_owned();
        self.read(move |conn| conversations::may_download(conn, user, &path))
            .await
    }

    async fn history(
        &self,
        viewer: UserId,
        conversation: ConversationId,
        page: Page,
    ) -> StoreResult<(Conversation, Vec<Message>)> {
        self.read(move |conn| conversations::history(conn, viewer, conversation, page))
            .await
    }

    async fn search(&self, viewer: UserId, query: SearchQuery) -> StoreResult<SearchPage> {
        self.read(move |conn| search::search(conn, viewer, &query))
            .await
    }

    async fn check_writable(&self) -> StoreResult<()> {
        let at = timestamp(now());
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO health (id, checked_at) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                [at],
            )?;
            Ok(())
        })
        .await
    }

    async fn close(&self) {
        Db::close(self).await;
    }
}
