// Package memory is a gosk driver that keeps tasks in the process's memory.
//
// It keeps the whole contract of package driver and has every optional
// capability, so it is the reference adapter that drivertest is checked
// against, and the driver to use in unit tests of code that creates or
// handles tasks. Nothing survives the process: for durable tasks on one
// machine use drivers/sqlite or drivers/bbolt.
//
// # Layout
//
// Tasks live in a map by ID. Each queue keeps its pending tasks in two
// sorted slices, one by (run-at, ID) for the Fifo and Lifo rules and one by
// (priority descending, run-at, ID) for the Priority rule, so a claim reads
// the head of a slice instead of every task. Running tasks are kept in a
// set per queue, scanned by each claim for leases that ran out; its size is
// bounded by the number of tasks held by workers. Final tasks are in
// neither, and cost a claim nothing.
//
// # Clock
//
// The driver reads the time from [Options.Clock], time.Now by default, so
// tests can drive lease expiry and run-at without waiting.
//
// # Concurrency
//
// One mutex guards the store; every call holds it for the duration of its
// batch, which makes each call atomic.
//
// # Limits
//
// Create refuses a payload longer than Options.MaxPayloadLen with
// driver.ErrInvalid naming the limit, before the store is touched; the
// default is driver.DefaultMaxPayloadLen (4 MiB) and the highest allowed
// setting driver.MaxPayloadLimit (512 MiB). As New returns no error, a
// setting out of range makes every Create fail with ErrInvalid naming it.
//
// # Capabilities
//
//   - notify: in-process; Subscribe's channel is signalled when a task is
//     created, released or retried with no delay;
//   - admin: the whole of driver.Admin;
//   - transactional create: [Driver.Begin] starts a [Tx] and [Driver.Tx]
//     binds a driver.Creator to it, whose tasks appear when it commits.
//
// # Caveats
//
// Everything is lost when the process exits. Memory grows with the number
// of stored tasks: purge final tasks (package worker does it for you).
package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/gosk/gosk/driver"
)

// Options configures a Driver. The zero value is ready to use.
type Options struct {
	// Clock returns the current time. Default: time.Now.
	Clock func() time.Time

	// MaxPayloadLen is the longest payload Create takes, in bytes. Zero
	// means driver.DefaultMaxPayloadLen (4 MiB); at most
	// driver.MaxPayloadLimit. As New returns no error, a value out of
	// range makes every Create fail with ErrInvalid naming this option.
	MaxPayloadLen int
}

// Driver is an in-memory driver. Create one with New; it is safe for
// concurrent use.
type Driver struct {
	clock      func() time.Time
	maxPayload int
	optErr     error // an option out of range, returned by every Create

	mu     sync.Mutex
	closed bool
	lastID int64
	tasks  map[int64]*task
	queues map[string]*queue
	subs   map[string]map[*subscriber]struct{}
}

var (
	_ driver.Driver   = (*Driver)(nil)
	_ driver.Notifier = (*Driver)(nil)
	_ driver.Admin    = (*Driver)(nil)
	_ driver.Creator  = txCreator{}
)

// task is a stored task; rec is the record handed out (copied on the way).
type task struct {
	rec   driver.TaskRecord
	token int64
}

// queue holds one queue's indexes.
type queue struct {
	byTime     []*task // pending, by (run-at, ID)
	byPriority []*task // pending, by (priority desc, run-at, ID)
	running    map[int64]*task
	all        map[int64]*task
	unique     map[string]int64 // key of a pending or running task -> its ID
	counts     map[driver.State]int64
}

type subscriber struct {
	wake chan struct{}
	done chan struct{} // closed by end
	end  func()        // closes done, once
}

