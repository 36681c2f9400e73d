package postgres_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// Due reads, per queue, the head of the pending index and of the running
// leases' index and one key of gosk_paused_queues: it never scans a
// queue's tasks, finished or live, with the generic plan that prepared
// statements end up using.
func TestDuePlanReadsIndexHeadsOnly(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	conn := connect(t, serverURL(t))
	ctx := context.Background()
	table := pgx.Identifier{d.Schema(), "gosk_tasks"}.Sanitize()
	_, err := conn.Exec(ctx, "INSERT INTO "+table+` (queue, max_attempts, state, attempt, finalized_at)
		SELECT 'q', 3, 'completed', 1, now() FROM generate_series(1, 20000)`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "INSERT INTO "+table+` (queue, max_attempts, state, attempt, lease_token, lease_expires_at)
		SELECT 'q', 3, 'running', 1, 1, now() + interval '1 hour' FROM generate_series(1, 5000)`)
	require.NoError(t, err)
	in := make([]driver.NewTask, 200)
	for i := range in {
		in[i] = task("q")
	}
	_, err = d.Create(ctx, in)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "ANALYZE "+table)
	require.NoError(t, err)

	raw, err := os.ReadFile("queries/due.sql")
	require.NoError(t, err)
	q := strings.ReplaceAll(string(raw), "{{schema}}", pgx.Identifier{d.Schema()}.Sanitize())
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_generic_plan")
	require.NoError(t, err)
	_, err = tx.Prepare(ctx, "due", q)
	require.NoError(t, err)
	rows, err := tx.Query(ctx, "EXPLAIN EXECUTE due('{q,other}')")
	require.NoError(t, err)
	var plan strings.Builder
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan.WriteString(line + "\n")
	}
	require.NoError(t, rows.Err())
	p := plan.String()
	require.Contains(t, p, "gosk_tasks_pending_fifo", p)
	require.Contains(t, p, "gosk_tasks_running_lease", p)
	require.NotContains(t, p, "Seq Scan on gosk_tasks", p)
	require.NotContains(t, p, "Bitmap", p)
}
