package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/memory"
)

// The memory driver with a clock the test moves by hand: a delayed task
// becomes available when the clock says so, with no waiting.
func ExampleNew() {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	drv := memory.New(&memory.Options{Clock: func() time.Time { return now }})
	defer drv.Close()

	q, err := gosk.NewQueue[string](drv, "reminders", nil)
	if err != nil {
		panic(err)
	}
	id, err := q.Create(ctx, "stand up", &gosk.CreateOptions{Delay: time.Hour})
	if err != nil {
		panic(err)
	}
	task, err := q.Get(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println(task.Payload, task.State, task.RunAt.Format("15:04"))
	// Output: stand up pending 10:00
}

// Begin starts a transaction of the memory store and Tx binds a Creator to
// it, as every adapter's Tx does to its store's transaction: the task is
// stored when the transaction commits.
func ExampleDriver_Tx() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()
	q, err := gosk.NewQueue[string](drv, "receipts", nil)
	if err != nil {
		panic(err)
	}

	tx := drv.Begin()
	if _, err := q.In(drv.Tx(tx)).Create(ctx, "order 42", nil); err != nil {
		panic(err)
	}
	before, err := q.Count(ctx)
	if err != nil {
		panic(err)
	}
	if err := tx.Commit(); err != nil {
		panic(err)
	}
	after, err := q.Count(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(before[gosk.StatePending], after[gosk.StatePending])
	// Output: 0 1
}
