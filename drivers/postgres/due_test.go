package postgres_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
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
	fillForPlans(t, d, conn)

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
