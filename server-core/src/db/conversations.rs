//! Reading conversations: who is in them, their messages, summaries and the
//! event log. Each function runs on a connection it is given, a reader's or
//! the writer's (inside a batch's savepoint). Changes are in
//! [`super::changes`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::{
    Backfill, Body, Catchup, Change, Committed, Conversation, ConversationId, ConversationKind,
    EXCERPT_CHARS, FileMeta, MemberInfo, Message, MessageId, Notice, NotifyLevel, Page, Quote,
    Quoted, Reaction, Role, RoomListing, Seq, StoreError, StoreResult, Summary, UserId, excerpt,
    parse_timestamp,
};

pub const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.sender_id, m.kind, m.content, \
     m.file_path, m.file_name, m.file_size, m.mime_type, m.notice, m.created_at, m.edited_at, \
     m.deleted_at, m.client_id, m.mentions_room";

/// Reads a row that starts with [`MESSAGE_COLUMNS`]: what the messages
/// table holds; [`fill_in`] adds the rest.
pub fn message_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    let kind: String = row.get(3)?;
    let body = match kind.as_str() {
        "text" => Body::Text(row.get(4)?),
        "file" => Body::File(FileMeta {
            path: row.get(5)?,
            name: row.get::<_, Option<String>>(6)?.unwrap_or_default(),
            size: row.get::<_, Option<i64>>(7)?.unwrap_or(0).max(0) as u64,
            mime_type: row
                .get::<_, Option<String>>(8)?
                .unwrap_or_else(|| "application/octet-stream".into()),
        }),
        "notice" => {
            let json: String = row.get(9)?;
            match serde_json::from_str::<Notice>(&json) {
                Ok(notice) => Body::Notice(notice),
                // Only a hand-edited database holds a notice we cannot read.
                Err(_) => Body::Deleted,
            }
        }
        _ => Body::Deleted,
    };
    Ok(Message {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        sender_id: row.get(2)?,
        body,
        created_at: stored_time(row, 10)?,
        edited_at: optional_time(row, 11)?,
        deleted_at: optional_time(row, 12)?,
        client_id: row.get(13)?,
        reply_to: None,
        mentions: Vec::new(),
        mentions_room: row.get(14)?,
        reactions: Vec::new(),
    })
}

/// Adds to messages read with [`message_row`] what other rows hold: the
/// quote of what each replies to, its mentions and its reactions. A few
/// queries whatever the number of messages, so that a page or a backfill
/// costs no query per message. A message may appear more than once.
pub fn fill_in(conn: &Connection, messages: &mut [&mut Message]) -> StoreResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut at: HashMap<MessageId, Vec<usize>> = HashMap::new();
    for (index, message) in messages.iter().enumerate() {
        at.entry(message.id).or_default().push(index);
    }
    let ids = id_list(at.keys().copied());
    // Only a text with an '@' can mention anyone.
    let mentioning = id_list(
        messages
            .iter()
            .filter(|message| matches!(&message.body, Body::Text(text) if text.contains('@')))
            .map(|message| message.id),
    );
    let mut each = |id: MessageId, f: &mut dyn FnMut(&mut Message)| {
        for &index in at.get(&id).into_iter().flatten() {
            f(&mut *messages[index]);
        }
    };

    let mut reactions = conn.prepare_cached(
        "SELECT message_id, emoji, user_id FROM reactions
         WHERE message_id IN (SELECT value FROM json_each(?1)) ORDER BY message_id, id",
    )?;
    let mut rows = reactions.query([&ids])?;
    while let Some(row) = rows.next()? {
        let (id, emoji, user): (MessageId, String, UserId) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        each(id, &mut |message| {
            add_reaction(&mut message.reactions, &emoji, user)
        });
    }

    // Only the start of a quoted text is read: all an excerpt needs.
    let mut quotes = conn.prepare_cached(&format!(
        "SELECT m.id, q.id, q.sender_id, q.kind,
                substr(ltrim(q.content, char(9, 10, 13, 32)), 1, {}), q.file_name
         FROM messages m JOIN messages q ON q.id = m.reply_to
         WHERE m.id IN (SELECT value FROM json_each(?1))",
        EXCERPT_CHARS + 2
    ))?;
    let mut rows = quotes.query([&ids])?;
    while let Some(row) = rows.next()? {
        let id: MessageId = row.get(0)?;
        let kind: String = row.get(3)?;
        let quote = Quote {
            message_id: row.get(1)?,
            sender_id: row.get(2)?,
            quoted: match kind.as_str() {
                "text" => Quoted::Text(excerpt(&row.get::<_, String>(4)?)),
                "file" => Quoted::File(row.get::<_, Option<String>>(5)?.unwrap_or_default()),
                // A notice cannot be replied to; a deleted message is gone.
                _ => Quoted::Deleted,
            },
        };
        each(id, &mut |message| message.reply_to = Some(quote.clone()));
    }

    if mentioning != "[]" {
        let mut mentions = conn.prepare_cached(
            "SELECT message_id, user_id FROM mentions
             WHERE message_id IN (SELECT value FROM json_each(?1)) ORDER BY message_id, user_id",
        )?;
        let mut rows = mentions.query([&mentioning])?;
        while let Some(row) = rows.next()? {
            let (id, user): (MessageId, UserId) = (row.get(0)?, row.get(1)?);
            each(id, &mut |message| message.mentions.push(user));
        }
    }
    Ok(())
}

