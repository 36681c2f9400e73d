package worker

import (
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

	next, skipped := l.next(as[0])
	assert.Same(t, as[2], next, "the slot goes to the first waiting attempt")
	assert.Empty(t, skipped)
	assert.Equal(t, 2, l.handling(), "the slot stays taken")
	assert.Equal(t, 1, l.room(2, 3))

	require.True(t, l.lose(as[3].lease, errors.New("lost")))
	next, skipped = l.next(as[1])
	assert.Same(t, as[4], next, "an attempt whose lease was lost while it waited is not started")
	assert.Equal(t, []*attempt[int]{as[3]}, skipped)
	lost, _ := l.fate(as[3])
	assert.True(t, lost)

	next, skipped = l.next(as[2])
	assert.Nil(t, next)
	assert.Empty(t, skipped)
	assert.Equal(t, 1, l.handling(), "with nothing waiting the slot is freed")
	assert.Equal(t, 5, l.held(), "every attempt is held until its outcome is settled")
}

func TestLedgerDrainGivesTheWaitingAttemptsToTheShutdown(t *testing.T) {
	t.Parallel()
	l := newLedger[int]()
	a, _ := newAttempt(t, 1, 1)
	b, _ := newAttempt(t, 2, 1)
	c, _ := newAttempt(t, 3, 1)
	for _, x := range []*attempt[int]{a, b, c} {
		l.queueOrRun(x, 1)
	}
	require.True(t, l.lose(c.lease, errors.New("lost")))
	assert.Equal(t, []*attempt[int]{b, c}, l.drain())
	_, shutdown := l.fate(b)
	assert.True(t, shutdown, "a waiting attempt is released as shut down")
	lost, shutdown := l.fate(c)
	assert.True(t, lost)
	assert.False(t, shutdown, "a lost one stays lost")
	next, _ := l.next(a)
	assert.Nil(t, next, "nothing waits after the drain")
	assert.Empty(t, l.drain())
}
