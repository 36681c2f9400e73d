// Command sqlite shows gosk on an SQLite file that the application shares
// with its own tables: each order is stored and its receipt task enqueued
// in one transaction of the application's, so there is never an order
// without its receipt, nor a receipt for an order that was rolled back.
// Some orders fail a business check after their task was enqueued, and
// their transaction is rolled back: the program shows that no task is left
// of them. A worker with 16 handlers then sends the receipts (a few fail
// once and are retried), and the program prints what happened and exits.
//
//	go run ./examples/sqlite                  # 300 orders in a temporary file
//	go run ./examples/sqlite -orders 3000 -path shop.db
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosk/gosk"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/worker"
)

// Receipt is the task: e-mail the receipt of an order.
type Receipt struct {
	OrderID int64  `json:"order_id"`
	Email   string `json:"email"`
}

func main() {
	orders := flag.Int("orders", 300, "how many orders are placed")
	path := flag.String("path", "", "SQLite file to use (default: a new temporary file, removed at exit)")
	flag.Parse()
	if err := run(*orders, *path); err != nil {
		log.Fatal(err)
	}
}

func run(orders int, path string) error {
	if path == "" {
		dir, err := os.MkdirTemp("", "gosk-sqlite-example-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "shop.db")
	}
	ctx := context.Background()

	// The driver opens the file (WAL, busy timeout, synced commits) and
	// keeps its tables under the "gosk_" prefix; the application keeps
	// its own table beside them and uses the same handle.
	drv, err := gosksqlite.Open(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer drv.Close()
	db := drv.DB()
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS orders (
		id INTEGER PRIMARY KEY, email TEXT NOT NULL, cents INTEGER NOT NULL,
		receipt_sent INTEGER NOT NULL DEFAULT 0)`); err != nil {
		return err
	}
	q, err := gosk.NewQueue[Receipt](drv, "receipts", &gosk.QueueOptions{MaxAttempts: 3})
	if err != nil {
		return err
	}

	// Place the orders. Every seventh fails its stock check after its
	// receipt was enqueued, and its transaction is rolled back.
	start := time.Now()
	var placed, rolledBack int
	for i := range orders {
		email := fmt.Sprintf("customer%04d@example.com", i)
		err := placeOrder(ctx, db, drv, q, email, 100+i, i%7 == 6)
		switch {
		case errors.Is(err, errOutOfStock):
			rolledBack++
		case err != nil:
			return err
		default:
			placed++
		}
	}
	fmt.Printf("placed %d orders and rolled back %d in %v\n", placed, rolledBack, time.Since(start).Round(time.Millisecond))

	// A rolled-back transaction leaves neither its order nor its task:
	// there is one task per stored order, and each names a stored order.
	// (SQLite hands the ID a rolled-back task got to the next task, so
	// the check is on what the tasks say, not on those IDs.)
	tasks, err := q.List(ctx, &gosk.ListOptions{Limit: orders})
	if err != nil {
		return err
	}
	for _, t := range tasks {
		var email string
		err := db.QueryRowContext(ctx, `SELECT email FROM orders WHERE id = ?`, t.Payload.OrderID).Scan(&email)
		if err != nil {
			return fmt.Errorf("task %d names order %d: %w", t.ID, t.Payload.OrderID, err)
		}
		if email != t.Payload.Email {
			return fmt.Errorf("task %d names order %d of %s, but that order is %s's", t.ID, t.Payload.OrderID, t.Payload.Email, email)
		}
	}
	var stored int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&stored); err != nil {
		return err
	}
	if len(tasks) != placed || stored != placed {
		return fmt.Errorf("%d orders placed, but %d stored and %d tasks", placed, stored, len(tasks))
	}
	fmt.Printf("stored: %d orders and %d receipt tasks; the %d rolled-back orders left neither\n", stored, len(tasks), rolledBack)
	// Send the receipts with 16 handlers. One order in ten fails its first
	// attempt (a flaky mail server) and is retried.
	var mu sync.Mutex
	failedOnce := make(map[int64]bool)
	var done atomic.Int64
	all := make(chan struct{})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Receipt]) error {
		if t.Payload.OrderID%10 == 0 {
			mu.Lock()
			first := !failedOnce[t.Payload.OrderID]
			failedOnce[t.Payload.OrderID] = true
			mu.Unlock()
			if first {
				return fmt.Errorf("mail server busy for %s", t.Payload.Email)
			}
		}
		_, err := db.ExecContext(ctx, `UPDATE orders SET receipt_sent = receipt_sent + 1 WHERE id = ?`, t.Payload.OrderID)
		return err
	}, &worker.Config{
		Concurrency:  16,
		PollInterval: 100 * time.Millisecond,
		Backoff:      func(int) time.Duration { return 10 * time.Millisecond },
		OnEvent: func(e worker.Event) {
			if e.Kind == worker.EventCompleted && done.Add(1) == int64(placed) {
				close(all)
			}
		},
	})
	if err != nil {
		return err
	}
	start = time.Now()
	ran := make(chan error, 1)
	go func() { ran <- w.Run(runCtx) }()
	select {
	case <-all:
	case <-time.After(time.Minute):
		stop()
		if err := <-ran; err != nil {
			return err
		}
		return fmt.Errorf("only %d of %d receipts were sent within a minute", done.Load(), placed)
	}
	elapsed := time.Since(start)
	stop()
	if err := <-ran; err != nil {
		return err
	}

	var sent, twice int
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE receipt_sent > 1) FROM orders WHERE receipt_sent > 0`).Scan(&sent, &twice); err != nil {
		return err
	}
	count, err := q.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("sent %d receipts in %v with 16 handlers (%d retried after a failure, %d sent twice)\n",
		sent, elapsed.Round(time.Millisecond), len(failedOnce), twice)
	fmt.Printf("tasks: %d completed, %d pending, %d running, %d failed\n",
		count[gosk.StateCompleted], count[gosk.StatePending], count[gosk.StateRunning], count[gosk.StateFailed])
	if sent != placed {
		return fmt.Errorf("%d orders but %d receipts", placed, sent)
	}
	return nil
}

var errOutOfStock = errors.New("out of stock")

// placeOrder stores an order and enqueues its receipt in one transaction.
// With outOfStock the check after the enqueue fails and the transaction is
// rolled back and errOutOfStock returned.
func placeOrder(ctx context.Context, db *sql.DB, drv *gosksqlite.Driver, q *gosk.Queue[Receipt], email string, cents int, outOfStock bool) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var orderID int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO orders (email, cents) VALUES (?, ?) RETURNING id`, email, cents).Scan(&orderID); err != nil {
		return err
	}
	if _, err := q.In(drv.Tx(tx)).Create(ctx, Receipt{OrderID: orderID, Email: email}, nil); err != nil {
		return err
	}
	if outOfStock {
		return errOutOfStock // the deferred Rollback undoes the order and the task
	}
	return tx.Commit()
}
