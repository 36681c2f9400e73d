package drivertest

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/gosk/gosk/driver"
)

// The model's Create and transactional create: the tasks it draws and what
// it expects the driver to store.

// modelPayloads are the payloads the model draws from: a payload is only
// stored and given back, and a fixed set keeps the cases quick to shrink.
var modelPayloads = [][]byte{{}, []byte("p"), {0x00, 0xff, 0xfe}}

func uniqueSlot(queue, key string) string { return queue + "\x00" + key }

// drawTasks draws a batch of one to three new tasks for one queue.
func (m *model) drawTasks(rt *rapid.T) []driver.NewTask {
	n := rapid.IntRange(1, 3).Draw(rt, "batch")
	q := rapid.SampledFrom(m.queues).Draw(rt, "queue")
	tasks := make([]driver.NewTask, n)
	for i := range tasks {
		tasks[i] = rapid.SampledFrom(m.shapes).Draw(rt, "task")
		tasks[i].Queue = q
	}
	return tasks
}

// taskShapes lists the new tasks the model draws from, simplest first:
// one draw per task, rather than one per field, leaves rapid fewer blocks
// to shrink. Half have no unique key, most no delay; the short delay only
// when the model moves the clock.
func taskShapes(clocked bool) []driver.NewTask {
	delays := []time.Duration{0, 0, 0, 0, 0, farDelay}
	if clocked {
		delays = append(delays, modelDelay)
	}
	var out []driver.NewTask
	for _, delay := range delays {
		for _, key := range []string{"", "", "a", "b"} {
			for attempts := 1; attempts <= 3; attempts++ {
				for prio := range 3 {
					out = append(out, driver.NewTask{
						Payload: modelPayloads[(prio+attempts)%len(modelPayloads)], Priority: prio,
						MaxAttempts: attempts, UniqueKey: key, Delay: delay,
					})
				}
			}
		}
	}
	return out
}

func (m *model) describeTasks(tasks []driver.NewTask) string {
	parts := make([]string, len(tasks))
	for i, nt := range tasks {
		p := fmt.Sprintf("priority %d, %d attempts", nt.Priority, nt.MaxAttempts)
		if nt.UniqueKey != "" {
			p += fmt.Sprintf(", key %q", nt.UniqueKey)
		}
		if nt.Delay > 0 {
			p += fmt.Sprintf(", delay %v", nt.Delay)
		}
		parts[i] = "(" + p + ")"
	}
	return fmt.Sprintf("%d task(s) in queue %s: %s", len(tasks), m.qname(tasks[0].Queue), strings.Join(parts, ", "))
}

// expectCreate checks a Create's results against the unique keys held in
// the store and those taken earlier (held, updated in place) and returns
// the model tasks it stored.
func (m *model) expectCreate(what string, tasks []driver.NewTask, res []driver.CreateResult, held map[string]int64, names map[int64]string) []*modelTask {
	m.t.Helper()
	m.ok(len(res) == len(tasks), "Create returns one result per task", "%s returned %d results for %d tasks", what, len(res), len(tasks))
	var out []*modelTask
	for i, nt := range tasks {
		slot := uniqueSlot(nt.Queue, nt.UniqueKey)
		if holder, ok := held[slot]; ok && nt.UniqueKey != "" {
			holderName := names[holder]
			m.ok(errors.Is(res[i].Err, driver.ErrDuplicate),
				"a unique key held by a pending or running task (or taken earlier in the batch or transaction) makes a duplicate: ErrDuplicate",
				"task %d of the batch (key %q, held by %s) got %s", i+1, nt.UniqueKey, holderName, describeErr(res[i].Err))
			m.ok(res[i].ID == holder, "a duplicate's result names the task that holds the key",
				"task %d of the batch (key %q) named %s, not %s", i+1, nt.UniqueKey, m.name(res[i].ID), holderName)
			continue
		}
		m.ok(res[i].Err == nil, "a task whose unique key is free is stored", "task %d of the batch got %s", i+1, describeErr(res[i].Err))
		m.ok(res[i].ID > 0, "IDs are positive", "task %d of the batch got ID %d", i+1, res[i].ID)
		_, reused := m.tasks[res[i].ID]
		m.ok(!reused, "IDs are never reused", "task %d of the batch got the ID of %s", i+1, m.name(res[i].ID))
		mt := &modelTask{
			name: m.nextName(),
			rec: driver.TaskRecord{
				ID: res[i].ID, Queue: nt.Queue, Payload: nt.Payload, Priority: nt.Priority,
				UniqueKey: nt.UniqueKey, State: driver.StatePending, MaxAttempts: nt.MaxAttempts,
			},
			createdAt: m.now, runAt: m.now.Add(nt.Delay), asCreated: nt.Delay == 0,
		}
		names[mt.rec.ID] = mt.name
		if nt.UniqueKey != "" {
			held[slot] = mt.rec.ID
		}
		out = append(out, mt)
	}
	return out
}

