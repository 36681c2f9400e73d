package bbolt

import (
	"encoding/binary"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
)

// Names of the buckets and keys inside the driver's top-level bucket. The
// package doc describes the layout.
var (
	bucketMeta     = []byte("meta")
	bucketTasks    = []byte("tasks")
	bucketPayloads = []byte("payloads")
	bucketQueues   = []byte("queues")
	// bucketResults maps a task ID to its result, for completed tasks
	// whose handler stored one.
	bucketResults = []byte("results")
	// bucketPaused maps the name of each paused queue to when it was
	// paused.
	bucketPaused = []byte("paused")
	// bucketSchedules maps a schedule (its queue and name) to the latest
	// slot that became a task.
	bucketSchedules = []byte("schedules")

	keyLayout  = []byte("layout")
	keyVersion = []byte("version")

	// layoutName marks a top-level bucket as a gosk task store.
	layoutName = []byte("gosk/bbolt")

	bucketFifo   = []byte("fifo")
	bucketPrio   = []byte("prio")
	bucketLeases = []byte("leases")
	bucketFinal  = []byte("final")
	bucketUnique = []byte("unique")
	bucketCounts = []byte("counts")
)

// stateBucket names the per-queue bucket listing the IDs of tasks in s.
func stateBucket(s driver.State) []byte { return []byte("state:" + string(s)) }

// idKey is a task ID as a key: 8 bytes, big-endian, so IDs sort in order.
func idKey(id int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(id))
}

// appendTime appends a Unix-nanosecond time as 8 big-endian bytes with the
// sign bit flipped, so that byte order is time order.
func appendTime(b []byte, ns int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(ns)^(1<<63))
}

func readTime(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// timeIDKey is the key of the fifo, leases and final indexes: a time, then
// the ID (16 bytes).
func timeIDKey(ns, id int64) []byte {
	b := appendTime(make([]byte, 0, 16), ns)
	return binary.BigEndian.AppendUint64(b, uint64(id))
}

func splitTimeID(k []byte) (ns, id int64) {
	return readTime(k[:8]), int64(binary.BigEndian.Uint64(k[8:16]))
}

// dueIDs returns up to n IDs from the start of a time-and-ID index (fifo,
// leases or final) whose time is not after by, earliest first. It reads
// only the entries it returns, and at most one more.
func dueIDs(index *bolt.Bucket, by int64, n int) []int64 {
	var ids []int64
	c := index.Cursor()
	for k, _ := c.First(); k != nil && len(ids) < n; k, _ = c.Next() {
		at, id := splitTimeID(k)
		if at > by {
			break
		}
		ids = append(ids, id)
	}
	return ids
}

// anyDue reports whether the first entry of a time-and-ID index (fifo,
// leases or final) has a time not after by.
func anyDue(index *bolt.Bucket, by int64) bool {
	k, _ := index.Cursor().First()
	return k != nil && readTime(k) <= by
}

// prioKey is the key of the prio index: the priority inverted so that the
// highest comes first (2 bytes), then run-at and ID (18 bytes).
func prioKey(priority int, runAt, id int64) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 18), prioGroup(priority))
	b = appendTime(b, runAt)
	return binary.BigEndian.AppendUint64(b, uint64(id))
}

func prioGroup(priority int) uint16 { return uint16(driver.MaxPriority - priority) }

// appendFill is how full bbolt fills the pages it splits in buckets whose
// new keys mostly come last (IDs, finalisation times): fuller than bbolt's
// default of half, since few keys will be inserted between them later.
const appendFill = 0.9

// recordFill is how full bbolt fills the pages it splits in the tasks
// bucket: its keys come last too, but a record grows by about a quarter
// over its life (a lease expiry while running, then a finalisation time
// and a longer state), and a page filled to appendFill with records that
// then grow splits again into one full page and one nearly empty, which
// left completed tasks' pages half full and the bucket of a million of
// them a level deeper, each level a page more to write per commit. At
// recordFill a page of new records takes their growth and stays whole.
const recordFill = 0.8

// queueBuckets are the buckets of one queue. due is fifo/, prio/ and
// state:pending/ (states[driver.StatePending]); delayed is their
// counterpart for the tasks stored to run later (see pending.go).
type queueBuckets struct {
	due, delayed                  pendingSet
	leases, final, unique, counts *bolt.Bucket
	states                        map[driver.State]*bolt.Bucket
}

// store is the driver's top-level bucket as seen by one transaction.
type store struct {
	top      *bolt.Bucket
	tasks    *bolt.Bucket
	payloads *bolt.Bucket
	queues   *bolt.Bucket
	paused   *bolt.Bucket
	results  *bolt.Bucket
	qs       map[string]*queueBuckets
}

