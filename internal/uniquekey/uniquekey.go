// Package uniquekey holds the rule for unique keys repeated within one
// Create batch, for the adapters that apply it before the store sees the
// batch: the first task with a key (in its queue) is created, or refused
// if the store holds the key already, and each later task with that key
// gets the first one's answer, its ID with driver.ErrDuplicate.
package uniquekey

import "github.com/gosk/gosk/driver"

// Held is the detail of the driver.TaskError with which Admin.Retry
// refuses a task whose unique key another pending or running task holds:
// not a conflict, since the task's state allows the retry, its key does
// not.
const Held = "its unique key is held by another pending or running task"

// Key is a unique key in its queue; keys are unique per queue.
type Key struct{ Queue, Key string }

// Of returns the unique key of t.
func Of(t driver.NewTask) Key { return Key{Queue: t.Queue, Key: t.UniqueKey} }

// Split returns the indexes of the tasks that go to the store (every task
// without a unique key, and the first of each key), in order, and for each
// later task with a key already seen in the batch the index of the first.
func Split(tasks []driver.NewTask) (first []int, repeatOf map[int]int) {
	first = make([]int, 0, len(tasks))
	repeatOf = make(map[int]int)
	seen := make(map[Key]int)
	for i, t := range tasks {
		if t.UniqueKey != "" {
			if j, ok := seen[Of(t)]; ok {
				repeatOf[i] = j
				continue
			}
			seen[Of(t)] = i
		}
		first = append(first, i)
	}
	return first, repeatOf
}

// Answer gives each repeat the answer of the first task with its key: that
// task's ID, with driver.ErrDuplicate.
func Answer(results []driver.CreateResult, repeatOf map[int]int) {
	for i, j := range repeatOf {
		results[i] = driver.CreateResult{ID: results[j].ID, Err: driver.ErrDuplicate}
	}
}
