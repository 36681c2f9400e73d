package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/internal/faulttest"
	"github.com/gosk/gosk/internal/testenv"
)

// withParam adds a query parameter to a URL.
func withParam(url, kv string) string {
	if strings.Contains(url, "?") {
		return url + "&" + kv
	}
	return url + "?" + kv
}

// TestFaultTerminateBackends terminates every connection of the driver
// (pool and listener alike, found by their application_name) with
// pg_terminate_backend, over and over, while a worker claims, pings and
// finishes and a producer creates: the worker carries on and every
// acknowledged task becomes final.
func TestFaultTerminateBackends(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	app := "gosk-fault-" + hex.EncodeToString(b)
	d, err := postgres.Open(context.Background(), withParam(url, "application_name="+app),
		&postgres.Options{Schema: testSchema(t, url), MaxConns: 6, ReconnectMin: 10 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	l := faulttest.Start(t, d, "terminate")
	l.WaitAcked(20)

	admin := connect(t, url)
	killed := 0
	for range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var n int
		err := admin.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) t`, app).Scan(&n)
		cancel()
		require.NoError(t, err)
		killed += n
		l.WaitAcked(5)
	}
	require.Positive(t, killed, "pg_stat_activity found the driver's backends by their application_name")
	acked, failed := l.Finish()
	t.Logf("terminated %d backends; %d creates acknowledged, %d failed", killed, acked, failed)
}

// TestFaultThrowawayServer runs the faults that need a server of the
// test's own, one after the other on one throwaway server (initdb takes
// seconds on a loaded machine): a worker started before the server, then
// a crash and restart.
func TestFaultThrowawayServer(t *testing.T) {
	t.Parallel()
	tStart := time.Now()
	s := testenv.NewPostgres(t)
	t.Logf("initdb took %v", time.Since(tStart))
	t.Run("WorkerBeforeServer", func(t *testing.T) { workerBeforeServer(t, s) })
	t.Run("CrashAndRestart", func(t *testing.T) { crashAndRestart(t, s) })
	t.Run("WorkOnDeadServer", func(t *testing.T) {
		// Work, with no deadline, whose server crashes under it and stays
		// down, returns with an error naming the outcomes it could not
		// store instead of retrying for ever.
		d, err := postgres.Open(context.Background(), s.URL, &postgres.Options{Schema: "dead"})
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		q, err := gosk.NewQueue[int](d, "dead", nil)
		require.NoError(t, err)
		faulttest.WorkOnDeadStore(t, q, s.Crash)
	})
}

// crashAndRestart crashes a throwaway PostgreSQL server, running,
// (pg_ctl stop -m immediate: no shutdown checkpoint, crash recovery at the
// next start) under a running worker and producer, keeps it down for a
// second and starts it again: the worker logs the outage, backs off (a
// bounded number of claims while the server is down), reconnects and
// carries on, and every acknowledged create exists after the restart and
// becomes final.
func crashAndRestart(t *testing.T, s *testenv.Server) {
	d, err := postgres.Open(context.Background(), s.URL, &postgres.Options{Schema: "crash", MaxConns: 6, ReconnectMin: 10 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	l := faulttest.Start(t, d, "crash")
	l.WaitAcked(50)

	t0 := time.Now()
	s.Crash()
	before := l.Drv.Claims()
	time.Sleep(outage) // the outage itself: nothing to wait on
	during := l.Drv.Claims() - before
	t1 := time.Now()
	s.Start()
	t.Logf("crash took %v, restart %v", t1.Add(-outage).Sub(t0), time.Since(t1))
	l.WaitAcked(50)

	tFinish := time.Now()
	acked, failed := l.Finish()
	t.Logf("finish took %v", time.Since(tFinish))
	t.Logf("%d claims during a %v outage; %d creates acknowledged, %d failed", during, outage, acked, failed)
	assert.LessOrEqual(t, during, int64(maxOutageClaims), "the worker backs off while the server is down, it does not spin")
	assert.Contains(t, l.Logs(), "claim failed; will retry", "the worker logs the outage")
}

// outage is how long the fault tests keep a server down, and
// maxOutageClaims the most Claim calls a backing-off worker makes in it
// (its back-off doubles from 20ms: about 7 in a second).
const (
	outage          = time.Second
	maxOutageClaims = 15
)

// workerBeforeServer starts a worker on a Lazy driver whose
// server is not up yet, then the server: the worker starts working
// without a restart, the schema migrated by its first call. Without
// Lazy, Open refuses the server that is down.
func workerBeforeServer(t *testing.T, s *testenv.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, s.URL, nil)
	require.Error(t, err, "Open refuses a server that is down")

	d, err := postgres.Open(ctx, s.URL, &postgres.Options{Schema: "later", Lazy: true, MaxConns: 6, ReconnectMin: 10 * time.Millisecond})
	require.NoError(t, err, "a Lazy Open does not contact the server")
	t.Cleanup(func() { _ = d.Close() })
	l := faulttest.Start(t, d, "later")
	l.WaitClaims(3)
	assert.Zero(t, l.Acked(), "nothing is acknowledged while the server is down")

	s.Start()
	l.WaitAcked(20)
	acked, failed := l.Finish()
	t.Logf("%d creates acknowledged, %d failed", acked, failed)
	assert.Contains(t, l.Logs(), "claim failed; will retry", "the worker logs the store that is down")
}