// openStore finds the driver's buckets in tx. The migration has made them,
// so a missing one means someone removed them under us.
func openStore(tx *bolt.Tx, name []byte) (*store, error) {
	top := tx.Bucket(name)
	if top == nil {
		return nil, errorf("bucket %q is missing; was it deleted while the driver was open?", name)
	}
	s := &store{top: top, tasks: top.Bucket(bucketTasks), payloads: top.Bucket(bucketPayloads),
		queues: top.Bucket(bucketQueues), paused: top.Bucket(bucketPaused), results: top.Bucket(bucketResults)}
	if s.tasks == nil || s.payloads == nil || s.queues == nil || s.paused == nil || s.results == nil {
		return nil, errorf("bucket %q lacks its tasks, payloads, queues, paused or results bucket", name)
	}
	s.tasks.FillPercent = recordFill
	s.payloads.FillPercent = appendFill
	return s, nil
}

// queue returns the buckets of a queue. If create is false and the queue
// has never had a task, it returns nil.
// nextID draws the next task ID from the tasks bucket's sequence.
func (s *store) nextID() (int64, error) {
	seq, err := s.tasks.NextSequence()
	if err != nil {
		return 0, err
	}
	if seq > math.MaxInt64 {
		return 0, errorf("task IDs exhausted")
	}
	return int64(seq), nil
}

func (s *store) queue(name string, create bool) (*queueBuckets, error) {
	if q, ok := s.qs[name]; ok {
		return q, nil
	}
	qb := s.queues.Bucket([]byte(name))
	if qb == nil {
		if !create {
			return nil, nil
		}
		var err error
		if qb, err = s.queues.CreateBucket([]byte(name)); err != nil {
			return nil, err
		}
	}
	sub := func(name []byte) (*bolt.Bucket, error) {
		if create {
			return qb.CreateBucketIfNotExists(name)
		}
		b := qb.Bucket(name)
		if b == nil {
			return nil, errorf("queue bucket lacks %q", name)
		}
		return b, nil
	}
	q := &queueBuckets{states: make(map[driver.State]*bolt.Bucket, len(driver.States()))}
	var err error
	for _, p := range []struct {
		b    **bolt.Bucket
		name []byte
	}{
		{&q.due.fifo, bucketFifo}, {&q.due.prio, bucketPrio}, {&q.leases, bucketLeases}, {&q.final, bucketFinal}, {&q.unique, bucketUnique}, {&q.counts, bucketCounts},
		{&q.delayed.fifo, bucketDelayedFifo}, {&q.delayed.prio, bucketDelayedPrio}, {&q.delayed.ids, bucketDelayedIDs},
	} {
		if *p.b, err = sub(p.name); err != nil {
			return nil, err
		}
	}
	for _, st := range driver.States() {
		if q.states[st], err = sub(stateBucket(st)); err != nil {
			return nil, err
		}
	}
	q.due.ids = q.states[driver.StatePending]
	// Every index but unique/ gets its new keys mostly last: IDs only grow,
	// and run-at, lease expiry and finalisation are mostly now plus a
	// constant (under Priority, mostly last within a priority level).
	for _, b := range []*bolt.Bucket{q.due.fifo, q.due.prio, q.leases, q.final, q.delayed.fifo, q.delayed.prio, q.delayed.ids} {
		b.FillPercent = appendFill
	}
	for _, b := range q.states {
		b.FillPercent = appendFill
	}
	if s.qs == nil {
		s.qs = make(map[string]*queueBuckets)
	}
	s.qs[name] = q
	return q, nil
}

// queueOf returns the buckets of an existing task's queue.
func (s *store) queueOf(t *task) (*queueBuckets, error) {
	q, err := s.queue(t.queue, false)
	if err == nil && q == nil {
		err = fmt.Errorf("%w: task %d names queue %q, which has no buckets", errCorrupt, t.id, t.queue)
	}
	return q, err
}

// load reads a task, or returns nil if there is none with that ID.
func (s *store) load(id int64) (*task, error) {
	v := s.tasks.Get(idKey(id))
	if v == nil {
		return nil, nil
	}
	return decodeTask(id, v)
}

// withPayload reads t's payload into it, copied out of the transaction.
func (s *store) withPayload(t *task) *task {
	v := s.payloads.Get(idKey(t.id))
	t.payload = make([]byte, len(v))
	copy(t.payload, v)
	return t
}

// savePayload stores a new task's payload; it never changes afterwards.
func (s *store) savePayload(t *task) error {
	return s.payloads.Put(idKey(t.id), t.payload)
}

