package postgres_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
)

// Two finishes of one lease racing: one applies, the other is told the task
// is already final (ErrTaskConflict), never ErrLeaseLost, although its
// statement may have started before the winner committed.
func TestRacingFinishesOfOneLease(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	for range 40 {
		_, err := d.Create(ctx, []driver.NewTask{task("race")})
		require.NoError(t, err)
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: "race", Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		require.Len(t, got, 1)
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i := range results {
			wg.Go(func() {
				errs, err := d.Finish(ctx, []driver.Outcome{{Lease: got[0].Lease, Kind: driver.Complete}})
				require.NoError(t, err)
				results[i] = errs[0]
			})
		}
		wg.Wait()
		winners := 0
		for _, err := range results {
			if err == nil {
				winners++
				continue
			}
			require.ErrorIs(t, err, driver.ErrTaskConflict)
		}
		require.Equal(t, 1, winners)
	}
}

// Concurrent creates with one unique key store one task; every other gets
// its ID and ErrDuplicate.
func TestRacingUniqueCreates(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	for round := range 10 {
		n := task("uniq")
		n.UniqueKey = "k" + string(rune('a'+round))
		var wg sync.WaitGroup
		results := make([]driver.CreateResult, 6)
		for i := range results {
			wg.Go(func() {
				res, err := d.Create(ctx, []driver.NewTask{n})
				require.NoError(t, err)
				results[i] = res[0]
			})
		}
		wg.Wait()
		var stored int64
		for _, r := range results {
			if r.Err == nil {
				require.Zero(t, stored, "two tasks stored for one key")
				stored = r.ID
			}
		}
		require.NotZero(t, stored)
		for _, r := range results {
			require.Equal(t, stored, r.ID)
			if r.Err != nil {
				require.ErrorIs(t, r.Err, driver.ErrDuplicate)
			}
		}
	}
}