func (m *model) nextName() string {
	m.named++
	return fmt.Sprintf("t%d", m.named)
}

// add puts tasks the store now holds into the model.
func (m *model) add(tasks []*modelTask) {
	for _, mt := range tasks {
		m.tasks[mt.rec.ID] = mt
		m.ids = append(m.ids, mt.rec.ID)
		if mt.rec.UniqueKey != "" {
			m.unique[uniqueSlot(mt.rec.Queue, mt.rec.UniqueKey)] = mt.rec.ID
		}
	}
}

func (m *model) heldNames() map[int64]string {
	names := map[int64]string{}
	for _, id := range m.unique {
		names[id] = m.tasks[id].name
	}
	return names
}

func (m *model) create(rt *rapid.T) {
	tasks := m.drawTasks(rt)
	m.step("create %s", m.describeTasks(tasks))
	res, err := m.f.d.Create(m.f.ctx, tasks)
	m.noErr(err, "Create")
	names := m.heldNames()
	created := m.expectCreate("Create", tasks, res, maps.Clone(m.unique), names)
	m.journal[len(m.journal)-1] += " -> " + m.createdNames(created, len(tasks))
	m.add(created)
}

func (m *model) createdNames(created []*modelTask, n int) string {
	var out []string
	for _, mt := range created {
		out = append(out, mt.name)
	}
	if dup := n - len(created); dup > 0 {
		out = append(out, fmt.Sprintf("%d duplicate(s)", dup))
	}
	return strings.Join(out, ", ")
}

// tx creates a batch of tasks in a transaction of the harness and commits
// or rolls it back. Nothing else touches the driver while the transaction
// is open: an embedded store has one writer. One Create per transaction,
// of one queue: Redis Cluster cannot span queues in one transaction, and
// a key taken by an earlier Create of the same transaction has a subtest
// of its own.
func (m *model) tx(rt *rapid.T) {
	tasks := m.drawTasks(rt)
	commit := rapid.IntRange(0, 2).Draw(rt, "rollback") > 0
	c, commitTx, rollbackTx := m.s.h.Tx(m.f.t, m.f.d)
	if c == nil || commitTx == nil || rollbackTx == nil {
		m.broke("Harness.Tx returns a creator, a commit and a rollback", "it returned a nil one")
	}
	done := false
	m.t.Cleanup(func() {
		if !done {
			_ = rollbackTx()
		}
	})
	m.step("in a transaction, create %s", m.describeTasks(tasks))
	res, err := c.Create(m.f.ctx, tasks)
	m.noErr(err, "Create in a transaction")
	created := m.expectCreate("Create in a transaction", tasks, res, maps.Clone(m.unique), m.heldNames())
	m.journal[len(m.journal)-1] += " -> " + m.createdNames(created, len(tasks))
	done = true
	if commit {
		m.step("commit the transaction")
		m.noErr(commitTx(), "the transaction's commit")
		m.add(created)
		return
	}
	m.step("roll the transaction back")
	m.noErr(rollbackTx(), "the transaction's rollback")
	for _, mt := range created {
		_, err := m.f.d.Get(m.f.ctx, mt.rec.ID)
		m.ok(errors.Is(err, driver.ErrTaskNotFound), "a rolled-back transaction stores nothing",
			"Get of %s (created in it) returned %s", mt.name, describeErr(err))
	}
}