// withResult reads t's result into it, copied out of the transaction; nil
// if it has none.
func (s *store) withResult(t *task) *task {
	if v := s.results.Get(idKey(t.id)); v != nil {
		t.result = append([]byte(nil), v...)
	}
	return t
}

// remove deletes a task's record, payload and result.
func (s *store) remove(id int64) error {
	if err := s.tasks.Delete(idKey(id)); err != nil {
		return err
	}
	if err := s.results.Delete(idKey(id)); err != nil {
		return err
	}
	return s.payloads.Delete(idKey(id))
}

// save writes the task's record. bbolt keeps the value slice until the
// transaction ends, so each save encodes into a fresh one.
func (s *store) save(t *task) error {
	return s.tasks.Put(idKey(t.id), t.encode(make([]byte, 0, 64+len(t.queue)+len(t.uniqueKey)+len(t.lastError))))
}

// move stores a transition of a task from old (nil for a new task) to t,
// made at now: it updates the indexes and writes t's record. A transition
// reads old := *t; change t; s.move(q, &old, t, now). A task that
// completes stores t.result, if any; a task that leaves a final state (a
// retry) loses the result it had.
func (s *store) move(q *queueBuckets, old, t *task, now int64) error {
	if old != nil {
		if err := unindex(q, old, t); err != nil {
			return err
		}
		if err := s.moveResult(old, t); err != nil {
			return err
		}
	}
	if err := index(q, old, t, now); err != nil {
		return err
	}
	return s.save(t)
}

// moveResult keeps the results bucket in step with a transition.
func (s *store) moveResult(old, t *task) error {
	switch {
	case t.state == driver.StateCompleted && old.state != driver.StateCompleted && len(t.result) > 0:
		return s.results.Put(idKey(t.id), t.result)
	case old.state.Final() && !t.state.Final():
		return s.results.Delete(idKey(t.id))
	}
	return nil
}

// unindex removes old's entries from the indexes of its state, and its
// unique key if the task stops being live. t is the task after the
// change, or nil if it is being deleted.
func unindex(q *queueBuckets, old, t *task) error {
	id := old.id
	var err error
	switch old.state {
	case driver.StatePending:
		err = q.dropPending(old)
	case driver.StateRunning:
		err = q.leases.Delete(timeIDKey(old.leaseExp, id))
	default:
		err = q.final.Delete(timeIDKey(old.finalizedAt, id))
	}
	if err != nil {
		return err
	}
	if t == nil || old.state != t.state {
		if old.state != driver.StatePending { // dropPending did
			if err := q.states[old.state].Delete(idKey(id)); err != nil {
				return err
			}
		}
		if err := addCount(q, old.state, -1); err != nil {
			return err
		}
	}
	if old.uniqueKey != "" && old.live() && (t == nil || !t.live()) {
		k := []byte(old.uniqueKey)
		if v := q.unique.Get(k); v != nil && int64(binary.BigEndian.Uint64(v)) == id {
			return q.unique.Delete(k)
		}
	}
	return nil
}

// index adds t's entries to the indexes of its state, and claims its
// unique key if it becomes live. old is t before the change, or nil for a
// new task; now is when the change is made, which says whether a pending
// task is delayed.
func index(q *queueBuckets, old, t *task, now int64) error {
	id := t.id
	var err error
	switch t.state {
	case driver.StatePending:
		err = q.setFor(t.runAt, now).put(t)
	case driver.StateRunning:
		err = q.leases.Put(timeIDKey(t.leaseExp, id), nil)
	default:
		err = q.final.Put(timeIDKey(t.finalizedAt, id), nil)
	}
	if err != nil {
		return err
	}
	if old == nil || old.state != t.state {
		if t.state != driver.StatePending { // put did
			if err := q.states[t.state].Put(idKey(id), nil); err != nil {
				return err
			}
		}
		if err := addCount(q, t.state, 1); err != nil {
			return err
		}
	}
	if t.uniqueKey != "" && t.live() && (old == nil || !old.live()) {
		return q.unique.Put([]byte(t.uniqueKey), idKey(id))
	}
	return nil
}

// uniqueHolder returns the ID of the live task holding key in q, or zero.
func uniqueHolder(q *queueBuckets, key string) int64 {
	if v := q.unique.Get([]byte(key)); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}

func addCount(q *queueBuckets, s driver.State, delta int64) error {
	k := []byte(s)
	var n int64
	if v := q.counts.Get(k); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	return q.counts.Put(k, binary.BigEndian.AppendUint64(nil, uint64(n+delta)))
}

func readCount(q *queueBuckets, s driver.State) int64 {
	if v := q.counts.Get([]byte(s)); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}
