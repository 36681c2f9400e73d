package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeurl"
)

// moveTasks is how many pending tasks TestMove moves between each pair of
// durable drivers: 100,000, or 5,000 under the race detector, whose
// instrumentation of the pure-Go SQLite makes the full count take most of
// an hour (make test runs TestMove a second time without it, at the full
// count). moveFailed is how many failed tasks it copies as history, and
// moveBatch the batch size of the moves.
var moveTasks = map[bool]int{false: 100_000, true: 5_000}[raceDetector]

const (
	moveFailed = 10
	moveBatch  = 2000
)

// TestMove moves moveTasks pending tasks, and the history, from each
// durable driver to each other: a first run stopped half-way, a second
// run through the command that finishes it, and a third that finds
// nothing left. Every task is then on the destination exactly once, with
// its payload, unique key and run-at, and cancelled on the source.
func TestMove(t *testing.T) {
	kinds := []string{"sqlite", "bbolt", "postgres", "redis"}
	for i, from := range kinds {
		for j, to := range kinds {
			if i == j {
				continue
			}
			t.Run(from+"-to-"+to, func(t *testing.T) {
				t.Parallel()
				stores := durableStores(t)
				testMove(t, stores[i].url, stores[j].url)
			})
		}
	}
}

func testMove(t *testing.T, src, dst string) {
	ctx := context.Background()
	began := time.Now()
	want := seedMove(t, src)
	t.Logf("seeded %d tasks in %v", len(want), time.Since(began).Round(time.Millisecond))

	// A first run that stops part of the way.
	from, err := storeurl.Open(ctx, src)
	require.NoError(t, err)
	to, err := storeurl.Open(ctx, dst)
	require.NoError(t, err)
	origin, err := storeurl.Identity(src)
	require.NoError(t, err)
	stop, cancel := context.WithCancel(ctx)
	var batches atomic.Int32
	stopAfter := max(1, moveTasks/moveBatch/5) // batches of the first run, all in queue a
	_, err = gosk.Move(stop, from.Driver, to.Driver, &gosk.MoveOptions{Origin: origin, BatchSize: moveBatch, Progress: func(gosk.MoveReport) {
		if batches.Add(1) == int32(stopAfter) {
			cancel()
		}
	}})
	cancel()
	require.ErrorIs(t, err, context.Canceled, "the first run stops half-way")
	require.NoError(t, from.Close())
	require.NoError(t, to.Close())

	t.Logf("first run stopped after %v", time.Since(began).Round(time.Millisecond))

	// The command finishes it, and a third run moves nothing.
	r := runGosk(t, "", "move", "--history", "--batch", strconv.Itoa(moveBatch), src, dst)
	require.Equal(t, exitOK, r.code, r.stderr)
	out := r.stdout
	assert.Contains(t, r.stderr, "moving a: ", "progress on stderr")
	assert.Contains(t, out, fmt.Sprintf("a: moved %d", moveTasks*3/5-stopAfter*moveBatch), "the second run moves what the first left\n%s", out)
	assert.Contains(t, out, fmt.Sprintf("b: moved %d (resumed 0, lapsed 0), copied %d", moveTasks*2/5, moveFailed), out)
	var lines []moveLine
	r = runGosk(t, "", "move", "--history", "--json", src, dst)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &lines))
	assert.Equal(t, []moveLine{{Queue: "a", WasPaused: true}, {Queue: "b", WasPaused: true}}, lines, "a third run moves nothing")

	t.Logf("moved after %v", time.Since(began).Round(time.Millisecond))
	checkMoved(t, dst, want)
	t.Logf("checked after %v", time.Since(began).Round(time.Millisecond))
	s, err := storeurl.Open(ctx, src)
	require.NoError(t, err)
	defer s.Close()
	a := s.Driver.(driver.Admin)
	for q, n := range map[string]int64{"a": int64(moveTasks * 3 / 5), "b": int64(moveTasks * 2 / 5)} {
		counts, err := a.Count(ctx, q)
		require.NoError(t, err)
		assert.Zero(t, counts[driver.StatePending], "%s: nothing is left pending on the source", q)
		assert.Equal(t, n, counts[driver.StateCancelled], "%s: every moved task is cancelled on the source", q)
	}
}

