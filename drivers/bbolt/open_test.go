package bbolt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
)

// Each mistake a new user makes with Open gets one message that says what
// is wrong and where, naming the path once.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir", "tasks.db")
	cases := []struct {
		name    string
		path    string
		opts    *goskbbolt.Options
		invalid bool
		want    []string
	}{
		{"empty path", "", nil, true, []string{"path is empty"}},
		{"missing directory", missing, nil, false, []string{"open " + missing + ": no such file or directory"}},
		{"a directory, not a file", dir, nil, false, []string{"open " + dir + ": "}},
		{"negative payload limit", filepath.Join(dir, "x.db"), &goskbbolt.Options{MaxPayloadLen: -1}, true, []string{"Options.MaxPayloadLen"}},
		{"negative lock timeout", filepath.Join(dir, "x.db"), &goskbbolt.Options{LockTimeout: -1}, true, []string{"Options.LockTimeout"}},
	}
	for _, c := range cases {
		_, err := goskbbolt.Open(context.Background(), c.path, c.opts)
		require.Error(t, err, c.name)
		msg := err.Error()
		t.Logf("%s: %s", c.name, msg)
		assert.Equal(t, c.invalid, errors.Is(err, driver.ErrInvalid), "%s: ErrInvalid exactly for a bad argument: %s", c.name, msg)
		for _, w := range c.want {
			assert.Contains(t, msg, w, "%s: the message says what is wrong and where", c.name)
		}
		assert.Equal(t, 1, strings.Count(msg, "gosk/bbolt:"), "%s: one prefix: %s", c.name, msg)
		if c.path != "" {
			assert.LessOrEqual(t, strings.Count(msg, c.path), 1, "%s: the path is named at most once: %s", c.name, msg)
		}
	}
	_, err := os.Stat(filepath.Join(dir, "x.db"))
	assert.ErrorIs(t, err, os.ErrNotExist, "refused options create no file")
}

// A bucket name that tries to reach outside its own bucket is refused at
// Open and New, and nothing runs: no file, no bucket.
func TestBucketInjectionRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "shared.db"), 0o600, nil)
	require.NoError(t, err)
	defer db.Close() //nolint:errcheck
	hostile := []string{"x\x00y", "x y", "x'", `x"`, "x*", "x{y}", "x\\y", "x\ny", "x\xff", "é", strings.Repeat("b", goskbbolt.MaxBucketNameLen+1)}
	for i, b := range hostile {
		file := filepath.Join(dir, "open"+string(rune('a'+i))+".db")
		_, err := goskbbolt.Open(context.Background(), file, &goskbbolt.Options{Bucket: b})
		require.ErrorIs(t, err, driver.ErrInvalid, "bucket %q", b)
		assert.Contains(t, err.Error(), "Options.Bucket", "the error names the option")
		_, statErr := os.Stat(file)
		assert.ErrorIs(t, statErr, os.ErrNotExist, "Open with bucket %q creates no file", b)
		_, err = goskbbolt.New(context.Background(), db, &goskbbolt.Options{Bucket: b})
		require.ErrorIs(t, err, driver.ErrInvalid, "New with bucket %q", b)
	}
	var buckets []string
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			buckets = append(buckets, string(name))
			return nil
		})
	}))
	assert.Empty(t, buckets, "a refused bucket name creates no bucket")
}

// Open and New take a context as every adapter's Open does: a done one
// stops them before they touch the file, and a deadline sooner than
// Options.LockTimeout shortens the wait for a lock that another driver
// holds.
func TestOpenHonoursItsContext(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tasks.db")
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := goskbbolt.Open(done, path, nil)
	require.ErrorIs(t, err, context.Canceled)
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "a cancelled Open creates no file")

	db, err := bolt.Open(filepath.Join(t.TempDir(), "app.db"), 0o600, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = goskbbolt.New(done, db, nil)
	require.ErrorIs(t, err, context.Canceled)

	holder, err := goskbbolt.Open(context.Background(), path, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = holder.Close() })
	ctx, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	_, err = goskbbolt.Open(ctx, path, &goskbbolt.Options{LockTimeout: time.Hour})
	require.ErrorIs(t, err, context.DeadlineExceeded, "the context's deadline, not the hour of LockTimeout, ends the wait")
	assert.Contains(t, err.Error(), "locked")
}
