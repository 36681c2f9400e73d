package redis_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
)

// These tests cover what is particular to this driver; the contract itself
// is drivertest's (TestDriver, TestDriverCluster).

func TestOptionsAreValidated(t *testing.T) {
	t.Parallel()
	client := singleClient(t)
	for _, p := range []string{"bad{tag}", "sp ace", strings.Repeat("x", goskredis.MaxPrefixLen+1)} {
		_, err := goskredis.New(t.Context(), client, &goskredis.Options{Prefix: p})
		require.ErrorIs(t, err, driver.ErrInvalid, "prefix %q", p)
		require.ErrorContains(t, err, "Options.Prefix")
	}
	_, err := goskredis.New(t.Context(), nil, nil)
	require.ErrorIs(t, err, driver.ErrInvalid)
	_, err = goskredis.Open(t.Context(), "http://nope", nil)
	require.ErrorIs(t, err, driver.ErrInvalid)
}

func TestMigrationRefusesForeignAndNewerLayouts(t *testing.T) {
	t.Parallel()
	client := singleClient(t)
	ctx := t.Context()

	foreign := testPrefix()
	t.Cleanup(func() { _ = deletePrefix(client, foreign) })
	require.NoError(t, client.Set(ctx, foreign+"meta", "someone else's", 0).Err())
	_, err := goskredis.New(ctx, client, &goskredis.Options{Prefix: foreign})
	require.ErrorContains(t, err, "used by something else")

	newer := testPrefix()
	t.Cleanup(func() { _ = deletePrefix(client, newer) })
	require.NoError(t, client.HSet(ctx, newer+"meta", "layout", "gosk-redis", "version", 99).Err())
	_, err = goskredis.New(ctx, client, &goskredis.Options{Prefix: newer})
	require.ErrorContains(t, err, "newer gosk")

	// Several processes migrating one prefix at once all succeed.
	shared := testPrefix()
	t.Cleanup(func() { _ = deletePrefix(client, shared) })
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			d, err := goskredis.New(ctx, client, &goskredis.Options{Prefix: shared})
			if err == nil {
				err = d.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	require.Equal(t, strconv.Itoa(goskredis.LatestVersion()), client.HGet(ctx, shared+"meta", "version").Val())
}

func TestFencingAndLeaseTokens(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	ctx := t.Context()
	res, err := d.Create(ctx, []driver.NewTask{{Queue: "q", Payload: []byte("x"), MaxAttempts: 2}})
	require.NoError(t, err)
	id := res[0].ID

	first, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: 50 * time.Millisecond})
	require.NoError(t, err)
	require.Len(t, first, 1)
	require.Equal(t, int64(1), first[0].Lease.Token)

	// The lease runs out and another claim takes the task: the first
	// holder is fenced off.
	var second []driver.ClaimedTask
	require.Eventually(t, func() bool {
		second, err = d.Claim(ctx, driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: time.Minute})
		return err == nil && len(second) == 1
	}, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, int64(2), second[0].Lease.Token)
	require.Equal(t, 2, second[0].Task.Attempt)

	errs, err := d.Finish(ctx, []driver.Outcome{{Lease: first[0].Lease, Kind: driver.Complete}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost)
	errs, err = d.Ping(ctx, []driver.Lease{first[0].Lease, {TaskID: id + 1<<14, Token: 1}}, time.Minute)
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost)
	require.ErrorIs(t, errs[1], driver.ErrTaskNotFound)

	// An outside cancel takes the lease away too.
	cerrs, err := d.Cancel(ctx, []int64{id})
	require.NoError(t, err)
	require.NoError(t, cerrs[0])
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: second[0].Lease, Kind: driver.Complete}})
	require.NoError(t, err)
	require.ErrorIs(t, errs[0], driver.ErrLeaseLost)
	rec, err := d.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, driver.StateCancelled, rec.State)
	require.True(t, rec.LeaseExpiresAt.IsZero())
	require.False(t, rec.FinalizedAt.IsZero())
}

func TestPriorityRuleUsesDelayedTasksOnceDue(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	ctx := t.Context()
	res, err := d.Create(ctx, []driver.NewTask{
		{Queue: "q", Payload: []byte("low"), Priority: 1, MaxAttempts: 1},
		{Queue: "q", Payload: []byte("high-later"), Priority: 9, MaxAttempts: 1, Delay: 30 * time.Millisecond},
		{Queue: "q", Payload: []byte("mid"), Priority: 5, MaxAttempts: 1},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		rec, err := d.Get(ctx, res[1].ID)
		return err == nil && time.Until(rec.RunAt) < -time.Millisecond
	}, 5*time.Second, 5*time.Millisecond)
	got, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 3, Rule: driver.Priority, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, []string{"high-later", "mid", "low"}, []string{
		string(got[0].Task.Payload), string(got[1].Task.Payload), string(got[2].Task.Payload)})
}

