//! [`Store`] for [`Db`]: the SQL.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::Db;
use crate::store::{
    Body, FileMeta, Message, MessageId, Session, SessionId, Store, StoreError, StoreResult, User,
    UserId,
};

/// The key of the direct conversation of two users, whatever their order.
fn direct_key(a: UserId, b: UserId) -> String {
    format!("{}:{}", a.min(b), a.max(b))
}

const MESSAGE_COLUMNS: &str = "m.id, m.sender_id, m.content, m.file_path, m.file_name, \
     m.file_size, m.mime_type, m.created_at, m.edited_at";

/// Reads a row of [`MESSAGE_COLUMNS`]; `receiver_of` names the other party.
fn message_row(row: &Row<'_>, receiver_of: impl Fn(UserId) -> UserId) -> rusqlite::Result<Message> {
    let sender_id: UserId = row.get(1)?;
    let content: Option<String> = row.get(2)?;
    let file_path: Option<String> = row.get(3)?;
    let body = match (content, file_path) {
        (Some(text), _) => Body::Text(text),
        (None, path) => Body::File(FileMeta {
            path: path.unwrap_or_default(),
            name: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
            size: row.get::<_, Option<i64>>(5)?.unwrap_or(0).max(0) as u64,
            mime_type: row
                .get::<_, Option<String>>(6)?
                .unwrap_or_else(|| "application/octet-stream".into()),
        }),
    };
    Ok(Message {
        id: row.get(0)?,
        sender_id,
        receiver_id: receiver_of(sender_id),
        body,
        created_at: row.get(7)?,
        edited_at: row.get(8)?,
    })
}

fn user_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        profile_pic: row.get(2)?,
        about: row.get(3)?,
        last_seen: row.get(4)?,
    })
}

