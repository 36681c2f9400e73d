package memory

import (
	"math/rand/v2"
	"testing"

	"github.com/gosk/gosk/driver"
)

// TestTaskIndexMatchesAMap stores and deletes tasks at random in a
// taskIndex, IDs mostly in order but some held back and stored late (as
// a transaction commits them), deletes mostly the oldest (as Purge does)
// so that pages empty and go, and checks every ID against a map after
// each step.
func TestTaskIndexMatchesAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	var x taskIndex
	model := map[int64]*task{}
	var held []int64 // IDs handed out but not stored yet
	next := int64(1)
	check := func(step int) {
		t.Helper()
		for id := int64(-1); id <= next+pageLen; id++ {
			if got, want := x.get(id), model[id]; got != want {
				t.Fatalf("step %d: get(%d) = %p, want %p", step, id, got, want)
			}
		}
		if len(x.pages) > 0 && x.pages[0] == nil {
			t.Fatalf("step %d: an empty page is kept at the front", step)
		}
	}
	for step := range 3000 {
		switch r := rng.IntN(10); {
		case r < 5:
			id := next
			next += int64(1 + rng.IntN(3))
			if rng.IntN(8) == 0 {
				held = append(held, id)
				continue
			}
			tk := &task{rec: driver.TaskRecord{ID: id}}
			x.put(tk)
			model[id] = tk
		case r < 6 && len(held) > 0:
			id := held[0]
			held = held[1:]
			tk := &task{rec: driver.TaskRecord{ID: id}}
			x.put(tk)
			model[id] = tk
		default:
			var victim int64
			for id := range model {
				if victim == 0 || (rng.IntN(4) > 0 && id < victim) || rng.IntN(20) == 0 {
					victim = id
				}
			}
			if victim == 0 {
				continue
			}
			x.delete(victim)
			delete(model, victim)
		}
		if step%50 == 0 || len(model) < 3 {
			check(step)
		}
	}
	check(3000)
	for id := range model {
		x.delete(id)
	}
	if len(x.pages) != 0 {
		t.Fatalf("%d pages kept with no task stored", len(x.pages))
	}
}

// An ID held back by a transaction may be stored after every page before
// it went: the index grows at its front.
func TestTaskIndexTakesAnIDBeforeItsFirstPage(t *testing.T) {
	var x taskIndex
	old := &task{rec: driver.TaskRecord{ID: 1}}
	x.put(old)
	x.delete(1)
	later := &task{rec: driver.TaskRecord{ID: 3*pageLen + 1}}
	x.put(later)
	late := &task{rec: driver.TaskRecord{ID: 5}}
	x.put(late)
	if x.get(5) != late || x.get(3*pageLen+1) != later || x.get(1) != nil || x.get(2*pageLen) != nil {
		t.Fatal("the task stored before the first page is not found, or another is lost")
	}
	x.delete(5)
	if x.first != 3 || len(x.pages) != 1 {
		t.Fatalf("pages from %d, %d of them: the emptied front pages were kept", x.first, len(x.pages))
	}
}
