//! Changing conversations, on the writer's connection inside a batch's
//! savepoint: each change writes its rows and its event in the log, and
//! returns the [`Committed`] events to feed once the batch commits.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::conversations::{
    self as read, Membership, direct_key, fill_in, find_direct, load, member, membership, message,
    newest_message, reactions, shares_receipts,
};
use crate::{
    domain::mentions,
    store::{
        Body, Change, Committed, Conversation, ConversationId, ConversationKind,
        LARGE_CONVERSATION, MAX_REACTIONS, MembershipChange, Message, MessageId, NewConversation,
        NewMessage, Notice, NoticeAction, Posted, Quote, Quoted, Reaction, Role, Seq, StoreError,
        StoreResult, UserId, excerpt, timestamp,
    },
};

fn user_exists(conn: &Connection, user: UserId) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
        .query_row([user], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Appends an event to the log; returns its position.
fn log_event(
    conn: &Connection,
    conversation: ConversationId,
    kind: &str,
    message: MessageId,
    user: Option<UserId>,
    at: DateTime<Utc>,
) -> StoreResult<Seq> {
    log_event_with(conn, conversation, kind, message, user, None, at)
}

/// [`log_event`] for an event that carries an emoji.
fn log_event_with(
    conn: &Connection,
    conversation: ConversationId,
    kind: &str,
    message: MessageId,
    user: Option<UserId>,
    emoji: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<Seq> {
    conn.prepare_cached(
        "INSERT INTO events (conversation_id, kind, message_id, user_id, emoji, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        conversation,
        kind,
        message,
        user,
        emoji,
        timestamp(at)
    ])?;
    Ok(conn.last_insert_rowid())
}

fn insert_message(
    conn: &Connection,
    new: &NewMessage,
    mentions_room: bool,
    at: DateTime<Utc>,
) -> StoreResult<MessageId> {
    let (kind, content, file, notice) = match &new.body {
        Body::Text(text) => ("text", Some(text.as_str()), None, None),
        Body::File(file) => ("file", None, Some(file), None),
        Body::Notice(notice) => (
            "notice",
            None,
            None,
            Some(serde_json::to_string(notice).expect("notices serialize")),
        ),
        Body::Deleted => return Err(StoreError::NotEditable),
    };
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, sender_id, kind, content, file_path, file_name,
                               file_size, mime_type, notice, created_at, client_id, reply_to,
                               mentions_room)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        new.conversation,
        new.sender,
        kind,
        content,
        file.map(|f| &f.path),
        file.map(|f| &f.name),
        file.map(|f| f.size as i64),
        file.map(|f| &f.mime_type),
        notice,
        timestamp(at),
        new.client_id,
        new.reply_to,
        mentions_room,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Who `text`, by `author`, mentions in `conversation`: the members it
/// names, ascending, and whether it notifies the room. Costs no query for
/// a text that names no one.
fn resolve_mentions(
    conn: &Connection,
    conversation: &Conversation,
    author: &Membership,
    text: &str,
) -> StoreResult<(Vec<UserId>, bool)> {
    let wanted = mentions::parse(text);
    // In a direct conversation, "@room" is plain text.
    let room = wanted.room && conversation.kind != ConversationKind::Direct;
    if room && conversation.members.len() > LARGE_CONVERSATION && author.role != Role::Admin {
        return Err(StoreError::RoomMentionNotAllowed);
    }
    if wanted.names.is_empty() {
        return Ok((Vec::new(), room));
    }
    let names = serde_json::to_string(&wanted.names).expect("names serialize");
    // CROSS JOIN keeps the names first: a few lookups by username rather
    // than a walk over every member of a room that may hold everyone.
    let members = conn
        .prepare_cached(
            "SELECT cm.user_id FROM users u
             CROSS JOIN conversation_members cm
               ON cm.user_id = u.id AND cm.conversation_id = ?1
             WHERE u.username IN (SELECT value FROM json_each(?2)) AND cm.left_seq IS NULL
             ORDER BY cm.user_id",
        )?
        .query_map(params![conversation.id, names], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok((members, room))
}

fn store_mentions(conn: &Connection, message: MessageId, users: &[UserId]) -> StoreResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    let mut insert =
        conn.prepare_cached("INSERT INTO mentions (message_id, user_id) VALUES (?1, ?2)")?;
    for user in users {
        insert.execute(params![message, user])?;
    }
    Ok(())
}

/// The quote of the message `reply_to`, which must be a text or file that
/// `author` sees in `conversation`.
fn quote(
    conn: &Connection,
    conversation: ConversationId,
    author: &Membership,
    reply_to: MessageId,
) -> StoreResult<Quote> {
    let original = message(conn, reply_to)?
        .filter(|m| m.conversation_id == conversation && m.id > author.history_from)
        .ok_or(StoreError::ReplyTargetNotFound)?;
    let quoted = match original.body {
        Body::Text(text) => Quoted::Text(excerpt(&text)),
        Body::File(file) => Quoted::File(file.name),
        Body::Notice(_) | Body::Deleted => return Err(StoreError::ReplyTargetNotFound),
    };
    Ok(Quote {
        message_id: original.id,
        sender_id: original.sender_id,
        quoted,
    })
}

/// An event for everyone in the conversation now, and `also` (one who just
/// left or was removed).
fn committed(
    conn: &Connection,
    conversation: ConversationId,
    seq: Seq,
    at: DateTime<Utc>,
    change: Change,
    also: Option<UserId>,
) -> StoreResult<Committed> {
    let conversation = load(conn, conversation)?.ok_or(StoreError::ConversationNotFound)?;
    let mut audience = conversation.members.clone();
    if let Some(user) = also
        && !audience.contains(&user)
    {
        audience.push(user);
    }
    Ok(Committed {
        seq,
        conversation,
        audience,
        at,
        change,
    })
}

/// The id of the direct conversation of `a` and `b`, created on first use.
pub fn direct(
    conn: &Connection,
    a: UserId,
    b: UserId,
    at: DateTime<Utc>,
) -> StoreResult<ConversationId> {
    if let Some(id) = find_direct(conn, a, b)? {
        return Ok(id);
    }
    if !user_exists(conn, a)? || !user_exists(conn, b)? {
        return Err(StoreError::UserNotFound);
    }
    let stamp = timestamp(at);
    conn.execute(
        "INSERT INTO conversations (kind, direct_key, created_at) VALUES ('direct', ?1, ?2)",
        params![direct_key(a, b), stamp],
    )?;
    let id = conn.last_insert_rowid();
    let mut add = conn.prepare_cached(
        "INSERT OR IGNORE INTO conversation_members (conversation_id, user_id, joined_at)
         VALUES (?1, ?2, ?3)",
    )?;
    add.execute(params![id, a, stamp])?;
    add.execute(params![id, b, stamp])?;
    Ok(id)
}

pub fn post(conn: &Connection, new: NewMessage, at: DateTime<Utc>) -> StoreResult<Posted> {
    if let Some(client_id) = &new.client_id {
        let earlier: Option<MessageId> = conn
            .prepare_cached("SELECT id FROM messages WHERE sender_id = ?1 AND client_id = ?2")?
            .query_row(params![new.sender, client_id], |row| row.get(0))
            .optional()?;
        if let Some(earlier) = earlier.and_then(|id| message(conn, id).transpose()) {
            let mut earlier = earlier?;
            fill_in(conn, &mut [&mut earlier])?;
            return Ok(Posted::Duplicate(earlier));
        }
    }
    let (conversation, standing) = membership(conn, new.sender, new.conversation)?;
    let reply_to = new
        .reply_to
        .map(|id| quote(conn, conversation.id, &standing, id))
        .transpose()?;
    let (mentions, mentions_room) = match &new.body {
        Body::Text(text) => resolve_mentions(conn, &conversation, &standing, text)?,
        Body::File(_) | Body::Notice(_) | Body::Deleted => (Vec::new(), false),
    };
    let id = insert_message(conn, &new, mentions_room, at)?;
    store_mentions(conn, id, &mentions)?;
    let seq = log_event(conn, conversation.id, "posted", id, None, at)?;
    let message = Message {
        id,
        conversation_id: conversation.id,
        sender_id: new.sender,
        body: new.body,
        created_at: at,
        edited_at: None,
        deleted_at: None,
        client_id: new.client_id,
        reply_to,
        mentions,
        mentions_room,
        reactions: Vec::new(),
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
    let original = message(conn, id)?
        .filter(|m| m.deleted_at.is_none())
        .ok_or(StoreError::MessageNotFound)?;
    if original.sender_id != editor {
        return Err(StoreError::NotYourMessage);
    }
    let (conversation, standing) = membership(conn, editor, original.conversation_id)?;
    if !matches!(original.body, Body::Text(_)) {
        return Err(StoreError::NotEditable);
    }
    let (mentions, mentions_room) = resolve_mentions(conn, &conversation, &standing, content)?;
    conn.prepare_cached(
        "UPDATE messages SET content = ?1, edited_at = ?2, mentions_room = ?3 WHERE id = ?4",
    )?
    .execute(params![content, timestamp(at), mentions_room, id])?;
    conn.prepare_cached("DELETE FROM mentions WHERE message_id = ?1")?
        .execute([id])?;
    store_mentions(conn, id, &mentions)?;
    let seq = log_event(conn, conversation.id, "edited", id, None, at)?;
    let mut message = message(conn, id)?.ok_or(StoreError::MessageNotFound)?;
    fill_in(conn, &mut [&mut message])?;
    committed(
        conn,
        message.conversation_id,
        seq,
        at,
        Change::Edited(message),
        None,
    )
}

pub fn delete(
    conn: &Connection,
    user: UserId,
    conversation: Option<ConversationId>,
    id: MessageId,
    at: DateTime<Utc>,
) -> StoreResult<(Option<String>, Committed)> {
    let message = message(conn, id)?
        .filter(|m| m.deleted_at.is_none())
        .filter(|m| conversation.is_none_or(|c| c == m.conversation_id))
        .ok_or(StoreError::MessageNotFound)?;
    let (conversation, standing) = membership(conn, user, message.conversation_id)?;
    if message.id <= standing.history_from {
        return Err(StoreError::MessageNotFound);
    }
    let moderates = conversation.kind != ConversationKind::Direct && standing.role == Role::Admin;
    if message.sender_id != user && !moderates {
        return Err(StoreError::NotYourMessage);
    }
    let file = match message.body {
        Body::Notice(_) => return Err(StoreError::NotDeletable),
        Body::File(file) => Some(file.path),
        Body::Text(_) | Body::Deleted => None,
    };
    // Nothing of what it said stays: not who it named, answered or moved
    // to react.
    conn.prepare_cached(
        "UPDATE messages SET kind = 'deleted', content = NULL, file_path = NULL,
                file_name = NULL, file_size = NULL, mime_type = NULL, deleted_at = ?1,
                reply_to = NULL, mentions_room = 0
         WHERE id = ?2",
    )?
    .execute(params![timestamp(at), id])?;
    conn.prepare_cached("DELETE FROM mentions WHERE message_id = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM reactions WHERE message_id = ?1")?
        .execute([id])?;
    let seq = log_event(conn, conversation.id, "deleted", id, Some(user), at)?;
    let event = committed(
        conn,
        conversation.id,
        seq,
        at,
        Change::Deleted {
            message_id: id,
            deleted_by: user,
        },
        None,
    )?;
    Ok((file, event))
}

/// Adds or takes back `user`'s reaction; the message's reactions after,
/// and the event if anything changed.
pub fn react(
    conn: &Connection,
    user: UserId,
    conversation: Option<ConversationId>,
    id: MessageId,
    emoji: &str,
    added: bool,
    at: DateTime<Utc>,
) -> StoreResult<(Vec<Reaction>, Option<Committed>)> {
    let message = message(conn, id)?
        .filter(|m| conversation.is_none_or(|c| c == m.conversation_id))
        .ok_or(StoreError::MessageNotFound)?;
    let (conversation, standing) = membership(conn, user, message.conversation_id)?;
    if message.id <= standing.history_from {
        return Err(StoreError::MessageNotFound);
    }
    if !matches!(message.body, Body::Text(_) | Body::File(_)) {
        return Err(StoreError::NotReactable);
    }
    let changed = if added {
        let (kinds, present): (usize, bool) = conn
            .prepare_cached(
                "SELECT COUNT(DISTINCT emoji), COALESCE(MAX(emoji = ?2), 0) FROM reactions
                 WHERE message_id = ?1",
            )?
            .query_row(params![id, emoji], |row| Ok((row.get(0)?, row.get(1)?)))?;
        if !present && kinds >= MAX_REACTIONS {
            return Err(StoreError::TooManyReactions);
        }
        conn.prepare_cached(
            "INSERT INTO reactions (message_id, user_id, emoji, created_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?
        .execute(params![id, user, emoji, timestamp(at)])?
    } else {
        conn.prepare_cached(
            "DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND emoji = ?3",
        )?
        .execute(params![id, user, emoji])?
    };
    let event = if changed > 0 {
        let kind = if added { "reacted" } else { "unreacted" };
        let seq = log_event_with(conn, conversation.id, kind, id, Some(user), Some(emoji), at)?;
        let change = Change::Reacted {
            message_id: id,
            user_id: user,
            emoji: emoji.to_owned(),
            added,
        };
        Some(Committed {
            seq,
            audience: conversation.members.clone(),
            conversation,
            at,
            change,
        })
    } else {
        None
    };
    Ok((reactions(conn, id)?, event))
}

/// Moves a read (or delivery) position forward, never past the newest
/// message; `None` when it was already there.
pub fn mark(
    conn: &Connection,
    user: UserId,
    conversation: ConversationId,
    message: MessageId,
    read: bool,
    at: DateTime<Utc>,
) -> StoreResult<Option<Committed>> {
    let (found, standing) = membership(conn, user, conversation)?;
    let target = message.min(newest_message(conn, conversation)?);
    let current = if read {
        standing.last_read
    } else {
        standing.delivered
    };
    if target <= current || (!read && found.kind != ConversationKind::Direct) {
        return Ok(None);
    }
    let (sql, kind) = if read {
        (
            "UPDATE conversation_members SET last_read_id = ?1, delivered_id = MAX(delivered_id, ?1)
             WHERE conversation_id = ?2 AND user_id = ?3",
            "read",
        )
    } else {
        (
            "UPDATE conversation_members SET delivered_id = ?1
             WHERE conversation_id = ?2 AND user_id = ?3",
            "delivered",
        )
    };
    conn.prepare_cached(sql)?
        .execute(params![target, conversation, user])?;
    let seq = log_event(conn, conversation, kind, target, Some(user), at)?;
    let (change, audience) = if read {
        // The reader's own devices always; others only where both share.
        let mut audience = vec![user];
        if shares_receipts(conn, user)? {
            audience.extend(sharing_members(conn, conversation, user)?);
        }
        let change = Change::Read {
            user_id: user,
            message_id: target,
        };
        (change, audience)
    } else {
        let change = Change::Delivered {
            user_id: user,
            message_id: target,
        };
        // For the senders' ticks: the recipient knows what they received.
        let others = found.members.iter().copied().filter(|m| *m != user);
        (change, others.collect())
    };
    Ok(Some(Committed {
        seq,
        conversation: found,
        audience,
        at,
        change,
    }))
}

/// The current members of `conversation` but `except` who share read
/// receipts, in one query (a room may hold everyone on the server).
fn sharing_members(
    conn: &Connection,
    conversation: ConversationId,
    except: UserId,
) -> StoreResult<Vec<UserId>> {
    Ok(conn
        .prepare_cached(
            "SELECT cm.user_id FROM conversation_members cm JOIN users u ON u.id = cm.user_id
             WHERE cm.conversation_id = ?1 AND cm.left_seq IS NULL AND cm.user_id <> ?2
               AND u.read_receipts = 1
             ORDER BY cm.user_id",
        )?
        .query_map(params![conversation, except], |row| row.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Writes a notice by `actor`; returns its event's position.
fn notice(
    conn: &Connection,
    conversation: ConversationId,
    actor: UserId,
    action: NoticeAction,
    user_id: Option<UserId>,
    title: Option<String>,
    at: DateTime<Utc>,
) -> StoreResult<(Seq, Message)> {
    let new = NewMessage {
        conversation,
        sender: actor,
        body: Body::Notice(Notice {
            action,
            user_id,
            title,
        }),
        client_id: None,
        reply_to: None,
    };
    let id = insert_message(conn, &new, false, at)?;
    let seq = log_event(conn, conversation, "posted", id, None, at)?;
    let message = Message {
        id,
        conversation_id: conversation,
        sender_id: actor,
        body: new.body,
        created_at: at,
        edited_at: None,
        deleted_at: None,
        client_id: None,
        reply_to: None,
        mentions: Vec::new(),
        mentions_room: false,
        reactions: Vec::new(),
    };
    Ok((seq, message))
}

fn has_admin(conn: &Connection, conversation: ConversationId) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM conversation_members
             WHERE conversation_id = ?1 AND role = 'admin' AND left_seq IS NULL",
        )?
        .query_row([conversation], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Makes `user` a member from now on (again, if they left): they see the
/// messages after the newest one, and events from `seq`, which the caller
/// sets once its notice is written.
fn enrol(
    conn: &Connection,
    conversation: ConversationId,
    user: UserId,
    role: Role,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let newest = newest_message(conn, conversation)?;
    let role = match role {
        Role::Admin => "admin",
        Role::Member => "member",
    };
    conn.prepare_cached(
        "INSERT INTO conversation_members
             (conversation_id, user_id, joined_at, role, history_from, joined_seq, left_seq,
              last_read_id, delivered_id)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, NULL, ?5, ?5)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET
             joined_at = excluded.joined_at, role = excluded.role,
             history_from = excluded.history_from, history_to = NULL, joined_seq = 0,
             left_seq = NULL, last_read_id = excluded.last_read_id,
             delivered_id = excluded.delivered_id",
    )?
    .execute(params![conversation, user, timestamp(at), role, newest])?;
    Ok(())
}

fn set_joined_seq(
    conn: &Connection,
    conversation: ConversationId,
    user: UserId,
    seq: Seq,
) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE conversation_members SET joined_seq = ?1
         WHERE conversation_id = ?2 AND user_id = ?3",
    )?
    .execute(params![seq, conversation, user])?;
    Ok(())
}

/// `user` joins: enrolled (admin if the conversation has none), then the
/// notice, their first event.
fn admit(
    conn: &Connection,
    conversation: ConversationId,
    actor: UserId,
    user: UserId,
    at: DateTime<Utc>,
) -> StoreResult<Committed> {
    let role = if has_admin(conn, conversation)? {
        Role::Member
    } else {
        Role::Admin
    };
    enrol(conn, conversation, user, role, at)?;
    let (action, target) = if actor == user {
        (NoticeAction::Joined, None)
    } else {
        (NoticeAction::Added, Some(user))
    };
    let (seq, message) = notice(conn, conversation, actor, action, target, None, at)?;
    set_joined_seq(conn, conversation, user, seq)?;
    committed(conn, conversation, seq, at, Change::Posted(message), None)
}

/// `user` is no longer a member; if they were its last admin, the
/// longest-standing member takes the role.
fn dismiss(
    conn: &Connection,
    conversation: ConversationId,
    actor: UserId,
    user: UserId,
    at: DateTime<Utc>,
) -> StoreResult<Vec<Committed>> {
    let (action, target) = if actor == user {
        (NoticeAction::Left, None)
    } else {
        (NoticeAction::Removed, Some(user))
    };
    let (seq, message) = notice(conn, conversation, actor, action, target, None, at)?;
    // What they could read ends with the notice of their leaving.
    conn.prepare_cached(
        "UPDATE conversation_members SET left_seq = ?1, history_to = ?2, role = 'member'
         WHERE conversation_id = ?3 AND user_id = ?4",
    )?
    .execute(params![seq, message.id, conversation, user])?;
    let mut events = vec![committed(
        conn,
        conversation,
        seq,
        at,
        Change::Posted(message),
        Some(user),
    )?];
    if !has_admin(conn, conversation)? {
        let successor: Option<UserId> = conn
            .prepare_cached(
                "SELECT user_id FROM conversation_members
                 WHERE conversation_id = ?1 AND left_seq IS NULL
                 ORDER BY joined_seq, joined_at, user_id LIMIT 1",
            )?
            .query_row([conversation], |row| row.get(0))
            .optional()?;
        if let Some(successor) = successor {
            events.push(set_role(
                conn,
                conversation,
                user,
                successor,
                Role::Admin,
                at,
            )?);
        }
    }
    Ok(events)
}

fn set_role(
    conn: &Connection,
    conversation: ConversationId,
    actor: UserId,
    user: UserId,
    role: Role,
    at: DateTime<Utc>,
) -> StoreResult<Committed> {
    let (text, action) = match role {
        Role::Admin => ("admin", NoticeAction::Promoted),
        Role::Member => ("member", NoticeAction::Demoted),
    };
    conn.prepare_cached(
        "UPDATE conversation_members SET role = ?1 WHERE conversation_id = ?2 AND user_id = ?3",
    )?
    .execute(params![text, conversation, user])?;
    let (seq, message) = notice(conn, conversation, actor, action, Some(user), None, at)?;
    committed(conn, conversation, seq, at, Change::Posted(message), None)
}

pub fn create(
    conn: &Connection,
    new: NewConversation,
    at: DateTime<Utc>,
) -> StoreResult<(ConversationId, Committed)> {
    let open = match new.kind {
        ConversationKind::Room => true,
        ConversationKind::Group => false,
        ConversationKind::Direct => return Err(StoreError::NotARoom),
    };
    for user in new.members.iter().chain([&new.creator]) {
        if !user_exists(conn, *user)? {
            return Err(StoreError::UserNotFound);
        }
    }
    conn.prepare_cached(
        "INSERT INTO conversations (kind, title, open, created_at) VALUES ('group', ?1, ?2, ?3)",
    )?
    .execute(params![new.title, open, timestamp(at)])?;
    let id = conn.last_insert_rowid();
    // A new conversation has no earlier events: everyone's membership
    // starts at its beginning (joined_seq 0).
    enrol(conn, id, new.creator, Role::Admin, at)?;
    for member in new.members.iter().filter(|m| **m != new.creator) {
        enrol(conn, id, *member, Role::Member, at)?;
    }
    let (seq, message) = notice(
        conn,
        id,
        new.creator,
        NoticeAction::Created,
        None,
        Some(new.title),
        at,
    )?;
    Ok((
        id,
        committed(conn, id, seq, at, Change::Posted(message), None)?,
    ))
}

/// The standing `actor` needs to manage the conversation: an admin of a
/// room or group.
fn admin(
    conn: &Connection,
    actor: UserId,
    conversation: ConversationId,
) -> StoreResult<(Conversation, Membership)> {
    let (found, standing) = membership(conn, actor, conversation)?;
    if found.kind == ConversationKind::Direct {
        return Err(StoreError::NotARoom);
    }
    if standing.role != Role::Admin {
        return Err(StoreError::NotAnAdmin);
    }
    Ok((found, standing))
}

pub fn change_membership(
    conn: &Connection,
    actor: UserId,
    conversation: ConversationId,
    change: MembershipChange,
    at: DateTime<Utc>,
) -> StoreResult<Vec<Committed>> {
    match change {
        MembershipChange::Join => {
            let found = load(conn, conversation)?.ok_or(StoreError::ConversationNotFound)?;
            match found.kind {
                ConversationKind::Direct => Err(StoreError::NotARoom),
                _ if found.members.contains(&actor) => Ok(Vec::new()),
                // A private group does not exist for those outside it.
                ConversationKind::Group => Err(StoreError::ConversationNotFound),
                ConversationKind::Room => Ok(vec![admit(conn, conversation, actor, actor, at)?]),
            }
        }
        MembershipChange::Leave => {
            let (found, _) = membership(conn, actor, conversation)?;
            if found.kind == ConversationKind::Direct {
                return Err(StoreError::NotARoom);
            }
            dismiss(conn, conversation, actor, actor, at)
        }
        MembershipChange::Add(user) => {
            let (found, _) = admin(conn, actor, conversation)?;
            if !user_exists(conn, user)? {
                return Err(StoreError::UserNotFound);
            }
            if found.members.contains(&user) {
                return Ok(Vec::new());
            }
            Ok(vec![admit(conn, conversation, actor, user, at)?])
        }
        MembershipChange::Remove(user) if user == actor => {
            change_membership(conn, actor, conversation, MembershipChange::Leave, at)
        }
        MembershipChange::Remove(user) => {
            admin(conn, actor, conversation)?;
            member(conn, conversation, user)?.ok_or(StoreError::MemberNotFound)?;
            dismiss(conn, conversation, actor, user, at)
        }
        MembershipChange::SetRole(user, role) => {
            admin(conn, actor, conversation)?;
            let standing = member(conn, conversation, user)?.ok_or(StoreError::MemberNotFound)?;
            if standing.role == role {
                return Ok(Vec::new());
            }
            if role == Role::Member {
                let admins: i64 = conn
                    .prepare_cached(
                        "SELECT COUNT(*) FROM conversation_members
                         WHERE conversation_id = ?1 AND role = 'admin' AND left_seq IS NULL",
                    )?
                    .query_row([conversation], |row| row.get(0))?;
                if admins <= 1 {
                    return Err(StoreError::LastAdmin);
                }
            }
            Ok(vec![set_role(conn, conversation, actor, user, role, at)?])
        }
        MembershipChange::Rename(title) => {
            admin(conn, actor, conversation)?;
            conn.prepare_cached("UPDATE conversations SET title = ?1 WHERE id = ?2")?
                .execute(params![title, conversation])?;
            let (seq, message) = notice(
                conn,
                conversation,
                actor,
                NoticeAction::Renamed,
                None,
                Some(title),
                at,
            )?;
            Ok(vec![committed(
                conn,
                conversation,
                seq,
                at,
                Change::Posted(message),
                None,
            )?])
        }
    }
}

/// A new user joins General, if there is one.
pub fn join_general(
    conn: &Connection,
    user: UserId,
    at: DateTime<Utc>,
) -> StoreResult<Option<Committed>> {
    match read::general(conn)? {
        Some(general) => Ok(Some(admit(conn, general, user, user, at)?)),
        None => Ok(None),
    }
}
