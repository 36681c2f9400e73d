package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// serverURL returns the test server's URL, or skips (fails, with
// GOSK_TEST_REQUIRE_SERVICES=1) when none is configured or reachable.
func serverURL(t testing.TB) string { return testenv.PostgresURL(t) }

// testSchema returns a fresh schema name and drops that schema when the test
// ends.
func testSchema(t testing.TB, url string) string { return testenv.NewSchema(t, url) }

// newDriver opens a driver on a fresh schema with a small pool of its own.
func newDriver(t testing.TB) *postgres.Driver {
	t.Helper()
	return newDriverConns(t, 4)
}

// newDriverConns opens a driver on a fresh schema with a pool of conns
// connections of its own.
func newDriverConns(t testing.TB, conns int32) *postgres.Driver {
	t.Helper()
	url := serverURL(t)
	d, err := postgres.Open(context.Background(), url, &postgres.Options{Schema: testSchema(t, url), MaxConns: conns})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func task(queue string) driver.NewTask {
	return driver.NewTask{Queue: queue, Payload: []byte("x"), MaxAttempts: 3}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()

	res, err := d.Create(ctx, []driver.NewTask{task("q"), task("q"), {Queue: "q", MaxAttempts: 1, Delay: time.Hour}})
	require.NoError(t, err)
	require.Len(t, res, 3)
	for _, r := range res {
		require.NoError(t, r.Err)
		require.Positive(t, r.ID)
	}
	require.Less(t, res[0].ID, res[1].ID)

	got, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 10, Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, got, 2, "the delayed task is not available")
	require.Equal(t, res[0].ID, got[0].Task.ID)
	require.Equal(t, driver.StateRunning, got[0].Task.State)
	require.Equal(t, 1, got[0].Task.Attempt)
	require.Equal(t, []byte("x"), got[0].Task.Payload)
	require.False(t, got[0].Task.LeaseExpiresAt.IsZero())

	errs, err := d.Ping(ctx, []driver.Lease{got[0].Lease, {TaskID: got[1].Lease.TaskID, Token: 99}, {TaskID: 1 << 40, Token: 1}}, time.Minute)
	require.NoError(t, err)
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], driver.ErrLeaseLost)
	require.ErrorIs(t, errs[2], driver.ErrTaskNotFound)

	errs, err = d.Finish(ctx, []driver.Outcome{
		{Lease: got[0].Lease, Kind: driver.Complete},
		{Lease: got[1].Lease, Kind: driver.Release, Message: "boom", KeepAttempt: true},
	})
	require.NoError(t, err)
	require.Equal(t, []error{nil, nil}, errs)

	errs, err = d.Finish(ctx, []driver.Outcome{
		{Lease: got[0].Lease, Kind: driver.Complete},
		{Lease: got[1].Lease, Kind: driver.Complete},
	})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrTaskConflict)
	require.ErrorIs(t, errs[1], driver.ErrTaskConflict, "the lease already released the task")

	rec, err := d.Get(ctx, got[1].Task.ID)
	require.NoError(t, err)
	require.Equal(t, driver.StatePending, rec.State)
	require.Equal(t, 0, rec.Attempt)
	require.Equal(t, "boom", rec.LastError)

	_, err = d.Get(ctx, 1<<40)
	require.ErrorIs(t, err, driver.ErrTaskNotFound)

	counts, err := d.Count(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, map[driver.State]int64{driver.StatePending: 2, driver.StateRunning: 0, driver.StateCompleted: 1, driver.StateCancelled: 0, driver.StateFailed: 0}, counts)
}

func TestUniqueKeys(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	k := func(key string) driver.NewTask { n := task("u"); n.UniqueKey = key; return n }

	res, err := d.Create(ctx, []driver.NewTask{k("a"), k("b"), k("a"), task("u")})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)
	require.ErrorIs(t, res[2].Err, driver.ErrDuplicate)
	require.Equal(t, res[0].ID, res[2].ID)
	require.NoError(t, res[3].Err)

	again, err := d.Create(ctx, []driver.NewTask{k("b"), k("c")})
	require.NoError(t, err)
	require.ErrorIs(t, again[0].Err, driver.ErrDuplicate)
	require.Equal(t, res[1].ID, again[0].ID)
	require.NoError(t, again[1].Err)

	// Once the holder is final, the key is free again.
	errs, err := d.Cancel(ctx, []int64{res[0].ID})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	fresh, err := d.Create(ctx, []driver.NewTask{k("a")})
	require.NoError(t, err)
	require.NoError(t, fresh[0].Err)
	require.NotEqual(t, res[0].ID, fresh[0].ID)

	// Retrying the cancelled holder now conflicts with the new one.
	errs, err = d.Retry(ctx, []int64{res[0].ID})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrDuplicate)
	require.NotErrorIs(t, errs[0], driver.ErrTaskConflict, "a taken key is a duplicate, not a conflict of state")
}

