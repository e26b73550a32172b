-- A name to show besides the username, which stays for logging in and for
-- @mentions. NULL: show the username.
ALTER TABLE users ADD COLUMN display_name TEXT;
