package gosk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosk/gosk/driver"
)

// PriorityRule is the order in which workers claim tasks: [Fifo], [Lifo]
// or [Priority]. The zero value is not a valid rule.
type PriorityRule = driver.PriorityRule

// The priority rules.
const (
	// Fifo claims the oldest run-at first, then in creation order.
	Fifo = driver.Fifo
	// Lifo claims the newest available task first.
	Lifo = driver.Lifo
	// Priority claims the highest CreateOptions.Priority first, Fifo among
	// equals.
	Priority = driver.Priority
)

// State is where a task stands in its lifecycle.
type State = driver.State

// The five states of a task.
const (
	// StatePending: waiting to be claimed, available once its run-at has
	// come.
	StatePending = driver.StatePending
	// StateRunning: held by a worker under a lease.
	StateRunning = driver.StateRunning
	// StateCompleted: final; its handler succeeded.
	StateCompleted = driver.StateCompleted
	// StateCancelled: final; cancelled by its handler or from outside.
	StateCancelled = driver.StateCancelled
	// StateFailed: final; it gave up after its last attempt.
	StateFailed = driver.StateFailed
)

// CreateResult is the result of creating one task of a batch: the new
// task's ID and a nil Err, or the existing task's ID and an Err wrapping
// [ErrDuplicate].
type CreateResult = driver.CreateResult

// DefaultMaxAttempts is the number of attempts a task gets when neither
// its CreateOptions nor its queue's QueueOptions set one.
const DefaultMaxAttempts = 25

// QueueOptions configures a Queue. The zero value and nil mean defaults.
type QueueOptions struct {
	// Codec encodes and decodes payloads. Default: JSONCodec.
	Codec Codec
	// MaxAttempts is the number of attempts a task of this queue gets when
	// its CreateOptions do not say. Default: DefaultMaxAttempts (25).
	MaxAttempts int
	// Clock is the process clock used to turn CreateOptions.RunAt into a
	// delay. Default: time.Now.
	Clock func() time.Time
}

// CreateOptions configures one task. The zero value and nil mean
// defaults.
type CreateOptions struct {
	// Priority orders tasks under the Priority rule, higher first, within
	// [driver.MinPriority, driver.MaxPriority]. Default 0.
	Priority int
	// Delay keeps the task from running until Delay after it is created,
	// on the store's clock. Default 0: available at once. Negative is
	// invalid, and so is setting both Delay and RunAt.
	Delay time.Duration
	// RunAt keeps the task from running until this time. It is turned into
	// a delay with the queue's clock when the task is created (see Time in
	// the package doc); a time in the past means at once.
	RunAt time.Time
	// MaxAttempts is how many claims the task may use up before it fails.
	// Default: the queue's QueueOptions.MaxAttempts.
	MaxAttempts int
	// UniqueKey, if set, makes the task unique in its queue while a task
	// with the same key is pending or running: creating another returns
	// the existing task's ID and ErrDuplicate. It is valid UTF-8 without
	// NUL bytes, at most driver.MaxUniqueKeyLen bytes, compared byte for
	// byte; anything else is ErrInvalid.
	UniqueKey string
}

// Item is one task of a batch for [Queue.CreateMany]: a payload and its
// options (nil for defaults).
type Item[T any] struct {
	// Payload is the task's value.
	Payload T
	// Options configures the task; nil means defaults.
	Options *CreateOptions
}

// Items returns one Item per value of vs, all with the options opts (nil
// for defaults): the batch for [Queue.CreateMany] when every task is
// configured alike.
func Items[T any](vs []T, opts *CreateOptions) []Item[T] {
	items := make([]Item[T], len(vs))
	for i, v := range vs {
		items[i] = Item[T]{Payload: v, Options: opts}
	}
	return items
}

// Task is a task read back from the store, with its payload decoded.
type Task[T any] struct {
	// ID identifies the task in its store.
	ID int64
	// Queue is the task's queue.
	Queue string
	// Payload is the task's value.
	Payload T
	// State is the task's state when it was read.
	State State
	// Attempt counts the claims the task has used up, this run included
	// when the task is running.
	Attempt int
	// MaxAttempts is how many claims the task may use up before it fails.
	MaxAttempts int
	// Priority as created.
	Priority int
	// UniqueKey as created, or empty.
	UniqueKey string
	// LastError is the text of the last error recorded, or empty.
	LastError string
	// CreatedAt is when the task was created, on the store's clock.
	CreatedAt time.Time
	// RunAt is when the task is or was available from.
	RunAt time.Time
	// LeaseExpiresAt is when the current lease runs out; zero unless the
	// task is running.
	LeaseExpiresAt time.Time
	// FinalizedAt is when the task reached its final state; zero unless it
	// is final.
	FinalizedAt time.Time
	// Fence is the lease token of the claim this run holds, set by package
	// worker on the task it hands a handler; zero on a task read with Get
	// or List, which do not see tokens. Each claim of a task gets a fence
	// greater than every earlier claim's, so a handler can guard its own
	// writes with it: store the fence with what it writes, and write only
	// where the stored fence is lower (UPDATE ... SET v = $v, fence = $fence
	// WHERE id = $id AND fence < $fence). A run whose lease ran out and was
	// claimed again then changes nothing once the new run has written.
	// Fences of different tasks are not comparable: fence only what one
	// task writes (key the row by the task's ID). See Fencing in package
	// driver, and examples/fence.
	Fence int64
	// Result is the task's result, as its codec's bytes. On a task read
	// with Get or List it is what the completing run stored (nil if it
	// stored none, and for every task that is not completed); read it
	// with [Task.DecodeResult]. On the task a handler runs it starts nil,
	// and [Task.SetResult] sets it: package worker stores it with the task
	// if the run completes (see Results in package worker).
	Result []byte

	codec Codec // the codec of the queue the task came from; nil: JSONCodec
}

