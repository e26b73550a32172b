-- Conversations for everyone: rooms and groups, read state, delete, and an
-- ordered event log.

-- Messages gain notices ("alice added bob"), tombstones of deleted
-- messages, and the sender's own id for safe resends. SQLite cannot change
-- a CHECK, so the table is rebuilt; nothing references it yet.
CREATE TABLE messages_v2 (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    sender_id       INTEGER NOT NULL REFERENCES users(id),
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'file', 'notice', 'deleted')),
    content         TEXT,
    file_path       TEXT,
    file_name       TEXT,
    file_size       INTEGER,
    mime_type       TEXT,
    -- JSON: {"action": "added", "user_id": 9} and the like.
    notice          TEXT,
    client_id       TEXT,
    created_at      TEXT NOT NULL,
    edited_at       TEXT,
    deleted_at      TEXT,
    CHECK ((kind = 'text') = (content IS NOT NULL)),
    CHECK ((kind = 'file') = (file_path IS NOT NULL)),
    CHECK ((kind = 'notice') = (notice IS NOT NULL)),
    CHECK ((kind = 'deleted') = (deleted_at IS NOT NULL))
);
INSERT INTO messages_v2 (id, conversation_id, sender_id, kind, content, file_path, file_name,
                         file_size, mime_type, created_at, edited_at, deleted_at)
    SELECT id, conversation_id, sender_id,
           CASE WHEN deleted_at IS NULL THEN kind ELSE 'deleted' END,
           CASE WHEN deleted_at IS NULL THEN content END,
           CASE WHEN deleted_at IS NULL THEN file_path END,
           CASE WHEN deleted_at IS NULL THEN file_name END,
           CASE WHEN deleted_at IS NULL THEN file_size END,
           CASE WHEN deleted_at IS NULL THEN mime_type END,
           created_at, edited_at, deleted_at
    FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
-- History pages walk a conversation by id.
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
CREATE INDEX messages_by_sender ON messages(sender_id);
-- A resend after a lost acknowledgement carries the same client_id.
CREATE UNIQUE INDEX messages_by_client_id ON messages(sender_id, client_id)
    WHERE client_id IS NOT NULL;
-- Who may download a file: the members of its message's conversation.
CREATE INDEX messages_by_file ON messages(file_path) WHERE file_path IS NOT NULL;

-- A 'group' conversation is an open room (listed for everyone, anyone may
-- join) or a private group. The room everyone is in has system_key
-- 'general'.
ALTER TABLE conversations ADD COLUMN open INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN system_key TEXT;
CREATE UNIQUE INDEX conversations_by_system_key ON conversations(system_key)
    WHERE system_key IS NOT NULL;

-- Membership, kept after leaving (left_seq set) so that a backfill can
-- still tell a former member they left. A member sees the messages after
-- history_from (the newest message id when they joined) and the events
-- from joined_seq on. Read state is one watermark per member, not a row per
-- message and reader.
ALTER TABLE conversation_members ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('admin', 'member'));
ALTER TABLE conversation_members ADD COLUMN history_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversation_members ADD COLUMN joined_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversation_members ADD COLUMN left_seq INTEGER;
ALTER TABLE conversation_members ADD COLUMN last_read_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversation_members ADD COLUMN delivered_id INTEGER NOT NULL DEFAULT 0;

-- Whether a person shares (and so sees) read receipts.
ALTER TABLE users ADD COLUMN read_receipts INTEGER NOT NULL DEFAULT 1;

-- The event log: every change to a conversation gets a position (seq) in
-- one strictly increasing sequence, written in the change's transaction.
-- Rows point at what changed rather than copying it, so that a deleted
-- message's text lives nowhere once it is deleted; a backfill shows each
-- message as it is now. AUTOINCREMENT: a seq is never reused.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL
                    CHECK (kind IN ('posted', 'edited', 'deleted', 'read', 'delivered')),
    message_id      INTEGER NOT NULL,
    -- Who deleted, read or received.
    user_id         INTEGER,
    created_at      TEXT NOT NULL
);
CREATE INDEX events_by_conversation ON events(conversation_id, seq);

-- Messages from before the log get their events, in order.
INSERT INTO events (conversation_id, kind, message_id, created_at)
    SELECT conversation_id, 'posted', id, created_at FROM messages ORDER BY id;

-- What was there before counts as read and received: unread counts were
-- kept by each browser until now.
UPDATE conversation_members
    SET last_read_id = COALESCE((SELECT MAX(m.id) FROM messages m
                                 WHERE m.conversation_id = conversation_members.conversation_id), 0),
        delivered_id = COALESCE((SELECT MAX(m.id) FROM messages m
                                 WHERE m.conversation_id = conversation_members.conversation_id), 0);

-- General, with everyone in it; the first account is its admin.
INSERT INTO conversations (kind, title, open, system_key, created_at)
    VALUES ('group', 'General', 1, 'general', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
INSERT INTO conversation_members (conversation_id, user_id, joined_at, role)
    SELECT (SELECT id FROM conversations WHERE system_key = 'general'), id, created_at,
           CASE WHEN id = (SELECT MIN(id) FROM users) THEN 'admin' ELSE 'member' END
    FROM users;
