package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/internal/faulttest"
	"github.com/gosk/gosk/internal/testenv"
)

// TestFaultClientKill kills the driver's connections with CLIENT KILL,
// over and over, while a worker claims, pings and finishes and a
// producer creates: the worker carries on and every acknowledged task
// becomes final.
func TestFaultClientKill(t *testing.T) {
	t.Parallel()
	admin := singleClient(t)
	name := "gosk-fault-" + strings.Trim(strings.ReplaceAll(testPrefix(), ":", "-"), "-")
	url := singleURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	opts := &goskredis.Options{Prefix: testPrefix()}
	d, err := goskredis.Open(context.Background(), url+sep+"client_name="+name, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = d.Close()
		_ = deletePrefix(admin, opts.Prefix)
	})
	l := faulttest.Start(t, d, "kill")
	l.WaitAcked(20)

	killed := 0
	for range 10 {
		n := killByName(t, admin, name)
		killed += n
		l.WaitAcked(5)
	}
	require.Positive(t, killed, "CLIENT KILL found the driver's connections by their name")
	acked, failed := l.Finish()
	t.Logf("killed %d connections; %d creates acknowledged, %d failed", killed, acked, failed)
}

// killByName kills every connection named name and returns how many.
func killByName(t *testing.T, c *goredis.Client, name string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := c.ClientList(ctx).Result()
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(list, "\n") {
		var id string
		named := false
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			switch {
			case k == "id":
				id = v
			case k == "name" && v == name:
				named = true
			}
		}
		if named && id != "" {
			if err := c.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err == nil {
				n++
			}
		}
	}
	return n
}

// TestFaultKillAndRestart SIGKILLs a throwaway redis-server (append-only
// file, fsync at every write) under a running worker and producer, keeps
// it down for a second and starts it again: the worker logs the outage,
// backs off (a bounded number of claims while the server is down),
// reconnects and carries on, and every acknowledged create exists after
// the restart and becomes final.
func TestFaultKillAndRestart(t *testing.T) {
	t.Parallel()
	s := testenv.StartRedis(t)
	d, err := goskredis.Open(context.Background(), s.URL, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	l := faulttest.Start(t, d, "restart")
	l.WaitAcked(50)

	s.Crash()
	before := l.Drv.Claims()
	time.Sleep(outage) // the outage itself: nothing to wait on
	during := l.Drv.Claims() - before
	s.Start()
	l.WaitAcked(50)

	acked, failed := l.Finish()
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

// TestFaultWorkerBeforeServer starts a worker on a Lazy driver whose
// server is not up yet, then the server: the worker starts working
// without a restart. Without Lazy, Open refuses the server that is down.
func TestFaultWorkerBeforeServer(t *testing.T) {
	t.Parallel()
	s := testenv.NewRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := goskredis.Open(ctx, s.URL, nil)
	require.Error(t, err, "Open refuses a server that is down")

	d, err := goskredis.Open(ctx, s.URL, &goskredis.Options{Lazy: true})
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

// TestFaultWorkOnDeadServer: Work, with no deadline, whose server is
// SIGKILLed under it and stays down, returns with an error naming the
// outcomes it could not store instead of retrying for ever.
func TestFaultWorkOnDeadServer(t *testing.T) {
	t.Parallel()
	s := testenv.StartRedis(t)
	d, err := goskredis.Open(context.Background(), s.URL, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[int](d, "dead", nil)
	require.NoError(t, err)
	faulttest.WorkOnDeadStore(t, q, s.Crash)
}
