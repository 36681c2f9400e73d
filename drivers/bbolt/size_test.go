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

// TestFileSize runs tasks through a file, purges them, and runs as many
// again: bbolt never shrinks a file, but the pages a purge frees must be
// reused, so a steady workload with retention does not grow the file
// without bound. It logs the sizes it sees; for the figures of a large run,
// set GOSK_BBOLT_FILESIZE to the number of tasks (default 5000):
//
//	GOSK_BBOLT_FILESIZE=100000 go test -run TestFileSize -v ./drivers/bbolt/
//
// GOSK_BBOLT_FILESIZE_BATCH sets how many tasks each create, claim and
// finish call handles (default 1000; a worker of 16 handlers makes
// batches of about 16).
func TestFileSize(t *testing.T) {
	t.Parallel()
	n := 5000
	if v, _ := strconv.Atoi(os.Getenv("GOSK_BBOLT_FILESIZE")); v > 0 {
		n = v
	}
	batch := 1000
	if b, _ := strconv.Atoi(os.Getenv("GOSK_BBOLT_FILESIZE_BATCH")); b > 0 {
		batch = b
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "gosk.db")
	ctx := context.Background()

	start := time.Now()
	d, err := goskbbolt.Open(context.Background(), path, nil)
	require.NoError(t, err)
	completeAll(ctx, t, d, n, batch)
	t.Logf("%d tasks created, claimed and completed in batches of %d in %v", n, batch, time.Since(start).Round(time.Millisecond))
	full := fileSize(t, path)
	t.Logf("file size with %d completed tasks: %s", n, mib(full))
	require.NoError(t, d.Close())
	t.Logf("the same, compacted: %s", mib(compact(t, path, filepath.Join(dir, "full-compacted.db"))))

	d, err = goskbbolt.Open(context.Background(), path, nil)
	require.NoError(t, err)
	require.Equal(t, n, purgeAll(ctx, t, d), "every completed task is purged")
	t.Logf("file size after purging them: %s", mib(fileSize(t, path)))

	completeAll(ctx, t, d, n, batch)
	require.Equal(t, n, purgeAll(ctx, t, d))
	again := fileSize(t, path)
	t.Logf("file size after as many again, purged: %s", mib(again))
	require.LessOrEqual(t, again, full+full/4, "the second round reuses the pages the purge freed")
	require.NoError(t, d.Close())

	compacted := compact(t, path, filepath.Join(dir, "compacted.db"))
	t.Logf("file size after bolt.Compact: %s", mib(compacted))
	require.Less(t, compacted, full/4, "an empty store compacts to a small file")
}

// completeAll creates, claims and completes n tasks in batches.
func completeAll(ctx context.Context, t *testing.T, d *goskbbolt.Driver, n, batch int) {
	t.Helper()
	payload := []byte(`{"image":"photo-000123.jpg","width":128,"user":"someone@example.com"}`)
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
}

// purgeAll purges the queue in bounded batches until nothing is left and
// returns how many tasks it deleted.
func purgeAll(ctx context.Context, t *testing.T, d *goskbbolt.Driver) int {
	t.Helper()
	purged := 0
	for {
		k, err := d.Purge(ctx, driver.PurgeParams{Queue: "q"})
		require.NoError(t, err)
		purged += k
		if k < driver.DefaultPurgeLimit {
			return purged
		}
	}
}

// compact copies the bbolt file at path into a compacted file at to and
// returns the new file's size.
func compact(t *testing.T, path, to string) int64 {
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer src.Close()
	dst, err := bolt.Open(to, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, bolt.Compact(dst, src, 1<<20))
	require.NoError(t, dst.Close())
	return fileSize(t, to)
}

func fileSize(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Size()
}

func mib(size int64) string {
	return strconv.FormatFloat(float64(size)/(1<<20), 'f', 1, 64) + " MiB"
}
