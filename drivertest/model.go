package drivertest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gosk/gosk/driver"
)

// The model-based test drives the driver with random sequences of
// operations from several simulated workers and checks every result against
// a reference model of the contract written in plain Go. When the harness
// has NewClocked, the model moves the driver's clock: leases lapse, delays
// pass and purge ages count, all exactly. A store that keeps its own clock
// gets leases that never run out during a case and delays that never pass;
// lease expiry has its own subtests there.
//
// A failure must read well after shrinking, so the model never prints
// what differs between two runs of the same case: tasks are named t1, t2,
// ... in creation order, queues A and B, leases by the step that took
// them; store IDs, tokens and times stay out of messages. (rapid only
// shrinks a case whose failure it can reproduce with the same message.)

var modelRules = []rule{
	{name: "RandomOperationsMatchReferenceModel", serial: true, test: testModel},
}

const (
	// modelWorkers is how many simulated workers share each case's queues.
	modelWorkers = 3
	// modelLease is the lease of the model's claims and pings when the
	// model moves the clock; modelDelay its short delay. The clock moves in
	// steps of modelTick and modelLapse, and no sum of those equals
	// modelLease or modelDelay, so the model never asks what happens at
	// the very instant a lease ends or a delay passes.
	modelLease = time.Minute
	modelDelay = 30 * time.Second
	modelTick  = 7 * time.Second
	modelLapse = modelLease + time.Second
	// modelTimeSlack is how far a stored time may be from the model's: a
	// store may keep times to the millisecond.
	modelTimeSlack = time.Millisecond
)

type modelTask struct {
	name string
	rec  driver.TaskRecord // the fields the model predicts
	// Times on the model's clock; exact only when the model moves the
	// driver's clock.
	createdAt, runAt, expiresAt, finalizedAt time.Time
	lease                                    driver.Lease // the lease that holds the task now; zero once taken away
	takenBy                                  string       // how the task's last lease was taken away, for messages
	endedBy                                  string       // how the holding lease ended the task's run, for messages
	// asCreated: the task's run-at is still its creation time (it was
	// never released or retried), so that without a clock its place in
	// Fifo and Lifo order is still its place in creation order.
	asCreated bool
	purged    bool
}

// heldLease is a lease a simulated worker got from a claim.
type heldLease struct {
	driver.Lease
	step int // the step whose claim handed it out
}

type model struct {
	t      *rapid.T
	s      *suite
	f      *fixture
	clock  *clock       // nil when the store keeps its own clock
	admin  driver.Admin // nil without the capability
	queues []string     // named A and B in messages
	tasks  map[int64]*modelTask
	ids    []int64          // every task, in creation order
	unique map[string]int64 // queue and key of a pending or running task -> its ID
	leases [modelWorkers][]heldLease
	now    time.Time // the model's clock: the driver's when it has one, else fixed
	named  int       // tasks named so far (t1, t2, ...), rolled back ones included
	shapes []driver.NewTask

	journal []string // one line per step, for the failure report
	failure string   // the broken rule, once a step broke one
}

// modelCase is what the last run of the property left behind: the report
// of a failing case.
type modelCase struct {
	journal []string
	failure string
}

func testModel(t *testing.T, s *suite) {
	f, c := s.clocked(t)
	admin, _ := f.d.(driver.Admin)
	var notes []string
	if admin == nil {
		notes = append(notes, "the driver has no Admin: the model runs without cancel, retry, purge, count and list")
	}
	if c == nil {
		notes = append(notes, "the store keeps its own clock: the model's leases never run out and its delays never pass")
	}
	if s.h.Tx == nil {
		notes = append(notes, "the harness has no Tx: the model runs without transactions")
	}
	for _, n := range notes {
		t.Log(n)
	}
	var last modelCase
	shapes := taskShapes(c != nil)
	runModelChecks(t, func(rt *rapid.T) {
		m := &model{
			t: rt, s: s, f: f, clock: c, admin: admin,
			queues: []string{f.queue(), f.queue()},
			tasks:  map[int64]*modelTask{},
			unique: map[string]int64{},
			shapes: shapes,
		}
		last = modelCase{}
		defer func() { last = modelCase{journal: m.journal, failure: m.failure} }()
		m.tick()
		rt.Repeat(m.actions())
		m.checkAll()
	}, func() modelCase { return last })
}

