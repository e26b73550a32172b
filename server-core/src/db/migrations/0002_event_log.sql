-- The event log: every change to a conversation gets a position (seq) in
-- one strictly increasing sequence, written in the change's transaction.
-- Rows point at what changed rather than copying it, so that a deleted
-- message's text lives nowhere once it is deleted; a backfill shows each
-- message as it is now. AUTOINCREMENT: a seq is never reused, even after
-- the newest rows are gone.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('posted', 'edited')),
    message_id      INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL
);
CREATE INDEX events_by_conversation ON events(conversation_id, seq);

-- A sender's own id for a message: a resend after a lost acknowledgement
-- carries the same one and is stored once.
ALTER TABLE messages ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX messages_by_client_id ON messages(sender_id, client_id)
    WHERE client_id IS NOT NULL;

-- Messages from before the log get their events, in order.
INSERT INTO events (conversation_id, kind, message_id, created_at)
    SELECT conversation_id, 'posted', id, created_at FROM messages ORDER BY id;