func TestRetentionDeletesOldFinalTasks(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), &goskredis.Options{Retention: time.Millisecond})
	defer d.Close()
	ctx := t.Context()
	res, err := d.Create(ctx, []driver.NewTask{{Queue: "q", MaxAttempts: 1}, {Queue: "q", MaxAttempts: 1}})
	require.NoError(t, err)
	errs, err := d.Cancel(ctx, []int64{res[0].ID})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	// Finalising the second task, later, sweeps the first.
	require.Eventually(t, func() bool {
		rec, err := d.Get(ctx, res[0].ID)
		return err == nil && time.Since(rec.FinalizedAt) > 5*time.Millisecond
	}, 5*time.Second, 5*time.Millisecond)
	errs, err = d.Cancel(ctx, []int64{res[1].ID})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	_, err = d.Get(ctx, res[0].ID)
	require.ErrorIs(t, err, driver.ErrTaskNotFound)
	n, err := d.Count(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, int64(1), n[driver.StateCancelled])
}

func TestScriptCacheLossFallsBackToEval(t *testing.T) {
	// On the package's own cluster, not the shared server: SCRIPT FLUSH
	// empties a server's whole script cache, which other programs on a
	// shared server need not see. Not parallel for the same reason.
	client := clusterClient(t)
	d := newDriver(t, client, nil)
	defer d.Close()
	ctx := t.Context()
	flush := func() {
		require.NoError(t, client.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			return c.ScriptFlush(ctx).Err()
		}))
	}
	flush()
	res, err := d.Create(ctx, []driver.NewTask{{Queue: "a", MaxAttempts: 1}}) // one call: Script.Run
	require.NoError(t, err)
	var tasks []driver.NewTask
	for i := range 20 {
		tasks = append(tasks, driver.NewTask{Queue: "q" + strconv.Itoa(i), MaxAttempts: 1})
	}
	flush()
	more, err := d.Create(ctx, tasks) // many slots: the pipeline path
	require.NoError(t, err)
	ids := []int64{res[0].ID}
	for _, r := range more {
		require.NoError(t, r.Err)
		ids = append(ids, r.ID)
	}
	flush()
	errs, err := d.Cancel(ctx, ids)
	require.NoError(t, err)
	require.NoError(t, errors.Join(errs...))
}

func TestClosedDriver(t *testing.T) {
	t.Parallel()
	url, prefix := singleURL(t), testPrefix()
	t.Cleanup(func() { _ = deletePrefix(singleClient(t), prefix) })
	d, err := goskredis.Open(t.Context(), url, &goskredis.Options{Prefix: prefix})
	require.NoError(t, err)
	sub, err := d.Subscribe(t.Context(), "q")
	require.NoError(t, err)
	require.NoError(t, d.Close())
	sub.Stop() // after Close: returns at once
	require.NoError(t, d.Close())
	_, err = d.Create(context.Background(), []driver.NewTask{{Queue: "q", MaxAttempts: 1}})
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Get(context.Background(), 1)
	require.ErrorIs(t, err, driver.ErrClosed)
}

// TestCreateAcrossQueues sends one batch over several queues (several
// slots: one MULTI/EXEC on a single server, a pipeline on a cluster) and
// checks that results line up with the input, duplicates included.
func TestCreateAcrossQueues(t *testing.T) {
	t.Parallel()
	for name, client := range map[string]func(testing.TB) goredis.UniversalClient{
		"Single":  func(t testing.TB) goredis.UniversalClient { return singleClient(t) },
		"Cluster": func(t testing.TB) goredis.UniversalClient { return clusterClient(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDriver(t, client(t), nil)
			defer d.Close()
			ctx := t.Context()
			res, err := d.Create(ctx, []driver.NewTask{
				{Queue: "a", Payload: []byte("a1"), MaxAttempts: 1, UniqueKey: "k"},
				{Queue: "b", Payload: []byte("b1"), MaxAttempts: 1, UniqueKey: "k"},
				{Queue: "a", Payload: []byte("a2"), MaxAttempts: 1, UniqueKey: "k"},
				{Queue: "c", Payload: []byte("c1"), MaxAttempts: 1},
			})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			require.NoError(t, res[1].Err, "unique keys are per queue")
			require.ErrorIs(t, res[2].Err, driver.ErrDuplicate)
			require.Equal(t, res[0].ID, res[2].ID)
			require.NoError(t, res[3].Err)
			for i, want := range []string{"a1", "b1", "a1", "c1"} {
				rec, err := d.Get(ctx, res[i].ID)
				require.NoError(t, err)
				require.Equal(t, want, string(rec.Payload))
			}
		})
	}
}

