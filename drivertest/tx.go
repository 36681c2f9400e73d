package drivertest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

var txRules = []rule{
	{name: "VisibleOnlyAfterCommit", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		c, commit, rollback := f.tx()
		q := f.queue()
		res, err := c.Create(f.ctx, []driver.NewTask{task(q, "a"), task(q, "b")})
		require.NoError(t, err)
		require.Len(t, res, 2)
		for _, r := range res {
			require.NoError(t, r.Err)
			_, err := f.d.Get(f.ctx, r.ID)
			assert.ErrorIs(t, err, driver.ErrTaskNotFound, "a task created in a transaction is not visible before commit")
		}
		if !assert.NoError(t, commit(), "commit") {
			_ = rollback()
			return
		}
		for _, r := range res {
			assert.Equal(t, driver.StatePending, f.get(r.ID).State, "a committed task is pending")
		}
		got := f.claim(q, driver.Fifo, 10, longLease)
		assert.ElementsMatch(t, []int64{res[0].ID, res[1].ID}, ids(got), "committed tasks are claimable")
	}},
	{name: "NothingAfterRollback", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		c, _, rollback := f.tx()
		q := f.queue()
		res, err := c.Create(f.ctx, []driver.NewTask{task(q, "a")})
		require.NoError(t, err)
		require.Len(t, res, 1)
		require.NoError(t, rollback(), "rollback")
		_, err = f.d.Get(f.ctx, res[0].ID)
		assert.ErrorIs(t, err, driver.ErrTaskNotFound, "a rolled-back task does not exist")
		f.claimNone(q, "a rolled-back transaction stores nothing")
	}},
	{name: "CreatorAfterCommitStoresNothingUnseen", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		c, commit, rollback := f.tx()
		q := f.queue()
		_, err := c.Create(f.ctx, []driver.NewTask{task(q, "in")})
		require.NoError(t, err)
		if !assert.NoError(t, commit(), "commit") {
			_ = rollback()
			return
		}
		f.claim(q, driver.Fifo, 10, longLease) // the committed task
		res, err := c.Create(f.ctx, []driver.NewTask{task(q, "after")})
		if err != nil {
			// A transaction that cannot be used again (SQL, bbolt, memory).
			assert.ErrorIs(t, err, driver.ErrInvalid, "rule: a Create through a creator whose transaction has ended is refused with ErrInvalid")
			f.claimNone(q, "a refused Create after commit stores nothing")
			return
		}
		// A transaction object that the store lets the caller use again
		// (a Redis pipeline, run again by another EXEC): the task is
		// stored when, and only when, that commits.
		require.Len(t, res, 1)
		f.claimNone(q, "rule: a task created through a creator after its transaction ended is not stored before a commit")
		require.NoError(t, commit(), "commit again")
		got := f.claim(q, driver.Fifo, 10, longLease)
		assert.Equal(t, []int64{res[0].ID}, ids(got), "rule: a Create accepted after commit stores its task with the next commit, under the ID it returned")
	}},
	{name: "UniqueKeyAcrossTxAndStore", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		u := driver.NewTask{Queue: q, MaxAttempts: 1, UniqueKey: "k"}
		id := f.create(u)[0] // before the transaction: an embedded store has one writer
		c, commit, _ := f.tx()
		res, err := c.Create(f.ctx, []driver.NewTask{u})
		require.NoError(t, err)
		require.Len(t, res, 1)
		assert.ErrorIs(t, res[0].Err, driver.ErrDuplicate, "a transaction sees the unique keys of stored tasks")
		assert.Equal(t, id, res[0].ID)
		require.NoError(t, commit())
		assert.Len(t, f.claim(q, driver.Fifo, 10, longLease), 1, "the duplicate was not stored")
	}},
	{name: "InvalidInputRefused", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		c, commit, _ := f.tx()
		limit := s.payloadLimit()
		bad := map[string]driver.NewTask{
			"a payload one byte over the driver's limit": {Queue: q, Payload: make([]byte, limit+1), MaxAttempts: 1},
			"a unique key with a NUL byte":               {Queue: q, MaxAttempts: 1, UniqueKey: "a\x00b"},
			"no max attempts":                            {Queue: q},
			"a bad queue name":                           {Queue: "bad queue", MaxAttempts: 1},
		}
		for what, nt := range bad {
			_, err := c.Create(f.ctx, []driver.NewTask{task(q, "valid"), nt})
			assert.ErrorIs(t, err, driver.ErrInvalid, "rule: a transactional Create refuses %s with ErrInvalid, as Create does", what)
		}
		require.NoError(t, commit(), "commit")
		f.claimNone(q, "a transactional Create refused as invalid stages nothing of its batch")
	}},
	{name: "KeysScopedToQueueInTx", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		a, b := f.queue(), f.queue()
		c, commit, _ := f.tx()
		var staged []int64
		for _, q := range []string{a, b} {
			res, err := c.Create(f.ctx, []driver.NewTask{{Queue: q, Payload: []byte(q), MaxAttempts: 1, UniqueKey: "k"}})
			require.NoError(t, err, "Create in the transaction")
			require.Len(t, res, 1)
			require.NoError(t, res[0].Err, "rule: a key staged in the transaction for another queue is free in this one: keys are scoped to their queue")
			staged = append(staged, res[0].ID)
		}
		assert.NotEqual(t, staged[0], staged[1], "two staged tasks have IDs of their own")
		// A store whose transactions cannot span queues (Redis Cluster)
		// may refuse the commit; a commit that succeeds stores both.
		if commit() != nil {
			return
		}
		for i, q := range []string{a, b} {
			r := f.get(staged[i])
			assert.Equal(t, q, r.Queue, "rule: each staged task is stored in its own queue")
			assert.Equal(t, driver.StatePending, r.State, "rule: each staged task is stored, pending")
		}
	}},
	{name: "KeyTakenBeforeCommitHasOneHolder", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		u := driver.NewTask{Queue: q, Payload: []byte("in the transaction"), MaxAttempts: 1, UniqueKey: "k"}
		c, commit, _ := f.tx()
		res, err := c.Create(f.ctx, []driver.NewTask{u, task(q, "keyless, in the transaction")})
		require.NoError(t, err, "Create in the transaction")
		require.Len(t, res, 2)
		require.NoError(t, res[0].Err, "the key is free when the transaction stages its task")
		require.NoError(t, res[1].Err, "a task without a key")
		inTx, keyless := res[0].ID, res[1].ID
		// Another caller creates a task with the key before the commit. A
		// store with one writer, or one that locks the key, makes it wait
		// for the commit: wait for its answer only a moment, then commit.
		type answer struct {
			res []driver.CreateResult
			err error
		}
		done := make(chan answer, 1)
		go func() {
			u := u
			u.Payload = []byte("outside")
			res, err := f.d.Create(f.ctx, []driver.NewTask{u})
			done <- answer{res, err}
		}()
		var outside answer
		waited := false
		select {
		case outside = <-done:
			waited = true
		case <-time.After(txWait):
		}
		committed := commit() // a store may refuse the commit for the key taken meanwhile
		if !waited {
			outside = <-done
		}
		var holders []int64
		for _, id := range []int64{inTx, outsideID(outside.res, outside.err)} {
			if id == 0 {
				continue
			}
			r, err := f.d.Get(f.ctx, id)
			if err == nil && !r.State.Final() && r.UniqueKey == u.UniqueKey {
				holders = append(holders, id)
			}
		}
		require.Len(t, holders, 1, "rule: a key taken by another task between a transaction's Create and its commit has one holder afterwards: the commit refuses or drops its task, or the other Create waits and is ErrDuplicate")
		if outside.err == nil && len(outside.res) == 1 && errors.Is(outside.res[0].Err, driver.ErrDuplicate) {
			assert.Equal(t, holders[0], outside.res[0].ID, "rule: a Create refused as a duplicate names the task that holds the key")
		}
		_, err = f.d.Get(f.ctx, keyless)
		if committed != nil {
			assert.ErrorIs(t, err, driver.ErrTaskNotFound, "rule: a commit that failed (%v) stores nothing of its transaction", committed)
		} else {
			assert.NoError(t, err, "rule: a commit that succeeded stores the transaction's other tasks")
		}
	}},
}

// txWait is how long KeyTakenBeforeCommitHasOneHolder lets another Create
// run before it commits. Either order keeps the rule; the wait only lets a
// store that does not block that Create answer first.
const txWait = time.Second

// outsideID is the ID of the task a Create of one task stored, or zero.
func outsideID(res []driver.CreateResult, err error) int64 {
	if err != nil || len(res) != 1 || res[0].Err != nil {
		return 0
	}
	return res[0].ID
}
