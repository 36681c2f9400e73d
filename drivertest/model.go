package drivertest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/gosk/gosk/driver"
)

// The model-based test drives the driver with random sequences of
// operations from several simulated workers and checks every result against
// a reference model of the contract written in plain Go. Leases are long,
// so that none runs out during a case: the clock differs per store, and
// lease expiry has its own subtests.

var modelRules = []rule{
	{name: "RandomOperationsMatchReferenceModel", serial: true, test: testModel},
}

// modelWorkers is how many simulated workers share each case's queues.
const modelWorkers = 3

type modelTask struct {
	rec        driver.TaskRecord // the fields the model predicts
	lease      driver.Lease      // the lease of the task's last claim
	leaseTaken bool              // an outside cancel took the lease after that claim
	available  bool              // pending and not delayed
	// asCreated: the task's run-at is still its creation time (it was
	// never released or retried), so its place in Fifo and Lifo order is
	// its place in creation order.
	asCreated bool
}

type model struct {
	t      *rapid.T
	f      *fixture
	admin  driver.Admin // nil without the capability
	queues []string
	tasks  map[int64]*modelTask
	ids    []int64          // every task, in creation order
	unique map[string]int64 // queue and key of a pending or running task -> its ID
	leases [modelWorkers][]driver.Lease
}

func testModel(t *testing.T, s *suite) {
	f := s.fresh(t)
	admin, _ := f.d.(driver.Admin)
	if admin == nil {
		t.Logf("the driver has no Admin: the model runs without cancel, retry, count and list")
	}
	rapid.Check(t, func(rt *rapid.T) {
		m := &model{
			t: rt, f: f, admin: admin,
			queues: []string{f.queue(), f.queue()},
			tasks:  map[int64]*modelTask{},
			unique: map[string]int64{},
		}
		// Reads and outside administration are grouped into two actions so
		// that the moves of workers (create, claim, ping, finish), where
		// most rules live, make up most of each sequence.
		inspect, administer := m.get, func(*rapid.T) {}
		if admin != nil {
			inspect = func(rt *rapid.T) {
				switch rapid.SampledFrom([]string{"get", "count", "list"}).Draw(rt, "inspect") {
				case "get":
					m.get(rt)
				case "count":
					m.count(rt)
				default:
					m.list(rt)
				}
			}
			administer = func(rt *rapid.T) {
				if rapid.SampledFrom([]string{"cancel", "retry"}).Draw(rt, "administer") == "cancel" {
					m.cancel(rt)
				} else {
					m.retry(rt)
				}
			}
		}
		actions := map[string]func(*rapid.T){
			"create":  m.create,
			"claim":   m.claim,
			"ping":    m.ping,
			"finish":  m.finish,
			"inspect": inspect,
		}
		if admin != nil {
			actions["administer"] = administer
		}
		rt.Repeat(actions)
		for _, id := range m.ids {
			m.check(id)
		}
	})
}

func uniqueSlot(queue, key string) string { return queue + "\x00" + key }