func newSubscriber() *subscriber {
	s := &subscriber{wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.end = sync.OnceFunc(func() { close(s.done) })
	return s
}

// New returns an empty driver.
func New(opts *Options) *Driver {
	d := &Driver{
		clock:  time.Now,
		tasks:  make(map[int64]*task),
		queues: make(map[string]*queue),
		subs:   make(map[string]map[*subscriber]struct{}),
	}
	if opts != nil && opts.Clock != nil {
		d.clock = opts.Clock
	}
	var n int
	if opts != nil {
		n = opts.MaxPayloadLen
	}
	d.maxPayload, d.optErr = driver.PayloadLimit("gosk/memory: Options.MaxPayloadLen", n)
	return d
}

func (d *Driver) queue(name string) *queue {
	q := d.queues[name]
	if q == nil {
		q = &queue{
			running: make(map[int64]*task),
			all:     make(map[int64]*task),
			unique:  make(map[string]int64),
			counts:  make(map[driver.State]int64),
		}
		d.queues[name] = q
	}
	return q
}

// begin checks the context and the closed flag and locks the store. The
// caller unlocks.
func (d *Driver) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return driver.ErrClosed
	}
	return nil
}

// validate checks a batch for Create against the driver's options.
func (d *Driver) validate(tasks []driver.NewTask) error {
	if d.optErr != nil {
		return d.optErr
	}
	return driver.ValidateNewTasksMax(tasks, d.maxPayload)
}

// Create stores tasks; see driver.Driver.
func (d *Driver) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if err := d.validate(tasks); err != nil {
		return nil, err
	}
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	ids := make([]int64, len(tasks))
	for i := range ids {
		d.lastID++
		ids[i] = d.lastID
	}
	return d.insert(tasks, ids), nil
}

// insert stores tasks under the given IDs, with the lock held.
func (d *Driver) insert(tasks []driver.NewTask, ids []int64) []driver.CreateResult {
	now := d.clock()
	results := make([]driver.CreateResult, len(tasks))
	woken := make(map[string]bool)
	for i, nt := range tasks {
		q := d.queue(nt.Queue)
		if nt.UniqueKey != "" {
			if id, taken := q.unique[nt.UniqueKey]; taken {
				results[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
		}
		t := &task{rec: driver.TaskRecord{
			ID:          ids[i],
			Queue:       nt.Queue,
			Payload:     slices.Clone(nt.Payload),
			Priority:    nt.Priority,
			UniqueKey:   nt.UniqueKey,
			State:       driver.StatePending,
			MaxAttempts: nt.MaxAttempts,
			CreatedAt:   now,
			RunAt:       now.Add(nt.Delay),
		}}
		d.tasks[t.rec.ID] = t
		q.all[t.rec.ID] = t
		q.counts[driver.StatePending]++
		if nt.UniqueKey != "" {
			q.unique[nt.UniqueKey] = t.rec.ID
		}
		q.addPending(t)
		if nt.Delay == 0 {
			woken[nt.Queue] = true
		}
		results[i] = driver.CreateResult{ID: t.rec.ID}
	}
	for name := range woken {
		d.wake(name)
	}
	return results
}

// Claim leases available tasks; see driver.Driver.
func (d *Driver) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	p, err := driver.ValidateClaim(p)
	if err != nil {
		return nil, err
	}
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	q := d.queues[p.Queue]
	if q == nil {
		return []driver.ClaimedTask{}, nil
	}
	now := d.clock()

	// Leases that ran out: fail those on their last attempt, offer the rest.
	var candidates []*task
	for _, t := range q.running {
		if t.rec.LeaseExpiresAt.After(now) {
			continue
		}
		if t.rec.Attempt >= t.rec.MaxAttempts {
			t.token++
			t.rec.LastError = driver.LeaseExpiredMessage
			q.finalize(t, driver.StateFailed, now)
			continue
		}
		candidates = append(candidates, t)
	}
	candidates = append(candidates, q.available(p.Rule, p.Limit, now)...)
	less := ruleOrder(p.Rule)
	slices.SortFunc(candidates, less)
	if len(candidates) > p.Limit {
		candidates = candidates[:p.Limit]
	}

	claimed := make([]driver.ClaimedTask, 0, len(candidates))
	for _, t := range candidates {
		if t.rec.State == driver.StatePending {
			q.removePending(t)
			q.running[t.rec.ID] = t
			q.setState(t, driver.StateRunning)
		}
		t.rec.Attempt++
		t.token++
		t.rec.LeaseExpiresAt = now.Add(p.Lease)
		claimed = append(claimed, driver.ClaimedTask{
			Task:  t.record(),
			Lease: driver.Lease{TaskID: t.rec.ID, Token: t.token},
		})
	}
	return claimed, nil
}

// Ping extends leases; see driver.Driver.
func (d *Driver) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	if err := driver.ValidatePing(leases, extend); err != nil {
		return nil, err
	}
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	now := d.clock()
	errs := make([]error, len(leases))
	for i, l := range leases {
		t := d.tasks[l.TaskID]
		if t == nil {
			errs[i] = driver.ErrTaskNotFound
			continue
		}
		if errs[i] = driver.CheckPing(t.rec.State, t.token, l.Token); errs[i] == nil {
			t.rec.LeaseExpiresAt = now.Add(extend)
		}
	}
	return errs, nil
}

