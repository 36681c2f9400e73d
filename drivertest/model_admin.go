package drivertest

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"pgregory.net/rapid"

	"github.com/gosk/gosk/driver"
)

// The model's Admin calls: Cancel, Retry, Purge, Get, Count and List.

func (m *model) pickTask(rt *rapid.T) *modelTask {
	if len(m.ids) == 0 {
		rt.Skip("no task yet")
	}
	return m.tasks[rapid.SampledFrom(m.ids).Draw(rt, "task")]
}

func (m *model) cancel(rt *rapid.T) {
	mt := m.pickTask(rt)
	m.step("cancel %s from outside", mt.name)
	errs, err := m.admin.Cancel(m.f.ctx, []int64{mt.rec.ID})
	m.noErr(err, "Admin.Cancel")
	m.ok(len(errs) == 1, "Cancel returns one error per ID", "it returned %d", len(errs))
	m.journal[len(m.journal)-1] += " -> " + describeErr(errs[0])
	switch {
	case mt.purged:
		m.same(driver.ErrTaskNotFound, errs[0], "Cancel of a purged task returns ErrTaskNotFound")
		return
	case mt.rec.State.Final():
		rule := fmt.Sprintf("Cancel of a %v task returns ErrTaskConflict and changes nothing", mt.rec.State)
		m.same(driver.ErrTaskConflict, errs[0], rule)
		m.check(mt, rule)
		return
	}
	m.same(nil, errs[0], fmt.Sprintf("Cancel of a %v task cancels it", mt.rec.State))
	// The cancel takes whatever lease the task had, of a pending task too:
	// a call on it is a lost lease, not a conflict.
	mt.lease = driver.Lease{}
	mt.takenBy = fmt.Sprintf("%s was cancelled from outside in step %d", mt.name, len(m.journal))
	m.finalise(mt, driver.StateCancelled)
}

func (m *model) retry(rt *rapid.T) {
	mt := m.pickTask(rt)
	m.step("retry %s from outside", mt.name)
	errs, err := m.admin.Retry(m.f.ctx, []int64{mt.rec.ID})
	m.noErr(err, "Admin.Retry")
	m.ok(len(errs) == 1, "Retry returns one error per ID", "it returned %d", len(errs))
	m.journal[len(m.journal)-1] += " -> " + describeErr(errs[0])
	if mt.purged {
		m.same(driver.ErrTaskNotFound, errs[0], "Retry of a purged task returns ErrTaskNotFound")
		return
	}
	if mt.rec.State != driver.StateFailed && mt.rec.State != driver.StateCancelled {
		rule := fmt.Sprintf("Retry of a %v task returns ErrTaskConflict and changes nothing", mt.rec.State)
		m.same(driver.ErrTaskConflict, errs[0], rule)
		m.check(mt, rule)
		return
	}
	slot := uniqueSlot(mt.rec.Queue, mt.rec.UniqueKey)
	if holder, held := m.unique[slot]; held && mt.rec.UniqueKey != "" {
		rule := fmt.Sprintf("Retry of a task whose unique key %s now holds returns ErrDuplicate and changes nothing", m.tasks[holder].name)
		m.same(driver.ErrDuplicate, errs[0], rule)
		m.check(mt, rule)
		return
	}
	m.same(nil, errs[0], fmt.Sprintf("Retry of a %v task makes it pending again", mt.rec.State))
	mt.rec.State = driver.StatePending
	mt.rec.Attempt = 0
	mt.rec.Result = nil
	mt.runAt = m.now
	mt.finalizedAt = time.Time{}
	mt.asCreated = false
	mt.endedBy = fmt.Sprintf("%s; %s was retried from outside in step %d", mt.endedBy, mt.name, len(m.journal))
	if mt.rec.UniqueKey != "" {
		m.unique[slot] = mt.rec.ID
	}
}