/// Ids as a JSON array, for `json_each`: one parameter for any number.
fn id_list(ids: impl Iterator<Item = MessageId>) -> String {
    serde_json::to_string(&ids.collect::<Vec<_>>()).expect("ids serialize")
}

/// Adds `user`'s reaction to a message's, read in the order they came.
fn add_reaction(reactions: &mut Vec<Reaction>, emoji: &str, user: UserId) {
    match reactions.iter_mut().find(|r| r.emoji == emoji) {
        Some(reaction) => reaction.user_ids.push(user),
        None => reactions.push(Reaction {
            emoji: emoji.to_owned(),
            user_ids: vec![user],
        }),
    }
}

/// The reactions to one message.
pub fn reactions(conn: &Connection, message: MessageId) -> StoreResult<Vec<Reaction>> {
    let mut found = Vec::new();
    let mut query = conn
        .prepare_cached("SELECT emoji, user_id FROM reactions WHERE message_id = ?1 ORDER BY id")?;
    let mut rows = query.query([message])?;
    while let Some(row) = rows.next()? {
        add_reaction(&mut found, &row.get::<_, String>(0)?, row.get(1)?);
    }
    Ok(found)
}

/// A timestamp column we wrote; a value that does not parse (which only a
/// hand-edited database could hold) reads as the epoch rather than failing
/// a whole history.
fn stored_time(row: &Row<'_>, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(column)?;
    Ok(parse_timestamp(&text).unwrap_or_default())
}

fn optional_time(row: &Row<'_>, column: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(row
        .get::<_, Option<String>>(column)?
        .as_deref()
        .and_then(parse_timestamp))
}

/// The key of the direct conversation of two users, whatever their order.
pub fn direct_key(a: UserId, b: UserId) -> String {
    format!("{}:{}", a.min(b), a.max(b))
}

pub fn find_direct(conn: &Connection, a: UserId, b: UserId) -> StoreResult<Option<ConversationId>> {
    Ok(conn
        .prepare_cached("SELECT id FROM conversations WHERE direct_key = ?1")?
        .query_row([direct_key(a, b)], |row| row.get(0))
        .optional()?)
}

pub fn general(conn: &Connection) -> StoreResult<Option<ConversationId>> {
    Ok(conn
        .prepare_cached("SELECT id FROM conversations WHERE system_key = 'general'")?
        .query_row([], |row| row.get(0))
        .optional()?)
}

