package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeurl"
	"github.com/gosk/gosk/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testStore is a throwaway store of one durable driver, named by its URL.
type testStore struct {
	name, url string
}

// durableStores returns a fresh store of each durable driver: SQLite and
// bbolt files in a temporary folder, a throwaway PostgreSQL schema and a
// throwaway Redis key prefix, each removed when the test ends.
func durableStores(t *testing.T) []testStore {
	t.Helper()
	dir := t.TempDir()
	pgURL := testenv.PostgresURL(t)
	pg, err := url.Parse(pgURL)
	require.NoError(t, err)
	q := pg.Query()
	q.Set("schema", testenv.NewSchema(t, pgURL))
	pg.RawQuery = q.Encode()
	return []testStore{
		{"sqlite", "sqlite://" + filepath.Join(dir, "tasks.db")},
		{"bbolt", "bbolt://" + filepath.Join(dir, "tasks.bolt")},
		{"postgres", pg.String()},
		{"redis", redisStore(t)},
	}
}

// redisStore returns the test server's URL with a prefix no other test
// uses, whose keys are deleted when the test ends.
func redisStore(t *testing.T) string {
	t.Helper()
	raw := testenv.URL(t, testenv.RedisVar)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "gosk-cli-test:" + hex.EncodeToString(b) + ":"
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	q.Set("prefix", prefix)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		opts, err := goredis.ParseURL(raw)
		require.NoError(t, err)
		c := goredis.NewClient(opts)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 10000).Iterator()
		for iter.Next(ctx) {
			require.NoError(t, c.Unlink(ctx, iter.Val()).Err())
		}
		require.NoError(t, iter.Err())
	})
	return u.String()
}

// result is what one run of gosk printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// gosk runs the command in-process on the store at storeURL.
func runGosk(t *testing.T, storeURL string, args ...string) result {
	t.Helper()
	if storeURL != "" && len(args) > 0 {
		args = append([]string{args[0], "--url", storeURL}, args[1:]...)
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := run(ctx, args, &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// ok runs gosk and requires exit code 0 and nothing on stderr.
func ok(t *testing.T, storeURL string, args ...string) string {
	t.Helper()
	r := runGosk(t, storeURL, args...)
	require.Equal(t, exitOK, r.code, "gosk %s: stderr %q", strings.Join(args, " "), r.stderr)
	require.Empty(t, r.stderr, "gosk %s", strings.Join(args, " "))
	return r.stdout
}

// seeded is what seed stored.
type seeded struct {
	jsonTask, binTask, failed, completed, pending, report int64
}

// seed opens the store, fills it and closes it again (bbolt's file lock
// allows one opener): queue emails holds a pending task with a JSON
// payload, one with a binary payload, a failed one and a completed one
// with a result; queue reports holds one pending task.
func seed(t *testing.T, storeURL string) seeded {
	t.Helper()
	ctx := context.Background()
	s, err := storeurl.Open(ctx, storeURL)
	require.NoError(t, err)
	defer s.Close()
	d := s.Driver
	res, err := d.Create(ctx, []driver.NewTask{
		{Queue: "emails", Payload: []byte(`{"to": "ada@example.com"}`), MaxAttempts: 3},
		{Queue: "emails", Payload: []byte{0, 1, 2, 0xff}, MaxAttempts: 3},
		{Queue: "emails", Payload: []byte(`{"n":1}`), MaxAttempts: 1},
		{Queue: "emails", Payload: []byte(`{"n":2}`), MaxAttempts: 1},
		{Queue: "reports", Payload: []byte(`"monthly"`), MaxAttempts: 1},
	})
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
	}
	var sd seeded
	sd.jsonTask, sd.binTask, sd.failed, sd.completed, sd.report = res[0].ID, res[1].ID, res[2].ID, res[3].ID, res[4].ID
	sd.pending = sd.jsonTask
	finish := func(id int64, o driver.Outcome) {
		t.Helper()
		for {
			got, err := d.Claim(ctx, driver.ClaimParams{Queue: "emails", Rule: driver.Fifo, Limit: 1, Lease: time.Minute})
			require.NoError(t, err)
			require.Len(t, got, 1)
			if got[0].Task.ID != id {
				// Give it back, and claim the next.
				errs, err := d.Finish(ctx, []driver.Outcome{{Lease: got[0].Lease, Kind: driver.Release, KeepAttempt: true, Delay: time.Hour}})
				require.NoError(t, err)
				require.NoError(t, errs[0])
				continue
			}
			o.Lease = got[0].Lease
			errs, err := d.Finish(ctx, []driver.Outcome{o})
			require.NoError(t, err)
			require.NoError(t, errs[0])
			return
		}
	}
	finish(sd.failed, driver.Outcome{Kind: driver.Fail, Message: "smtp: 550 no such user\x1b[31m"})
	finish(sd.completed, driver.Outcome{Kind: driver.Complete, Result: []byte(`{"sent":true}`)})
	return sd
}