func (m *model) create(rt *rapid.T) {
	n := rapid.IntRange(1, 3).Draw(rt, "batch")
	q := rapid.SampledFrom(m.queues).Draw(rt, "queue")
	tasks := make([]driver.NewTask, n)
	for i := range tasks {
		tasks[i] = driver.NewTask{
			Queue:       q,
			Payload:     rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(rt, "payload"),
			Priority:    rapid.IntRange(-1, 2).Draw(rt, "priority"),
			MaxAttempts: rapid.IntRange(1, 3).Draw(rt, "maxAttempts"),
			UniqueKey:   rapid.SampledFrom([]string{"", "", "a", "b"}).Draw(rt, "key"),
		}
		if rapid.IntRange(0, 5).Draw(rt, "delayed") == 0 {
			tasks[i].Delay = farDelay
		}
	}
	res, err := m.f.d.Create(m.f.ctx, tasks)
	require.NoError(rt, err, "Create")
	require.Len(rt, res, n, "Create returns one result per task")
	for i, nt := range tasks {
		slot := uniqueSlot(nt.Queue, nt.UniqueKey)
		if held, ok := m.unique[slot]; ok && nt.UniqueKey != "" {
			require.ErrorIs(rt, res[i].Err, driver.ErrDuplicate, "rule: a unique key held by pending or running task %d is a duplicate", held)
			require.Equal(rt, held, res[i].ID, "rule: a duplicate's result names the task that holds the key")
			continue
		}
		require.NoError(rt, res[i].Err, "Create of task %d", i)
		require.Positive(rt, res[i].ID)
		_, exists := m.tasks[res[i].ID]
		require.False(rt, exists, "rule: IDs are never reused (got %d again)", res[i].ID)
		mt := &modelTask{rec: driver.TaskRecord{
			ID: res[i].ID, Queue: nt.Queue, Payload: nt.Payload, Priority: nt.Priority,
			UniqueKey: nt.UniqueKey, State: driver.StatePending, MaxAttempts: nt.MaxAttempts,
		}, available: nt.Delay == 0, asCreated: nt.Delay == 0}
		m.tasks[mt.rec.ID] = mt
		m.ids = append(m.ids, mt.rec.ID)
		if nt.UniqueKey != "" {
			m.unique[slot] = mt.rec.ID
		}
	}
}

func (m *model) claim(rt *rapid.T) {
	w := rapid.IntRange(0, modelWorkers-1).Draw(rt, "worker")
	q := rapid.SampledFrom(m.queues).Draw(rt, "queue")
	limit := rapid.IntRange(1, 3).Draw(rt, "limit")
	r := rapid.SampledFrom([]driver.PriorityRule{driver.Fifo, driver.Lifo, driver.Priority}).Draw(rt, "rule")
	got, err := m.f.d.Claim(m.f.ctx, driver.ClaimParams{Queue: q, Limit: limit, Rule: r, Lease: longLease})
	require.NoError(rt, err, "Claim")

	var avail []*modelTask
	for _, id := range m.ids {
		if mt := m.tasks[id]; mt.rec.Queue == q && mt.rec.State == driver.StatePending && mt.available {
			avail = append(avail, mt)
		}
	}
	require.Len(rt, got, min(limit, len(avail)), "rule: Claim takes up to its limit of the %d available tasks", len(avail))
	seen := map[int64]bool{}
	for _, c := range got {
		mt := m.tasks[c.Task.ID]
		require.NotNil(rt, mt, "Claim returned task %d, which the model does not know", c.Task.ID)
		require.False(rt, seen[c.Task.ID], "rule: one claim returns a task once")
		seen[c.Task.ID] = true
		require.True(rt, mt.rec.State == driver.StatePending && mt.available && mt.rec.Queue == q,
			"rule: Claim hands out only available tasks of its queue; task %d is %v in %s (available %v)", mt.rec.ID, mt.rec.State, mt.rec.Queue, mt.available)
		require.Equal(rt, c.Task.ID, c.Lease.TaskID, "a lease names its task")
		require.Equal(rt, mt.rec.Attempt+1, c.Task.Attempt, "rule: a claim counts one attempt")
		require.True(rt, bytes.Equal(mt.rec.Payload, c.Task.Payload), "Claim returns the payload")
		for _, old := range m.allLeases() {
			if old.TaskID == c.Task.ID {
				require.NotEqual(rt, old.Token, c.Lease.Token, "rule: every claim of a task gets a new lease token")
			}
		}
	}
	if ordered := !slices.ContainsFunc(avail, func(mt *modelTask) bool { return !mt.asCreated }); ordered {
		// Run-at is creation time for every candidate: the order is exact.
		want := slices.Clone(avail) // in creation order
		switch r {
		case driver.Lifo:
			slices.Reverse(want)
		case driver.Priority:
			slices.SortStableFunc(want, func(a, b *modelTask) int { return cmp.Compare(b.rec.Priority, a.rec.Priority) })
		}
		wantIDs := make([]int64, len(got))
		for i := range got {
			wantIDs[i] = want[i].rec.ID
		}
		require.Equal(rt, wantIDs, ids(got), "rule: Claim hands out tasks in %v order", r)
	}
	if r == driver.Priority {
		want := make([]int, len(avail))
		for i, mt := range avail {
			want[i] = mt.rec.Priority
		}
		slices.SortFunc(want, func(a, b int) int { return cmp.Compare(b, a) })
		gotPrio := make([]int, len(got))
		for i, c := range got {
			gotPrio[i] = c.Task.Priority
		}
		require.Equal(rt, want[:len(got)], gotPrio, "rule: Priority hands out the highest priorities first")
	}
	for _, c := range got {
		mt := m.tasks[c.Task.ID]
		mt.rec.State = driver.StateRunning
		mt.rec.Attempt++
		mt.lease, mt.leaseTaken = c.Lease, false
		m.leases[w] = append(m.leases[w], c.Lease)
	}
}

