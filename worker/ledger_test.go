package worker

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
)

// newAttempt returns an attempt of task id under token, and its context.
func newAttempt(t *testing.T, id, token int64) (*attempt[int], context.Context) {
	ctx, cancel := context.WithCancelCause(context.Background())
	t.Cleanup(func() { cancel(nil) })
	return &attempt[int]{lease: driver.Lease{TaskID: id, Token: token}, cancel: cancel, info: TaskInfo{ID: id}}, ctx
}

func TestLedgerCountsSlotsFreeWhileHandlersRunAndOutcomesWait(t *testing.T) {
	t.Parallel()
	l := newLedger[int]()
	assert.Equal(t, 2, l.free(2))
	a, _ := newAttempt(t, 1, 1)
	b, _ := newAttempt(t, 2, 1)
	l.hold(a, false)
	l.hold(b, false)
	assert.Zero(t, l.free(2), "two handlers run")
	l.returned(a)
	assert.Equal(t, 1, l.free(2), "a returned handler frees its slot")
	assert.Equal(t, 1, l.waiting())
	c, _ := newAttempt(t, 3, 1)
	l.hold(c, false)
	l.returned(b)
	l.returned(c)
	assert.Equal(t, 1, l.free(2), "at most twice Concurrency held")
	assert.Equal(t, 3, l.held())
	l.forget(a)
	assert.Equal(t, 2, l.free(2))
	assert.Zero(t, l.handling())
}

func TestLedgerLosesOnlyARunningAttemptOfTheLeaseNamed(t *testing.T) {
	t.Parallel()
	l := newLedger[int]()
	a, actx := newAttempt(t, 1, 1)
	b, _ := newAttempt(t, 2, 1)
	l.hold(a, false)
	l.hold(b, false)
	assert.False(t, l.lose(driver.Lease{TaskID: 1, Token: 9}, driver.ErrLeaseLost), "another claim's lease")
	assert.True(t, l.lose(a.lease, driver.ErrLeaseLost))
	require.ErrorIs(t, context.Cause(actx), driver.ErrLeaseLost)
	assert.False(t, l.lose(a.lease, driver.ErrLeaseLost), "lost once")
	assert.Equal(t, []driver.Lease{b.lease}, l.leases(), "a lost lease is not pinged")
	l.returned(b)
	assert.False(t, l.lose(b.lease, driver.ErrLeaseLost), "a returned handler's outcome is on its way to Finish")
	lost, _ := l.fate(b)
	assert.False(t, lost)
}

func TestLedgerMarksTheEarlierAttemptOfAReclaimedTaskLost(t *testing.T) {
	t.Parallel()
	l := newLedger[int]()
	old, oldCtx := newAttempt(t, 1, 1)
	l.hold(old, false)
	cur, _ := newAttempt(t, 1, 2)
	assert.True(t, l.hold(cur, false))
	require.ErrorIs(t, context.Cause(oldCtx), driver.ErrLeaseLost)
	lost, _ := l.fate(old)
	assert.True(t, lost)
	assert.Equal(t, 2, l.held(), "the old handler holds its slot until it returns")
	assert.Equal(t, []driver.Lease{cur.lease}, l.leases())
	l.forget(old)
	assert.Equal(t, 1, l.held())
	l.forget(cur)
	assert.Zero(t, l.held())
}

func TestLedgerStopCancelsTheRunningHandlersForTheShutdown(t *testing.T) {
	t.Parallel()
	l := newLedger[int]()
	running, runningCtx := newAttempt(t, 1, 1)
	done, doneCtx := newAttempt(t, 2, 1)
	lost, _ := newAttempt(t, 3, 1)
	for _, a := range []*attempt[int]{running, done, lost} {
		l.hold(a, false)
	}
	l.returned(done)
	l.lose(lost.lease, driver.ErrLeaseLost)
	assert.Equal(t, 2, l.stop(), "the running and the lost handler")
	require.ErrorIs(t, context.Cause(runningCtx), ErrShutdown)
	require.NoError(t, doneCtx.Err(), "a returned handler is left alone")
	_, shutdown := l.fate(running)
	assert.True(t, shutdown)
	isLost, shutdown := l.fate(lost)
	assert.True(t, isLost)
	assert.False(t, shutdown, "a lost attempt stays lost: its outcome is not stored")

	unrun, _ := newAttempt(t, 4, 1)
	l.hold(unrun, true)
	_, shutdown = l.fate(unrun)
	assert.True(t, shutdown, "claimed while stopping: released, never run")
	assert.Equal(t, 2, l.handling(), "it takes no handler's slot")
}

// A handler frees its slot before its result is in the inbox; the
// finisher, which must not store a part of a batch while a result is on
// its way, asks how many results are owed, which only their arrival in
// the inbox lowers.
func TestLedgerOwesAResultFromHoldUntilItIsInTheInbox(t *testing.T) {
	t.Parallel()
	l := newLedger[int]()
	a, _ := newAttempt(t, 1, 1)
	b, _ := newAttempt(t, 2, 1)
	l.hold(a, false)
	l.hold(b, true) // never started: its result is owed all the same
	assert.Equal(t, 2, l.owing())
	l.returned(a)
	assert.Zero(t, l.handling(), "no handler runs")
	assert.Equal(t, 2, l.owing(), "but both results are still to come")
	l.put(result[int]{a: a})
	l.put(result[int]{a: b})
	assert.Zero(t, l.owing())
}

// An attempt lets go of its claimed record's bytes once decoded, and of
// its task and context once forgotten: the attempts of a claim are one
// allocation, which one slow handler keeps alive, and it must not keep
// the others' payloads with it.
func TestAForgottenAttemptHoldsNoPayload(t *testing.T) {
	t.Parallel()
	claimed := []driver.ClaimedTask{
		{Task: driver.TaskRecord{ID: 1, Payload: []byte("one")}, Lease: driver.Lease{TaskID: 1, Token: 1}},
		{Task: driver.TaskRecord{ID: 2, Payload: []byte("two")}, Lease: driver.Lease{TaskID: 2, Token: 1}},
	}
	l := newLedger[int]()
	a, _ := newAttempt(t, 1, 1)
	a.rec = &claimed[0].Task
	a.dropRecord()
	assert.Nil(t, claimed[0].Task.Payload, "a decoded record's payload is dropped from the claim's results")
	assert.NotNil(t, claimed[1].Task.Payload, "the others' stay until their attempts decode them")
	b, _ := newAttempt(t, 2, 1)
	b.rec = &claimed[1].Task
	b.task = &gosk.Task[int]{Payload: 2}
	l.hold(b, true) // never run: its record was never decoded
	l.forget(b)
	assert.Nil(t, claimed[1].Task.Payload)
	assert.Nil(t, b.task)
	assert.Nil(t, b.cancel)
	assert.Equal(t, int64(2), b.info.ID, "its info stays, for the event")
}