// purge purges one queue and checks which tasks went: final ones only,
// finalised at least the age ago, oldest finalisation first, up to the
// limit. Without the driver's clock the ages are zero (every final task)
// and an hour (none).
func (m *model) purge(rt *rapid.T) {
	q := rapid.SampledFrom(m.queues).Draw(rt, "queue")
	ages := []time.Duration{0, farDelay}
	if m.clock != nil {
		ages = []time.Duration{0, modelDelay}
	}
	age := rapid.SampledFrom(ages).Draw(rt, "age")
	limit := rapid.SampledFrom([]int{0, 1, 2}).Draw(rt, "purgeLimit")
	m.step("purge queue %s (older than %v, limit %d)", m.qname(q), age, limit)

	// The order of finalisation: the model's times when it moves the
	// clock, else the store's, read before the purge.
	final := []driver.State{driver.StateCompleted, driver.StateCancelled, driver.StateFailed}
	var finals []*modelTask
	finalisedAt := map[int64]time.Time{}
	for _, id := range m.ids {
		if mt := m.tasks[id]; mt.rec.Queue == q && !mt.purged && mt.rec.State.Final() {
			finals = append(finals, mt)
			finalisedAt[id] = mt.finalizedAt
		}
	}
	if m.clock == nil {
		before, err := m.admin.List(m.f.ctx, driver.ListParams{Queue: q, States: final, Limit: 1000})
		m.noErr(err, "Admin.List")
		for _, r := range before {
			finalisedAt[r.ID] = r.FinalizedAt
		}
	}
	var eligible []*modelTask
	for _, mt := range finals {
		if age == 0 || m.clock != nil && m.now.Sub(mt.finalizedAt) >= age {
			eligible = append(eligible, mt)
		}
	}
	n, err := m.admin.Purge(m.f.ctx, driver.PurgeParams{Queue: q, OlderThan: age, Limit: limit})
	m.noErr(err, "Admin.Purge")
	after, err := m.admin.List(m.f.ctx, driver.ListParams{Queue: q, Limit: 1000})
	m.noErr(err, "Admin.List")
	left := map[int64]bool{}
	for _, r := range after {
		left[r.ID] = true
	}
	var gone []int64
	for _, mt := range finals {
		if !left[mt.rec.ID] {
			gone = append(gone, mt.rec.ID)
		}
	}
	m.journal[len(m.journal)-1] += fmt.Sprintf(" -> %d: %s", n, m.names(gone))
	most := limit
	if most == 0 {
		most = driver.DefaultPurgeLimit
	}
	m.ok(n == min(most, len(eligible)), "Purge deletes up to its limit of the queue's tasks finalised at least OlderThan ago (the age counts from finalisation)",
		"%d were old enough (%s) and the limit was %d; it reported %d", len(eligible), m.names(taskIDs(eligible)), most, n)
	m.ok(len(gone) == n, "Purge reports how many tasks it deleted", "it reported %d and deleted %s", n, m.names(gone))
	for _, id := range gone {
		mt := m.tasks[id]
		m.ok(slices.Contains(eligible, mt), "Purge deletes only final tasks finalised at least OlderThan ago",
			"it deleted %s, finalised %v ago", m.name(id), m.now.Sub(mt.finalizedAt))
	}
	for _, mt := range eligible {
		if left[mt.rec.ID] {
			for _, id := range gone {
				m.ok(!finalisedAt[id].After(finalisedAt[mt.rec.ID]), "Purge deletes the oldest finalisation first",
					"it deleted %s and kept %s, which was finalised earlier", m.name(id), mt.name)
			}
		}
	}
	for _, id := range gone {
		m.tasks[id].purged = true
	}
}

func (m *model) get(rt *rapid.T) {
	mt := m.pickTask(rt)
	m.step("get %s", mt.name)
	m.check(mt, "Get returns the task as the contract left it")
}

func (m *model) count(rt *rapid.T) {
	q := rapid.SampledFrom(m.queues).Draw(rt, "queue")
	m.step("count queue %s", m.qname(q))
	got, err := m.admin.Count(m.f.ctx, q)
	m.noErr(err, "Admin.Count")
	want := map[driver.State]int64{}
	for _, s := range driver.States() {
		want[s] = 0
	}
	for _, mt := range m.tasks {
		if mt.rec.Queue == q && !mt.purged {
			want[mt.rec.State]++
		}
	}
	m.ok(maps.Equal(want, got), "Count counts every state of the queue (a lapsed lease not yet reclaimed counts as running; purged tasks not at all)",
		"it counted %v, not %v", got, want)
}

func (m *model) list(rt *rapid.T) {
	q := rapid.SampledFrom(m.queues).Draw(rt, "queue")
	s := rapid.SampledFrom(driver.States()).Draw(rt, "state")
	m.step("list the %v tasks of queue %s", s, m.qname(q))
	got, err := m.admin.List(m.f.ctx, driver.ListParams{Queue: q, States: []driver.State{s}, Limit: 1000})
	m.noErr(err, "Admin.List")
	var want, gotIDs []int64
	for _, id := range m.ids {
		if mt := m.tasks[id]; mt.rec.Queue == q && mt.rec.State == s && !mt.purged {
			want = append(want, id)
		}
	}
	for _, r := range got {
		gotIDs = append(gotIDs, r.ID)
	}
	m.ok(slices.Equal(want, gotIDs), fmt.Sprintf("List returns the queue's %v tasks in ID order", s),
		"it listed %s, not %s", m.names(gotIDs), m.names(want))
}
