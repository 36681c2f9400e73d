package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/internal/testenv"
)

// testConfig is a short run: a dozen e-mails, six thumbnails and three
// reports, a report every 100ms.
func testConfig() config {
	c, err := parse([]string{"-emails", "12", "-thumbnails", "6", "-every", "100ms", "-reports", "3", "-work", "5ms", "-for", "1m"})
	if err != nil {
		panic(err)
	}
	return c
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.dir = t.TempDir()
	check(t, cfg)
}

// TestPostgres runs in a schema of its own.
func TestPostgres(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.postgres, cfg.schema = testenv.PostgresSchema(t)
	check(t, cfg)
}

// TestRedis runs under a key prefix of its own, deleted at the end.
func TestRedis(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.redis = testenv.URL(t, testenv.RedisVar)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	cfg.prefix = "gosk-service-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() { deletePrefix(t, cfg.redis, cfg.prefix) })
	check(t, cfg)
}

// check runs the program with cfg until its work is done and checks what
// happened: every task it created completed, none of the paused queue's
// before the resume, the schedule made the reports, and the result read
// back is the handler's.
func check(t *testing.T, cfg config) {
	t.Helper()
	var out bytes.Buffer
	s, err := run(t.Context(), &out, cfg)
	require.NoError(t, err, "output:\n%s", &out)
	t.Logf("output:\n%s", &out)

	require.Len(t, s.emails, cfg.emails)
	require.Len(t, s.thumbnails, cfg.thumbnails)
	require.Equal(t, cfg.emails, s.done["emails"], "every e-mail completed")
	require.Equal(t, cfg.thumbnails, s.done["thumbnails"], "every thumbnail completed")
	require.GreaterOrEqual(t, s.done["reports"], cfg.reports, "the schedule made the reports")

	require.Zero(t, s.ranWhilePaused, "no thumbnail ran while its queue was paused")
	require.Equal(t, int64(cfg.thumbnails), s.pendingAtResume, "the paused queue took every thumbnail and ran none until the resume")

	require.Equal(t, Thumb{URL: "https://img.example.com/128/photo-000.jpg", Bytes: 40 * 128}, s.result, "the first thumbnail's result, read back")
	require.Contains(t, out.String(), "result of thumbnail")

	for name, n := range map[string]int{"emails": cfg.emails, "thumbnails": cfg.thumbnails} {
		c := s.counts[name]
		require.Equal(t, int64(n), c[gosk.StateCompleted], "%s completed in the store", name)
		require.Zero(t, c[gosk.StatePending]+c[gosk.StateRunning]+c[gosk.StateFailed]+c[gosk.StateCancelled], "%s: %v", name, c)
	}
	reports := s.counts["reports"]
	require.Equal(t, int64(s.done["reports"]), reports[gosk.StateCompleted], "reports completed in the store")
	require.Zero(t, reports[gosk.StateRunning], "no report left running")
}

// TestStopsAfterFor: a run whose -for ends before its work is done (the
// handlers here would work for an hour) stops by itself, cancels its
// running handlers, and leaves no task running and the paused queue
// resumed, its thumbnails pending for the next run.
func TestStopsAfterFor(t *testing.T) {
	t.Parallel()
	cfg, err := parse([]string{"-dir", t.TempDir(), "-emails", "2", "-thumbnails", "3", "-work", "1h", "-for", "300ms", "-grace", "50ms"})
	require.NoError(t, err)
	var out bytes.Buffer
	s, err := run(t.Context(), &out, cfg)
	require.NoError(t, err, "output:\n%s", &out)
	t.Logf("output:\n%s", &out)
	require.Contains(t, out.String(), "ran for 300ms: stopping")
	require.Zero(t, s.ranWhilePaused)
	require.Equal(t, int64(-1), s.pendingAtResume, "the e-mails never finished, so the program did not resume the queue while it ran")
	require.Zero(t, s.result, "no thumbnail ran")
	for name, c := range s.counts {
		require.Zero(t, c[gosk.StateRunning], "%s: no task left running: %v", name, c)
	}
	require.Equal(t, int64(2), s.counts["emails"][gosk.StatePending], "the e-mails are pending, for the next run")
	require.Equal(t, int64(3), s.counts["thumbnails"][gosk.StatePending])

	drv, err := sqlite.Open(t.Context(), filepath.Join(cfg.dir, "service.db"), nil)
	require.NoError(t, err)
	defer drv.Close()
	paused, err := drv.PausedQueues(t.Context())
	require.NoError(t, err)
	require.Empty(t, paused, "the thumbnails queue is not left paused")
}

// TestSIGTERM runs the program as a process of its own (this test binary,
// re-executed), whose handlers never finish on their own, sends it
// SIGTERM while they run, and checks that it exits 0 after cancelling
// them, with no task left running: its tasks were released, to run again.
func TestSIGTERM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const thumbnails = 4
	cmd := exec.CommandContext(ctx, os.Args[0],
		"-dir", dir, "-emails", "0", "-thumbnails", "4", "-reports", "0",
		"-every", "100ms", "-work", "1h", "-budget", "2", "-grace", "100ms")
	cmd.Env = append(os.Environ(), childVar+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	signalled := false
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if !signalled && strings.HasPrefix(lines.Text(), "making the thumbnail of") {
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			signalled = true
		}
	}
	err = cmd.Wait()
	require.True(t, signalled, "no thumbnail started; output:\n%s\nstderr:\n%s", &out, &stderr)
	require.NoError(t, err, "the program exits 0; output:\n%s\nstderr:\n%s", &out, &stderr)
	t.Logf("output:\n%s", &out)
	require.Contains(t, out.String(), "signal received: stopping")
	require.Contains(t, out.String(), "cancelling them", "the grace period ended with handlers running")

	drv, err := sqlite.Open(t.Context(), filepath.Join(dir, "service.db"), nil)
	require.NoError(t, err)
	defer drv.Close()
	for _, queue := range []string{"emails", "thumbnails", "reports"} {
		c, err := drv.Count(t.Context(), queue)
		require.NoError(t, err)
		require.Zero(t, c[gosk.StateRunning], "%s: no task left running: %v", queue, c)
	}
	c, err := drv.Count(t.Context(), "thumbnails")
	require.NoError(t, err)
	require.Equal(t, int64(thumbnails), c[gosk.StatePending], "every thumbnail released, to run again")
	paused, err := drv.PausedQueues(t.Context())
	require.NoError(t, err)
	require.Empty(t, paused, "the thumbnails queue was resumed")
}

// deletePrefix removes the keys under prefix (SCAN and UNLINK; never
// FLUSHDB, the server may hold other data).
func deletePrefix(t *testing.T, url, prefix string) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Error(err)
		return
	}
	client := goredis.NewClient(opts)
	defer client.Close()
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Error(err)
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := client.Unlink(ctx, keys[:n]...).Err(); err != nil {
			t.Error(err)
		}
		keys = keys[n:]
	}
}
