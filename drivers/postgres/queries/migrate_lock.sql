-- Serialises migrations of one schema across processes until the migrating
-- transaction ends. $1: the schema name.
SELECT pg_advisory_xact_lock(hashtext('gosk migrate'), hashtext($1));
