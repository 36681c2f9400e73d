-- What the schema holds before migrating: whether the version table and the
-- task table exist. $1, $2: their quoted, schema-qualified names.
SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL;
