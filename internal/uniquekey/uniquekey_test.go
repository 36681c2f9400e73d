package uniquekey_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/uniquekey"
)

func TestSplitSendsTheFirstOfEachKeyPerQueue(t *testing.T) {
	tasks := []driver.NewTask{
		{Queue: "a", UniqueKey: "k"}, // 0: first of a/k
		{Queue: "a"},                 // 1: no key
		{Queue: "b", UniqueKey: "k"}, // 2: first of b/k, another queue
		{Queue: "a", UniqueKey: "k"}, // 3: repeats 0
		{Queue: "a"},                 // 4: no key
		{Queue: "b", UniqueKey: "k"}, // 5: repeats 2
		{Queue: "a", UniqueKey: "K"}, // 6: keys compare byte for byte
		{Queue: "a", UniqueKey: "k"}, // 7: repeats 0, not 3
	}
	first, repeatOf := uniquekey.Split(tasks)
	if want := []int{0, 1, 2, 4, 6}; !reflect.DeepEqual(first, want) {
		t.Errorf("first = %v, want %v", first, want)
	}
	if want := map[int]int{3: 0, 5: 2, 7: 0}; !reflect.DeepEqual(repeatOf, want) {
		t.Errorf("repeatOf = %v, want %v", repeatOf, want)
	}

	results := make([]driver.CreateResult, len(tasks))
	results[0] = driver.CreateResult{ID: 10}
	results[2] = driver.CreateResult{ID: 20, Err: driver.ErrDuplicate} // b/k held in the store
	uniquekey.Answer(results, repeatOf)
	for i, want := range map[int]int64{3: 10, 5: 20, 7: 10} {
		if results[i].ID != want || !errors.Is(results[i].Err, driver.ErrDuplicate) {
			t.Errorf("result %d = %+v, want ID %d with ErrDuplicate", i, results[i], want)
		}
	}
	if results[1] != (driver.CreateResult{}) || results[6] != (driver.CreateResult{}) {
		t.Errorf("Answer changed a result that repeats nothing: %+v %+v", results[1], results[6])
	}
}

func TestSplitOfNoTasks(t *testing.T) {
	first, repeatOf := uniquekey.Split(nil)
	if len(first) != 0 || len(repeatOf) != 0 {
		t.Errorf("Split(nil) = %v, %v", first, repeatOf)
	}
}