// Finish applies outcomes; see driver.Driver.
func (d *Driver) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	if err := driver.ValidateOutcomes(outcomes); err != nil {
		return nil, err
	}
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	now := d.clock()
	errs := make([]error, len(outcomes))
	for i, o := range outcomes {
		t := d.tasks[o.Lease.TaskID]
		if t == nil {
			errs[i] = driver.ErrTaskNotFound
			continue
		}
		if errs[i] = driver.CheckLease(t.rec.State, t.token, o.Lease.Token); errs[i] != nil {
			continue
		}
		q := d.queues[t.rec.Queue]
		if o.Message != "" {
			t.rec.LastError = o.Message
		}
		switch o.Kind {
		case driver.Complete:
			q.finalize(t, driver.StateCompleted, now)
		case driver.Cancel:
			q.finalize(t, driver.StateCancelled, now)
		case driver.Fail:
			q.finalize(t, driver.StateFailed, now)
		case driver.Release:
			if o.KeepAttempt {
				t.rec.Attempt--
			}
			delete(q.running, t.rec.ID)
			t.rec.LeaseExpiresAt = time.Time{}
			t.rec.RunAt = now.Add(o.Delay)
			q.setState(t, driver.StatePending)
			q.addPending(t)
			if o.Delay == 0 {
				d.wake(t.rec.Queue)
			}
		}
	}
	return errs, nil
}

// Get returns a task's record; see driver.Driver.
func (d *Driver) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	if err := driver.ValidateID(id); err != nil {
		return driver.TaskRecord{}, err
	}
	if err := d.begin(ctx); err != nil {
		return driver.TaskRecord{}, err
	}
	defer d.mu.Unlock()
	t := d.tasks[id]
	if t == nil {
		return driver.TaskRecord{}, fmt.Errorf("task %d: %w", id, driver.ErrTaskNotFound)
	}
	return t.record(), nil
}

// Close marks the driver closed and stops every subscription. Stored tasks
// are dropped with the driver.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	for _, set := range d.subs {
		for s := range set {
			s.end()
		}
	}
	clear(d.subs)
	return nil
}

// Subscribe listens for tasks becoming available in queue; see
// driver.Notifier.
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	s := newSubscriber()
	if d.subs[queue] == nil {
		d.subs[queue] = make(map[*subscriber]struct{})
	}
	d.subs[queue][s] = struct{}{}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			delete(d.subs[queue], s)
			if len(d.subs[queue]) == 0 {
				delete(d.subs, queue)
			}
			s.end()
		})
	}
	unhook := context.AfterFunc(ctx, stop)
	return &driver.Subscription{
		Wake: s.wake,
		Stop: func() { unhook(); stop() },
		Done: s.done,
	}, nil
}

