package drivertest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/gosk/gosk/driver"
)

// The model's leases: moving the clock, Claim, Ping and Finish, each checked
// against the tasks and leases the model holds.

func (m *model) advance(rt *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{modelTick, modelLapse}).Draw(rt, "advance")
	m.step("move the clock on by %v", d)
	m.clock.Add(d)
	m.tick()
}

// claimOrder compares two tasks in rule r's order, by the model's times.
func claimOrder(r driver.PriorityRule) func(a, b *modelTask) int {
	byTime := func(a, b *modelTask) int {
		return cmp.Or(a.runAt.Compare(b.runAt), cmp.Compare(a.rec.ID, b.rec.ID))
	}
	switch r {
	case driver.Lifo:
		return func(a, b *modelTask) int { return byTime(b, a) }
	case driver.Priority:
		return func(a, b *modelTask) int { return cmp.Or(cmp.Compare(b.rec.Priority, a.rec.Priority), byTime(a, b)) }
	}
	return byTime
}

func (m *model) lapsed(mt *modelTask) bool {
	return mt.rec.State == driver.StateRunning && !mt.expiresAt.After(m.now)
}

func (m *model) claim(rt *rapid.T) {
	w := rapid.IntRange(0, modelWorkers-1).Draw(rt, "worker")
	q := rapid.SampledFrom(m.queues).Draw(rt, "queue")
	limit := rapid.IntRange(1, 3).Draw(rt, "limit")
	r := rapid.SampledFrom([]driver.PriorityRule{driver.Fifo, driver.Lifo, driver.Priority}).Draw(rt, "rule")
	m.step("worker %d claims up to %d from queue %s in %v order", w, limit, m.qname(q), r)
	stepNo := len(m.journal)
	got, err := m.f.d.Claim(m.f.ctx, driver.ClaimParams{Queue: q, Limit: limit, Rule: r, Lease: m.lease()})
	m.noErr(err, "Claim")
	m.journal[len(m.journal)-1] += " -> " + m.names(ids(got))

	// The candidates: pending tasks whose run-at has come, and running
	// tasks whose lease lapsed with an attempt left (on their last
	// attempt, the claim fails them instead).
	var avail, lastLapsed []*modelTask
	for _, id := range m.ids {
		mt := m.tasks[id]
		switch {
		case mt.rec.Queue != q || mt.purged:
		case mt.rec.State == driver.StatePending && !mt.runAt.After(m.now):
			avail = append(avail, mt)
		case m.lapsed(mt) && mt.rec.Attempt < mt.rec.MaxAttempts:
			avail = append(avail, mt)
		case m.lapsed(mt):
			lastLapsed = append(lastLapsed, mt)
		}
	}
	order := claimOrder(r)
	slices.SortStableFunc(avail, order)

	m.ok(len(got) == min(limit, len(avail)), "Claim takes up to its limit of the available tasks (pending with run-at come, or running with a lapsed lease and an attempt left)",
		"%d were available (%s), the limit was %d, it took %d", len(avail), m.names(taskIDs(avail)), limit, len(got))
	seen := map[int64]bool{}
	for _, c := range got {
		mt := m.tasks[c.Task.ID]
		m.ok(mt != nil && !mt.purged, "Claim hands out only tasks of the store", "it handed out %s", m.name(c.Task.ID))
		m.ok(!seen[c.Task.ID], "one claim returns a task once", "it returned %s twice", mt.name)
		seen[c.Task.ID] = true
		if slices.Contains(lastLapsed, mt) {
			m.broke("a claim fails a task whose lease lapsed on its last attempt instead of handing it out", "it handed out %s", mt.name)
		}
		m.ok(slices.Contains(avail, mt), "Claim hands out only available tasks of its queue",
			"it handed out %s, which is %v in queue %s%s", mt.name, mt.rec.State, m.qname(mt.rec.Queue), m.notYet(mt))
		m.ok(c.Lease.TaskID == c.Task.ID, "a lease names its task", "the lease of %s names %s", mt.name, m.name(c.Lease.TaskID))
		m.ok(c.Task.Attempt == mt.rec.Attempt+1, "a claim counts one attempt", "%s had %d attempts and was handed out with %d", mt.name, mt.rec.Attempt, c.Task.Attempt)
		m.ok(bytes.Equal(mt.rec.Payload, c.Task.Payload), "Claim returns the task's payload", "%s came with another payload", mt.name)
		m.ok(c.Task.State == driver.StateRunning, "a claimed task is running", "%s was handed out %v", mt.name, c.Task.State)
		if m.clock != nil {
			m.ok(near(c.Task.LeaseExpiresAt, m.now.Add(m.lease())), "a claim's lease ends at now plus the lease length",
				"%s's lease ends %v after now, not %v", mt.name, c.Task.LeaseExpiresAt.Sub(m.now), m.lease())
		}
		for _, ls := range m.leases {
			for _, old := range ls {
				m.ok(old.TaskID != c.Task.ID || old.Token != c.Lease.Token, "every claim of a task gets a new lease token",
					"%s got the token of its claim in step %d again", mt.name, old.step)
			}
		}
	}
	// Without the driver's clock, the model knows run-at only as an order
	// of events, which two calls in the same instant of the store's clock
	// would tie; the order is exact while every candidate's run-at is
	// still its creation time (creation order is ID order).
	if m.clock != nil || !slices.ContainsFunc(avail, func(mt *modelTask) bool { return !mt.asCreated }) {
		want := taskIDs(avail[:len(got)])
		m.ok(slices.Equal(want, ids(got)), fmt.Sprintf("Claim hands out tasks in %v order (a lapsed lease takes its place by the rule, like a pending task)", r),
			"it handed out %s; the order says %s", m.names(ids(got)), m.names(want))
	} else if r == driver.Priority {
		for i, c := range got {
			m.ok(c.Task.Priority == avail[i].rec.Priority, "Priority hands out the highest priorities first",
				"it handed out %s (priority %d) where priority %d was due", m.name(c.Task.ID), c.Task.Priority, avail[i].rec.Priority)
		}
	}
	for _, c := range got {
		mt := m.tasks[c.Task.ID]
		if mt.rec.State == driver.StateRunning {
			mt.takenBy = fmt.Sprintf("its lease lapsed and the claim in step %d took %s", stepNo, mt.name)
		} else {
			mt.takenBy = fmt.Sprintf("%s was claimed again in step %d", mt.name, stepNo)
		}
		mt.rec.State = driver.StateRunning
		mt.rec.Attempt++
		mt.lease = c.Lease
		mt.expiresAt = m.now.Add(m.lease())
		m.leases[w] = append(m.leases[w], heldLease{Lease: c.Lease, step: stepNo})
	}
	// Every task of the queue whose lease lapsed on its last attempt: the
	// claim fails it, whatever its limit and wherever the task stands in
	// the order.
	for _, mt := range lastLapsed {
		rec, err := m.f.d.Get(m.f.ctx, mt.rec.ID)
		m.noErr(err, "Get of "+mt.name)
		m.ok(rec.State == driver.StateFailed && rec.LastError == driver.LeaseExpiredMessage,
			"a claim fails every task of its queue whose lease lapsed on its last attempt, with the error \"lease expired\", whatever its limit",
			"%s is %v with last error %q", mt.name, rec.State, rec.LastError)
		mt.rec.LastError = driver.LeaseExpiredMessage
		mt.lease = driver.Lease{}
		mt.takenBy = fmt.Sprintf("its lease lapsed on its last attempt and the claim in step %d failed %s", stepNo, mt.name)
		m.finalise(mt, driver.StateFailed)
	}
}

