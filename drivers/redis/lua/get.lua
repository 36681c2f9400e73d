-- get.lua: a task's record (see common.lua), or its ID alone followed by
-- nils if it does not exist.
-- ARGV: task ID.
return record(ARGV[1])
