package drivertest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// held asserts that u's unique key is held by task id: a Create of u is
// ErrDuplicate with that ID and stores nothing.
func (f *fixture) held(u driver.NewTask, id int64, when string) {
	f.t.Helper()
	res, err := f.d.Create(f.ctx, []driver.NewTask{u})
	require.NoError(f.t, err, "Create")
	require.Len(f.t, res, 1)
	if assert.ErrorIs(f.t, res[0].Err, driver.ErrDuplicate, "rule: a task holds its unique key %s", when) {
		assert.Equal(f.t, id, res[0].ID, "rule: a duplicate names the task that holds the key %s", when)
	} else if res[0].Err == nil {
		f.t.FailNow() // a second task was stored; what follows would only repeat this
	}
}

// freed asserts that u's unique key is free after task id became final:
// a Create of u stores a new task.
func (f *fixture) freed(u driver.NewTask, id int64, when string) {
	f.t.Helper()
	res, err := f.d.Create(f.ctx, []driver.NewTask{u})
	require.NoError(f.t, err, "Create")
	require.Len(f.t, res, 1)
	assert.NoError(f.t, res[0].Err, "rule: a final task frees its unique key: %s", when)
	assert.NotEqual(f.t, id, res[0].ID, "rule: a final task frees its unique key: %s", when)
}

var uniqueLifeRules = []rule{
	{name: "KeyHeldThroughRelease", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		u := driver.NewTask{Queue: q, MaxAttempts: 3, UniqueKey: "k"}
		id := f.create(u)[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Message: "again"}))
		f.held(u, id, "after a release (pending again)")
		c = f.claimOne(q, longLease)
		f.held(u, id, "when claimed again after a release")
		require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Delay: farDelay}))
		f.held(u, id, "after a release with a delay")
	}},
	{name: "KeyHeldThroughSnooze", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		u := driver.NewTask{Queue: q, MaxAttempts: 1, UniqueKey: "k"}
		id := f.create(u)[0]
		c := f.claimOne(q, longLease)
		require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, KeepAttempt: true, Delay: farDelay}))
		f.held(u, id, "after a snooze (a release with KeepAttempt and a delay)")
	}},
	{name: "KeyHeldThroughLapseAndReclaim", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		q := f.queue()
		u := driver.NewTask{Queue: q, MaxAttempts: 3, UniqueKey: "k"}
		id := f.create(u)[0]
		f.claimOne(q, lapseLease(clk))
		f.lapse(clk)
		f.held(u, id, "after its lease lapsed, before anyone reclaimed it")
		again := f.claimOne(q, longLease)
		require.Equal(t, id, again.Task.ID, "the lapsed task is reclaimed")
		f.held(u, id, "after a reclaim of its lapsed lease")
		require.NoError(t, f.finish(outcome(again.Lease, driver.Complete)))
		f.freed(u, id, "completed by the claim that reclaimed it")
	}},
	{name: "KeyFreedOnlyWhenFinal", test: func(t *testing.T, s *suite) {
		f, clk := s.clocked(t)
		for _, k := range []driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail} {
			q := f.queue()
			u := driver.NewTask{Queue: q, MaxAttempts: 3, UniqueKey: "k"}
			id := f.create(u)[0]
			c := f.claimOne(q, longLease)
			f.held(u, id, "while running, before "+k.String())
			require.NoError(t, f.finish(outcome(c.Lease, k)))
			f.freed(u, id, k.String())
		}
		q := f.queue()
		u := driver.NewTask{Queue: q, MaxAttempts: 1, UniqueKey: "k"}
		id := f.create(u)[0]
		f.claimOne(q, lapseLease(clk))
		f.lapse(clk)
		f.held(u, id, "after its last lease lapsed, until a claim fails it")
		f.claimNone(q, "a lapse on the last attempt fails the task")
		require.Equal(t, driver.StateFailed, f.get(id).State)
		f.freed(u, id, "failed by a claim for its lapsed last lease")
	}},
}