// A Ping and a Finish over the same leases, passed in opposite orders,
// never deadlock: the driver locks rows in task-ID order whatever the order
// of its input. Each round makes the two meet: a third session holds the
// middle task's row until both statements wait for a lock, then lets go.
// Had each locked in its input's order, each would now hold half of the
// rows and want the other half. The sessions' deadlock_timeout is lowered
// so that such a deadlock is reported (40P01) within the round; there is
// no client timeout.
func TestPingAndFinishInOppositeOrdersDoNotDeadlock(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	schema := testSchema(t, url)
	d, err := postgres.Open(context.Background(), url+"&deadlock_timeout=20ms",
		&postgres.Options{Schema: schema, MaxConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	ctx := context.Background()
	// Enough finished tasks that the planner reaches the leased rows by
	// index, as on a working store, rather than in heap order.
	table := pgx.Identifier{schema, "gosk_tasks"}.Sanitize()
	conn := connect(t, url)
	_, err = conn.Exec(ctx, "INSERT INTO "+table+` (queue, max_attempts, state, attempt, finalized_at)
		SELECT 'done', 3, 'completed', 1, now() FROM generate_series(1, 20000)`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "ANALYZE "+table)
	require.NoError(t, err)
	const n, rounds = 48, 12
	in := make([]driver.NewTask, n)
	for i := range in {
		in[i] = task("lockorder")
	}
	_, err = d.Create(ctx, in)
	require.NoError(t, err)
	watcher := connect(t, url)
	waiting := func() bool {
		var k int
		err := watcher.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND strpos(query, $1) > 0`, pgx.Identifier{schema}.Sanitize()).Scan(&k)
		return err == nil && k == 2
	}
	for round := range rounds {
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: "lockorder", Limit: n, Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		require.Len(t, got, n)
		ascending := make([]driver.Lease, n)
		for i, c := range got {
			ascending[i] = c.Lease
		}
		slices.SortFunc(ascending, func(a, b driver.Lease) int { return cmp.Compare(a.TaskID, b.TaskID) })
		descending := slices.Clone(ascending)
		slices.Reverse(descending)
		// Even rounds ping in ascending order and finish in descending,
		// odd rounds the other way round.
		pings, outs := ascending, descending
		if round%2 == 1 {
			pings, outs = descending, ascending
		}
		outcomes := make([]driver.Outcome, n)
		for i, l := range outs {
			outcomes[i] = driver.Outcome{Lease: l, Kind: driver.Release}
		}

		blocker, err := conn.Begin(ctx)
		require.NoError(t, err)
		_, err = blocker.Exec(ctx, "SELECT 1 FROM "+table+" WHERE id = $1 FOR UPDATE", ascending[n/2].TaskID)
		require.NoError(t, err)
		var wg sync.WaitGroup
		var pingErr, finishErr error
		var finishErrs []error
		wg.Go(func() { _, pingErr = d.Ping(ctx, pings, time.Minute) })
		wg.Go(func() { finishErrs, finishErr = d.Finish(ctx, outcomes) })
		require.Eventually(t, waiting, 30*time.Second, time.Millisecond, "round %d: ping and finish never both waited for a row lock", round)
		require.NoError(t, blocker.Commit(ctx))
		wg.Wait()
		require.NoError(t, pingErr, "round %d: a ping, its leases in one order, beside a finish in the other", round)
		require.NoError(t, finishErr, "round %d: a finish, its outcomes in one order, beside a ping in the other", round)
		for i, err := range finishErrs {
			require.NoError(t, err, "round %d: outcome %d", round, i)
		}
	}
}

// Two creates whose batches hold the same unique keys in opposite orders
// never deadlock: rows are inserted in (queue, unique key) order whatever
// the order of the batch. Each round makes them meet: a third session
// holds the middle key, uncommitted, until both creates wait for a lock.
// Had each inserted in its batch's order, each would now hold the keys on
// its side of the middle one and want the other side's. The creates come
// from two drivers, as from two processes: one driver's concurrent
// creates with keys go one group at a time.
func TestCreatesWithKeysInOppositeOrdersDoNotDeadlock(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	schema := testSchema(t, url)
	drivers := make([]*postgres.Driver, 2)
	for i := range drivers {
		d, err := postgres.Open(context.Background(), url+"&deadlock_timeout=20ms",
			&postgres.Options{Schema: schema, MaxConns: 4})
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		drivers[i] = d
	}
	ctx := context.Background()
	table := pgx.Identifier{schema, "gosk_tasks"}.Sanitize()
	conn := connect(t, url)
	watcher := connect(t, url)
	waiting := func() bool {
		var k int
		err := watcher.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND strpos(query, $1) > 0`, pgx.Identifier{schema}.Sanitize()).Scan(&k)
		return err == nil && k == 2
	}
	const n, rounds = 32, 6
	for round := range rounds {
		ascending := make([]driver.NewTask, n)
		for i := range ascending {
			ascending[i] = task("keys")
			ascending[i].UniqueKey = fmt.Sprintf("r%d-k%03d", round, i)
		}
		descending := slices.Clone(ascending)
		slices.Reverse(descending)
		blocker, err := conn.Begin(ctx)
		require.NoError(t, err)
		_, err = blocker.Exec(ctx, "INSERT INTO "+table+" (queue, unique_key, max_attempts) VALUES ('keys', $1, 1)", ascending[n/2].UniqueKey)
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, batch := range [][]driver.NewTask{ascending, descending} {
			wg.Go(func() { _, errs[i] = drivers[i].Create(ctx, batch) })
		}
		require.Eventually(t, waiting, 30*time.Second, time.Millisecond, "round %d: the creates never both waited for a lock", round)
		require.NoError(t, blocker.Commit(ctx))
		wg.Wait()
		require.NoError(t, errs[0], "round %d: a create, its keys in one order, beside one in the other", round)
		require.NoError(t, errs[1], "round %d: a create, its keys in one order, beside one in the other", round)
		var holders int
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE unique_key LIKE $1",
			fmt.Sprintf("r%d-%%", round)).Scan(&holders))
		require.Equal(t, n, holders, "round %d: one task per key", round)
	}
}
