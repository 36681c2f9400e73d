-- The meta table records that this file holds a gosk layout and at which
-- schema version. Created before any migration runs.
CREATE TABLE IF NOT EXISTS "{{prefix}}meta" (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