func (m *model) allLeases() []driver.Lease {
	var all []driver.Lease
	for _, ls := range m.leases {
		all = append(all, ls...)
	}
	return all
}

// pickLeases draws up to max leases of worker w, at most one per task.
func (m *model) pickLeases(rt *rapid.T, w, most int) []driver.Lease {
	if len(m.leases[w]) == 0 {
		rt.Skip("worker has no lease")
	}
	// Leases of tasks that have not ended are where the fencing rules
	// bite (a live lease, a stale one after a reclaim or a release); pick
	// them more often than the leases of final tasks.
	pool := m.leases[w]
	var open []driver.Lease
	for _, l := range pool {
		if !m.tasks[l.TaskID].rec.State.Final() {
			open = append(open, l)
		}
	}
	if len(open) > 0 && rapid.IntRange(0, 3).Draw(rt, "preferOpen") > 0 {
		pool = open
	}
	n := rapid.IntRange(1, most).Draw(rt, "leases")
	var out []driver.Lease
	named := map[int64]bool{}
	for range n {
		l := rapid.SampledFrom(pool).Draw(rt, "lease")
		if !named[l.TaskID] {
			named[l.TaskID] = true
			out = append(out, l)
		}
	}
	return out
}

// fence is the model's answer to a call on lease l: the fencing order of
// the driver package doc.
func (m *model) fence(l driver.Lease, ping bool) error {
	mt := m.tasks[l.TaskID]
	switch {
	case mt == nil:
		return driver.ErrTaskNotFound
	case l != mt.lease || mt.leaseTaken:
		return driver.ErrLeaseLost
	case mt.rec.State != driver.StateRunning && ping:
		return driver.ErrLeaseLost
	case mt.rec.State != driver.StateRunning: // this lease already ended its run
		return driver.ErrTaskConflict
	}
	return nil
}

func (m *model) ping(rt *rapid.T) {
	w := rapid.IntRange(0, modelWorkers-1).Draw(rt, "worker")
	leases := m.pickLeases(rt, w, 3)
	errs, err := m.f.d.Ping(m.f.ctx, leases, longLease)
	require.NoError(rt, err, "Ping")
	require.Len(rt, errs, len(leases), "Ping returns one error per lease")
	for i, l := range leases {
		requireSame(rt, m.fence(l, true), errs[i], "Ping of task %d (%s)", l.TaskID, m.why(l))
	}
}

