//! [`Store`] for [`Db`]: the SQL. Accounts and sessions here; conversations,
//! messages and the event log in [`super::conversations`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use super::{Db, conversations};
use crate::store::{
    Change, Committed, Conversation, ConversationId, Message, MessageId, NewMessage, Page, Posted,
    Session, SessionId, Store, StoreError, StoreResult, User, UserId, parse_timestamp, timestamp,
};

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
        let (username, hash, at) = (username.to_owned(), password_hash.to_owned(), timestamp(at));
        self.write(move |conn| {
            let inserted = conn.execute(
                "INSERT INTO users (username, password_hash, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (username) DO NOTHING",
                params![username, hash, at],
            )?;
            if inserted == 0 {
                return Err(StoreError::UsernameTaken);
            }
            Ok(conn.last_insert_rowid())
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
                "SELECT id, username, profile_pic, about, last_seen FROM users
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
                    "SELECT id, username, profile_pic, about, last_seen FROM users WHERE id = ?1",
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

    async fn direct_conversation(&self, a: UserId, b: UserId) -> StoreResult<ConversationId> {
        let at = timestamp(crate::store::now());
        self.write(move |conn| conversations::direct(conn, a, b, &at))
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

    async fn post_message(&self, message: NewMessage, at: DateTime<Utc>) -> StoreResult<Posted> {
        self.write_logged(move |conn| {
            let posted = conversations::post(conn, message, at)?;
            let events = match &posted {
                Posted::New {
                    seq,
                    conversation,
                    message,
                } => vec![Committed {
                    seq: *seq,
                    conversation: conversation.clone(),
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
            let event = conversations::edit(conn, editor, id, &content, at)?;
            Ok((event.clone(), vec![event]))
        })
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

    async fn latest_direct_messages(
        &self,
        me: UserId,
    ) -> StoreResult<Vec<(Conversation, Message)>> {
        self.read(move |conn| conversations::latest_direct(conn, me))
            .await
    }

    async fn close(&self) {
        Db::close(self).await;
    }
}
