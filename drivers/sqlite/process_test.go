package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
)

// crashChildEnv, set to "MODE:PATH", makes the test binary a child process
// working on the database at PATH instead of running tests; see crashChild.
const crashChildEnv = "GOSK_SQLITE_TEST_CHILD"

// crashChild is the body of a child process:
//
//   - "crash": creates, claims, pings and finishes tasks for ever, printing
//     a line after each committed round, until it is killed;
//   - "share": claims tasks of queue "shared" one by one with a long lease,
//     printing "claimed ID" for each and completing it, until none is left.
func crashChild() {
	mode, path, _ := strings.Cut(os.Getenv(crashChildEnv), ":")
	ctx := context.Background()
	d, err := gosksqlite.Open(ctx, path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	switch mode {
	case "crash":
		var maxID int64
		for round := 0; ; round++ {
			batch := make([]driver.NewTask, 20)
			for i := range batch {
				batch[i] = driver.NewTask{Queue: "crash", Payload: []byte(strconv.Itoa(round)), MaxAttempts: 2,
					UniqueKey: fmt.Sprintf("k%d", (round*20+i)%50)}
			}
			created, err := d.Create(ctx, batch)
			if err != nil {
				fail(err)
			}
			for _, c := range created {
				maxID = max(maxID, c.ID)
			}
			claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "crash", Limit: 15, Rule: driver.Priority, Lease: time.Minute})
			if err != nil {
				fail(err)
			}
			leases := make([]driver.Lease, len(claimed))
			outcomes := make([]driver.Outcome, len(claimed))
			for i, c := range claimed {
				leases[i] = c.Lease
				outcomes[i] = driver.Outcome{Lease: c.Lease, Kind: []driver.OutcomeKind{driver.Complete, driver.Release, driver.Fail}[i%3]}
			}
			if _, err := d.Ping(ctx, leases, time.Minute); err != nil {
				fail(err)
			}
			// Keep a few running, so the file holds live leases when killed.
			if len(outcomes) > 2 {
				outcomes = outcomes[2:]
			}
			if _, err := d.Finish(ctx, outcomes); err != nil {
				fail(err)
			}
			fmt.Println("round", round, "created up to", maxID)
		}
	case "share":
		for {
			claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "shared", Rule: driver.Fifo, Lease: time.Hour})
			if err != nil {
				fail(err)
			}
			if len(claimed) == 0 {
				break
			}
			fmt.Println("claimed", claimed[0].Task.ID)
			if _, err := d.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Complete}}); err != nil {
				fail(err)
			}
		}
		_ = d.Close()
	default:
		fail(fmt.Errorf("unknown mode %q", mode))
	}
}

// child starts the test binary as a child process in mode on path.
func child(t *testing.T, mode, path string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+mode+":"+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	return cmd, bufio.NewScanner(out)
}

// TestTwoProcessesShareTheWork has a child process and two handles of this
// process claim from one file at once, and checks that every task was
// handed out exactly once (leases are long: none runs out) and completed.
func TestTwoProcessesShareTheWork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	const n = 300
	a, err := gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer a.Close()
	b, err := gosksqlite.Open(ctx, path, nil) // a second *sql.DB on the same file
	require.NoError(t, err)
	defer b.Close()
	batch := make([]driver.NewTask, n)
	for i := range batch {
		batch[i] = driver.NewTask{Queue: "shared", Payload: []byte{byte(i)}, MaxAttempts: 1}
	}
	_, err = a.Create(ctx, batch)
	require.NoError(t, err)

	var mu sync.Mutex
	claims := make(map[int64]int)
	record := func(id int64) {
		mu.Lock()
		defer mu.Unlock()
		claims[id]++
	}
	cmd, lines := child(t, "share", path)
	var wg sync.WaitGroup
	wg.Go(func() {
		for lines.Scan() {
			if id, ok := strings.CutPrefix(lines.Text(), "claimed "); ok {
				v, err := strconv.ParseInt(id, 10, 64)
				if err == nil {
					record(v)
				}
			}
		}
	})
	errs := make(chan error, 8)
	for i := range 8 {
		d := a
		if i%2 == 1 {
			d = b
		}
		wg.Go(func() {
			for {
				claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "shared", Limit: 3, Rule: driver.Fifo, Lease: time.Hour})
				if err != nil {
					errs <- err
					return
				}
				if len(claimed) == 0 {
					return
				}
				outcomes := make([]driver.Outcome, len(claimed))
				for j, c := range claimed {
					record(c.Task.ID)
					outcomes[j] = driver.Outcome{Lease: c.Lease, Kind: driver.Complete}
				}
				if _, err := d.Finish(ctx, outcomes); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, cmd.Wait(), "the child process ends cleanly")
	close(errs)
	for err := range errs {
		require.NoError(t, err, "no claim or finish fails, SQLITE_BUSY included")
	}
	require.Len(t, claims, n, "every task was claimed")
	for id, times := range claims {
		require.Equal(t, 1, times, "task %d was handed out %d times under a live lease", id, times)
	}
	count, err := b.Count(ctx, "shared")
	require.NoError(t, err)
	require.EqualValues(t, n, count[driver.StateCompleted])
}