func (m *model) finish(rt *rapid.T) {
	w := rapid.IntRange(0, modelWorkers-1).Draw(rt, "worker")
	leases := m.pickLeases(rt, w, 2)
	outcomes := make([]driver.Outcome, len(leases))
	for i, l := range leases {
		o := driver.Outcome{
			Lease:   l,
			Kind:    rapid.SampledFrom([]driver.OutcomeKind{driver.Complete, driver.Cancel, driver.Fail, driver.Release}).Draw(rt, "kind"),
			Message: rapid.SampledFrom([]string{"", "oops"}).Draw(rt, "message"),
		}
		if o.Kind == driver.Release {
			o.KeepAttempt = rapid.Bool().Draw(rt, "keepAttempt")
			if rapid.IntRange(0, 3).Draw(rt, "releaseDelayed") == 0 {
				o.Delay = farDelay
			}
			// A worker fails a task on its last attempt rather than
			// releasing it; the contract leaves that release undefined.
			if mt := m.tasks[l.TaskID]; !o.KeepAttempt && mt.rec.Attempt >= mt.rec.MaxAttempts {
				o = driver.Outcome{Lease: l, Kind: driver.Fail, Message: o.Message}
			}
		}
		outcomes[i] = o
	}
	errs, err := m.f.d.Finish(m.f.ctx, outcomes)
	require.NoError(rt, err, "Finish")
	require.Len(rt, errs, len(outcomes), "Finish returns one error per outcome")
	for i, o := range outcomes {
		want := m.fence(o.Lease, false)
		requireSame(rt, want, errs[i], "Finish (%v) of task %d (%s)", o.Kind, o.Lease.TaskID, m.why(o.Lease))
		if want != nil {
			continue
		}
		mt := m.tasks[o.Lease.TaskID]
		if o.Message != "" {
			mt.rec.LastError = o.Message
		}
		switch o.Kind {
		case driver.Complete:
			m.finalise(mt, driver.StateCompleted)
		case driver.Cancel:
			m.finalise(mt, driver.StateCancelled)
		case driver.Fail:
			m.finalise(mt, driver.StateFailed)
		case driver.Release:
			mt.rec.State = driver.StatePending
			mt.available = o.Delay == 0
			mt.asCreated = false
			if o.KeepAttempt {
				mt.rec.Attempt--
			}
		}
	}
}

func (m *model) finalise(mt *modelTask, s driver.State) {
	mt.rec.State = s
	mt.available = false
	slot := uniqueSlot(mt.rec.Queue, mt.rec.UniqueKey)
	if mt.rec.UniqueKey != "" && m.unique[slot] == mt.rec.ID {
		delete(m.unique, slot)
	}
}