// wake signals the queue's subscribers, with the lock held.
func (d *Driver) wake(queue string) {
	for s := range d.subs[queue] {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// List lists tasks; see driver.Admin.
func (d *Driver) List(ctx context.Context, p driver.ListParams) ([]driver.TaskRecord, error) {
	p, err := driver.ValidateList(p)
	if err != nil {
		return nil, err
	}
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	q := d.queues[p.Queue]
	if q == nil {
		return []driver.TaskRecord{}, nil
	}
	var ids []int64
	for id, t := range q.all {
		if id > p.AfterID && (len(p.States) == 0 || slices.Contains(p.States, t.rec.State)) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) > p.Limit {
		ids = ids[:p.Limit]
	}
	out := make([]driver.TaskRecord, len(ids))
	for i, id := range ids {
		out[i] = q.all[id].record()
	}
	return out, nil
}

// Count counts tasks by state; see driver.Admin.
func (d *Driver) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	out := make(map[driver.State]int64, len(driver.States()))
	for _, s := range driver.States() {
		out[s] = 0
	}
	if q := d.queues[queue]; q != nil {
		for s, n := range q.counts {
			out[s] = n
		}
	}
	return out, nil
}

// Retry moves failed or cancelled tasks back to pending; see driver.Admin.
func (d *Driver) Retry(ctx context.Context, ids []int64) ([]error, error) {
	return d.eachTask(ctx, ids, func(t *task, now time.Time) error {
		if t.rec.State != driver.StateFailed && t.rec.State != driver.StateCancelled {
			return driver.ErrTaskConflict
		}
		q := d.queues[t.rec.Queue]
		if t.rec.UniqueKey != "" {
			if _, taken := q.unique[t.rec.UniqueKey]; taken {
				return driver.ErrDuplicate
			}
			q.unique[t.rec.UniqueKey] = t.rec.ID
		}
		t.rec.Attempt = 0
		t.rec.RunAt = now
		t.rec.FinalizedAt = time.Time{}
		q.setState(t, driver.StatePending)
		q.addPending(t)
		d.wake(t.rec.Queue)
		return nil
	})
}

// Cancel cancels pending or running tasks; see driver.Admin.
func (d *Driver) Cancel(ctx context.Context, ids []int64) ([]error, error) {
	return d.eachTask(ctx, ids, func(t *task, now time.Time) error {
		if t.rec.State.Final() {
			return driver.ErrTaskConflict
		}
		t.token++
		d.queues[t.rec.Queue].finalize(t, driver.StateCancelled, now)
		return nil
	})
}

// eachTask applies f to the task of each ID, with the lock held, and
// returns f's error per ID, or ErrTaskNotFound for an unknown one.
func (d *Driver) eachTask(ctx context.Context, ids []int64, f func(t *task, now time.Time) error) ([]error, error) {
	if err := driver.ValidateIDs(ids); err != nil {
		return nil, err
	}
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	now := d.clock()
	errs := make([]error, len(ids))
	for i, id := range ids {
		if t := d.tasks[id]; t == nil {
			errs[i] = driver.ErrTaskNotFound
		} else {
			errs[i] = f(t, now)
		}
	}
	return errs, nil
}

// Purge deletes old final tasks; see driver.Admin.
func (d *Driver) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	p, err := driver.ValidatePurge(p)
	if err != nil {
		return 0, err
	}
	if err := d.begin(ctx); err != nil {
		return 0, err
	}
	defer d.mu.Unlock()
	q := d.queues[p.Queue]
	if q == nil {
		return 0, nil
	}
	cutoff := d.clock().Add(-p.OlderThan)
	var old []*task
	for _, t := range q.all {
		if t.rec.State.Final() && !t.rec.FinalizedAt.After(cutoff) {
			old = append(old, t)
		}
	}
	sort.Slice(old, func(i, j int) bool {
		return old[i].rec.FinalizedAt.Before(old[j].rec.FinalizedAt)
	})
	if len(old) > p.Limit {
		old = old[:p.Limit]
	}
	for _, t := range old {
		delete(d.tasks, t.rec.ID)
		delete(q.all, t.rec.ID)
		q.counts[t.rec.State]--
	}
	return len(old), nil
}