// seedMove fills src with moveTasks pending tasks, 3/5 in queue a and
// 2/5 in queue b, every tenth with a unique key and every seventh delayed
// by an hour, and moveFailed failed tasks in b. It returns each task's
// record by payload.
func seedMove(t *testing.T, src string) map[string]driver.TaskRecord {
	ctx := context.Background()
	s, err := storeurl.Open(ctx, src)
	require.NoError(t, err)
	defer s.Close()
	d := s.Driver
	failing := make([]driver.NewTask, moveFailed)
	for i := range failing {
		failing[i] = driver.NewTask{Queue: "b", Payload: []byte("failed-" + strconv.Itoa(i)), MaxAttempts: 1}
	}
	_, err = d.Create(ctx, failing)
	require.NoError(t, err)
	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "b", Rule: driver.Fifo, Limit: moveFailed, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, moveFailed)
	outcomes := make([]driver.Outcome, moveFailed)
	for i, c := range claimed {
		outcomes[i] = driver.Outcome{Lease: c.Lease, Kind: driver.Fail, Message: "gave up on " + string(c.Task.Payload)}
	}
	_, err = d.Finish(ctx, outcomes)
	require.NoError(t, err)

	batch := make([]driver.NewTask, 0, 5000)
	flush := func() {
		res, err := d.Create(ctx, batch)
		require.NoError(t, err)
		for _, r := range res {
			require.NoError(t, r.Err)
		}
		batch = batch[:0]
	}
	for i := range moveTasks {
		nt := driver.NewTask{Queue: "a", Payload: []byte("task-" + strconv.Itoa(i)), MaxAttempts: 5, Priority: i % 3}
		if i >= moveTasks*3/5 {
			nt.Queue = "b"
		}
		if i%10 == 0 {
			nt.UniqueKey = "key-" + strconv.Itoa(i)
		}
		if i%7 == 0 {
			nt.Delay = time.Hour
		}
		batch = append(batch, nt)
		if len(batch) == cap(batch) {
			flush()
		}
	}
	flush()
	want := make(map[string]driver.TaskRecord, moveTasks+moveFailed)
	a := d.(driver.Admin)
	for _, q := range []string{"a", "b"} {
		for r := range listAll(t, a, q) {
			want[string(r.Payload)] = r
		}
	}
	require.Len(t, want, moveTasks+moveFailed)
	return want
}

// listAll yields every task of queue q, in ID order.
func listAll(t *testing.T, a driver.Admin, q string) func(func(driver.TaskRecord) bool) {
	return func(yield func(driver.TaskRecord) bool) {
		var after int64
		for {
			recs, err := a.List(context.Background(), driver.ListParams{Queue: q, AfterID: after, Limit: 5000})
			require.NoError(t, err)
			if len(recs) == 0 {
				return
			}
			for _, r := range recs {
				if !yield(r) {
					return
				}
			}
			after = recs[len(recs)-1].ID
		}
	}
}

// checkMoved checks that dst holds each task of want once, as it was.
func checkMoved(t *testing.T, dst string, want map[string]driver.TaskRecord) {
	s, err := storeurl.Open(context.Background(), dst)
	require.NoError(t, err)
	defer s.Close()
	a := s.Driver.(driver.Admin)
	seen := make(map[string]bool, len(want))
	bad := 0
	for _, q := range []string{"a", "b"} {
		for r := range listAll(t, a, q) {
			p := string(r.Payload)
			w, ok := want[p]
			switch {
			case !ok || seen[p]:
				bad++
				assert.False(t, seen[p], "task %q is on the destination twice", p)
				assert.True(t, ok, "task %q was never created", p)
			case r.Queue != w.Queue || r.State != w.State || r.UniqueKey != w.UniqueKey || r.Priority != w.Priority ||
				r.Attempt != w.Attempt || r.MaxAttempts != w.MaxAttempts || r.LastError != w.LastError ||
				!r.RunAt.Equal(w.RunAt.Truncate(time.Microsecond)) || !r.CreatedAt.Equal(w.CreatedAt.Truncate(time.Microsecond)):
				bad++
				assert.Equal(t, w, r, "task %q moved with its record", p)
			}
			seen[p] = true
			if bad > 5 {
				t.FailNow()
			}
		}
	}
	assert.Len(t, seen, len(want), "every task is on the destination")
}

// The command's refusals: usage errors, before any store is touched.
func TestMoveUsage(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + dir + "/a.db"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"move", db}, "two arguments"},
		{[]string{"move", db, "sqlite://" + dir + "/../" + dir[strings.LastIndex(dir, "/")+1:] + "/a.db"}, "the same store"},
		{[]string{"move", db, "memory:"}, "memory: is a store of this process only"},
		{[]string{"move", "--batch", "0", db, "bbolt://" + dir + "/b.bolt"}, "--batch 0"},
		{[]string{"move", "--queues", "a,no spaces", db, "bbolt://" + dir + "/b.bolt"}, "--queues"},
		{[]string{"move", "ftp://x", db}, "SRC"},
	} {
		r := runGosk(t, "", c.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
	}
}
