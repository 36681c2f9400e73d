-- ?1: key.
SELECT value FROM "{{prefix}}meta" WHERE key = ?1;
