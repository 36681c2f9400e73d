package worker

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLedgerQueuesAttemptsClaimedAheadAndHandsThemToReturningHandlers(t *testing.T) {
	t.Parallel()
	l := newLedger[int]()
	assert.Equal(t, 5, l.room(2, 3), "two handlers and three waiting")
	as := make([]*attempt[int], 5)
	for i := range as {
		as[i], _ = newAttempt(t, int64(i+1), 1)
		_, run := l.queueOrRun(as[i], 2)
		assert.Equal(t, i < 2, run, "attempt %d", i)
	}
	assert.Zero(t, l.room(2, 3))
	assert.Equal(t, 2, l.handling())
	assert.Zero(t, l.waiting(), "attempts waiting for a handler have no outcome to store")

	next, _ := l.next(as[0], result[int]{a: as[0]}, true)
	assert.Same(t, as[2], next, "the slot goes to the first waiting attempt")
	assert.Equal(t, []*attempt[int]{as[0]}, inboxOf(l), "the handler's result is in the inbox")
	assert.Equal(t, 2, l.handling(), "the slot stays taken")
	assert.Equal(t, 1, l.room(2, 3))

	require.True(t, l.lose(as[3].lease, errors.New("lost")))
	next, _ = l.next(as[1], result[int]{a: as[1]}, true)
	assert.Same(t, as[4], next, "an attempt whose lease was lost while it waited is not started")
	assert.Equal(t, []*attempt[int]{as[1], as[3]}, inboxOf(l), "the skipped attempt's result follows the handler's")
	lost, _ := l.fate(as[3])
	assert.True(t, lost)

	next, _ = l.next(as[2], result[int]{a: as[2]}, true)
	assert.Nil(t, next)
	assert.Equal(t, []*attempt[int]{as[2]}, inboxOf(l))
	assert.Equal(t, 2, l.handling(), "with nothing waiting the handler keeps its slot, to look once more")
	b, _ := newAttempt(t, 6, 1)
	l.queueOrRun(b, 2)
	next, _ = l.resume()
	assert.Same(t, b, next, "an attempt queued meanwhile goes to the handler that kept its slot")
	next, _ = l.next(b, result[int]{a: b}, true)
	assert.Nil(t, next)
	next, _ = l.resume()
	assert.Nil(t, next)
	assert.Equal(t, 1, l.handling(), "with nothing waiting still, the slot is freed")
	assert.Equal(t, 6, l.held(), "every attempt is held until its outcome is settled")
}

// inboxOf takes every result from l's inbox and returns their attempts.
func inboxOf[T any](l *ledger[T]) []*attempt[T] {
	res, _ := l.take(nil, 1<<20)
	as := make([]*attempt[T], len(res))
	for i, r := range res {
		as[i] = r.a
	}
	return as
}

func TestLedgerDrainGivesTheWaitingAttemptsToTheShutdown(t *testing.T) {
	t.Parallel()
	l := newLedger[int]()
	a, _ := newAttempt(t, 1, 1)
	b, bctx := newAttempt(t, 2, 1)
	c, _ := newAttempt(t, 3, 1)
	for _, x := range []*attempt[int]{a, b, c} {
		l.queueOrRun(x, 1)
	}
	require.True(t, l.lose(c.lease, errors.New("lost")))
	l.drain()
	res, _ := l.take(nil, 10)
	require.Len(t, res, 2, "the waiting attempts' results are in the inbox")
	for i, x := range []*attempt[int]{b, c} {
		assert.Same(t, x, res[i].a)
		assert.ErrorIs(t, res[i].err, errNotRun)
	}
	_, shutdown := l.fate(b)
	assert.True(t, shutdown, "a waiting attempt is released as shut down")
	assert.ErrorIs(t, context.Cause(bctx), ErrShutdown, "its handler's context is cancelled")
	lost, shutdown := l.fate(c)
	assert.True(t, lost)
	assert.False(t, shutdown, "a lost one stays lost")
	next, _ := l.next(a, result[int]{a: a}, false)
	assert.Nil(t, next, "nothing waits after the drain")
	assert.Zero(t, l.handling(), "without keep, the slot is freed at once")
	l.drain()
	assert.Equal(t, []*attempt[int]{a}, inboxOf(l), "nothing more to drain")
}
