package drivertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// fenceOrderRules pin that a task's lease tokens only go up, so that a
// handler can fence its own writes with them. They belong to the Fencing
// group.
var fenceOrderRules = []rule{
	{name: "TokensOnlyGoUp", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		q := f.queue()
		id := f.create(task(q, "x"))[0]
		tokens := &tokenLog{t: t, id: id}
		lapsed := f.claimOne(q, shortLease)
		tokens.add(lapsed, "the first claim")
		tl.lapse(shortLease)
		live := f.claimOne(q, longLease)
		tokens.add(live, "a claim after the lease ran out")
		require.NoError(t, f.finish(outcome(live.Lease, driver.Release)), "release")
		live = f.claimOne(q, longLease)
		tokens.add(live, "a claim after a release")
		require.NoError(t, f.finish(driver.Outcome{Lease: live.Lease, Kind: driver.Release, KeepAttempt: true}), "release keeping the attempt")
		live = f.claimOne(q, longLease)
		tokens.add(live, "a claim after a release that kept the attempt")
		require.NoError(t, f.finish(outcome(live.Lease, driver.Complete)), "the last lease holds")
	}},
	{name: "TokensGoUpAcrossCancelAndRetry", test: func(t *testing.T, s *suite) {
		f, tl := s.timed(t)
		a := f.admin()
		q := f.queue()
		once := task(q, "x")
		once.MaxAttempts = 1
		id := f.create(once)[0]
		tokens := &tokenLog{t: t, id: id}
		retry := func(what string, lease time.Duration) driver.ClaimedTask {
			t.Helper()
			errs, err := a.Retry(f.ctx, []int64{id})
			require.NoError(t, err, "Retry")
			require.NoError(t, errs[0], "Retry after %s", what)
			c := f.claimOne(q, lease)
			tokens.add(c, "a claim after "+what+" and a retry")
			return c
		}
		cancel := func(what string) {
			t.Helper()
			errs, err := a.Cancel(f.ctx, []int64{id})
			require.NoError(t, err, "Cancel")
			require.NoError(t, errs[0], "Cancel of a %s task", what)
		}

		tokens.add(f.claimOne(q, longLease), "the first claim")
		cancel("running")
		retry("an outside cancel of the running task", longLease)
		cancel("running")
		errs, err := a.Retry(f.ctx, []int64{id})
		require.NoError(t, err, "Retry")
		require.NoError(t, errs[0], "Retry of a cancelled task")
		cancel("pending")
		c := retry("an outside cancel of the pending task", longLease)
		require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Fail, Message: "failed"}), "fail")
		// The task has one attempt: when the lease of this claim runs
		// out, the next claim of the queue fails the task, taking its
		// lease, and a retry brings it back.
		retry("a failure", shortLease)
		tl.lapse(shortLease)
		f.claimNone(q, "the task's last attempt lapsed: a claim fails it")
		require.Equal(t, driver.StateFailed, f.get(id).State, "a claim fails a task whose last lease ran out")
		c = retry("a claim failed the task whose last lease ran out", longLease)
		require.NoError(t, f.finish(outcome(c.Lease, driver.Complete)), "the last lease holds")
	}},
}

// tokenLog holds the lease tokens one task was given, in order, and checks
// each new one against them.
type tokenLog struct {
	t      *testing.T
	id     int64
	tokens []int64
}

// add checks that c is a claim of the log's task and that its token is
// greater than every token the task was given before.
func (l *tokenLog) add(c driver.ClaimedTask, what string) {
	l.t.Helper()
	require.Equal(l.t, l.id, c.Task.ID, "the claim hands out the subtest's task")
	for _, earlier := range l.tokens {
		assert.Greater(l.t, c.Lease.Token, earlier,
			"rule: each new lease token of a task is greater than every earlier one; %s gave token %d after tokens %v", what, c.Lease.Token, l.tokens)
	}
	l.tokens = append(l.tokens, c.Lease.Token)
}
