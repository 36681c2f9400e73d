-- 0003: the record of imported tasks (see Driver.Import).
--
-- Each task copied from another store leaves a row here, keyed by its
-- queue, the store it came from and its ID there, naming the task it
-- became: an origin task is imported into its queue once, however often
-- a move is run again. The row outlives the task (Purge leaves it), so a
-- rerun after a purge does not bring the task back. Times are Unix
-- nanoseconds on the driver's clock.
CREATE TABLE "{{prefix}}origins" (
    queue       TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    origin_id   INTEGER NOT NULL,
    task_id     INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (queue, origin, origin_id)
) STRICT, WITHOUT ROWID;
