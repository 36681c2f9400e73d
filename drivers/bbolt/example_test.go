package bbolt_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
)

// Open a file of the driver's own, create a task, claim it and complete it.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "gosk-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	drv, err := goskbbolt.Open(ctx, filepath.Join(dir, "tasks.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer drv.Close()

	res, err := drv.Create(ctx, []driver.NewTask{{Queue: "emails", Payload: []byte(`{"to":"ada"}`), MaxAttempts: 3}})
	if err != nil {
		log.Fatal(err)
	}
	claimed, err := drv.Claim(ctx, driver.ClaimParams{Queue: "emails", Rule: driver.Fifo, Lease: time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claimed[0].Task.ID == res[0].ID, string(claimed[0].Task.Payload), claimed[0].Task.State)
	errs, err := drv.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Complete}})
	if err != nil || errs[0] != nil {
		log.Fatal(err, errs[0])
	}
	rec, err := drv.Get(ctx, res[0].ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.State, rec.Attempt)
	// Output:
	// true {"to":"ada"} running
	// completed 1
}

// Share the application's *bolt.DB and create a task in the same
// transaction as the application's own write: both are stored, or
// neither.
func ExampleDriver_Tx() {
	dir, err := os.MkdirTemp("", "gosk-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := bolt.Open(filepath.Join(dir, "app.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	drv, err := goskbbolt.New(ctx, db, &goskbbolt.Options{Bucket: "jobs"})
	if err != nil {
		log.Fatal(err)
	}
	defer drv.Close()

	err = db.Update(func(tx *bolt.Tx) error {
		orders, err := tx.CreateBucketIfNotExists([]byte("orders"))
		if err != nil {
			return err
		}
		if err := orders.Put([]byte("order-1"), []byte("paid")); err != nil {
			return err
		}
		_, err = drv.Tx(tx).Create(ctx, []driver.NewTask{{Queue: "receipts", Payload: []byte("order-1"), MaxAttempts: 5}})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	counts, err := drv.Count(ctx, "receipts")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pending receipts:", counts[driver.StatePending])
	// Output:
	// pending receipts: 1
}
