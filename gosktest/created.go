package gosktest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gosk/gosk"
)

// listShown is the most tasks a failure message of RequireCreated lists.
const listShown = 20

// RequireCreated asserts that q holds a task, in any state, whose payload
// match accepts (a nil match accepts any), and returns the first such
// task in ID order. Otherwise it fails the test with a message that lists
// the tasks q does hold (their ID, state and payload, the first 20). It
// also fails the test if q's driver does not implement driver.Admin, if
// listing fails, or if a task's payload does not decode.
func RequireCreated[T any](t testing.TB, q *gosk.Queue[T], match func(T) bool) *gosk.Task[T] {
	t.Helper()
	tasks := listAll(t, q)
	for _, task := range tasks {
		if match == nil || match(task.Payload) {
			return task
		}
	}
	if len(tasks) == 0 {
		t.Fatalf("gosktest: no task in queue %q matches: the queue is empty", q.Name())
		return nil
	}
	t.Fatalf("gosktest: no task in queue %q matches; it holds %d:\n%s", q.Name(), len(tasks), describe(tasks))
	return nil
}

// listAll returns every task of q, in ID order, or fails the test.
func listAll[T any](t testing.TB, q *gosk.Queue[T]) []*gosk.Task[T] {
	t.Helper()
	var all []*gosk.Task[T]
	var after int64
	for {
		page, err := q.List(t.Context(), &gosk.ListOptions{AfterID: after})
		if err != nil {
			t.Fatalf("gosktest: list queue %q: %v", q.Name(), err)
			return nil
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
}

// describe lists tasks one a line, up to listShown of them.
func describe[T any](tasks []*gosk.Task[T]) string {
	var b strings.Builder
	for i, task := range tasks {
		if i == listShown {
			fmt.Fprintf(&b, "\t... and %d more\n", len(tasks)-listShown)
			break
		}
		fmt.Fprintf(&b, "\ttask %d (%v): %+v\n", task.ID, task.State, task.Payload)
	}
	return b.String()
}