var txKeyRules = []rule{
	{name: "KeyTakenEarlierInSameTxIsDuplicate", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		c, commit, _ := f.tx()
		u := driver.NewTask{Queue: q, Payload: []byte("first"), MaxAttempts: 1, UniqueKey: "k"}
		first, err := c.Create(f.ctx, []driver.NewTask{u})
		require.NoError(t, err)
		require.Len(t, first, 1)
		require.NoError(t, first[0].Err, "the key is free")
		u.Payload = []byte("second")
		second, err := c.Create(f.ctx, []driver.NewTask{task(q, "keyless"), u})
		require.NoError(t, err)
		require.Len(t, second, 2)
		assert.NoError(t, second[0].Err)
		assert.ErrorIs(t, second[1].Err, driver.ErrDuplicate, "rule: a unique key taken earlier in the same transaction (by another Create call) is ErrDuplicate")
		assert.Equal(t, first[0].ID, second[1].ID, "rule: the duplicate names the task created earlier in the transaction")
		require.NoError(t, commit(), "commit")
		r := f.get(first[0].ID)
		assert.Equal(t, "first", string(r.Payload), "the first task with the key is the one stored")
		got := f.claim(q, driver.Fifo, 10, longLease)
		assert.ElementsMatch(t, []int64{first[0].ID, second[0].ID}, ids(got), "rule: only the acknowledged tasks are stored; the duplicate is not")
	}},
	{name: "NothingDroppedAtCommit", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue() // one queue: a Redis Cluster transaction cannot span queues
		held := f.create(driver.NewTask{Queue: q, Payload: []byte("held"), MaxAttempts: 1, UniqueKey: "held"})[0]
		c, commit, _ := f.tx()
		// Three Create calls in one transaction. Each item names its
		// queue and key and the item (call, index) whose task must hold
		// the key, or "stored" for the task stored before, or "" for new.
		type item struct {
			queue, key, holder string
		}
		calls := [][]item{
			{{q, "", ""}, {q, "a", ""}, {q, "a", "0.1"}, {q, "d", ""}},
			{{q, "", ""}, {q, "b", ""}, {q, "a", "0.1"}, {q, "d", "0.3"}},
			{{q, "held", "stored"}, {q, "c", ""}, {q, "b", "1.1"}, {q, "d", "0.3"}},
		}
		got := map[string]int64{"stored": held}
		payload := map[int64]string{}
		for ci, items := range calls {
			batch := make([]driver.NewTask, len(items))
			for i, it := range items {
				batch[i] = driver.NewTask{Queue: it.queue, Payload: []byte(fmt.Sprintf("%d.%d", ci, i)), MaxAttempts: 1, UniqueKey: it.key}
			}
			res, err := c.Create(f.ctx, batch)
			require.NoError(t, err, "Create in the transaction")
			require.Len(t, res, len(batch))
			for i, it := range items {
				name := fmt.Sprintf("%d.%d", ci, i)
				if it.holder == "" {
					require.NoError(t, res[i].Err, "item %s: its key is free", name)
					got[name] = res[i].ID
					payload[res[i].ID] = name
					continue
				}
				assert.ErrorIs(t, res[i].Err, driver.ErrDuplicate, "rule: item %s: a key held by a stored task or taken earlier in the same transaction is ErrDuplicate", name)
				assert.Equal(t, got[it.holder], res[i].ID, "rule: item %s: the duplicate names the task that holds the key (%s)", name, it.holder)
			}
		}
		require.NoError(t, commit(), "commit")
		for id, name := range payload {
			r, err := f.d.Get(f.ctx, id)
			if assert.NoError(t, err, "rule: every task a transactional Create acknowledged exists after commit (item %s, ID %d)", name, id) {
				assert.Equal(t, name, string(r.Payload), "rule: an acknowledged ID names the task it was given for")
			}
		}
		stored := f.claim(q, driver.Fifo, 20, longLease)
		assert.Len(t, stored, len(payload)+1, "rule: the transaction stored exactly the tasks it acknowledged (and the task stored before)")
	}},
}
