-- Records that migration $1 ran.
INSERT INTO {{schema}}.gosk_schema_version (version) VALUES ($1);