// Queue is the typed handle on one named queue of a driver. Create one
// with [NewQueue]; it is safe for concurrent use.
type Queue[T any] struct {
	drv         driver.Driver
	creator     driver.Creator // where Create and CreateMany store: drv, or a Creator given to In
	name        string
	codec       Codec
	maxAttempts int
	clock       func() time.Time
}

// NewQueue returns the queue called name in d, holding tasks of type T.
// The name must satisfy [driver.ValidateQueueName]; opts may be nil.
func NewQueue[T any](d driver.Driver, name string, opts *QueueOptions) (*Queue[T], error) {
	if d == nil {
		return nil, fmt.Errorf("%w: driver is nil", ErrInvalid)
	}
	if err := driver.ValidateQueueName(name); err != nil {
		return nil, err
	}
	var o QueueOptions
	if opts != nil {
		o = *opts
	}
	if o.Codec == nil {
		o.Codec = JSONCodec{}
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	// The port's rule on max attempts, of which this is the default.
	err := driver.CheckNewTask(driver.NewTask{MaxAttempts: o.MaxAttempts}, func(f string) string { return "QueueOptions." + f })
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Queue[T]{drv: d, creator: d, name: name, codec: o.Codec, maxAttempts: o.MaxAttempts, clock: o.Clock}, nil
}

// Name returns the queue's name.
func (q *Queue[T]) Name() string { return q.name }

// Driver returns the driver the queue stores its tasks in. With
// [Queue.Decode] it is the seam for a runtime other than package worker
// (which is built on these two and nothing else): claim, ping and finish
// through the driver, and decode each claimed record into a Task.
func (q *Queue[T]) Driver() driver.Driver { return q.drv }

// In returns a copy of q whose Create and CreateMany store through c,
// typically the Creator an adapter binds to the caller's transaction
// (every shipped adapter's Tx method): the tasks appear when, and only if,
// that transaction commits. Every other method of the copy (Get, List,
// the admin calls) still reads and writes through q's driver, outside the
// transaction. A nil c makes every create of the copy fail with
// [ErrInvalid].
//
//	id, err := q.In(drv.Tx(tx)).Create(ctx, Email{To: "ada@example.com"}, nil)
func (q *Queue[T]) In(c driver.Creator) *Queue[T] {
	cp := *q
	cp.creator = c
	return &cp
}

// Create stores one task with payload v and returns its ID. If opts has a
// unique key that a pending or running task of the queue holds, nothing is
// stored and Create returns that task's ID with an error wrapping
// [ErrDuplicate].
// An encoded payload longer than the driver's payload limit (4 MiB unless
// the driver's options set another) is refused with [ErrInvalid].
func (q *Queue[T]) Create(ctx context.Context, v T, opts *CreateOptions) (int64, error) {
	res, err := q.CreateMany(ctx, []Item[T]{{Payload: v, Options: opts}})
	if err != nil {
		return 0, err
	}
	return res[0].ID, res[0].Err
}

// CreateMany stores one task per item, each with its own options, in one
// driver call, and returns one result per item in order. A result's Err
// wraps ErrDuplicate when its unique key was taken (by a stored task or an
// earlier item of the batch); the call's error means nothing was stored
// and, for a bad item, names it. An empty batch stores nothing and makes
// no driver call. [Items] makes the batch when every task has the same
// options.
func (q *Queue[T]) CreateMany(ctx context.Context, items []Item[T]) ([]CreateResult, error) {
	c := q.creator
	if c == nil {
		return nil, fmt.Errorf("%w: creator is nil", ErrInvalid)
	}
	if len(items) == 0 {
		return nil, nil
	}
	now := q.clock()
	tasks := make([]driver.NewTask, len(items))
	for i, it := range items {
		t, err := q.newTask(it.Payload, it.Options, now)
		if err != nil {
			if len(items) > 1 {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			return nil, err
		}
		tasks[i] = t
	}
	res, err := c.Create(ctx, tasks)
	if err != nil {
		return nil, fmt.Errorf("gosk: create in queue %q: %w", q.name, err)
	}
	if len(res) != len(tasks) {
		return nil, fmt.Errorf("gosk: create in queue %q: driver returned %d results for %d tasks", q.name, len(res), len(tasks))
	}
	for i := range res {
		switch {
		case errors.Is(res[i].Err, ErrDuplicate):
			res[i].Err = fmt.Errorf("gosk: queue %q, unique key %q held by task %d: %w", q.name, tasks[i].UniqueKey, res[i].ID, res[i].Err)
		case res[i].Err != nil:
			res[i].Err = fmt.Errorf("gosk: create in queue %q: %w", q.name, res[i].Err)
		}
	}
	return res, nil
}

// NewTask returns the task that Create would store for v and opts: the
// payload encoded with the queue's codec, the options checked (naming the
// offending field, with ErrInvalid) and defaulted as Create does them. It
// stores nothing. A runtime that hands tasks to a driver call of its own
// (package worker's Schedule, through driver.Scheduler) makes them here,
// so that they are what Create would have made.
func (q *Queue[T]) NewTask(v T, opts *CreateOptions) (driver.NewTask, error) {
	return q.newTask(v, opts, q.clock())
}

// newTask encodes v and checks opts, naming the offending field.
func (q *Queue[T]) newTask(v T, opts *CreateOptions, now time.Time) (driver.NewTask, error) {
	var o CreateOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = q.maxAttempts
	}
	t := driver.NewTask{
		Queue:       q.name,
		Priority:    o.Priority,
		Delay:       o.Delay,
		MaxAttempts: o.MaxAttempts,
		UniqueKey:   o.UniqueKey,
	}
	// The rules on these fields are the port's, written once in package
	// driver; CreateOptions names its fields as NewTask does.
	if err := driver.CheckNewTask(t, optionName); err != nil {
		return driver.NewTask{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !o.RunAt.IsZero() {
		if o.Delay != 0 {
			return driver.NewTask{}, fmt.Errorf("%w: CreateOptions.Delay and CreateOptions.RunAt are both set; set one", ErrInvalid)
		}
		t.Delay = max(o.RunAt.Sub(now), 0)
	}
	payload, err := marshal(q.codec, v)
	if err != nil {
		return driver.NewTask{}, fmt.Errorf("gosk: encode payload for queue %q: %w", q.name, err)
	}
	t.Payload = payload
	return t, nil
}

// optionName calls a field of driver.NewTask by its name in CreateOptions.
func optionName(field string) string { return "CreateOptions." + field }

// Get reads the task with the given ID. It returns an error wrapping
// [ErrTaskNotFound] if there is none, or if the task belongs to another
// queue.
func (q *Queue[T]) Get(ctx context.Context, id int64) (*Task[T], error) {
	rec, err := q.drv.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("gosk: get task %d: %w", id, err)
	}
	if rec.Queue != q.name {
		return nil, fmt.Errorf("gosk: get task %d: it belongs to queue %q, not %q: %w", id, rec.Queue, q.name, ErrTaskNotFound)
	}
	return q.Decode(rec)
}

// Decode turns a driver's record of a task of this queue into a Task,
// decoding its payload with the queue's codec. An empty payload decodes to
// T's zero value; a payload that does not decode, or whose decoding
// panics, is an error. Package worker uses it on claimed tasks, as any other
// runtime may (see [Queue.Driver]). A record carries no lease token, so
// Fence is left zero; a runtime sets it from the claim's [driver.Lease].
func (q *Queue[T]) Decode(rec driver.TaskRecord) (*Task[T], error) {
	t := &Task[T]{
		codec:          q.codec,
		Result:         rec.Result,
		ID:             rec.ID,
		Queue:          rec.Queue,
		State:          rec.State,
		Attempt:        rec.Attempt,
		MaxAttempts:    rec.MaxAttempts,
		Priority:       rec.Priority,
		UniqueKey:      rec.UniqueKey,
		LastError:      rec.LastError,
		CreatedAt:      rec.CreatedAt,
		RunAt:          rec.RunAt,
		LeaseExpiresAt: rec.LeaseExpiresAt,
		FinalizedAt:    rec.FinalizedAt,
	}
	if len(rec.Payload) > 0 {
		if err := unmarshal(q.codec, rec.Payload, &t.Payload); err != nil {
			return t, fmt.Errorf("gosk: decode payload of task %d: %w", rec.ID, err)
		}
	}
	return t, nil
}

// marshal is codec.Marshal, with a panic of the codec (or of a
// MarshalJSON method of the payload type, such as one called on a nil
// pointer) returned as an error, as unmarshal does: a payload that cannot
// be encoded is refused with an error, whichever way the codec says so.
func marshal(codec Codec, v any) (b []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the codec panicked: %v", p)
		}
	}()
	return codec.Marshal(v)
}

// unmarshal is codec.Unmarshal, with a panic of the codec (or of an
// UnmarshalJSON method of the payload type) returned as an error. A
// payload that makes decoding panic is bad input like any other that
// does not decode: package worker decodes claimed tasks on a goroutine
// of its own, where a panic would end the process, and the next process
// would claim the same task and end too.
func unmarshal(codec Codec, data []byte, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the codec panicked: %v", p)
		}
	}()
	return codec.Unmarshal(data, v)
}
