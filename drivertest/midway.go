package drivertest

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// midwayRules are the rules of a Create whose context ends while the
// store works on it.
var midwayRules = []rule{
	{name: "CreateCancelledMidwayStoresAllOrNothing", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		// Large batches one at a time, which a store may write and answer
		// slowly, and small ones from many goroutines at once, which a
		// store may write together (PostgreSQL's grouped creates).
		f.createsCancelledMidway(f.queue(), midwayLarge, 1, midwayCalls)
		f.createsCancelledMidway(f.queue(), midwaySmall, midwayWriters, midwayCalls)
	}},
	{name: "ClaimCancelledMidwayLeasesOnlyWhatItReturns", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		const limit = 20
		// Every third payload is 2 KiB: a store may read large payloads
		// in a second step after the claim (Redis, SQLite), which must
		// not fail the claim either.
		tasks := make([]driver.NewTask, midwayWriters*midwayCalls*limit+3*limit)
		for i := range tasks {
			tasks[i] = task(q, strconv.Itoa(i))
			if i%3 == 0 {
				tasks[i].Payload = bytes.Repeat([]byte{'c'}, 2048)
			}
		}
		f.create(tasks...)
		// A claim's time, the quickest of three: one stalled by a busy
		// machine would set every deadline past the calls it should cut.
		returned, took := 0, time.Duration(math.MaxInt64)
		for range 3 {
			start := time.Now()
			returned += len(f.claim(q, driver.Fifo, limit, longLease))
			took = min(took, time.Since(start))
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range midwayWriters {
			wg.Go(func() {
				for range midwayCalls {
					ctx, cancel := context.WithTimeout(f.ctx, took/5+rand.N(took*3/2+1))
					got, err := f.d.Claim(ctx, driver.ClaimParams{Queue: q, Limit: limit, Rule: driver.Fifo, Lease: longLease})
					cancel()
					if err == nil {
						mu.Lock()
						returned += len(got)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		counts, err := f.admin().Count(f.ctx, q)
		require.NoError(t, err, "Count")
		require.EqualValues(t, returned, counts[driver.StateRunning], "rule: a Claim whose context ended midway and that returned an error leased nothing: every running task was returned by a Claim (the others sit leased to nobody, an attempt used up)")
	}},
}

// Sizes of CreateCancelledMidwayStoresAllOrNothing: batches large enough
// that the store takes a while to write them and to answer (a store that
// writes a batch with a statement that commits by itself may have
// committed it while its answer travels back), few enough to be quick.
const (
	midwayLarge   = 300
	midwaySmall   = 40
	midwayWriters = 8
	midwayCalls   = 30 // per writer
)

// createsCancelledMidway makes calls Creates of size tasks from each of
// writers goroutines into queue q, each with a context that ends at a
// random point of the call, and checks each answer against the store:
// a call that returned an error stored none of its batch, and one that
// returned none stored all of it.
func (f *fixture) createsCancelledMidway(q string, size, writers, calls int) {
	t := f.t
	batch := func(n int) []driver.NewTask {
		tasks := make([]driver.NewTask, size)
		for i := range tasks {
			tasks[i] = task(q, strconv.Itoa(n))
			if n%2 == 0 && i%2 == 0 {
				tasks[i].UniqueKey = strconv.Itoa(n) + "-" + strconv.Itoa(i)
			}
		}
		return tasks
	}
	// The contexts end from before a call reaches the store to after it
	// is answered: a call takes about as long as this first one.
	start := time.Now()
	f.create(batch(0)...)
	took := time.Since(start)
	var mu sync.Mutex
	answers := make(map[string]error, writers*calls)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for c := range calls {
				n := 1 + w*calls + c
				ctx, cancel := context.WithTimeout(f.ctx, took/5+rand.N(took*3/2+1))
				_, err := f.d.Create(ctx, batch(n))
				cancel()
				mu.Lock()
				answers[strconv.Itoa(n)] = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	stored := f.payloadCounts(q)
	for n, err := range answers {
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded, "a Create whose context ended returns the context's error")
			require.Zero(t, stored[n], "rule: a Create of %d tasks whose context ended midway and that returned an error (%v) stored none of its batch", size, err)
		} else {
			require.Equal(t, size, stored[n], "rule: a Create that returned no error stored its whole batch")
		}
	}
}

// payloadCounts counts the tasks of queue by payload, in every state.
func (f *fixture) payloadCounts(queue string) map[string]int {
	f.t.Helper()
	counts := map[string]int{}
	a, ok := f.d.(driver.Admin)
	if !ok {
		// Without Admin, claim them: each task is claimed once.
		for {
			got := f.claim(queue, driver.Fifo, 1000, longLease)
			if len(got) == 0 {
				return counts
			}
			for _, c := range got {
				counts[string(c.Task.Payload)]++
			}
		}
	}
	var after int64
	for {
		recs, err := a.List(f.ctx, driver.ListParams{Queue: queue, AfterID: after, Limit: 1000})
		require.NoError(f.t, err, "List")
		if len(recs) == 0 {
			return counts
		}
		for _, r := range recs {
			counts[string(r.Payload)]++
			after = r.ID
		}
	}
}