// Begin starts a transaction for creating tasks, the memory store's own
// transaction type: [Driver.Tx] binds a driver.Creator to it, as every
// adapter's Tx does to its store's transaction. Its tasks get their IDs at
// once and are stored, all or none, when it commits.
func (d *Driver) Begin() *Tx {
	return &Tx{d: d}
}

// Tx returns a driver.Creator that stages tasks in tx, a transaction of
// this driver from Begin: they are stored when, and only if, tx commits.
func (d *Driver) Tx(tx *Tx) driver.Creator {
	return txCreator{d: d, tx: tx}
}

// txCreator is the Creator of Driver.Tx.
type txCreator struct {
	d  *Driver
	tx *Tx
}

// Create stages tasks in the transaction; see Tx.create.
func (c txCreator) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	switch {
	case c.tx == nil:
		return nil, fmt.Errorf("%w: transaction is nil", driver.ErrInvalid)
	case c.tx.d != c.d:
		return nil, fmt.Errorf("%w: transaction belongs to another driver", driver.ErrInvalid)
	}
	return c.tx.create(ctx, tasks)
}

// Tx is a transaction of creates: bind a Creator to it with Driver.Tx.
// It is not safe for concurrent use; a Tx is done after Commit or
// Rollback.
type Tx struct {
	d     *Driver
	tasks []driver.NewTask
	ids   []int64
	done  bool
}

// create validates tasks and stages them with fresh IDs. Unique keys taken
// by stored tasks or by tasks staged earlier in this transaction give
// ErrDuplicate in the result, as Driver.Create does.
func (tx *Tx) create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if tx.done {
		return nil, fmt.Errorf("%w: transaction already ended", driver.ErrInvalid)
	}
	if err := tx.d.validate(tasks); err != nil {
		return nil, err
	}
	d := tx.d
	if err := d.begin(ctx); err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	results := make([]driver.CreateResult, len(tasks))
	for i, nt := range tasks {
		if nt.UniqueKey != "" {
			if id, ok := tx.uniqueID(nt.Queue, nt.UniqueKey); ok {
				results[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
		}
		d.lastID++
		tx.tasks = append(tx.tasks, nt)
		tx.ids = append(tx.ids, d.lastID)
		results[i] = driver.CreateResult{ID: d.lastID}
	}
	return results, nil
}

// uniqueID finds a pending or running task, stored or staged, holding key.
// The driver's lock is held.
func (tx *Tx) uniqueID(queue, key string) (int64, bool) {
	if q := tx.d.queues[queue]; q != nil {
		if id, ok := q.unique[key]; ok {
			return id, true
		}
	}
	for i, nt := range tx.tasks {
		if nt.Queue == queue && nt.UniqueKey == key {
			return tx.ids[i], true
		}
	}
	return 0, false
}

// Commit stores the staged tasks. If a unique key was taken since it was
// staged, Commit stores nothing and returns an error wrapping ErrDuplicate.
func (tx *Tx) Commit() error {
	if tx.done {
		return fmt.Errorf("%w: transaction already ended", driver.ErrInvalid)
	}
	tx.done = true
	d := tx.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return driver.ErrClosed
	}
	for _, nt := range tx.tasks {
		if q := d.queues[nt.Queue]; q != nil && nt.UniqueKey != "" {
			if _, taken := q.unique[nt.UniqueKey]; taken {
				return fmt.Errorf("commit: unique key %q of queue %q: %w", nt.UniqueKey, nt.Queue, driver.ErrDuplicate)
			}
		}
	}
	d.insert(tx.tasks, tx.ids)
	return nil
}