// TestClaimSkipsTasksWhoseHashIsGone: a task hash deleted behind the
// driver's back (by hand, or evicted under a wrong maxmemory-policy) must
// not wedge its queue; the claim drops its index entries and goes on.
func TestClaimSkipsTasksWhoseHashIsGone(t *testing.T) {
	t.Parallel()
	client := singleClient(t)
	prefix := testPrefix()
	d := newDriver(t, client, &goskredis.Options{Prefix: prefix})
	defer d.Close()
	ctx := t.Context()
	for _, rule := range []driver.PriorityRule{driver.Fifo, driver.Lifo, driver.Priority} {
		q := "q-" + rule.String()
		res, err := d.Create(ctx, []driver.NewTask{{Queue: q, MaxAttempts: 1}, {Queue: q, MaxAttempts: 1}})
		require.NoError(t, err)
		var keys []string
		iter := client.Scan(ctx, 0, prefix+"*t:*"+strconv.FormatInt(res[0].ID, 10), 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		require.NoError(t, iter.Err())
		require.Len(t, keys, 1)
		require.NoError(t, client.Del(ctx, keys[0]).Err())
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: q, Limit: 2, Rule: rule, Lease: time.Minute})
		require.NoError(t, err, rule)
		if len(got) == 0 { // the gone task came first and used the claim's turn
			got, err = d.Claim(ctx, driver.ClaimParams{Queue: q, Limit: 2, Rule: rule, Lease: time.Minute})
			require.NoError(t, err, rule)
		}
		require.Len(t, got, 1, rule)
		require.Equal(t, res[1].ID, got[0].Task.ID, rule)
		n, err := d.Count(ctx, q)
		require.NoError(t, err)
		require.Equal(t, int64(0), n[driver.StatePending], "%v: the gone task's entries are dropped", rule)
	}
}

// TestTxUniqueKeys: in a transaction, unique keys are checked when Create
// is called, against the store and earlier tasks of the batch.
func TestTxUniqueKeys(t *testing.T) {
	t.Parallel()
	client := singleClient(t)
	d := newDriver(t, client, nil)
	defer d.Close()
	ctx := t.Context()
	held, err := d.Create(ctx, []driver.NewTask{{Queue: "q", MaxAttempts: 1, UniqueKey: "held"}})
	require.NoError(t, err)

	var res []driver.CreateResult
	_, err = client.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
		res, err = d.Tx(tx).Create(ctx, []driver.NewTask{
			{Queue: "q", Payload: []byte("1"), MaxAttempts: 1, UniqueKey: "new"},
			{Queue: "q", Payload: []byte("2"), MaxAttempts: 1, UniqueKey: "held"},
			{Queue: "q", Payload: []byte("3"), MaxAttempts: 1, UniqueKey: "new"},
			{Queue: "other", Payload: []byte("4"), MaxAttempts: 1, UniqueKey: "new"},
		})
		return err
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.ErrorIs(t, res[1].Err, driver.ErrDuplicate)
	require.Equal(t, held[0].ID, res[1].ID)
	require.ErrorIs(t, res[2].Err, driver.ErrDuplicate)
	require.Equal(t, res[0].ID, res[2].ID)
	require.NoError(t, res[3].Err)
	for _, i := range []int{0, 3} {
		rec, err := d.Get(ctx, res[i].ID)
		require.NoError(t, err)
		require.Equal(t, driver.StatePending, rec.State)
	}
	n, err := d.Count(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, int64(2), n[driver.StatePending], "the held task and the new one")
}

// TestTxKeyTakenByAnotherCreatorOfTheSameTx shows that two Creators bound
// to one transaction (as q.In(drv.Tx(tx)).Create(ctx, ...) called twice
// makes) see each other's unique keys, and that the other commands of the
// pipeline do not confuse the look-up.
func TestTxKeyTakenByAnotherCreatorOfTheSameTx(t *testing.T) {
	t.Parallel()
	client := singleClient(t)
	d := newDriver(t, client, nil)
	defer d.Close()
	ctx := t.Context()

	var first, second []driver.CreateResult
	_, err := client.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
		var err error
		first, err = d.Tx(tx).Create(ctx, []driver.NewTask{
			{Queue: "q", Payload: []byte("1"), MaxAttempts: 1, UniqueKey: "a"},
			{Queue: "q", Payload: []byte("2"), MaxAttempts: 1},
		})
		if err != nil {
			return err
		}
		tx.Set(ctx, "unrelated", "x", 0)
		tx.Eval(ctx, "return 1", nil)
		second, err = d.Tx(tx).Create(ctx, []driver.NewTask{
			{Queue: "other", Payload: []byte("3"), MaxAttempts: 1, UniqueKey: "a"},
			{Queue: "q", Payload: []byte("4"), MaxAttempts: 1, UniqueKey: "a"},
		})
		return err
	})
	require.NoError(t, err)
	require.NoError(t, first[0].Err)
	require.NoError(t, second[0].Err, "a key is scoped to its queue")
	require.ErrorIs(t, second[1].Err, driver.ErrDuplicate, "a key taken by another Creator of the same transaction")
	require.Equal(t, first[0].ID, second[1].ID)
	for _, r := range []driver.CreateResult{first[0], first[1], second[0]} {
		_, err := d.Get(ctx, r.ID)
		require.NoError(t, err, "every acknowledged task exists after EXEC")
	}
}