// actions returns the steps a case is drawn from. Reads and outside
// administration are grouped into two actions so that the moves of workers
// (create, claim, ping, finish), where most rules live, make up most of
// each sequence.
func (m *model) actions() map[string]func(*rapid.T) {
	actions := map[string]func(*rapid.T){
		"create":  m.create,
		"claim":   m.claim,
		"ping":    m.ping,
		"finish":  m.finish,
		"inspect": func(rt *rapid.T) { m.get(rt) },
	}
	if m.admin != nil {
		actions["inspect"] = func(rt *rapid.T) {
			switch rapid.SampledFrom([]string{"get", "count", "list"}).Draw(rt, "inspect") {
			case "get":
				m.get(rt)
			case "count":
				m.count(rt)
			default:
				m.list(rt)
			}
		}
		actions["administer"] = func(rt *rapid.T) {
			// Purge costs two calls and empties the queue's history, so it
			// comes less often than cancel and retry.
			switch rapid.SampledFrom([]string{"cancel", "retry", "cancel", "retry", "purge"}).Draw(rt, "administer") {
			case "cancel":
				m.cancel(rt)
			case "retry":
				m.retry(rt)
			default:
				m.purge(rt)
			}
		}
	}
	if m.s.h.Tx != nil {
		actions["tx"] = m.tx
	}
	if m.clock != nil {
		actions["advance"] = m.advance
	}
	return actions
}

// step records what the case does next, for the failure report.
func (m *model) step(format string, args ...any) {
	m.journal = append(m.journal, fmt.Sprintf(format, args...))
}

// broke fails the case: rule is the rule of the contract that broke, got
// what the driver did instead.
func (m *model) broke(rule, got string, args ...any) {
	m.t.Helper()
	m.failure = "rule broken: " + rule + "; " + fmt.Sprintf(got, args...)
	m.t.Fatal(m.failure)
}

// ok fails the case with the rule unless cond holds.
func (m *model) ok(cond bool, rule, got string, args ...any) {
	m.t.Helper()
	if !cond {
		m.broke(rule, got, args...)
	}
}

// noErr fails the case if a call that must succeed returned an error.
func (m *model) noErr(err error, call string) {
	m.t.Helper()
	if err != nil {
		m.broke("a valid call on an open driver succeeds", "%s returned %s", call, describeErr(err))
	}
}

// describeErr names an error by the port's sentinel it matches, so that
// a message does not carry IDs a driver wrapped into the text.
func describeErr(err error) string {
	if err == nil {
		return "nil"
	}
	for _, s := range []struct {
		err  error
		name string
	}{
		{driver.ErrTaskNotFound, "ErrTaskNotFound"}, {driver.ErrLeaseLost, "ErrLeaseLost"},
		{driver.ErrTaskConflict, "ErrTaskConflict"}, {driver.ErrDuplicate, "ErrDuplicate"},
		{driver.ErrInvalid, "ErrInvalid"}, {driver.ErrClosed, "ErrClosed"},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return fmt.Sprintf("an error that is none of the port's sentinels (%q)", err.Error())
}

// tick reads the driver's clock into the model.
func (m *model) tick() {
	if m.clock != nil {
		m.now = m.clock.Now()
	}
}

// lease is the lease length of the model's claims and pings.
func (m *model) lease() time.Duration {
	if m.clock != nil {
		return modelLease
	}
	return longLease
}

func (m *model) qname(q string) string {
	if q == m.queues[0] {
		return "A"
	}
	return "B"
}

// name is how messages call the task with store ID id.
func (m *model) name(id int64) string {
	if mt := m.tasks[id]; mt != nil {
		return mt.name
	}
	return "a task the model did not create"
}

func (m *model) names(ids []int64) string {
	if len(ids) == 0 {
		return "nothing"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m.name(id)
	}
	return strings.Join(out, ", ")
}

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

func (m *model) advance(rt *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{modelTick, modelLapse}).Draw(rt, "advance")
	m.step("move the clock on by %v", d)
	m.clock.Advance(d)
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