// TestCrashLeavesTheFileConsistent kills a child process while it writes,
// reopens the file and checks it: SQLite's integrity check, every task's
// fields consistent with its state, unique keys held once, and the tasks
// left still workable to the end.
func TestCrashLeavesTheFileConsistent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd, lines := child(t, "crash", path)
	rounds := 0
	var lastID int64
	for rounds < 20 && lines.Scan() {
		rounds++
		_, id, _ := strings.Cut(lines.Text(), "created up to ")
		lastID, _ = strconv.ParseInt(id, 10, 64)
	}
	require.Equal(t, 20, rounds, "the child works before it is killed")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	raw, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	var check string
	require.NoError(t, raw.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check))
	require.Equal(t, "ok", check)
	require.NoError(t, raw.Close())

	d, err := gosksqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer d.Close()
	tasks := listAll(t, d, "crash")
	require.GreaterOrEqual(t, len(tasks), int(lastID), "the committed rounds are there")
	for i, rec := range tasks[:lastID] {
		require.EqualValues(t, i+1, rec.ID, "every task the child reported created is there")
	}
	checkTasks(t, tasks)

	// What is left can be worked to the end: everything pending or running
	// (its lease run out by waiting for it is not needed: cancel those).
	var running []int64
	for _, rec := range tasks {
		if rec.State == driver.StateRunning {
			running = append(running, rec.ID)
		}
	}
	if len(running) > 0 {
		errs, err := d.Cancel(ctx, running)
		require.NoError(t, err)
		for _, e := range errs {
			require.NoError(t, e)
		}
	}
	for {
		claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: "crash", Limit: 100, Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		if len(claimed) == 0 {
			break
		}
		outcomes := make([]driver.Outcome, len(claimed))
		for i, c := range claimed {
			outcomes[i] = driver.Outcome{Lease: c.Lease, Kind: driver.Complete}
		}
		errs, err := d.Finish(ctx, outcomes)
		require.NoError(t, err)
		for _, e := range errs {
			require.NoError(t, e)
		}
	}
	count, err := d.Count(ctx, "crash")
	require.NoError(t, err)
	require.Zero(t, count[driver.StatePending]+count[driver.StateRunning])
	require.EqualValues(t, len(tasks), count[driver.StateCompleted]+count[driver.StateCancelled]+count[driver.StateFailed])
	checkTasks(t, listAll(t, d, "crash"))
}

func listAll(t *testing.T, d *gosksqlite.Driver, queue string) []driver.TaskRecord {
	t.Helper()
	var all []driver.TaskRecord
	var after int64
	for {
		page, err := d.List(context.Background(), driver.ListParams{Queue: queue, AfterID: after, Limit: 500})
		require.NoError(t, err)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
}

// checkTasks checks that each task's fields agree with its state and that
// no unique key is held by two live tasks.
func checkTasks(t *testing.T, tasks []driver.TaskRecord) {
	t.Helper()
	live := make(map[string]int64)
	for _, r := range tasks {
		require.True(t, r.State.Valid(), "task %d: state %q", r.ID, r.State)
		require.GreaterOrEqual(t, r.Attempt, 0, "task %d: attempts", r.ID)
		require.False(t, r.CreatedAt.IsZero(), "task %d: created at", r.ID)
		switch r.State {
		case driver.StateRunning:
			require.False(t, r.LeaseExpiresAt.IsZero(), "running task %d has a lease", r.ID)
			require.True(t, r.FinalizedAt.IsZero(), "running task %d is not finalised", r.ID)
			require.GreaterOrEqual(t, r.Attempt, 1, "running task %d counted its claim", r.ID)
		case driver.StatePending:
			require.True(t, r.LeaseExpiresAt.IsZero() && r.FinalizedAt.IsZero(), "pending task %d", r.ID)
		default:
			require.True(t, r.LeaseExpiresAt.IsZero(), "final task %d holds no lease", r.ID)
			require.False(t, r.FinalizedAt.IsZero(), "final task %d has its time", r.ID)
		}
		if r.UniqueKey != "" && !r.State.Final() {
			other, taken := live[r.UniqueKey]
			require.False(t, taken, "tasks %d and %d both hold key %q", other, r.ID, r.UniqueKey)
			live[r.UniqueKey] = r.ID
		}
	}
}