func TestLapsedLeaseFencing(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	_, err := d.Create(ctx, []driver.NewTask{{Queue: "f", MaxAttempts: 2}})
	require.NoError(t, err)
	claim := func() []driver.ClaimedTask {
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: "f", Rule: driver.Fifo, Lease: 20 * time.Millisecond})
		require.NoError(t, err)
		return got
	}
	first := claim()
	require.Len(t, first, 1)
	var second []driver.ClaimedTask
	require.Eventually(t, func() bool { second = claim(); return len(second) == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, 2, second[0].Task.Attempt)
	require.Greater(t, second[0].Lease.Token, first[0].Lease.Token)

	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: first[0].Lease, Kind: driver.Complete}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost, "a stale lease must not complete")

	// The second lease lapses on the last attempt: a claim fails the task.
	require.Eventually(t, func() bool {
		require.Empty(t, claim())
		rec, err := d.Get(ctx, first[0].Task.ID)
		require.NoError(t, err)
		return rec.State == driver.StateFailed
	}, 5*time.Second, 5*time.Millisecond)
	rec, err := d.Get(ctx, first[0].Task.ID)
	require.NoError(t, err)
	require.Equal(t, driver.LeaseExpiredMessage, rec.LastError)
	errs, err = d.Ping(ctx, []driver.Lease{second[0].Lease}, time.Minute)
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost)
}

func TestPriorityRules(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	var in []driver.NewTask
	for _, p := range []int{1, 5, 5, -3} {
		n := task("p")
		n.Priority = p
		in = append(in, n)
	}
	res, err := d.Create(ctx, in)
	require.NoError(t, err)
	ids := func(rule driver.PriorityRule) []int64 {
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: "p", Limit: 10, Rule: rule, Lease: time.Minute})
		require.NoError(t, err)
		var out []int64
		var leases []driver.Outcome
		for _, c := range got {
			out = append(out, c.Task.ID)
			leases = append(leases, driver.Outcome{Lease: c.Lease, Kind: driver.Release, KeepAttempt: true})
		}
		_, err = d.Finish(ctx, leases)
		require.NoError(t, err)
		return out
	}
	require.Equal(t, []int64{res[1].ID, res[2].ID, res[0].ID, res[3].ID}, ids(driver.Priority))
	// Releases moved run-at to now, in finish order; Fifo and Lifo follow run-at, then ID.
	fifo := ids(driver.Fifo)
	require.Len(t, fifo, 4)
	lifo := ids(driver.Lifo)
	require.Equal(t, []int64{fifo[3], fifo[2], fifo[1], fifo[0]}, lifo)
}

func TestAdmin(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	res, err := d.Create(ctx, []driver.NewTask{task("a"), task("a"), task("a")})
	require.NoError(t, err)
	got, err := d.Claim(ctx, driver.ClaimParams{Queue: "a", Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, got, 1)

	errs, err := d.Cancel(ctx, []int64{res[0].ID, res[1].ID, 1 << 40})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.ErrorIs(t, errs[2], driver.ErrTaskNotFound)
	errs, err = d.Ping(ctx, []driver.Lease{got[0].Lease}, time.Minute)
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost, "an outside cancel takes the lease")
	errs, err = d.Cancel(ctx, []int64{res[0].ID})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrTaskConflict)

	list, err := d.List(ctx, driver.ListParams{Queue: "a", States: []driver.State{driver.StateCancelled}})
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, res[0].ID, list[0].ID)

	errs, err = d.Retry(ctx, []int64{res[0].ID, res[2].ID})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], driver.ErrTaskConflict)

	n, err := d.Purge(ctx, driver.PurgeParams{Queue: "a"})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = d.Get(ctx, res[1].ID)
	require.ErrorIs(t, err, driver.ErrTaskNotFound)
}

// A Retry of two tasks that share a unique key, which the one statement
// cannot take both of, retries them one by one in one transaction: the
// first takes the key, the second is refused with ErrDuplicate.
func TestRetryOfTasksSharingAKey(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	var ids []int64
	for range 2 {
		n := task("r")
		n.UniqueKey = "k"
		res, err := d.Create(ctx, []driver.NewTask{n})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		errs, err := d.Cancel(ctx, []int64{res[0].ID})
		require.NoError(t, err)
		require.NoError(t, errs[0])
		ids = append(ids, res[0].ID)
	}
	errs, err := d.Retry(ctx, []int64{ids[1], ids[0], 1 << 40})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], driver.ErrDuplicate)
	require.ErrorIs(t, errs[2], driver.ErrTaskNotFound)
	rec, err := d.Get(ctx, ids[1])
	require.NoError(t, err)
	require.Equal(t, driver.StatePending, rec.State)
	rec, err = d.Get(ctx, ids[0])
	require.NoError(t, err)
	require.Equal(t, driver.StateCancelled, rec.State)
}
