package memory

import (
	"fmt"
	"slices"
	"sort"
)

// chunkLen is the most tasks a taskList keeps in one chunk.
const chunkLen = 256

// taskList is a set of tasks kept sorted by an order, in chunks of at
// most chunkLen tasks each. Inserting or removing a task costs a binary
// search and moving at most a chunk, where one sorted slice moves
// everything after the task: a claim that takes the oldest of 20,000
// pending tasks moved the other 19,999 in each of the pending indexes.
// The zero value is not usable; make one with newTaskList.
type taskList struct {
	order func(a, b *task) int
	max   int // the most tasks in one chunk: chunkLen, or less in tests
	// chunks are non-empty, each sorted, and every task of a chunk comes
	// before every task of the next.
	chunks [][]*task
	n      int
}

// newTaskList returns an empty list in order, with chunks of at most
// maxChunk tasks (at least 2).
func newTaskList(order func(a, b *task) int, maxChunk int) taskList {
	return taskList{order: order, max: max(maxChunk, 2)}
}

// len is the number of tasks in the list.
func (l *taskList) len() int { return l.n }

// first returns the first task, or nil if the list is empty.
func (l *taskList) first() *task {
	if l.n == 0 {
		return nil
	}
	return l.chunks[0][0]
}

// chunkOf returns the index of the chunk where t is or would be put: the
// first whose last task does not come before t, or the last chunk.
func (l *taskList) chunkOf(t *task) int {
	i := sort.Search(len(l.chunks), func(i int) bool {
		c := l.chunks[i]
		return l.order(c[len(c)-1], t) >= 0
	})
	return min(i, len(l.chunks)-1)
}

// insert adds t, which must not be in the list.
func (l *taskList) insert(t *task) {
	l.n++
	if len(l.chunks) == 0 {
		l.chunks = append(l.chunks, append(make([]*task, 0, 8), t))
		return
	}
	if last := l.chunks[len(l.chunks)-1]; l.order(last[len(last)-1], t) < 0 {
		// The commonest insert puts t last: a task created now, in run-at
		// order, or finalised now, in Purge's. No search, and a full last
		// chunk is followed by a new one rather than split, so that
		// chunks filled in order stay full.
		if len(last) < l.max {
			l.chunks[len(l.chunks)-1] = append(last, t)
		} else {
			l.chunks = append(l.chunks, append(make([]*task, 0, l.max), t))
		}
		return
	}
	i := l.chunkOf(t)
	if c := l.chunks[i]; len(c) >= l.max {
		// Split a full chunk in two halves before it grows past max (and
		// its array to twice that); the second half gets an array of its
		// own, with room to grow.
		half := len(c) / 2
		second := append(make([]*task, 0, l.max), c[half:]...)
		clear(c[half:])
		l.chunks[i] = c[:half]
		l.chunks = slices.Insert(l.chunks, i+1, second)
		if l.order(t, second[0]) > 0 {
			i++
		}
	}
	c := l.chunks[i]
	j, _ := slices.BinarySearchFunc(c, t, l.order)
	l.chunks[i] = slices.Insert(c, j, t)
}

// remove takes t out of the list; it panics if t is not in it, which
// would mean that the driver's indexes disagree.
func (l *taskList) remove(t *task) {
	found := false
	var i, j int
	switch {
	case len(l.chunks) == 0:
	case l.chunks[0][0] == t:
		// A claim takes the first task of the list, most often: no
		// search.
		found = true
	default:
		i = l.chunkOf(t)
		j, found = slices.BinarySearchFunc(l.chunks[i], t, l.order)
	}
	if !found {
		panic(fmt.Sprintf("memory: task %d missing from its index", t.rec.ID))
	}
	l.n--
	c := l.chunks[i]
	if j == 0 {
		// The oldest task of a queue is the one most often taken: drop it
		// without moving the rest.
		c[0] = nil
		c = c[1:]
	} else {
		c = slices.Delete(c, j, j+1)
	}
	switch {
	case len(c) == 0:
		l.chunks = slices.Delete(l.chunks, i, i+1)
		return
	case len(c) < l.max/8:
		// A small chunk joins a neighbour that has room, so that the list
		// never holds many more chunks than n/max.
		if i+1 < len(l.chunks) && len(c)+len(l.chunks[i+1]) <= l.max {
			l.chunks[i] = append(c, l.chunks[i+1]...)
			l.chunks = slices.Delete(l.chunks, i+1, i+2)
			return
		}
		if i > 0 && len(c)+len(l.chunks[i-1]) <= l.max {
			l.chunks[i-1] = append(l.chunks[i-1], c...)
			l.chunks = slices.Delete(l.chunks, i, i+1)
			return
		}
	}
	l.chunks[i] = c
}

// ascend calls yield with the tasks in order until it returns false.
func (l *taskList) ascend(yield func(*task) bool) {
	for _, c := range l.chunks {
		for _, t := range c {
			if !yield(t) {
				return
			}
		}
	}
}

// descendBefore calls yield with the tasks for which after is false, from
// the last of them back to the first, until it returns false. after must
// be false for a prefix of the list and true for the rest.
func (l *taskList) descendBefore(after func(*task) bool, yield func(*task) bool) {
	i := sort.Search(len(l.chunks), func(i int) bool { return after(l.chunks[i][len(l.chunks[i])-1]) })
	if i < len(l.chunks) {
		c := l.chunks[i]
		j := sort.Search(len(c), func(j int) bool { return after(c[j]) })
		for k := j - 1; k >= 0; k-- {
			if !yield(c[k]) {
				return
			}
		}
	}
	for i--; i >= 0; i-- {
		c := l.chunks[i]
		for k := len(c) - 1; k >= 0; k-- {
			if !yield(c[k]) {
				return
			}
		}
	}
}
