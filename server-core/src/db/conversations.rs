//! Conversations, their messages and the event log, in SQL. Each function
//! runs on a connection it is given: the writer's (inside a batch's
//! savepoint) or a reader's.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::{
    Body, Change, Committed, Conversation, ConversationId, ConversationKind, FileMeta, Message,
    MessageId, NewMessage, Page, Posted, StoreError, StoreResult, UserId, parse_timestamp,
    timestamp,
};

/// The key of the direct conversation of two users, whatever their order.
fn direct_key(a: UserId, b: UserId) -> String {
    format!("{}:{}", a.min(b), a.max(b))
}

const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.sender_id, m.content, m.file_path, \
     m.file_name, m.file_size, m.mime_type, m.created_at, m.edited_at, m.client_id";

/// Reads a row that starts with [`MESSAGE_COLUMNS`].
fn message_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    let content: Option<String> = row.get(3)?;
    let body = match content {
        Some(text) => Body::Text(text),
        None => Body::File(FileMeta {
            path: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
            name: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
            size: row.get::<_, Option<i64>>(6)?.unwrap_or(0).max(0) as u64,
            mime_type: row
                .get::<_, Option<String>>(7)?
                .unwrap_or_else(|| "application/octet-stream".into()),
        }),
    };
    Ok(Message {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        sender_id: row.get(2)?,
        body,
        created_at: stored_time(row, 8)?,
        edited_at: row
            .get::<_, Option<String>>(9)?
            .as_deref()
            .and_then(parse_timestamp),
        client_id: row.get(10)?,
    })
}

/// A timestamp column we wrote; a value that does not parse (which only a
/// hand-edited database could hold) reads as the epoch rather than failing
/// a whole history.
fn stored_time(row: &Row<'_>, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(column)?;
    Ok(parse_timestamp(&text).unwrap_or_default())
}

fn user_exists(conn: &Connection, user: UserId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
        .query_row([user], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// The id of the direct conversation of `a` and `b`, created on first use.
pub fn direct(conn: &Connection, a: UserId, b: UserId, at: &str) -> StoreResult<ConversationId> {
    if let Some(id) = find_direct(conn, a, b)? {
        return Ok(id);
    }
    if !user_exists(conn, a)? || !user_exists(conn, b)? {
        return Err(StoreError::UserNotFound);
    }
    conn.execute(
        "INSERT INTO conversations (kind, direct_key, created_at) VALUES ('direct', ?1, ?2)",
        params![direct_key(a, b), at],
    )?;
    let id = conn.last_insert_rowid();
    let mut add = conn.prepare_cached(
        "INSERT OR IGNORE INTO conversation_members (conversation_id, user_id, joined_at)
         VALUES (?1, ?2, ?3)",
    )?;
    add.execute(params![id, a, at])?;
    add.execute(params![id, b, at])?;
    Ok(id)
}

pub fn find_direct(conn: &Connection, a: UserId, b: UserId) -> StoreResult<Option<ConversationId>> {
    Ok(conn
        .prepare_cached("SELECT id FROM conversations WHERE direct_key = ?1")?
        .query_row([direct_key(a, b)], |row| row.get(0))
        .optional()?)
}

pub fn load(conn: &Connection, id: ConversationId) -> StoreResult<Option<Conversation>> {
    let kind: Option<String> = conn
        .prepare_cached("SELECT kind FROM conversations WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?;
    let Some(kind) = kind else {
        return Ok(None);
    };
    let kind = match kind.as_str() {
        "direct" => ConversationKind::Direct,
        _ => ConversationKind::Group,
    };
    let members = conn
        .prepare_cached(
            "SELECT user_id FROM conversation_members WHERE conversation_id = ?1 ORDER BY user_id",
        )?
        .query_map([id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(Conversation { id, kind, members }))
}

/// The conversation, which `user` must be a member of.
fn membership(
    conn: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> StoreResult<Conversation> {
    let conversation = load(conn, conversation)?.ok_or(StoreError::ConversationNotFound)?;
    if conversation.members.contains(&user) {
        Ok(conversation)
    } else {
        Err(StoreError::NotAMember)
    }
}

fn message(conn: &Connection, id: MessageId) -> StoreResult<Option<Message>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?1 AND m.deleted_at IS NULL"
        ))?
        .query_row([id], message_row)
        .optional()?)
}

/// Appends an event to the log; returns its position.
fn log_event(
    conn: &Connection,
    conversation: ConversationId,
    kind: &str,
    message: MessageId,
    at: &str,
) -> StoreResult<i64> {
    conn.prepare_cached(
        "INSERT INTO events (conversation_id, kind, message_id, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![conversation, kind, message, at])?;
    Ok(conn.last_insert_rowid())
}

pub fn post(conn: &Connection, new: NewMessage, at: DateTime<Utc>) -> StoreResult<Posted> {
    if let Some(client_id) = &new.client_id {
        let earlier: Option<MessageId> = conn
            .prepare_cached("SELECT id FROM messages WHERE sender_id = ?1 AND client_id = ?2")?
            .query_row(params![new.sender, client_id], |row| row.get(0))
            .optional()?;
        if let Some(earlier) = earlier.and_then(|id| message(conn, id).transpose()) {
            return Ok(Posted::Duplicate(earlier?));
        }
    }
    let conversation = membership(conn, new.sender, new.conversation)?;
    let stamp = timestamp(at);
    let (content, file) = match &new.body {
        Body::Text(text) => (Some(text.as_str()), None),
        Body::File(file) => (None, Some(file)),
    };
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, sender_id, kind, content, file_path, file_name,
                               file_size, mime_type, created_at, client_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        conversation.id,
        new.sender,
        if file.is_some() { "file" } else { "text" },
        content,
        file.map(|f| &f.path),
        file.map(|f| &f.name),
        file.map(|f| f.size as i64),
        file.map(|f| &f.mime_type),
        stamp,
        new.client_id,
    ])?;
    let id = conn.last_insert_rowid();
    let seq = log_event(conn, conversation.id, "posted", id, &stamp)?;
    let message = Message {
        id,
        conversation_id: conversation.id,
        sender_id: new.sender,
        body: new.body,
        created_at: at,
        edited_at: None,
        client_id: new.client_id,
    };
    Ok(Posted::New {
        seq,
        conversation,
        message,
    })
}