fn exists(conn: &Connection, user: UserId) -> rusqlite::Result<bool> {
    conn.query_row("SELECT 1 FROM users WHERE id = ?1", [user], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// The id of the direct conversation of `a` and `b`, created on first use.
fn direct_conversation(conn: &Connection, a: UserId, b: UserId, at: &str) -> rusqlite::Result<i64> {
    let key = direct_key(a, b);
    let created = conn.execute(
        "INSERT INTO conversations (kind, direct_key, created_at) VALUES ('direct', ?1, ?2)
         ON CONFLICT (direct_key) DO NOTHING",
        params![key, at],
    )?;
    let id = conn.query_row(
        "SELECT id FROM conversations WHERE direct_key = ?1",
        [&key],
        |row| row.get(0),
    )?;
    if created == 1 {
        let mut add = conn.prepare_cached(
            "INSERT OR IGNORE INTO conversation_members (conversation_id, user_id, joined_at)
             VALUES (?1, ?2, ?3)",
        )?;
        add.execute(params![id, a, at])?;
        add.execute(params![id, b, at])?;
    }
    Ok(id)
}

#[async_trait]
impl Store for Db {
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<UserId> {
        let (username, hash) = (username.to_owned(), password_hash.to_owned());
        let at = crate::store::now_timestamp();
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

    async fn set_last_seen(&self, user: UserId, at: &str) -> StoreResult<()> {
        let at = at.to_owned();
        self.write(move |conn| {
            conn.execute(
                "UPDATE users SET last_seen = ?1 WHERE id = ?2",
                params![at, user],
            )?;
            Ok(())
        })
        .await
    }

    async fn send_message(
        &self,
        sender: UserId,
        receiver: UserId,
        body: Body,
        at: &str,
    ) -> StoreResult<Message> {
        let at = at.to_owned();
        self.write(move |conn| {
            if !exists(conn, receiver)? {
                return Err(StoreError::UserNotFound);
            }
            let conversation = direct_conversation(conn, sender, receiver, &at)?;
            let mut insert = conn.prepare_cached(
                "INSERT INTO messages (conversation_id, sender_id, kind, content, file_path,
                                       file_name, file_size, mime_type, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            match &body {
                Body::Text(text) => insert.execute(params![
                    conversation,
                    sender,
                    "text",
                    text,
                    None::<String>,
                    None::<String>,
                    None::<i64>,
                    None::<String>,
                    at
                ])?,
                Body::File(file) => insert.execute(params![
                    conversation,
                    sender,
                    "file",
                    None::<String>,
                    file.path,
                    file.name,
                    file.size as i64,
                    file.mime_type,
                    at
                ])?,
            };
            Ok(Message {
                id: conn.last_insert_rowid(),
                sender_id: sender,
                receiver_id: receiver,
                body,
                created_at: at,
                edited_at: None,
            })
        })
        .await
    }

    async fn edit_message(
        &self,
        editor: UserId,
        id: MessageId,
        content: &str,
        at: &str,
    ) -> StoreResult<Message> {
        let (content, at) = (content.to_owned(), at.to_owned());
        self.write(move |conn| {
            let (sender, kind, conversation): (UserId, String, i64) = conn
                .query_row(
                    "SELECT sender_id, kind, conversation_id FROM messages
                     WHERE id = ?1 AND deleted_at IS NULL",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?
                .ok_or(StoreError::MessageNotFound)?;
            if sender != editor {
                return Err(StoreError::NotYourMessage);
            }
            if kind != "text" {
                return Err(StoreError::NotEditable);
            }
            conn.execute(
                "UPDATE messages SET content = ?1, edited_at = ?2 WHERE id = ?3",
                params![content, at, id],
            )?;
            // The other member of the direct conversation; the sender alone
            // for a note to self.
            let receiver: UserId = conn
                .query_row(
                    "SELECT user_id FROM conversation_members
                     WHERE conversation_id = ?1 AND user_id <> ?2",
                    params![conversation, sender],
                    |row| row.get(0),
                )
                .optional()?
                .unwrap_or(sender);
            let message = conn.query_row(
                &format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?1"),
                [id],
                |row| message_row(row, |_| receiver),
            )?;
            Ok(message)
        })
        .await
    }

    async fn history(
        &self,
        me: UserId,
        other: UserId,
        before: Option<MessageId>,
        limit: Option<u32>,
    ) -> StoreResult<Vec<Message>> {
        self.read(move |conn| {
            let mut query = conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m
                 JOIN conversations c ON c.id = m.conversation_id
                 WHERE c.direct_key = ?1 AND m.deleted_at IS NULL
                   AND (?2 IS NULL OR m.id < ?2)
                 ORDER BY m.id DESC LIMIT ?3"
            ))?;
            let limit = limit.map_or(-1, i64::from);
            let receiver_of = |sender| if sender == me { other } else { me };
            let mut messages = query
                .query_map(params![direct_key(me, other), before, limit], |row| {
                    message_row(row, receiver_of)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            messages.reverse();
            Ok(messages)
        })
        .await
    }

    async fn latest_messages(&self, me: UserId) -> StoreResult<Vec<Message>> {
        self.read(move |conn| {
            // The other member of each conversation is its receiver or its
            // sender; `me` alone for notes to self.
            let mut query = conn.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS},
                        COALESCE((SELECT o.user_id FROM conversation_members o
                                  WHERE o.conversation_id = m.conversation_id
                                    AND o.user_id <> ?1), ?1)
                 FROM messages m
                 WHERE m.id IN (
                     SELECT MAX(l.id) FROM conversation_members cm
                     JOIN messages l ON l.conversation_id = cm.conversation_id
                     WHERE cm.user_id = ?1 AND l.deleted_at IS NULL
                     GROUP BY cm.conversation_id)
                 ORDER BY m.id DESC"
            ))?;
            let messages = query
                .query_map([me], |row| {
                    let peer: UserId = row.get(9)?;
                    message_row(row, |sender| if sender == me { peer } else { me })
                })?
                .collect::<Result<_, _>>()?;
            Ok(messages)
        })
        .await
    }

    async fn close(&self) {
        Db::close(self).await;
    }
}
