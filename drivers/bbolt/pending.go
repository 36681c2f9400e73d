package bbolt

import (
	"bytes"
	"encoding/binary"
	"math"

	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
)

// The buckets of a queue's delayed pending tasks (layout version 4): those
// whose run-at was still to come when they were stored (created with a
// delay, released with one, imported to run later). They mirror fifo/,
// prio/ and state:pending/, which keep the pending tasks that were due
// when stored, so that a queue holding many tasks for later (a million
// delayed ten years, say) leaves the indexes that claims and creates of
// tasks due at once go through as small, and as shallow, as a queue
// without them: each level of B+tree is one more page to write and sync
// per bucket per commit. A claim reads both sets and merges them by its
// rule, so a task is claimed in its place whichever set holds it.
var (
	bucketDelayedFifo = []byte("delayed:fifo")
	bucketDelayedPrio = []byte("delayed:prio")
	bucketDelayedIDs  = []byte("delayed:ids")
)

// pendingSet is one set of a queue's indexes of pending tasks: by run-at
// and ID (fifo), by priority, run-at and ID (prio), and by ID (ids).
type pendingSet struct {
	fifo, prio, ids *bolt.Bucket
}

// pendingSets returns the queue's two sets: the tasks due when stored,
// then the delayed ones.
func (q *queueBuckets) pendingSets() [2]pendingSet { return [2]pendingSet{q.due, q.delayed} }

// setFor returns the set that a pending task of run-at runAt, stored at
// now, belongs to.
func (q *queueBuckets) setFor(runAt, now int64) pendingSet {
	if runAt > now {
		return q.delayed
	}
	return q.due
}

// put indexes the pending task t in the set.
func (p pendingSet) put(t *task) error {
	if err := p.fifo.Put(timeIDKey(t.runAt, t.id), nil); err != nil {
		return err
	}
	if err := p.prio.Put(prioKey(t.priority, t.runAt, t.id), nil); err != nil {
		return err
	}
	return p.ids.Put(idKey(t.id), nil)
}

// dropPending deletes the pending task t's entries from whichever set
// holds them. Deleting a key a bucket lacks reads its path and writes
// nothing.
func (q *queueBuckets) dropPending(t *task) error {
	for _, p := range q.pendingSets() {
		if err := p.fifo.Delete(timeIDKey(t.runAt, t.id)); err != nil {
			return err
		}
		if err := p.prio.Delete(prioKey(t.priority, t.runAt, t.id)); err != nil {
			return err
		}
		if err := p.ids.Delete(idKey(t.id)); err != nil {
			return err
		}
	}
	return nil
}

// anyPendingDue reports whether either set has a task available by now.
func (q *queueBuckets) anyPendingDue(now int64) bool {
	return anyDue(q.due.fifo, now) || anyDue(q.delayed.fifo, now)
}

// available returns up to n IDs of pending tasks of the set available by
// now, in rule order. It reads only the entries it returns, plus one seek
// per priority level under the Priority rule.
func (p pendingSet) available(now int64, rule driver.PriorityRule, n int) []int64 {
	var ids []int64
	switch rule {
	case driver.Fifo:
		ids = dueIDs(p.fifo, now, n)
	case driver.Lifo:
		// Start at the last entry whose run-at is not after now.
		bound := append(appendTime(nil, now), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		c := p.fifo.Cursor()
		k, _ := c.Seek(bound)
		if k == nil {
			k, _ = c.Last()
		} else if bytes.Compare(k, bound) > 0 {
			k, _ = c.Prev()
		}
		for ; k != nil && len(ids) < n; k, _ = c.Prev() {
			_, id := splitTimeID(k)
			ids = append(ids, id)
		}
	case driver.Priority:
		c := p.prio.Cursor()
		k, _ := c.First()
		for k != nil && len(ids) < n {
			group := binary.BigEndian.Uint16(k[:2])
			if readTime(k[2:10]) <= now {
				ids = append(ids, int64(binary.BigEndian.Uint64(k[10:18])))
				k, _ = c.Next()
				continue
			}
			if group == math.MaxUint16 {
				break
			}
			k, _ = c.Seek(binary.BigEndian.AppendUint16(nil, group+1))
		}
	}
	return ids
}

// migrateDelayed is the step to layout version 4: every queue gets the
// buckets of its delayed tasks. The pending tasks stored before stay in
// fifo/, prio/ and state:pending/, where claims find them as before.
func migrateDelayed(top *bolt.Bucket) error {
	queues := top.Bucket(bucketQueues)
	if queues == nil {
		return errorf("bucket %q is missing", bucketQueues)
	}
	// The names first: a bucket must not change under its cursor.
	var names [][]byte
	if err := queues.ForEachBucket(func(name []byte) error {
		names = append(names, append([]byte(nil), name...))
		return nil
	}); err != nil {
		return err
	}
	for _, name := range names {
		qb := queues.Bucket(name)
		for _, b := range [][]byte{bucketDelayedFifo, bucketDelayedPrio, bucketDelayedIDs} {
			if _, err := qb.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
	}
	return nil
}
