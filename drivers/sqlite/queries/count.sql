-- ?1 queue: number of tasks in each state present.
SELECT state, count(*) FROM "{{prefix}}tasks" WHERE queue = ?1 GROUP BY state;