pub fn load(conn: &Connection, id: ConversationId) -> StoreResult<Option<Conversation>> {
    let found: Option<(String, bool, Option<String>)> = conn
        .prepare_cached("SELECT kind, open, title FROM conversations WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    let Some((kind, open, title)) = found else {
        return Ok(None);
    };
    let kind = match (kind.as_str(), open) {
        ("direct", _) => ConversationKind::Direct,
        (_, true) => ConversationKind::Room,
        (_, false) => ConversationKind::Group,
    };
    let members = conn
        .prepare_cached(
            "SELECT user_id FROM conversation_members
             WHERE conversation_id = ?1 AND left_seq IS NULL ORDER BY user_id",
        )?
        .query_map([id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(Conversation {
        id,
        kind,
        title,
        members,
    }))
}

/// A current member's standing in a conversation.
#[derive(Debug, Clone, Copy)]
pub struct Membership {
    pub role: Role,
    /// They see the messages after this one.
    pub history_from: MessageId,
    pub last_read: MessageId,
    pub delivered: MessageId,
    pub notify: NotifyLevel,
}

fn role(text: &str) -> Role {
    if text == "admin" {
        Role::Admin
    } else {
        Role::Member
    }
}

pub fn member(
    conn: &Connection,
    conversation: ConversationId,
    user: UserId,
) -> StoreResult<Option<Membership>> {
    Ok(conn
        .prepare_cached(
            "SELECT role, history_from, last_read_id, delivered_id, notify
             FROM conversation_members
             WHERE conversation_id = ?1 AND user_id = ?2 AND left_seq IS NULL",
        )?
        .query_row(params![conversation, user], |row| {
            Ok(Membership {
                role: role(&row.get::<_, String>(0)?),
                history_from: row.get(1)?,
                last_read: row.get(2)?,
                delivered: row.get(3)?,
                notify: NotifyLevel::parse(&row.get::<_, String>(4)?),
            })
        })
        .optional()?)
}

/// The conversation, which `user` must be a member of, and their standing.
/// To others a private group is not found; a room or direct conversation
/// refuses them.
pub fn membership(
    conn: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> StoreResult<(Conversation, Membership)> {
    let found = load(conn, conversation)?.ok_or(StoreError::ConversationNotFound)?;
    let Some(standing) = member(conn, conversation, user)? else {
        // A private group does not exist for those outside it.
        return Err(if found.kind == ConversationKind::Group {
            StoreError::ConversationNotFound
        } else {
            StoreError::NotAMember
        });
    };
    Ok((found, standing))
}

pub fn message(conn: &Connection, id: MessageId) -> StoreResult<Option<Message>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?1"
        ))?
        .query_row([id], message_row)
        .optional()?)
}

/// The newest message id of a conversation, 0 if it has none.
pub fn newest_message(conn: &Connection, conversation: ConversationId) -> StoreResult<MessageId> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM messages WHERE conversation_id = ?1")?
        .query_row([conversation], |row| row.get(0))?)
}

pub fn shares_receipts(conn: &Connection, user: UserId) -> StoreResult<bool> {
    conn.prepare_cached("SELECT read_receipts FROM users WHERE id = ?1")?
        .query_row([user], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::UserNotFound)
}

pub fn history(
    conn: &Connection,
    viewer: UserId,
    conversation: ConversationId,
    page: Page,
) -> StoreResult<(Conversation, Vec<Message>)> {
    let (conversation, standing) = membership(conn, viewer, conversation)?;
    let kinds = if page.messages_only {
        "m.kind IN ('text', 'file')"
    } else {
        "1"
    };
    let limit = page.limit.map_or(-1, i64::from);
    let bounds = "m.conversation_id = ?1 AND m.id > ?2
                  AND (?3 IS NULL OR m.id < ?3) AND (?4 IS NULL OR m.id > ?4)";
    // Newer than `after`: the oldest first; otherwise the newest, reversed.
    let order = if page.after.is_some() { "ASC" } else { "DESC" };
    let mut messages = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE {bounds} AND {kinds}
             ORDER BY m.id {order} LIMIT ?5"
        ))?
        .query_map(
            params![
                conversation.id,
                standing.history_from,
                page.before,
                page.after,
                limit
            ],
            message_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    if page.after.is_none() {
        messages.reverse();
    }
    fill_in(conn, &mut messages.iter_mut().collect::<Vec<_>>())?;
    Ok((conversation, messages))
}

fn summary_of(
    conn: &Connection,
    user: UserId,
    conversation: Conversation,
    standing: Membership,
) -> StoreResult<Summary> {
    let last_message = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m
             WHERE m.conversation_id = ?1 AND m.id > ?2 ORDER BY m.id DESC LIMIT 1"
        ))?
        .query_row(params![conversation.id, standing.history_from], message_row)
        .optional()?;
    // One walk over the unread messages counts both; the member's own
    // mentions after the read position come by the index, once.
    let (unread, unread_mentions): (u64, u64) = conn
        .prepare_cached(
            "SELECT COUNT(*),
                    COALESCE(SUM(m.mentions_room
                                 OR m.id IN (SELECT message_id FROM mentions
                                             WHERE user_id = ?3 AND message_id > ?2)), 0)
             FROM messages m
             WHERE m.conversation_id = ?1 AND m.id > ?2 AND m.sender_id <> ?3
               AND m.kind IN ('text', 'file')",
        )?
        .query_row(
            params![
                conversation.id,
                standing.last_read.max(standing.history_from),
                user
            ],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
    Ok(Summary {
        conversation,
        role: standing.role,
        last_read: standing.last_read,
        unread,
        unread_mentions,
        last_message,
        notify: standing.notify,
    })
}

