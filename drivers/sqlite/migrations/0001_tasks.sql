-- 0001: the tasks table and its indexes.
--
-- Times are Unix nanoseconds on the driver's clock; NULL means unset.
-- AUTOINCREMENT keeps IDs from ever being reused, even after a purge has
-- deleted the newest tasks. lease_token goes up whenever a lease is taken
-- from its holder (a claim, an outside cancel, a claim failing a lapsed last
-- lease), which is what fences stale workers.
CREATE TABLE "{{prefix}}tasks" (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    queue            TEXT    NOT NULL,
    payload          BLOB    NOT NULL,
    priority         INTEGER NOT NULL,
    unique_key       TEXT,
    state            TEXT    NOT NULL
                     CHECK (state IN ('pending', 'running', 'completed', 'cancelled', 'failed')),
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    last_error       TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    lease_token      INTEGER NOT NULL DEFAULT 0,
    lease_expires_at INTEGER,
    finalized_at     INTEGER
) STRICT;

-- A unique key is held only while its task is pending or running.
CREATE UNIQUE INDEX "{{prefix}}tasks_unique_live"
    ON "{{prefix}}tasks" (queue, unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('pending', 'running');

-- Fifo and Lifo claims walk pending tasks by (run_at, id), forwards or back.
CREATE INDEX "{{prefix}}tasks_by_time"
    ON "{{prefix}}tasks" (queue, state, run_at, id);

-- Priority claims walk pending tasks by (priority desc, run_at, id).
CREATE INDEX "{{prefix}}tasks_by_priority"
    ON "{{prefix}}tasks" (queue, state, priority DESC, run_at, id);

-- Claims look for running tasks whose lease ran out.
CREATE INDEX "{{prefix}}tasks_leases"
    ON "{{prefix}}tasks" (queue, lease_expires_at)
    WHERE state = 'running';

-- Purge finds final tasks by age.
CREATE INDEX "{{prefix}}tasks_finalized"
    ON "{{prefix}}tasks" (queue, finalized_at)
    WHERE finalized_at IS NOT NULL;

-- List pages through a queue by ID.
CREATE INDEX "{{prefix}}tasks_by_id"
    ON "{{prefix}}tasks" (queue, id);
