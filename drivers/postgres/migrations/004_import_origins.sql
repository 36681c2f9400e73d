-- 004: the record of tasks imported from other stores (driver.Importer).
--
-- {{schema}} is replaced by the quoted schema name before this file runs.

-- One row per origin task imported into a queue: the store it came from
-- (Origin), its ID there, and the ID of the task it became here. A row is
-- written in the transaction that inserts its task, and never deleted:
-- it outlives the task (Purge deletes tasks, not these rows), so that an
-- import run again does not store the task again. The primary key is what
-- concurrent importers of one origin task meet on: the first inserts the
-- row, the others wait for its commit and find it there.
CREATE TABLE {{schema}}.gosk_import_origins (
    queue       text        NOT NULL,
    origin      text        NOT NULL,
    origin_id   bigint      NOT NULL,
    task_id     bigint      NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue, origin, origin_id)
);
