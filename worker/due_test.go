package worker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// signalled reports whether d.sooner holds a signal, taking it.
func signalled(d *dueTracker) bool {
	select {
	case <-d.sooner:
		return true
	default:
		return false
	}
}

func TestDueTrackerReportsTheEarliestDueTime(t *testing.T) {
	t.Parallel()
	d := newDueTracker()
	_, ok := d.next(t0)
	assert.False(t, ok, "nothing due")
	d.add(t0.Add(3 * time.Second))
	d.add(t0.Add(time.Second))
	d.add(t0.Add(2 * time.Second))
	got, ok := d.next(t0)
	assert.True(t, ok)
	assert.Equal(t, time.Second, got)
	got, ok = d.next(t0.Add(time.Hour))
	assert.True(t, ok)
	assert.Zero(t, got, "a due time that has passed is due now, not in the past")
}

func TestDueTrackerSignalsOnlyWhenTheEarliestMovesEarlier(t *testing.T) {
	t.Parallel()
	d := newDueTracker()
	d.add(t0.Add(2 * time.Second))
	assert.True(t, signalled(d), "the first due time")
	d.add(t0.Add(3 * time.Second))
	assert.False(t, signalled(d), "a later due time leaves the timer as it is")
	d.add(t0.Add(time.Second))
	d.add(t0)
	assert.True(t, signalled(d), "an earlier due time")
	assert.False(t, signalled(d), "signals merge: the claim loop reads next when it wakes")
}

func TestDueTrackerKeepsEveryDueTimeUntilItPasses(t *testing.T) {
	t.Parallel()
	d := newDueTracker()
	for _, s := range []int{4, 1, 3, 2} {
		d.add(t0.Add(time.Duration(s) * time.Second))
	}
	got, ok := d.pass(t0.Add(2 * time.Second))
	assert.True(t, ok, "two are still to come")
	assert.Equal(t, time.Second, got, "the next is at 3s")
	got, ok = d.pass(t0.Add(3 * time.Second))
	assert.True(t, ok)
	assert.Equal(t, time.Second, got, "then 4s")
	_, ok = d.pass(t0.Add(4 * time.Second))
	assert.False(t, ok, "all passed")
}

func TestDueTrackerForgetsTheLatestWhenFull(t *testing.T) {
	t.Parallel()
	d := newDueTracker()
	for i := range maxDues {
		d.add(t0.Add(time.Duration(i+1) * time.Second))
	}
	d.add(t0.Add(time.Hour)) // later than all: left to polling
	d.add(t0)                // earlier: kept, the latest dropped
	assert.Len(t, d.times, maxDues)
	assert.Equal(t, t0, d.times[0])
	assert.Equal(t, t0.Add((maxDues-1)*time.Second), d.times[maxDues-1])
	_, ok := d.pass(t0.Add((maxDues - 1) * time.Second))
	assert.False(t, ok, "the hour was never kept")
}