// why describes a lease's standing in the model, for failure messages.
func (m *model) why(l driver.Lease) string {
	mt := m.tasks[l.TaskID]
	switch {
	case mt == nil:
		return "unknown task"
	case l != mt.lease:
		return fmt.Sprintf("stale lease: the task was claimed again; task is %v", mt.rec.State)
	case mt.leaseTaken:
		return "lease taken by an outside cancel"
	default:
		return fmt.Sprintf("the task's latest lease; task is %v", mt.rec.State)
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
	errs, err := m.admin.Cancel(m.f.ctx, []int64{mt.rec.ID})
	require.NoError(rt, err, "Admin.Cancel")
	require.Len(rt, errs, 1)
	if mt.rec.State.Final() {
		requireSame(rt, driver.ErrTaskConflict, errs[0], "rule: Cancel of a %v task", mt.rec.State)
		return
	}
	requireSame(rt, nil, errs[0], "rule: Cancel of a %v task", mt.rec.State)
	// The cancel takes whatever lease the task had: a call on it is a lost
	// lease, not a conflict, since that lease did not finalise the task.
	mt.leaseTaken = true
	m.finalise(mt, driver.StateCancelled)
}

func (m *model) retry(rt *rapid.T) {
	mt := m.pickTask(rt)
	if mt.rec.UniqueKey != "" {
		if _, held := m.unique[uniqueSlot(mt.rec.Queue, mt.rec.UniqueKey)]; held && mt.rec.State.Final() {
			rt.Skip("the contract does not say how Retry treats a unique key that another task now holds")
		}
	}
	errs, err := m.admin.Retry(m.f.ctx, []int64{mt.rec.ID})
	require.NoError(rt, err, "Admin.Retry")
	require.Len(rt, errs, 1)
	if mt.rec.State != driver.StateFailed && mt.rec.State != driver.StateCancelled {
		requireSame(rt, driver.ErrTaskConflict, errs[0], "rule: Retry of a %v task", mt.rec.State)
		return
	}
	requireSame(rt, nil, errs[0], "rule: Retry of a %v task", mt.rec.State)
	mt.rec.State = driver.StatePending
	mt.rec.Attempt = 0
	mt.available = true
	mt.asCreated = false
	if mt.rec.UniqueKey != "" {
		m.unique[uniqueSlot(mt.rec.Queue, mt.rec.UniqueKey)] = mt.rec.ID
	}
}

func (m *model) get(rt *rapid.T) {
	m.check(m.pickTask(rt).rec.ID)
}

// check compares a task's stored record with the model.
func (m *model) check(id int64) {
	rt, mt := m.t, m.tasks[id]
	got, err := m.f.d.Get(m.f.ctx, id)
	require.NoError(rt, err, "Get(%d)", id)
	want := mt.rec
	require.Equal(rt, want.State, got.State, "task %d: state", id)
	require.Equal(rt, want.Attempt, got.Attempt, "task %d: attempts count claims, less those given back", id)
	require.Equal(rt, want.LastError, got.LastError, "task %d: last error", id)
	require.Equal(rt, want.Queue, got.Queue, "task %d: queue", id)
	require.Equal(rt, want.Priority, got.Priority, "task %d: priority", id)
	require.Equal(rt, want.UniqueKey, got.UniqueKey, "task %d: unique key", id)
	require.Equal(rt, want.MaxAttempts, got.MaxAttempts, "task %d: max attempts", id)
	require.True(rt, bytes.Equal(want.Payload, got.Payload), "task %d: payload", id)
	require.Equal(rt, want.State == driver.StateRunning, !got.LeaseExpiresAt.IsZero(), "task %d: a lease expiry is set exactly while running", id)
	require.Equal(rt, want.State.Final(), !got.FinalizedAt.IsZero(), "task %d: a finalisation time is set exactly while final", id)
}

func (m *model) count(rt *rapid.T) {
	q := rapid.SampledFrom(m.queues).Draw(rt, "queue")
	got, err := m.admin.Count(m.f.ctx, q)
	require.NoError(rt, err, "Admin.Count")
	want := map[driver.State]int64{}
	for _, s := range driver.States {
		want[s] = 0
	}
	for _, mt := range m.tasks {
		if mt.rec.Queue == q {
			want[mt.rec.State]++
		}
	}
	require.Equal(rt, want, got, "rule: Count counts every state of the queue")
}

func (m *model) list(rt *rapid.T) {
	q := rapid.SampledFrom(m.queues).Draw(rt, "queue")
	s := rapid.SampledFrom(driver.States).Draw(rt, "state")
	got, err := m.admin.List(m.f.ctx, driver.ListParams{Queue: q, States: []driver.State{s}, Limit: 1000})
	require.NoError(rt, err, "Admin.List")
	var want, gotIDs []int64
	for _, id := range m.ids {
		if mt := m.tasks[id]; mt.rec.Queue == q && mt.rec.State == s {
			want = append(want, id)
		}
	}
	for _, r := range got {
		gotIDs = append(gotIDs, r.ID)
	}
	require.Equal(rt, want, gotIDs, "rule: List returns the queue's %v tasks in ID order", s)
}

// requireSame fails unless got is want in the sense of errors.Is (both nil
// counts as the same).
func requireSame(rt *rapid.T, want, got error, format string, args ...any) {
	rt.Helper()
	if want == nil {
		if got != nil {
			rt.Fatalf("%s: want no error, got %v", fmt.Sprintf(format, args...), got)
		}
		return
	}
	if !errors.Is(got, want) {
		rt.Fatalf("%s: want %v, got %v", fmt.Sprintf(format, args...), want, got)
	}
}
