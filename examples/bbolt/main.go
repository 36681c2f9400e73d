// Command bbolt shows gosk on a bbolt file that the application shares
// with its own data: each sign-up stores the user and enqueues a welcome
// e-mail in one bbolt transaction, so there is never a user without an
// e-mail task or an e-mail for a sign-up that was rolled back. A worker
// with 16 handlers then sends the e-mails (a few fail once and are
// retried), and the program prints what happened, reopens the file to show
// that the outcomes are stored, purges the finished tasks and exits.
//
//	go run ./examples/bbolt                  # 500 sign-ups in a temporary file
//	go run ./examples/bbolt -users 5000 -path app.db
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/worker"
)

// Welcome is the task: send a welcome e-mail to a new user.
type Welcome struct {
	User  string `json:"user"`
	Email string `json:"email"`
}

var usersBucket = []byte("users")

func main() {
	users := flag.Int("users", 500, "how many users sign up")
	path := flag.String("path", "", "bbolt file to use (default: a new temporary file, removed at exit)")
	flag.Parse()
	if err := run(*users, *path); err != nil {
		log.Fatal(err)
	}
}

func run(users int, path string) error {
	if path == "" {
		dir, err := os.MkdirTemp("", "gosk-bbolt-example-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "app.db")
	}
	ctx := context.Background()

	// The application opens the file; the driver keeps its tasks in its
	// own bucket ("gosk") beside the application's "users" bucket.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	drv, err := goskbbolt.New(ctx, db, nil)
	if err != nil {
		return fmt.Errorf("gosk driver: %w", err)
	}
	defer drv.Close()
	q, err := gosk.NewQueue[Welcome](drv, "welcome-emails", &gosk.QueueOptions{MaxAttempts: 3})
	if err != nil {
		return err
	}

	start := time.Now()
	rejected := 0
	for i := range users {
		name := fmt.Sprintf("user%05d", i)
		email := name + "@example.com"
		if i%100 == 99 {
			email = "not-an-address" // this sign-up fails and rolls back
		}
		err := signUp(ctx, db, drv, q, name, email)
		switch {
		case errors.Is(err, errBadEmail):
			rejected++
		case err != nil:
			return fmt.Errorf("sign up %s: %w", name, err)
		}
	}
	counts, err := q.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%d sign-ups in %v: %d stored with their e-mail task, %d rolled back (no user, no task)\n",
		users, time.Since(start).Round(time.Millisecond), counts[gosk.StatePending], rejected)

	// Send the e-mails with one worker of 16 handlers.
	want := counts[gosk.StatePending]
	var sent, retried atomic.Int64
	allSent := make(chan struct{})
	w, err := worker.New(q, sendWelcome, &worker.Config{
		Concurrency:  16,
		PollInterval: 20 * time.Millisecond, // retries come back after their short back-off
		Backoff:      func(int) time.Duration { return 10 * time.Millisecond },
		OnEvent: func(e worker.Event) {
			switch e.Kind {
			case worker.EventCompleted:
				if sent.Add(1) == want {
					close(allSent)
				}
			case worker.EventRetried:
				retried.Add(1)
			}
		},
	})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	start = time.Now()
	go func() { done <- w.Run(runCtx) }()
	select {
	case <-allSent:
	case err := <-done:
		return fmt.Errorf("worker stopped early: %w", err)
	case <-time.After(2 * time.Minute):
		return errors.New("the e-mails were not all sent within 2 minutes")
	}
	elapsed := time.Since(start)
	stop()
	if err := <-done; err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	fmt.Printf("sent %d e-mails in %v (%.0f tasks/s); %d sends failed once and were retried\n",
		sent.Load(), elapsed.Round(time.Millisecond), float64(sent.Load())/elapsed.Seconds(), retried.Load())

	// The outcomes are in the file: close everything and look again.
	if err := drv.Close(); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	reopened, err := goskbbolt.Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer reopened.Close()
	q2, err := gosk.NewQueue[Welcome](reopened, "welcome-emails", nil)
	if err != nil {
		return err
	}
	counts, err = q2.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("after reopening %s: %d completed, %d pending, %d failed; file %s\n",
		filepath.Base(path), counts[gosk.StateCompleted], counts[gosk.StatePending], counts[gosk.StateFailed], size(path))

	purged, err := q2.Purge(ctx, 0)
	if err != nil {
		return err
	}
	fmt.Printf("purged %d finished tasks; file %s (bbolt reuses the freed pages but never shrinks the file)\n", purged, size(path))
	return nil
}

var errBadEmail = errors.New("not an e-mail address")

// signUp stores a user and its welcome e-mail task in one transaction: if
// either fails, neither is stored.
func signUp(ctx context.Context, db *bolt.DB, drv *goskbbolt.Driver, q *gosk.Queue[Welcome], name, email string) error {
	return db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(usersBucket)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(name), []byte(email)); err != nil {
			return err
		}
		if _, err := q.In(drv.Tx(tx)).Create(ctx, Welcome{User: name, Email: email}, nil); err != nil {
			return err
		}
		if !strings.Contains(email, "@") {
			return fmt.Errorf("%s: %w", email, errBadEmail) // rolls back the user and the task
		}
		return nil
	})
}

// sendWelcome is the handler; one send in 20 fails on its first attempt.
func sendWelcome(ctx context.Context, t *gosk.Task[Welcome]) error {
	if t.ID%20 == 0 && t.Attempt == 1 {
		return fmt.Errorf("mail server busy for %s", t.Payload.Email)
	}
	return ctx.Err()
}

func size(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(st.Size())/(1<<20))
}
