package memory

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gosk/gosk/driver"
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
	slots      map[string]time.Time // schedule name -> its latest slot
}

func (d *Driver) queue(name string) *queue {
	q := d.queues[name]
	if q == nil {
		q = &queue{
			running: make(map[int64]*task),
			all:     make(map[int64]*task),
			unique:  make(map[string]int64),
			counts:  make(map[driver.State]int64),
			slots:   make(map[string]time.Time),
		}
		d.queues[name] = q
	}
	return q
}

// record returns a copy of the task's record that the caller may keep.
func (t *task) record() driver.TaskRecord {
	r := t.rec
	r.Payload = slices.Clone(r.Payload)
	if r.Payload == nil {
		r.Payload = []byte{}
	}
	r.Result = slices.Clone(r.Result)
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