// Rollback drops the staged tasks. Rolling back an ended transaction does
// nothing.
func (tx *Tx) Rollback() error {
	tx.done = true
	tx.tasks, tx.ids = nil, nil
	return nil
}

// record returns a copy of the task's record that the caller may keep.
func (t *task) record() driver.TaskRecord {
	r := t.rec
	r.Payload = slices.Clone(r.Payload)
	if r.Payload == nil {
		r.Payload = []byte{}
	}
	return r
}

// setState moves t to state s, keeping the counts.
func (q *queue) setState(t *task, s driver.State) {
	q.counts[t.rec.State]--
	q.counts[s]++
	t.rec.State = s
}

// finalize moves a pending or running task to a final state.
func (q *queue) finalize(t *task, s driver.State, now time.Time) {
	switch t.rec.State {
	case driver.StatePending:
		q.removePending(t)
	case driver.StateRunning:
		delete(q.running, t.rec.ID)
	}
	if t.rec.UniqueKey != "" && q.unique[t.rec.UniqueKey] == t.rec.ID {
		delete(q.unique, t.rec.UniqueKey)
	}
	t.rec.LeaseExpiresAt = time.Time{}
	t.rec.FinalizedAt = now
	q.setState(t, s)
}

func byTime(a, b *task) int {
	if c := a.rec.RunAt.Compare(b.rec.RunAt); c != 0 {
		return c
	}
	return cmp.Compare(a.rec.ID, b.rec.ID)
}

func byPriority(a, b *task) int {
	if c := cmp.Compare(b.rec.Priority, a.rec.Priority); c != 0 {
		return c
	}
	return byTime(a, b)
}

// ruleOrder returns the comparison that sorts tasks in the rule's order.
func ruleOrder(r driver.PriorityRule) func(a, b *task) int {
	switch r {
	case driver.Lifo:
		return func(a, b *task) int { return byTime(b, a) }
	case driver.Priority:
		return byPriority
	}
	return byTime
}

func insertSorted(s []*task, t *task, order func(a, b *task) int) []*task {
	i, _ := slices.BinarySearchFunc(s, t, order)
	return slices.Insert(s, i, t)
}

func removeSorted(s []*task, t *task, order func(a, b *task) int) []*task {
	i, found := slices.BinarySearchFunc(s, t, order)
	if !found {
		panic(fmt.Sprintf("memory: task %d missing from its index", t.rec.ID))
	}
	return slices.Delete(s, i, i+1)
}

func (q *queue) addPending(t *task) {
	q.byTime = insertSorted(q.byTime, t, byTime)
	q.byPriority = insertSorted(q.byPriority, t, byPriority)
}

func (q *queue) removePending(t *task) {
	q.byTime = removeSorted(q.byTime, t, byTime)
	q.byPriority = removeSorted(q.byPriority, t, byPriority)
}

// available returns up to limit pending tasks whose run-at has come, in the
// rule's order.
func (q *queue) available(r driver.PriorityRule, limit int, now time.Time) []*task {
	// end is the number of tasks in byTime whose run-at is not after now.
	end := sort.Search(len(q.byTime), func(i int) bool { return q.byTime[i].rec.RunAt.After(now) })
	var out []*task
	switch r {
	case driver.Fifo:
		out = slices.Clone(q.byTime[:min(limit, end)])
	case driver.Lifo:
		for i := end - 1; i >= 0 && len(out) < limit; i-- {
			out = append(out, q.byTime[i])
		}
	case driver.Priority:
		for _, t := range q.byPriority {
			if len(out) == limit {
				break
			}
			if !t.rec.RunAt.After(now) {
				out = append(out, t)
			}
		}
	}
	return out
}
