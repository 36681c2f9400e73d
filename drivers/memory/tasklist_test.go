package memory

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
)

// TestTaskListMatchesSortedSlice inserts and removes tasks at random in
// taskLists with small chunks (so that chunks split, empty and merge
// often) and checks each step against a sorted slice: the same tasks in
// the same order, the same first task, and the same tasks before a
// run-at, walked backwards.
func TestTaskListMatchesSortedSlice(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, maxChunk := range []int{2, 3, 16, chunkLen} {
		for _, o := range []struct {
			order  func(a, b *task) int
			byTime bool // descendBefore by run-at is checked
		}{{byTime, true}, {byPriority, false}} {
			order := o.order
			rng := rand.New(rand.NewPCG(uint64(maxChunk), 7))
			l := newTaskList(order, maxChunk)
			var model []*task
			for step := range 4000 {
				// Grow for a while, then shrink, then grow again, with
				// removals mostly at the front, as claims make them.
				grow := step%1500 < 900
				if len(model) == 0 || (grow && rng.IntN(3) > 0) || (!grow && rng.IntN(4) == 0) {
					tk := &task{rec: driver.TaskRecord{
						ID:       int64(step + 1),
						Priority: rng.IntN(3),
						RunAt:    base.Add(time.Duration(rng.IntN(50)) * time.Second),
					}}
					l.insert(tk)
					i, _ := slices.BinarySearchFunc(model, tk, order)
					model = slices.Insert(model, i, tk)
				} else {
					i := 0
					if rng.IntN(2) == 0 {
						i = rng.IntN(len(model))
					}
					l.remove(model[i])
					model = slices.Delete(model, i, i+1)
				}
				checkTaskList(t, &l, model)
				if o.byTime {
					checkDescend(t, &l, model, base.Add(time.Duration(rng.IntN(55))*time.Second))
				}
				if t.Failed() {
					t.Fatalf("max chunk %d, step %d", maxChunk, step)
				}
			}
		}
	}
}

// checkTaskList checks that l holds model's tasks in model's order, in
// chunks of allowed sizes.
func checkTaskList(t *testing.T, l *taskList, model []*task) {
	t.Helper()
	if l.len() != len(model) {
		t.Errorf("len %d, want %d", l.len(), len(model))
	}
	var got []*task
	l.ascend(func(tk *task) bool { got = append(got, tk); return true })
	if !slices.Equal(got, model) {
		t.Errorf("ascend gives %d tasks not in the model's order", len(got))
	}
	if len(model) > 0 && l.first() != model[0] || len(model) == 0 && l.first() != nil {
		t.Errorf("first is not the model's first")
	}
	for _, c := range l.chunks {
		if len(c) == 0 || len(c) > l.max {
			t.Errorf("a chunk of %d tasks, want 1 to %d", len(c), l.max)
		}
	}
}

// checkDescend checks descendBefore on a list by run-at: the tasks due
// by cut, last first, as model has them.
func checkDescend(t *testing.T, l *taskList, model []*task, cut time.Time) {
	t.Helper()
	after := func(tk *task) bool { return tk.rec.RunAt.After(cut) }
	var want []*task
	for i := len(model) - 1; i >= 0; i-- {
		if !after(model[i]) {
			want = append(want, model[i])
		}
	}
	var got []*task
	l.descendBefore(after, func(tk *task) bool { got = append(got, tk); return true })
	if !slices.Equal(got, want) {
		t.Errorf("descendBefore %v gives %d tasks, want %d", cut, len(got), len(want))
	}
	// Stopping early stops.
	if len(want) > 1 {
		n := 0
		l.descendBefore(after, func(*task) bool { n++; return false })
		if n != 1 {
			t.Errorf("descendBefore called yield %d times after it returned false", n)
		}
	}
}
