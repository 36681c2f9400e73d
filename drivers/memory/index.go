package memory

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/gosk/gosk/driver"
)

// task is a stored task; rec is the record handed out (copied on the way).
type task struct {
	rec   driver.TaskRecord
	token int64
	// q is the queue of rec.Queue, which holds the task's indexes: the
	// driver never drops a queue, and a task never changes queue.
	q *queue
	// runIdx is the task's place in q.running while it runs.
	runIdx int
}

// queue holds one queue's indexes.
type queue struct {
	byTime     taskList // pending, by (run-at, ID)
	byPriority taskList // pending, by (priority desc, run-at, ID)
	final      taskList // final, by (finalised-at, ID): Purge's order
	running    runningSet
	all        map[int64]*task
	unique     map[string]int64 // key of a pending or running task -> its ID
	counts     stateCounts
	slots      map[string]time.Time // schedule name -> its latest slot
}

func (d *Driver) queue(name string) *queue {
	q := d.queues[name]
	if q == nil {
		q = &queue{
			byTime:     newTaskList(byTime, chunkLen),
			byPriority: newTaskList(byPriority, chunkLen),
			final:      newTaskList(byFinalized, chunkLen),
			all:        make(map[int64]*task),
			unique:     make(map[string]int64),
			slots:      make(map[string]time.Time),
		}
		d.queues[name] = q
	}
	return q
}

// record returns a copy of the task's record that the caller may keep.
func (t *task) record() driver.TaskRecord {
	var r driver.TaskRecord
	t.copyTo(&r)
	return r
}

// copyTo writes a copy of the task's record that the caller may keep to
// r, in place: a claim fills its results so, rather than copying each
// record twice more on the way.
func (t *task) copyTo(r *driver.TaskRecord) {
	*r = t.rec
	r.Payload = slices.Clone(r.Payload)
	if r.Payload == nil {
		r.Payload = []byte{}
	}
	r.Result = slices.Clone(r.Result)
}

// setState moves t to state s, keeping the counts.
func (q *queue) setState(t *task, s driver.State) {
	q.counts.add(t.rec.State, -1)
	q.counts.add(s, 1)
	t.rec.State = s
}

// stateCounts counts a queue's tasks by state: an array, where a map with
// string keys hashed a state twice for every change of a task's state.
type stateCounts [5]int64

// add adds n to the count of state s.
func (c *stateCounts) add(s driver.State, n int64) { c[stateIndex(s)] += n }

// of returns the count of state s.
func (c *stateCounts) of(s driver.State) int64 { return c[stateIndex(s)] }

// stateIndex is the place of state s in a stateCounts.
func stateIndex(s driver.State) int {
	switch s {
	case driver.StatePending:
		return 0
	case driver.StateRunning:
		return 1
	case driver.StateCompleted:
		return 2
	case driver.StateCancelled:
		return 3
	case driver.StateFailed:
		return 4
	}
	panic(fmt.Sprintf("memory: a task in unknown state %q", s))
}

// finalize moves a pending or running task to a final state.
func (q *queue) finalize(t *task, s driver.State, now time.Time) {
	switch t.rec.State {
	case driver.StatePending:
		q.removePending(t)
	case driver.StateRunning:
		q.running.remove(t)
	}
	if t.rec.UniqueKey != "" && q.unique[t.rec.UniqueKey] == t.rec.ID {
		delete(q.unique, t.rec.UniqueKey)
	}
	t.rec.LeaseExpiresAt = time.Time{}
	t.rec.FinalizedAt = now
	q.setState(t, s)
	q.addFinal(t)
}

// addFinal puts a final task, its FinalizedAt set, into the index Purge
// reads. Every path that makes a task final, or stores one as final, calls
// it once, after the task's state and FinalizedAt are set.
func (q *queue) addFinal(t *task) {
	q.final.insert(t)
}

// removeFinal takes a final task out of the index Purge reads, before its
// FinalizedAt changes or it is deleted.
func (q *queue) removeFinal(t *task) {
	q.final.remove(t)
}

// byFinalized orders final tasks by (finalised-at, ID): the oldest
// finalisation first, as Purge deletes them.
func byFinalized(a, b *task) int {
	if c := a.rec.FinalizedAt.Compare(b.rec.FinalizedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.rec.ID, b.rec.ID)
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

func (q *queue) addPending(t *task) {
	q.byTime.insert(t)
	q.byPriority.insert(t)
}

func (q *queue) removePending(t *task) {
	q.byTime.remove(t)
	q.byPriority.remove(t)
}

// available appends to out up to limit pending tasks whose run-at has
// come, in the rule's order, and returns it.
func (q *queue) available(out []*task, r driver.PriorityRule, limit int, now time.Time) []*task {
	limit += len(out)
	due := func(t *task) bool { return !t.rec.RunAt.After(now) }
	switch r {
	case driver.Fifo:
		// The commonest claim, read straight from the chunks.
		for _, c := range q.byTime.chunks {
			for _, t := range c {
				if len(out) == limit || !due(t) {
					return out
				}
				out = append(out, t)
			}
		}
	case driver.Lifo:
		q.byTime.descendBefore(func(t *task) bool { return !due(t) }, func(t *task) bool {
			if len(out) == limit {
				return false
			}
			out = append(out, t)
			return true
		})
	case driver.Priority:
		q.byPriority.ascend(func(t *task) bool {
			if len(out) == limit {
				return false
			}
			if due(t) {
				out = append(out, t)
			}
			return true
		})
	}
	return out
}