// notYet explains why a pending task is not available, for messages.
func (m *model) notYet(mt *modelTask) string {
	switch {
	case mt.rec.State == driver.StatePending && mt.runAt.After(m.now):
		return fmt.Sprintf(" and not due for another %v", mt.runAt.Sub(m.now))
	case mt.rec.State == driver.StateRunning && !m.lapsed(mt):
		return " under a lease that still runs"
	}
	return ""
}

func taskIDs(ts []*modelTask) []int64 {
	out := make([]int64, len(ts))
	for i, mt := range ts {
		out[i] = mt.rec.ID
	}
	return out
}

// near reports whether a stored time is the model's, within modelTimeSlack.
func near(got, want time.Time) bool {
	d := got.Sub(want)
	return d > -modelTimeSlack && d < modelTimeSlack
}

// pickLeases draws up to most leases of one worker, at most one per task.
func (m *model) pickLeases(rt *rapid.T, most int) (int, []heldLease) {
	w := rapid.IntRange(0, modelWorkers-1).Draw(rt, "worker")
	if len(m.leases[w]) == 0 {
		rt.Skip("worker has no lease")
	}
	// Leases of tasks that have not ended are where the fencing rules
	// bite (a live lease, a stale one after a reclaim or a release); pick
	// them more often than the leases of final tasks.
	pool := m.leases[w]
	var open []heldLease
	for _, l := range pool {
		if mt := m.tasks[l.TaskID]; !mt.purged && !mt.rec.State.Final() {
			open = append(open, l)
		}
	}
	if len(open) > 0 && rapid.IntRange(0, 3).Draw(rt, "preferOpen") > 0 {
		pool = open
	}
	n := rapid.IntRange(1, most).Draw(rt, "leases")
	var out []heldLease
	named := map[int64]bool{}
	for range n {
		l := rapid.SampledFrom(pool).Draw(rt, "lease")
		if !named[l.TaskID] {
			named[l.TaskID] = true
			out = append(out, l)
		}
	}
	return w, out
}

