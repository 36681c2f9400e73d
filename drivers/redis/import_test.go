package redis_test

import (
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
)

// imported is a pending task of queue q as its origin store held it.
func imported(q string, originID int64, at time.Time) driver.ImportTask {
	return driver.ImportTask{Origin: "origin", Task: driver.TaskRecord{
		ID: originID, Queue: q, Payload: []byte(q), State: driver.StatePending,
		MaxAttempts: 2, CreatedAt: at, RunAt: at,
	}}
}

// serverNow is the Redis server's clock, which the scripts go by.
func serverNow(t *testing.T, c goredis.UniversalClient) time.Time {
	t.Helper()
	now, err := c.Time(t.Context()).Result()
	require.NoError(t, err)
	return now
}

// A batch spanning queues in several slots is one script call per slot
// (one MULTI/EXEC on a single server, one pipeline on a cluster): each
// task lands in its queue, a held key is per queue, and a second import
// of the batch names the same tasks and stores nothing.
func TestImportAcrossQueues(t *testing.T) {
	t.Parallel()
	for name, client := range map[string]func(testing.TB) goredis.UniversalClient{
		"Single":  func(t testing.TB) goredis.UniversalClient { return singleClient(t) },
		"Cluster": func(t testing.TB) goredis.UniversalClient { return clusterClient(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := client(t)
			d := newDriver(t, c, nil)
			defer d.Close()
			ctx := t.Context()
			holder, err := d.Create(ctx, []driver.NewTask{{Queue: "a", Payload: []byte("h"), MaxAttempts: 1, UniqueKey: "k"}})
			require.NoError(t, err)
			now := serverNow(t, c)
			batch := []driver.ImportTask{imported("a", 1, now), imported("b", 2, now), imported("c", 3, now), imported("a", 4, now)}
			batch[1].Task.UniqueKey, batch[3].Task.UniqueKey = "k", "k"
			res, err := d.Import(ctx, batch)
			require.NoError(t, err)
			require.Len(t, res, len(batch))
			for _, i := range []int{0, 1, 2} {
				require.NoError(t, res[i].Err)
				require.True(t, res[i].Imported)
				rec, err := d.Get(ctx, res[i].ID)
				require.NoError(t, err)
				assert.Equal(t, batch[i].Task.Queue, rec.Queue)
			}
			require.ErrorIs(t, res[3].Err, driver.ErrDuplicate, "queue a's key is held; queue b's same key was free")
			require.Equal(t, holder[0].ID, res[3].ID)
			again, err := d.Import(ctx, batch)
			require.NoError(t, err)
			for _, i := range []int{0, 1, 2} {
				assert.False(t, again[i].Imported, "task %d imported twice", i)
				assert.NoError(t, again[i].Err)
				assert.Equal(t, res[i].ID, again[i].ID)
			}
			require.ErrorIs(t, again[3].Err, driver.ErrDuplicate)
		})
	}
}

// With Options.Retention set, the import script sweeps the queues that got
// final tasks, as Finish does: a task imported with a finalised-at older
// than the retention goes at once, by its finalised-at, and its origin
// stays recorded.
func TestImportSweepsByRetention(t *testing.T) {
	t.Parallel()
	c := singleClient(t)
	d := newDriver(t, c, &goskredis.Options{Retention: time.Hour})
	defer d.Close()
	ctx := t.Context()
	now := serverNow(t, c)
	old, recent := imported("q", 1, now.Add(-5*time.Hour)), imported("q", 2, now.Add(-5*time.Hour))
	old.Task.State, old.Task.Attempt, old.Task.FinalizedAt = driver.StateFailed, 2, now.Add(-3*time.Hour)
	recent.Task.State, recent.Task.Attempt, recent.Task.FinalizedAt = driver.StateFailed, 2, now.Add(-time.Minute)
	res, err := d.Import(ctx, []driver.ImportTask{old, recent})
	require.NoError(t, err)
	require.True(t, res[0].Imported)
	require.True(t, res[1].Imported)
	_, err = d.Get(ctx, res[0].ID)
	require.ErrorIs(t, err, driver.ErrTaskNotFound, "the task finalised before the retention is swept")
	_, err = d.Get(ctx, res[1].ID)
	require.NoError(t, err, "the recent task stays")
	again, err := d.Import(ctx, []driver.ImportTask{old})
	require.NoError(t, err)
	assert.False(t, again[0].Imported, "the swept task's origin is still recorded")
	assert.Equal(t, res[0].ID, again[0].ID)
}

