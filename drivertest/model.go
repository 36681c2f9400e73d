package drivertest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/testclock"
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
	clock  *testclock.Clock // nil when the store keeps its own clock
	admin  driver.Admin     // nil without the capability
	queues []string         // named A and B in messages
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
