package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
)

// Open a file (created if needed), create a task, claim it and complete
// it. Programs use package gosk and package worker on top of the driver.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "gosk-sqlite-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	drv, err := gosksqlite.Open(ctx, filepath.Join(dir, "tasks.db"), nil)
	if err != nil {
		panic(err)
	}
	defer drv.Close()

	created, err := drv.Create(ctx, []driver.NewTask{{Queue: "emails", Payload: []byte(`{"to":"ada"}`), MaxAttempts: 3}})
	if err != nil {
		panic(err)
	}
	claimed, err := drv.Claim(ctx, driver.ClaimParams{Queue: "emails", Rule: driver.Fifo, Lease: time.Minute})
	if err != nil {
		panic(err)
	}
	fmt.Println(claimed[0].Task.ID == created[0].ID, claimed[0].Task.State, string(claimed[0].Task.Payload))
	errs, err := drv.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Complete}})
	if err != nil || errs[0] != nil {
		panic(fmt.Sprint(err, errs))
	}
	rec, err := drv.Get(ctx, created[0].ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(rec.State, rec.Attempt)
	// Output:
	// true running {"to":"ada"}
	// completed 1
}

// A task created through Tx exists if, and only if, the caller's
// transaction commits.
func ExampleDriver_Tx() {
	ctx := context.Background()
	drv, err := gosksqlite.Open(ctx, ":memory:", nil)
	if err != nil {
		panic(err)
	}
	defer drv.Close()
	tx, err := drv.DB().BeginTx(ctx, nil)
	if err != nil {
		panic(err)
	}
	res, err := drv.Tx(tx).Create(ctx, []driver.NewTask{{Queue: "q", MaxAttempts: 1}})
	if err != nil {
		panic(err)
	}
	if err := tx.Rollback(); err != nil {
		panic(err)
	}
	_, err = drv.Get(ctx, res[0].ID)
	fmt.Println(err)
	// Output:
	// task 1: gosk: task not found
}
