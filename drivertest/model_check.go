package drivertest

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/gosk/gosk/driver"
)

// How the model compares the driver's tasks with its own.

// checkAll compares every task with the model at the end of a case: with
// one List per queue where the driver has Admin, else one Get per task.
func (m *model) checkAll() {
	const rule = "every task ends as the contract predicts"
	m.step("check every task")
	if m.admin == nil {
		for _, id := range m.ids {
			m.check(m.tasks[id], rule)
		}
		return
	}
	for _, q := range m.queues {
		got, err := m.admin.List(m.f.ctx, driver.ListParams{Queue: q, Limit: 1000})
		m.noErr(err, "Admin.List")
		byID := map[int64]driver.TaskRecord{}
		for _, r := range got {
			mt := m.tasks[r.ID]
			m.ok(mt != nil && !mt.purged, "List returns the tasks of the store", "it listed %s", m.name(r.ID))
			byID[r.ID] = r
		}
		for _, id := range m.ids {
			if mt := m.tasks[id]; mt.rec.Queue == q && !mt.purged {
				r, ok := byID[id]
				m.ok(ok, "List returns every task of its queue", "%s was not listed", mt.name)
				m.compare(mt, r, rule)
			}
		}
	}
}

// check compares a task's stored record with the model; rule is the rule
// that the step which called it relies on.
func (m *model) check(mt *modelTask, rule string) {
	m.t.Helper()
	got, err := m.f.d.Get(m.f.ctx, mt.rec.ID)
	if mt.purged {
		m.ok(errors.Is(err, driver.ErrTaskNotFound), "a purged task is gone: Get returns ErrTaskNotFound", "Get of %s returned %s", mt.name, describeErr(err))
		return
	}
	m.noErr(err, "Get of "+mt.name)
	m.compare(mt, got, rule)
}

// compare fails the case with rule unless got is the model's record of mt.
func (m *model) compare(mt *modelTask, got driver.TaskRecord, rule string) {
	m.t.Helper()
	want := mt.rec
	differ := func(field string, want, got any) {
		m.t.Helper()
		m.broke(rule, "%s's %s is %v, not %v", mt.name, field, got, want)
	}
	switch {
	case got.ID != want.ID:
		differ("ID", m.name(want.ID), m.name(got.ID))
	case got.State != want.State:
		differ("state", want.State, got.State)
	case got.Attempt != want.Attempt:
		differ("attempt count (claims, less those given back)", want.Attempt, got.Attempt)
	case got.LastError != want.LastError:
		differ("last error", fmt.Sprintf("%q", want.LastError), fmt.Sprintf("%q", got.LastError))
	case got.Queue != want.Queue:
		differ("queue", m.qname(want.Queue), got.Queue)
	case got.Priority != want.Priority:
		differ("priority", want.Priority, got.Priority)
	case got.UniqueKey != want.UniqueKey:
		differ("unique key", fmt.Sprintf("%q", want.UniqueKey), fmt.Sprintf("%q", got.UniqueKey))
	case got.MaxAttempts != want.MaxAttempts:
		differ("max attempts", want.MaxAttempts, got.MaxAttempts)
	case !bytes.Equal(want.Payload, got.Payload):
		differ("payload", want.Payload, got.Payload)
	case !bytes.Equal(want.Result, got.Result):
		differ("result", fmt.Sprintf("%q", want.Result), fmt.Sprintf("%q", got.Result))
	case (want.State == driver.StateRunning) != !got.LeaseExpiresAt.IsZero():
		differ("lease expiry (set exactly while running)", want.State == driver.StateRunning, !got.LeaseExpiresAt.IsZero())
	case want.State.Final() != !got.FinalizedAt.IsZero():
		differ("finalisation time (set exactly while final)", want.State.Final(), !got.FinalizedAt.IsZero())
	}
	if m.clock == nil {
		return
	}
	since := func(t time.Time) string {
		if t.IsZero() {
			return "unset"
		}
		return fmt.Sprintf("now%+v", t.Sub(m.now))
	}
	for _, tt := range []struct {
		field     string
		want, got time.Time
	}{
		{"creation time", mt.createdAt, got.CreatedAt},
		{"run-at", mt.runAt, got.RunAt},
		{"lease expiry", mt.expiresAt, got.LeaseExpiresAt},
		{"finalisation time", mt.finalizedAt, got.FinalizedAt},
	} {
		if tt.field == "lease expiry" && want.State != driver.StateRunning || tt.field == "finalisation time" && !want.State.Final() {
			continue
		}
		if !near(tt.got, tt.want) {
			differ(tt.field, since(tt.want), since(tt.got))
		}
	}
}
