-- Notification settings, kept by the server so that they follow a person
-- to every device.

-- How much of a conversation notifies each member: every message, or only
-- those that mention them ('mentions'; 'muted' is the same and is shown
-- muted). Kept when they leave and come back: a room muted once stays so.
ALTER TABLE conversation_members ADD COLUMN notify TEXT NOT NULL DEFAULT 'all'
    CHECK (notify IN ('all', 'mentions', 'muted'));

-- Do not disturb until this time (a timestamp as the server writes them),
-- and whether notifications play a sound.
ALTER TABLE users ADD COLUMN dnd_until TEXT;
ALTER TABLE users ADD COLUMN sound INTEGER NOT NULL DEFAULT 0;
