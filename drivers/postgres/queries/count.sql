-- How many tasks of queue $1 are in each state that has any.
SELECT state, count(*)
FROM {{schema}}.gosk_tasks
WHERE queue = $1
GROUP BY state;
