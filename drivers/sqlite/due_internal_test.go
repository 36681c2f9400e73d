package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Due reads, per queue, the first entry of the pending index and of the
// running leases' index and one key of the paused table, each once: it
// never scans a queue's tasks, however many there are.
func TestDuePlanReadsIndexHeadsOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "tasks.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	rows, err := d.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+d.q.due, `["a","b"]`)
	require.NoError(t, err)
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan.WriteString(detail + "\n")
	}
	require.NoError(t, rows.Err())
	p := plan.String()
	require.Equal(t, 1, strings.Count(p, "USING COVERING INDEX gosk_tasks_by_time (queue=? AND state=?)"), p)
	require.Equal(t, 1, strings.Count(p, "USING COVERING INDEX gosk_tasks_leases (queue=?)"), p)
	require.Equal(t, 1, strings.Count(p, "gosk_paused_queues"), p)
	require.NotContains(t, p, "SCAN gosk_tasks", p)
}
