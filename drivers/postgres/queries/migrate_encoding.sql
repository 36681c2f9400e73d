-- The database's encoding: text columns hold every valid UTF-8 string byte
-- for byte only in a UTF8 (or SQL_ASCII, which stores bytes unchecked)
-- database.
SELECT current_setting('server_encoding');