pub fn summaries(conn: &Connection, user: UserId) -> StoreResult<Vec<Summary>> {
    let ids: Vec<ConversationId> = conn
        .prepare_cached(
            "SELECT cm.conversation_id FROM conversation_members cm
             JOIN conversations c ON c.id = cm.conversation_id
             WHERE cm.user_id = ?1 AND cm.left_seq IS NULL
               AND (c.kind <> 'direct'
                    OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id))",
        )?
        .query_map([user], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut summaries = Vec::with_capacity(ids.len());
    for id in ids {
        let (conversation, standing) = membership(conn, user, id)?;
        summaries.push(summary_of(conn, user, conversation, standing)?);
    }
    let mut last_messages: Vec<_> = summaries
        .iter_mut()
        .filter_map(|s| s.last_message.as_mut())
        .collect();
    fill_in(conn, &mut last_messages)?;
    summaries.sort_by_key(|s| {
        std::cmp::Reverse((
            s.last_message.as_ref().map_or(0, |m| m.id),
            s.conversation.id,
        ))
    });
    Ok(summaries)
}

pub fn summary(
    conn: &Connection,
    user: UserId,
    conversation: ConversationId,
) -> StoreResult<(Summary, Vec<MemberInfo>)> {
    let (conversation, standing) = membership(conn, user, conversation)?;
    let viewer_shares = shares_receipts(conn, user)?;
    let direct = conversation.kind == ConversationKind::Direct;
    let members = conn
        .prepare_cached(
            "SELECT cm.user_id, cm.role, cm.joined_at, cm.last_read_id, cm.delivered_id,
                    u.read_receipts
             FROM conversation_members cm JOIN users u ON u.id = cm.user_id
             WHERE cm.conversation_id = ?1 AND cm.left_seq IS NULL
             ORDER BY cm.joined_seq, cm.user_id",
        )?
        .query_map([conversation.id], |row| {
            let member: UserId = row.get(0)?;
            let shares: bool = row.get(5)?;
            let visible = member == user || (shares && viewer_shares);
            Ok(MemberInfo {
                user_id: member,
                role: role(&row.get::<_, String>(1)?),
                joined_at: stored_time(row, 2)?,
                last_read: visible.then(|| row.get(3)).transpose()?,
                delivered: (visible && direct).then(|| row.get(4)).transpose()?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut summary = summary_of(conn, user, conversation, standing)?;
    fill_in(
        conn,
        &mut summary.last_message.iter_mut().collect::<Vec<_>>(),
    )?;
    Ok((summary, members))
}

pub fn open_rooms(conn: &Connection, user: UserId) -> StoreResult<Vec<RoomListing>> {
    Ok(conn
        .prepare_cached(
            "SELECT c.id, COALESCE(c.title, ''),
                    (SELECT COUNT(*) FROM conversation_members cm
                     WHERE cm.conversation_id = c.id AND cm.left_seq IS NULL),
                    EXISTS (SELECT 1 FROM conversation_members cm
                            WHERE cm.conversation_id = c.id AND cm.user_id = ?1
                              AND cm.left_seq IS NULL)
             FROM conversations c WHERE c.kind = 'group' AND c.open = 1
             ORDER BY c.title COLLATE NOCASE, c.id",
        )?
        .query_map([user], |row| {
            Ok(RoomListing {
                id: row.get(0)?,
                title: row.get(1)?,
                member_count: row.get(2)?,
                joined: row.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

pub fn head(conn: &Connection) -> StoreResult<Seq> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM events")?
        .query_row([], |row| row.get(0))?)
}

/// A row of the event log.
struct Logged {
    seq: Seq,
    conversation_id: ConversationId,
    kind: String,
    message_id: MessageId,
    user_id: Option<UserId>,
    emoji: Option<String>,
    created_at: String,
}

/// The events after `after` in the conversations `viewer` is or was in,
/// within their membership, as they are now.
pub fn events_after(
    conn: &Connection,
    viewer: UserId,
    after: Seq,
    catchup: Catchup,
) -> StoreResult<Backfill> {
    // Up to the head as it is now: a later event is pushed live.
    let head = head(conn)?;
    let limit = catchup.limit();
    let rows: Vec<Logged> = conn
        .prepare_cached(
            "SELECT e.seq, e.conversation_id, e.kind, e.message_id, e.user_id, e.emoji,
                    e.created_at
             FROM events e
             JOIN conversation_members cm
               ON cm.conversation_id = e.conversation_id AND cm.user_id = ?1
             WHERE e.seq > ?2 AND e.seq <= ?4 AND e.seq >= cm.joined_seq
               AND (cm.left_seq IS NULL OR e.seq <= cm.left_seq)
             ORDER BY e.seq LIMIT ?3",
        )?
        .query_map(params![viewer, after, limit, head], |row| {
            Ok(Logged {
                seq: row.get(0)?,
                conversation_id: row.get(1)?,
                kind: row.get(2)?,
                message_id: row.get(3)?,
                user_id: row.get(4)?,
                emoji: row.get(5)?,
                created_at: row.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let complete = rows.len() < limit as usize;
    if !complete && matches!(catchup, Catchup::Whole(_)) {
        return Ok(Backfill {
            events: Vec::new(),
            seq: head,
            complete: false,
        });
    }
    let seq = match rows.last() {
        Some(last) if !complete => last.seq,
        _ => head.max(after),
    };
    let viewer_shares = shares_receipts(conn, viewer)?;
    // A backfill may hold many reads of the same few people: each is
    // looked up once.
    let mut sharing: HashMap<UserId, bool> = HashMap::new();
    let mut shares = |conn: &Connection, user: UserId| -> StoreResult<bool> {
        if let Some(known) = sharing.get(&user) {
            return Ok(*known);
        }
        let known = shares_receipts(conn, user)?;
        sharing.insert(user, known);
        Ok(known)
    };
    let mut conversations: HashMap<ConversationId, Conversation> = HashMap::new();
    let mut events = Vec::with_capacity(rows.len());
    for Logged {
        seq,
        conversation_id,
        kind,
        message_id,
        user_id,
        emoji,
        created_at,
    } in rows
    {
        let change = match (kind.as_str(), user_id) {
            ("posted", _) => message(conn, message_id)?.map(Change::Posted),
            // An edit of a message deleted since is told by its deletion.
            ("edited", _) => message(conn, message_id)?
                .filter(|m| m.deleted_at.is_none())
                .map(Change::Edited),
            ("deleted", Some(deleted_by)) => Some(Change::Deleted {
                message_id,
                deleted_by,
            }),
            ("read", Some(reader)) => {
                let visible = reader == viewer || (viewer_shares && shares(conn, reader)?);
                visible.then_some(Change::Read {
                    user_id: reader,
                    message_id,
                })
            }
            ("delivered", Some(recipient)) => Some(Change::Delivered {
                user_id: recipient,
                message_id,
            }),
            (kind @ ("reacted" | "unreacted"), Some(reactor)) => {
                emoji.map(|emoji| Change::Reacted {
                    message_id,
                    user_id: reactor,
                    emoji,
                    added: kind == "reacted",
                })
            }
            _ => None,
        };
        let Some(change) = change else { continue };
        let conversation = match conversations.get(&conversation_id) {
            Some(conversation) => conversation.clone(),
            None => {
                let Some(found) = load(conn, conversation_id)? else {
                    continue;
                };
                conversations.insert(conversation_id, found.clone());
                found
            }
        };
        events.push(Committed {
            seq,
            conversation,
            audience: vec![viewer],
            at: parse_timestamp(&created_at).unwrap_or_default(),
            change,
        });
    }
    let mut messages: Vec<_> = events
        .iter_mut()
        .filter_map(|event| match &mut event.change {
            Change::Posted(message) | Change::Edited(message) => Some(message),
            Change::Deleted { .. }
            | Change::Read { .. }
            | Change::Delivered { .. }
            | Change::Reacted { .. } => None,
        })
        .collect();
    fill_in(conn, &mut messages)?;
    Ok(Backfill {
        events,
        seq,
        complete,
    })
}

pub fn may_download(conn: &Connection, user: UserId, path: &str) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM messages m
             JOIN conversation_members cm
               ON cm.conversation_id = m.conversation_id AND cm.user_id = ?1
              AND cm.left_seq IS NULL
             WHERE m.file_path = ?2 AND m.id > cm.history_from LIMIT 1",
        )?
        .query_row(params![user, path], |_| Ok(()))
        .optional()?
        .is_some())
}