func (m *model) leaseName(l heldLease) string {
	return fmt.Sprintf("%s (lease of step %d)", m.tasks[l.TaskID].name, l.step)
}

// fence is the rule that decides a call on lease l, in the fencing order
// of the driver package doc, and the model's answer to it.
func (m *model) fence(l heldLease, ping bool) (string, error) {
	mt := m.tasks[l.TaskID]
	call := "an outcome (Finish)"
	if ping {
		call = "a Ping"
	}
	switch {
	case mt.purged:
		return fmt.Sprintf("%s on a task that was purged returns ErrTaskNotFound", call), driver.ErrTaskNotFound
	case l.Lease != mt.lease:
		return fmt.Sprintf("%s by a stale lease (%s) returns ErrLeaseLost and changes nothing", call, mt.takenBy), driver.ErrLeaseLost
	case mt.rec.State != driver.StateRunning && ping:
		return fmt.Sprintf("a Ping by a lease that already ended its task's run (%s) returns ErrLeaseLost and changes nothing", mt.endedBy), driver.ErrLeaseLost
	case mt.rec.State != driver.StateRunning:
		return fmt.Sprintf("an outcome by a lease that already ended its task's run (%s; token unchanged) returns ErrTaskConflict and changes nothing", mt.endedBy), driver.ErrTaskConflict
	}
	return fmt.Sprintf("%s by the lease that holds a running task applies", call), nil
}

func (m *model) ping(rt *rapid.T) {
	w, leases := m.pickLeases(rt, 3)
	names := make([]string, len(leases))
	plain := make([]driver.Lease, len(leases))
	for i, l := range leases {
		names[i], plain[i] = m.leaseName(l), l.Lease
	}
	m.step("worker %d pings %s", w, strings.Join(names, ", "))
	errs, err := m.f.d.Ping(m.f.ctx, plain, m.lease())
	m.noErr(err, "Ping")
	m.ok(len(errs) == len(leases), "Ping returns one error per lease", "it returned %d for %d", len(errs), len(leases))
	var answers []string
	for _, e := range errs {
		answers = append(answers, describeErr(e))
	}
	m.journal[len(m.journal)-1] += " -> " + strings.Join(answers, ", ")
	for i, l := range leases {
		rule, want := m.fence(l, true)
		m.same(want, errs[i], rule)
		mt := m.tasks[l.TaskID]
		if want == nil {
			mt.expiresAt = m.now.Add(m.lease())
			continue
		}
		if !mt.purged {
			m.check(mt, rule)
		}
	}
}

// same fails the case with rule unless got is want in the sense of
// errors.Is (both nil counts as the same).
func (m *model) same(want, got error, rule string) {
	m.t.Helper()
	if (want == nil) != (got == nil) || want != nil && !errors.Is(got, want) {
		m.broke(rule, "got %s", describeErr(got))
	}
}

