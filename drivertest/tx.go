package drivertest

import (
	"testing"

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
}