pub fn edit(
    conn: &Connection,
    editor: UserId,
    id: MessageId,
    content: &str,
    at: DateTime<Utc>,
) -> StoreResult<Committed> {
    let mut message = message(conn, id)?.ok_or(StoreError::MessageNotFound)?;
    if message.sender_id != editor {
        return Err(StoreError::NotYourMessage);
    }
    let conversation = membership(conn, editor, message.conversation_id)?;
    if !matches!(message.body, Body::Text(_)) {
        return Err(StoreError::NotEditable);
    }
    let stamp = timestamp(at);
    conn.prepare_cached("UPDATE messages SET content = ?1, edited_at = ?2 WHERE id = ?3")?
        .execute(params![content, stamp, id])?;
    let seq = log_event(conn, conversation.id, "edited", id, &stamp)?;
    message.body = Body::Text(content.to_owned());
    message.edited_at = Some(at);
    Ok(Committed {
        seq,
        conversation,
        at,
        change: Change::Edited(message),
    })
}

pub fn history(
    conn: &Connection,
    viewer: UserId,
    conversation: ConversationId,
    page: Page,
) -> StoreResult<(Conversation, Vec<Message>)> {
    let conversation = membership(conn, viewer, conversation)?;
    let mut query = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m
         WHERE m.conversation_id = ?1 AND m.deleted_at IS NULL
           AND (?2 IS NULL OR m.id < ?2)
         ORDER BY m.id DESC LIMIT ?3"
    ))?;
    let limit = page.limit.map_or(-1, i64::from);
    let mut messages = query
        .query_map(params![conversation.id, page.before, limit], message_row)?
        .collect::<Result<Vec<_>, _>>()?;
    messages.reverse();
    Ok((conversation, messages))
}

pub fn latest_direct(conn: &Connection, me: UserId) -> StoreResult<Vec<(Conversation, Message)>> {
    let latest: Vec<Message> = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m
             WHERE m.id IN (
                 SELECT MAX(l.id) FROM conversation_members cm
                 JOIN conversations c ON c.id = cm.conversation_id AND c.kind = 'direct'
                 JOIN messages l ON l.conversation_id = cm.conversation_id
                 WHERE cm.user_id = ?1 AND l.deleted_at IS NULL
                 GROUP BY cm.conversation_id)
             ORDER BY m.id DESC"
        ))?
        .query_map([me], message_row)?
        .collect::<Result<_, _>>()?;
    latest
        .into_iter()
        .map(|message| {
            let conversation =
                load(conn, message.conversation_id)?.ok_or(StoreError::ConversationNotFound)?;
            Ok((conversation, message))
        })
        .collect()
}
