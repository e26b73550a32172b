-- Full-text search over messages: their text and the names of their files.

-- Where a former member's view of a conversation ends: the newest message
-- when they left (the notice of their leaving). NULL while they are a
-- member. They keep finding what they could read, never what came after.
ALTER TABLE conversation_members ADD COLUMN history_to INTEGER;
UPDATE conversation_members
    SET history_to = (SELECT e.message_id FROM events e WHERE e.seq = conversation_members.left_seq)
    WHERE left_seq IS NOT NULL;

-- The index keeps no copy of the text (external content: snippets read it
-- from `messages`). Only text and file messages are in it; triggers keep it
-- in step in the transaction that changes a message, so an edit's old words
-- and a deleted message's words leave it at once. unicode61 with
-- remove_diacritics: "cafe" finds "café". The prefix indexes make a word
-- being typed (its first two or three letters) one lookup.
CREATE VIRTUAL TABLE message_index USING fts5(
    content, file_name,
    content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
-- A deleted entry is removed from the index's pages, not only marked as
-- deleted: its words do not linger on disk until the next merge.
INSERT INTO message_index (message_index, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER message_index_insert AFTER INSERT ON messages
    WHEN new.kind IN ('text', 'file')
BEGIN
    INSERT INTO message_index (rowid, content, file_name)
        VALUES (new.id, new.content, new.file_name);
END;

-- An external-content index removes an entry given the values it was made
-- from: the old row's.
CREATE TRIGGER message_index_delete AFTER DELETE ON messages
    WHEN old.kind IN ('text', 'file')
BEGIN
    INSERT INTO message_index (message_index, rowid, content, file_name)
        VALUES ('delete', old.id, old.content, old.file_name);
END;

-- An edit, or a deletion (which empties the row), takes the old words out
-- and puts the new ones, if any, in; in this order, in one trigger, as two
-- triggers on one event run in no order one may rely on.
CREATE TRIGGER message_index_update AFTER UPDATE OF kind, content, file_name ON messages
BEGIN
    INSERT INTO message_index (message_index, rowid, content, file_name)
        SELECT 'delete', old.id, old.content, old.file_name WHERE old.kind IN ('text', 'file');
    INSERT INTO message_index (rowid, content, file_name)
        SELECT new.id, new.content, new.file_name WHERE new.kind IN ('text', 'file');
END;

INSERT INTO message_index (rowid, content, file_name)
    SELECT id, content, file_name FROM messages WHERE kind IN ('text', 'file');
