-- ?1: table name. Tells a fresh file from one holding other tables.
SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1;
