package bbolt_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
)

// TestFileSize measures the file after GOSK_BBOLT_FILESIZE tasks (for
// example 100000) have been created, claimed and completed, after purging
// them, and after compacting the file. It is a measurement, not a check,
// so it runs only when the variable is set:
//
//	GOSK_BBOLT_FILESIZE=100000 go test -run TestFileSize -v ./drivers/bbolt/
//
// GOSK_BBOLT_FILESIZE_BATCH sets how many tasks each create, claim and
// finish call handles (default 1000; a worker of 16 handlers makes
// batches of about 16).
func TestFileSize(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GOSK_BBOLT_FILESIZE"))
	if n <= 0 {
		t.Skip("a measurement: set GOSK_BBOLT_FILESIZE to a number of tasks (e.g. 100000) to run it")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "gosk.db")
	d, err := goskbbolt.Open(path, nil)
	require.NoError(t, err)
	ctx := context.Background()
	payload := []byte(`{"image":"photo-000123.jpg","width":128,"user":"someone@example.com"}`)
	batch := 1000
	if b, _ := strconv.Atoi(os.Getenv("GOSK_BBOLT_FILESIZE_BATCH")); b > 0 {
		batch = b
	}
	start := time.Now()
	for done := 0; done < n; done += batch {
		tasks := make([]driver.NewTask, min(batch, n-done))
		for i := range tasks {
			tasks[i] = driver.NewTask{Queue: "q", Payload: payload, MaxAttempts: 3}
		}
		_, err := d.Create(ctx, tasks)
		require.NoError(t, err)
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: len(tasks), Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		require.Len(t, got, len(tasks))
		outs := make([]driver.Outcome, len(got))
		for i, c := range got {
			outs[i] = driver.Outcome{Lease: c.Lease, Kind: driver.Complete}
		}
		errs, err := d.Finish(ctx, outs)
		require.NoError(t, err)
		for _, e := range errs {
			require.NoError(t, e)
		}
	}
	counts, err := d.Count(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, int64(n), counts[driver.StateCompleted])
	t.Logf("%d tasks created, claimed and completed in batches of %d in %v", n, batch, time.Since(start).Round(time.Millisecond))
	t.Logf("file size with %d completed tasks: %s", n, fileSize(t, path))
	require.NoError(t, d.Close())
	t.Logf("the same, compacted: %s", compact(t, path, filepath.Join(dir, "full-compacted.db")))
	d, err = goskbbolt.Open(path, nil)
	require.NoError(t, err)

	purged := 0
	for {
		k, err := d.Purge(ctx, driver.PurgeParams{Queue: "q"})
		require.NoError(t, err)
		purged += k
		if k < driver.DefaultPurgeLimit {
			break
		}
	}
	require.Equal(t, n, purged)
	t.Logf("file size after purging them: %s", fileSize(t, path))
	require.NoError(t, d.Close())

	t.Logf("file size after bolt.Compact: %s", compact(t, path, filepath.Join(dir, "compacted.db")))
}

// compact copies the bbolt file at path into a compacted file at to and
// returns the new file's size.
func compact(t *testing.T, path, to string) string {
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer src.Close()
	dst, err := bolt.Open(to, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, bolt.Compact(dst, src, 1<<20))
	require.NoError(t, dst.Close())
	return fileSize(t, to)
}

func fileSize(t *testing.T, path string) string {
	st, err := os.Stat(path)
	require.NoError(t, err)
	return strconv.FormatFloat(float64(st.Size())/(1<<20), 'f', 1, 64) + " MiB"
}
