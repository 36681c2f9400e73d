package gosk_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

type Email struct {
	To      string
	Subject string
}

// Create a queue over a driver, add tasks to it and read one back.
func ExampleQueue_Create() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()

	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	if err != nil {
		panic(err)
	}
	id, err := q.Create(ctx, Email{To: "ada@example.com", Subject: "Welcome"}, &gosk.CreateOptions{
		Delay:       time.Minute,
		MaxAttempts: 5,
		UniqueKey:   "welcome:ada",
	})
	if err != nil {
		panic(err)
	}

	// The same unique key while the first task waits: nothing is created.
	again, err := q.Create(ctx, Email{To: "ada@example.com"}, &gosk.CreateOptions{UniqueKey: "welcome:ada"})
	fmt.Println(errors.Is(err, gosk.ErrDuplicate), again == id)

	task, err := q.Get(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println(task.Payload.To, task.State, task.Attempt, task.MaxAttempts)
	// Output:
	// true true
	// ada@example.com pending 0 5
}

// Create many tasks in one driver call.
func ExampleQueue_CreateMany() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()

	q, err := gosk.NewQueue[int](drv, "numbers", nil)
	if err != nil {
		panic(err)
	}
	res, err := q.CreateMany(ctx, gosk.Items([]int{1, 2, 3}, &gosk.CreateOptions{Priority: 10}))
	if err != nil {
		panic(err)
	}
	counts, err := q.Count(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(res), counts[gosk.StatePending])
	// Output: 3 3
}

// Create a task inside a transaction of the store: it appears when the
// transaction commits. The memory driver's Begin stands in for a database
// transaction; with SQLite it is db.BeginTx, and drv.Tx(tx) is the same
// call on every driver.
func ExampleQueue_In() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()
	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	if err != nil {
		panic(err)
	}

	tx := drv.Begin()
	id, err := q.In(drv.Tx(tx)).Create(ctx, Email{To: "grace@example.com"}, nil)
	if err != nil {
		panic(err)
	}
	_, err = q.Get(ctx, id)
	fmt.Println("before commit:", errors.Is(err, gosk.ErrTaskNotFound))
	if err := tx.Commit(); err != nil {
		panic(err)
	}
	task, err := q.Get(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Println("after commit:", task.Payload.To)
	// Output:
	// before commit: true
	// after commit: grace@example.com
}

// Store payloads that are bytes already (here a pre-encoded document) as
// they are, rather than as the base64 text that JSONCodec makes of a
// []byte.
// Pause a queue: its tasks wait, new ones are still accepted, and its
// workers (in every process) pick them up as soon as it is resumed.
func ExampleQueue_Pause() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()

	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	if err != nil {
		panic(err)
	}
	if err := q.Pause(ctx); err != nil {
		panic(err)
	}
	// Producers go on while the queue is paused.
	if _, err := q.Create(ctx, Email{To: "ada@example.com"}, nil); err != nil {
		panic(err)
	}
	// A worker's claim finds nothing while the queue is paused.
	paused, _ := q.Paused(ctx)
	claimed, _ := drv.Claim(ctx, driver.ClaimParams{Queue: "emails", Rule: driver.Fifo, Limit: 1, Lease: time.Minute})
	fmt.Println(paused, len(claimed))

	if err := q.Resume(ctx); err != nil {
		panic(err)
	}
	paused, _ = q.Paused(ctx)
	claimed, _ = drv.Claim(ctx, driver.ClaimParams{Queue: "emails", Rule: driver.Fifo, Limit: 1, Lease: time.Minute})
	fmt.Println(paused, len(claimed))
	// Output:
	// true 0
	// false 1
}

func ExampleBytesCodec() {
	ctx := context.Background()
	drv := memory.New(nil)
	defer drv.Close()
	q, err := gosk.NewQueue[[]byte](drv, "blobs", &gosk.QueueOptions{Codec: gosk.BytesCodec{}})
	if err != nil {
		panic(err)
	}
	id, err := q.Create(ctx, []byte("\x08\x96\x01"), nil)
	if err != nil {
		panic(err)
	}
	rec, err := drv.Get(ctx, id)
	if err != nil {
		panic(err)
	}
	fmt.Printf("stored %d bytes: % x\n", len(rec.Payload), rec.Payload)
	// Output: stored 3 bytes: 08 96 01
}
