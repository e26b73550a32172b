-- Replies, mentions and reactions.

-- The message a message answers, in the same conversation. Messages are
-- never removed (a deleted one stays as a tombstone), so the id always
-- finds a row; no foreign key, which would cost a check on every send.
ALTER TABLE messages ADD COLUMN reply_to INTEGER;
-- The text says @room or @everyone and its sender may: every member is
-- mentioned, with no row each.
ALTER TABLE messages ADD COLUMN mentions_room INTEGER NOT NULL DEFAULT 0;

-- Who a message mentions by name: members when it was posted or last
-- edited. Unread mention counts read a person's mentions after their read
-- position.
CREATE TABLE mentions (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
CREATE INDEX mentions_by_user ON mentions(user_id, message_id);

-- One row per person per emoji per message; id orders them as they came.
CREATE TABLE reactions (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (message_id, emoji, user_id)
);
-- For the foreign key, as every table that names a user has.
CREATE INDEX reactions_by_user ON reactions(user_id);

-- The log gains reactions, which carry their emoji. SQLite cannot change a
-- CHECK, so the table is rebuilt with every seq as it was, and the
-- AUTOINCREMENT high-water mark carried over: a seq is never reused, even
-- one whose row is gone.
CREATE TABLE events_v2 (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL
                    CHECK (kind IN ('posted', 'edited', 'deleted', 'read', 'delivered',
                                    'reacted', 'unreacted')),
    message_id      INTEGER NOT NULL,
    -- Who deleted, read, received or reacted.
    user_id         INTEGER,
    emoji           TEXT,
    created_at      TEXT NOT NULL,
    CHECK ((kind IN ('reacted', 'unreacted')) = (emoji IS NOT NULL))
);
INSERT INTO events_v2 (seq, conversation_id, kind, message_id, user_id, created_at)
    SELECT seq, conversation_id, kind, message_id, user_id, created_at FROM events ORDER BY seq;
DELETE FROM sqlite_sequence WHERE name = 'events_v2';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'events_v2', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE INDEX events_by_conversation ON events(conversation_id, seq);
