-- Full-text search over messages: their text and the names of their files.

-- Where a former member's view of a conversation ends: the newest message
-- when they left (the notice of their leaving). NULL while they are a
-- member. They keep finding what they could read, never what came after.
ALTER TABLE conversation_members ADD COLUMN history_to INTEGER;
UPDATE conversation_members
    SET history_to = (SELECT e.message_id FROM events e WHERE e.seq = conversation_members.left_seq)
    WHERE left_seq IS NOT NULL;

-- What the index is made of: the text and file name of each text or file
-- message, and tags, words of its own that let a search narrow within the
-- index to one conversation ("c12"), one sender ("u7"), files ("file") or
-- the months of a time range ("m202603"), where narrowing costs the same
-- whatever the words: a common word in a small conversation would
-- otherwise mean reading every message that has it. The tags are made of
-- what never changes in a message but its kind.
CREATE VIEW message_search (id, content, file_name, tags) AS
    SELECT id, content, file_name,
           'c' || conversation_id || ' u' || sender_id
               || ' m' || substr(created_at, 1, 4) || substr(created_at, 6, 2)
               || IIF(kind = 'file', ' file', '')
    FROM messages WHERE kind IN ('text', 'file');

-- The index keeps no copy of the text (external content: snippets read it
-- from the view). unicode61 with remove_diacritics: "cafe" finds "café".
-- The prefix indexes make a word being typed (its first two or three
-- letters) one lookup.
CREATE VIRTUAL TABLE message_index USING fts5(
    content, file_name, tags,
    content = 'message_search', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
-- A deleted entry is removed from the index's pages, not only marked as
-- deleted: its words do not linger on disk until the next merge.
INSERT INTO message_index (message_index, rank) VALUES ('secure-delete', 1);

-- Triggers keep the index in step in the transaction that changes a
-- message, so an edit's old words and a deleted message's words leave it at
-- once. An external-content index removes an entry given the values it was
-- made from: the row as the view shows it before the change.
CREATE TRIGGER message_index_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO message_index (rowid, content, file_name, tags)
        SELECT id, content, file_name, tags FROM message_search WHERE id = new.id;
END;

CREATE TRIGGER message_index_unindex BEFORE UPDATE OF kind, content, file_name ON messages
BEGIN
    INSERT INTO message_index (message_index, rowid, content, file_name, tags)
        SELECT 'delete', id, content, file_name, tags FROM message_search WHERE id = old.id;
END;

CREATE TRIGGER message_index_reindex AFTER UPDATE OF kind, content, file_name ON messages
BEGIN
    INSERT INTO message_index (rowid, content, file_name, tags)
        SELECT id, content, file_name, tags FROM message_search WHERE id = new.id;
END;

CREATE TRIGGER message_index_delete BEFORE DELETE ON messages
BEGIN
    INSERT INTO message_index (message_index, rowid, content, file_name, tags)
        SELECT 'delete', id, content, file_name, tags FROM message_search WHERE id = old.id;
END;

INSERT INTO message_index (message_index) VALUES ('rebuild');
