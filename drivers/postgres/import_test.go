package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// Importers of one origin's tasks, each batch in another order, racing
// creates of the same unique keys in reverse order: no call fails (the
// origin records and the keyed rows are locked in one order whatever the
// batch's, so no deadlock), each origin task is stored at most once, and
// each key ends held by exactly one pending task.
func TestImportsAndCreatesOfSharedKeys(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	const (
		tasks     = 100
		importers = 6
		creators  = 2
	)
	for round := range 3 {
		q := fmt.Sprintf("imp%d", round)
		now := time.Now()
		batch := func(first int) []driver.ImportTask {
			b := make([]driver.ImportTask, tasks)
			for k := range tasks {
				i := (first + k) % tasks
				b[k] = driver.ImportTask{Origin: "elsewhere", Task: driver.TaskRecord{
					ID: int64(i + 1), Queue: q, Payload: []byte("p"), State: driver.StatePending,
					MaxAttempts: 1, UniqueKey: fmt.Sprint("k", i), CreatedAt: now, RunAt: now,
				}}
			}
			return b
		}
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			imports = make([][]driver.ImportResult, importers)
			batches = make([][]driver.ImportTask, importers)
			errs    = make([]error, importers+creators)
		)
		for g := range importers {
			batches[g] = batch(g * 3)
			wg.Go(func() {
				<-start
				imports[g], errs[g] = d.Import(ctx, batches[g])
			})
		}
		for c := range creators {
			wg.Go(func() {
				<-start
				news := make([]driver.NewTask, tasks)
				for k := range news {
					news[k] = driver.NewTask{Queue: q, Payload: []byte("c"), MaxAttempts: 1, UniqueKey: fmt.Sprint("k", tasks-1-k)}
				}
				_, errs[importers+c] = d.Create(ctx, news)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "round %d, caller %d", round, i)
		}
		became := map[int64]int64{} // origin task ID -> the task it became
		stores := map[int64]int{}   // origin task ID -> calls that stored it
		for g, res := range imports {
			require.Len(t, res, tasks)
			for k, r := range res {
				origin := batches[g][k].Task.ID
				if r.Err != nil {
					require.ErrorIs(t, r.Err, driver.ErrDuplicate)
					continue
				}
				if r.Imported {
					stores[origin]++
				}
				if id, ok := became[origin]; ok {
					assert.Equal(t, id, r.ID, "round %d: origin task %d answered with two IDs", round, origin)
				}
				became[origin] = r.ID
			}
		}
		for origin, n := range stores {
			assert.Equal(t, 1, n, "round %d: origin task %d stored by %d calls", round, origin, n)
		}
		counts, err := d.Count(ctx, q)
		require.NoError(t, err)
		assert.Equal(t, int64(tasks), counts[driver.StatePending], "round %d: one pending task per key", round)
		claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: q, Limit: 2 * tasks, Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		keys := map[string]int{}
		for _, c := range claimed {
			keys[c.Task.UniqueKey]++
		}
		assert.Len(t, keys, tasks, "round %d: every key is held", round)
	}
}

// BenchmarkImport stores batches of 500 pending tasks of 100 bytes by
// Import and, for comparison, by Create; one op is one task.
func BenchmarkImport(b *testing.B) {
	const size = 500
	payload := make([]byte, 100)
	b.Run("Create", func(b *testing.B) {
		d := newDriver(b)
		ctx := context.Background()
		batch := make([]driver.NewTask, size)
		for i := range batch {
			batch[i] = driver.NewTask{Queue: "bench", Payload: payload, MaxAttempts: 3}
		}
		for done := 0; done < b.N; done += size {
			if _, err := d.Create(ctx, batch[:min(size, b.N-done)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Import", func(b *testing.B) {
		d := newDriver(b)
		ctx := context.Background()
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
			if _, err := d.Import(ctx, batch[:n]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