func (m *model) finish(rt *rapid.T) {
	w, leases := m.pickLeases(rt, 2)
	outcomes := make([]driver.Outcome, len(leases))
	descs := make([]string, len(leases))
	releaseDelays := []time.Duration{0, 0, 0, farDelay}
	if m.clock != nil {
		releaseDelays = append(releaseDelays, modelDelay)
	}
	for i, l := range leases {
		o := driver.Outcome{
			Lease:   l.Lease,
			Kind:    rapid.SampledFrom([]driver.OutcomeKind{driver.Complete, driver.Release, driver.Fail, driver.Cancel}).Draw(rt, "kind"),
			Message: rapid.SampledFrom([]string{"", "oops"}).Draw(rt, "message"),
		}
		if o.Kind == driver.Complete && rapid.Bool().Draw(rt, "withResult") {
			// Each task's own result, so that one stored with another
			// task of the batch shows.
			o.Result = []byte("result of " + m.tasks[l.TaskID].name)
		}
		if o.Kind == driver.Release {
			o.KeepAttempt = rapid.Bool().Draw(rt, "keepAttempt")
			o.Delay = rapid.SampledFrom(releaseDelays).Draw(rt, "releaseDelay")
			// A worker fails a task on its last attempt rather than
			// releasing it.
			if mt := m.tasks[l.TaskID]; !o.KeepAttempt && mt.rec.Attempt >= mt.rec.MaxAttempts {
				o = driver.Outcome{Lease: l.Lease, Kind: driver.Fail, Message: o.Message}
			}
		}
		outcomes[i] = o
		descs[i] = fmt.Sprintf("%v %s", o.Kind, m.leaseName(l))
		if o.Message != "" {
			descs[i] += fmt.Sprintf(" with message %q", o.Message)
		}
		if o.KeepAttempt {
			descs[i] += " keeping the attempt"
		}
		if len(o.Result) > 0 {
			descs[i] += fmt.Sprintf(" with result %q", o.Result)
		}
		if o.Delay > 0 {
			descs[i] += fmt.Sprintf(" after %v", o.Delay)
		}
	}
	m.step("worker %d finishes: %s", w, strings.Join(descs, "; "))
	errs, err := m.f.d.Finish(m.f.ctx, outcomes)
	m.noErr(err, "Finish")
	m.ok(len(errs) == len(outcomes), "Finish returns one error per outcome", "it returned %d for %d", len(errs), len(outcomes))
	var answers []string
	for _, e := range errs {
		answers = append(answers, describeErr(e))
	}
	m.journal[len(m.journal)-1] += " -> " + strings.Join(answers, ", ")
	for i, o := range outcomes {
		rule, want := m.fence(leases[i], false)
		m.same(want, errs[i], rule)
		mt := m.tasks[o.Lease.TaskID]
		if want != nil {
			if !mt.purged {
				m.check(mt, rule)
			}
			continue
		}
		if o.Message != "" {
			mt.rec.LastError = o.Message
		}
		mt.endedBy = fmt.Sprintf("it %v %s in step %d", pastTense(o.Kind), mt.name, len(m.journal))
		switch o.Kind {
		case driver.Complete:
			m.finalise(mt, driver.StateCompleted)
			mt.rec.Result = o.Result
		case driver.Cancel:
			m.finalise(mt, driver.StateCancelled)
		case driver.Fail:
			m.finalise(mt, driver.StateFailed)
		case driver.Release:
			mt.rec.State = driver.StatePending
			mt.runAt = m.now.Add(o.Delay)
			mt.asCreated = false
			if o.KeepAttempt {
				mt.rec.Attempt--
			}
		}
	}
}

func pastTense(k driver.OutcomeKind) string {
	switch k {
	case driver.Complete:
		return "completed"
	case driver.Cancel:
		return "cancelled"
	case driver.Fail:
		return "failed"
	}
	return "released"
}

func (m *model) finalise(mt *modelTask, s driver.State) {
	mt.rec.State = s
	mt.finalizedAt = m.now
	slot := uniqueSlot(mt.rec.Queue, mt.rec.UniqueKey)
	if mt.rec.UniqueKey != "" && m.unique[slot] == mt.rec.ID {
		delete(m.unique, slot)
	}
}
