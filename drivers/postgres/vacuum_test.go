package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// The task table vacuums after a fixed number of dead rows, with index
// cleanup on, whatever its size (migration 003; see Vacuum in the package
// doc).
func TestTaskTableVacuumSettings(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	conn := connect(t, serverURL(t))
	var opts []string
	require.NoError(t, conn.QueryRow(context.Background(),
		"SELECT reloptions FROM pg_class WHERE oid = $1::regclass",
		pgx.Identifier{d.Schema(), "gosk_tasks"}.Sanitize()).Scan(&opts))
	require.Subset(t, opts, []string{
		"autovacuum_vacuum_scale_factor=0",
		"autovacuum_vacuum_threshold=10000",
		"vacuum_index_cleanup=on",
		"fillfactor=90",
	})
}

// BenchmarkClaimAfterCancelled measures claims of 10 after none and after
// 200,000 tasks were created and cancelled, before any vacuum (autovacuum
// is too slow to come by within the benchmark): first-claim-ms is the
// first claim, ms/claim the mean of the claims after it. See Vacuum in
// the package doc.
func BenchmarkClaimAfterCancelled(b *testing.B) {
	for _, cancelled := range []int{0, 200} {
		b.Run(fmt.Sprintf("Cancelled%dk", cancelled), func(b *testing.B) { benchClaimAfterCancelled(b, cancelled) })
	}
}

func benchClaimAfterCancelled(b *testing.B, thousands int) {
	d := newDriverConns(b, 4)
	ctx := context.Background()
	batch := make([]driver.NewTask, 1000)
	for i := range batch {
		batch[i] = driver.NewTask{Queue: "q", Payload: make([]byte, 100), MaxAttempts: 3}
	}
	for range thousands {
		res, err := d.Create(ctx, batch)
		require.NoError(b, err)
		ids := make([]int64, len(res))
		for i, r := range res {
			ids[i] = r.ID
		}
		_, err = d.Cancel(ctx, ids)
		require.NoError(b, err)
	}
	claim := func() {
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 10, Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(b, err)
		require.Len(b, got, 10)
	}
	for done := 0; done < (b.N+1)*10; done += len(batch) {
		_, err := d.Create(ctx, batch)
		require.NoError(b, err)
	}
	// The claims leave their tasks running: the benchmark measures the
	// walk over the cancelled tasks' dead entries, not the finishes.
	b.ResetTimer()
	start := time.Now()
	claim()
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "first-claim-ms")
	start = time.Now()
	for range b.N {
		claim()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/claim")
}