// A pending task of a priority other than 0 whose created-at is ahead of
// the server's clock, with a run-at not after it (an origin whose clock
// runs ahead), is indexed as due, never in the delayed set: a claim under
// Fifo takes a task out of that set only when its run-at is after its
// created-at, so it would stay there, and a later Priority claim would
// hand the running task out again.
func TestImportAheadOfServerClockNeverClaimedTwice(t *testing.T) {
	t.Parallel()
	c := singleClient(t)
	d := newDriver(t, c, nil)
	defer d.Close()
	ctx := t.Context()
	now := serverNow(t, c)
	ahead := imported("q", 1, now.Add(2*time.Hour))
	ahead.Task.Priority, ahead.Task.RunAt = 5, now.Add(time.Hour)
	soon := imported("q", 2, now.Add(time.Hour))
	soon.Task.Priority, soon.Task.RunAt = 5, now.Add(300*time.Millisecond)
	later := imported("q", 3, now.Add(-time.Hour))
	later.Task.Priority, later.Task.RunAt = 5, now.Add(time.Hour)
	res, err := d.Import(ctx, []driver.ImportTask{ahead, soon, later})
	require.NoError(t, err)
	delayed, err := c.ZRange(ctx, goskredis.DelayedKey(d, "q"), 0, -1).Result()
	require.NoError(t, err)
	assert.Equal(t, []string{fmt.Sprintf("%016d", res[2].ID)}, delayed,
		"only the task created before its run-at waits in the delayed set")
	var first []driver.ClaimedTask
	require.Eventually(t, func() bool {
		first, err = d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 1, Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		return len(first) == 1
	}, 5*time.Second, 5*time.Millisecond, "a Fifo claim takes the task once its run-at has come")
	require.Equal(t, res[1].ID, first[0].Task.ID)
	again, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 3, Rule: driver.Priority, Lease: time.Minute})
	require.NoError(t, err)
	for _, c := range again {
		assert.NotEqual(t, res[1].ID, c.Task.ID, "a running task is not handed out again")
	}
}

// BenchmarkImport stores batches of 500 pending tasks of 100 bytes by
// Import and, for comparison, by Create; one op is one task.
func BenchmarkImport(b *testing.B) {
	const size = 500
	client := singleClient(b)
	payload := make([]byte, 100)
	b.Run("Create", func(b *testing.B) {
		d := newDriver(b, client, nil)
		defer d.Close()
		batch := make([]driver.NewTask, size)
		for i := range batch {
			batch[i] = driver.NewTask{Queue: "bench", Payload: payload, MaxAttempts: 3}
		}
		for done := 0; done < b.N; done += size {
			if _, err := d.Create(b.Context(), batch[:min(size, b.N-done)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Import", func(b *testing.B) {
		d := newDriver(b, client, nil)
		defer d.Close()
		now := time.Now()
		batch := make([]driver.ImportTask, size)
		for done := 0; done < b.N; done += size {
			n := min(size, b.N-done)
			for i := range n {
				batch[i] = driver.ImportTask{Origin: "bench", Task: driver.TaskRecord{
					ID: int64(done + i + 1), Queue: "bench", Payload: payload, State: driver.StatePending,
					MaxAttempts: 3, CreatedAt: now, RunAt: now,
				}}
			}
			if _, err := d.Import(b.Context(), batch[:n]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
