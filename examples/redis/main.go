// Command redis runs gosk on Redis: two workers (as two machines would)
// share one queue of e-mails, with 16 handlers each.
//
// It shows the pieces a Redis user meets: the driver on a go-redis client,
// a unique key that turns a second create into a duplicate, a create inside
// the caller's own MULTI/EXEC transaction, the pub/sub wake-up that starts
// a task within milliseconds of its creation, and the final counts. It
// works under a key prefix of its own, which it deletes at the end, and
// exits by itself.
//
//	go run ./examples/redis                                  # redis://127.0.0.1:6379/0
//	go run ./examples/redis -url redis://host:6379/1 -tasks 5000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/worker"
)

// Email is the example's task.
type Email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
}

func main() {
	url := flag.String("url", envOr("GOSK_REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis server URL")
	tasks := flag.Int("tasks", 2000, "how many e-mails to send")
	flag.Parse()
	if err := run(*url, *tasks); err != nil {
		log.Fatal(err)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(url string, tasks int) error {
	ctx := context.Background()
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return err
	}
	client := goredis.NewClient(opts)
	defer client.Close()

	prefix := fmt.Sprintf("gosk-example:%d:", os.Getpid())
	defer deletePrefix(client, prefix)
	drv, err := goskredis.New(ctx, client, &goskredis.Options{Prefix: prefix})
	if err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	defer drv.Close()
	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	if err != nil {
		return err
	}

	// A batch of e-mails, created in one script call.
	batch := make([]Email, tasks)
	for i := range batch {
		batch[i] = Email{To: fmt.Sprintf("user%d@example.com", i), Subject: "Your weekly digest"}
	}
	start := time.Now()
	if _, err := q.CreateMany(ctx, gosk.Items(batch, nil)); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	fmt.Printf("created %d e-mails in %v\n", tasks, time.Since(start).Round(time.Millisecond))

	// A unique key: the second welcome e-mail is a duplicate of the first.
	welcome := Email{To: "new@example.com", Subject: "Welcome"}
	first, err := q.Create(ctx, welcome, &gosk.CreateOptions{UniqueKey: "welcome:new@example.com"})
	if err != nil {
		return err
	}
	again, err := q.Create(ctx, welcome, &gosk.CreateOptions{UniqueKey: "welcome:new@example.com"})
	fmt.Printf("unique key: first create -> task %d; second -> task %d, %v\n", first, again, err)
	if !errors.Is(err, gosk.ErrDuplicate) {
		return fmt.Errorf("want a duplicate, got: %w", err)
	}

	// A create inside the application's own transaction: the order's state
	// and its receipt e-mail are stored together by EXEC, or not at all.
	var receipt int64
	_, err = client.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
		tx.HSet(ctx, prefix+"order:42", "state", "paid")
		receipt, err = q.In(drv.Tx(tx)).Create(ctx, Email{To: "buyer@example.com", Subject: "Receipt for order 42"}, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("transaction: %w", err)
	}
	fmt.Printf("transaction: order 42 paid and receipt e-mail %d created in one EXEC\n", receipt)

	// Two workers of 16 handlers, as two machines would run them.
	var mu sync.Mutex
	started := map[int64]time.Time{}
	done := make(chan int64, tasks+10)
	send := func(ctx context.Context, t *gosk.Task[Email]) error {
		mu.Lock()
		started[t.ID] = time.Now()
		mu.Unlock()
		done <- t.ID // a real handler would talk to an SMTP server here
		return nil
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		w, err := worker.New(q, send, &worker.Config{Concurrency: 16, PollInterval: 10 * time.Second})
		if err != nil {
			return err
		}
		wg.Go(func() { errs <- w.Run(runCtx) })
	}
	start = time.Now()
	for range tasks + 2 { // the batch, the welcome and the receipt
		<-done
	}
	elapsed := time.Since(start)
	fmt.Printf("processed %d e-mails in %v (%.0f/s) with 2 workers x 16 handlers\n",
		tasks+2, elapsed.Round(time.Millisecond), float64(tasks+2)/elapsed.Seconds())

	// The workers idle now, polling every 10s: a new task wakes them
	// through pub/sub. Measure enqueue-to-start a few times.
	var lat []time.Duration
	for i := range 5 {
		at := time.Now()
		id, err := q.Create(ctx, Email{To: fmt.Sprintf("late%d@example.com", i), Subject: "Ping"}, nil)
		if err != nil {
			return err
		}
		for got := <-done; got != id; got = <-done {
		}
		mu.Lock()
		lat = append(lat, started[id].Sub(at))
		mu.Unlock()
	}
	fmt.Printf("enqueue-to-start while idle (notify): %v\n", lat)

	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return fmt.Errorf("worker: %w", err)
		}
	}
	counts, err := q.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("final counts: completed %d, pending %d, running %d, cancelled %d, failed %d\n",
		counts[gosk.StateCompleted], counts[gosk.StatePending], counts[gosk.StateRunning],
		counts[gosk.StateCancelled], counts[gosk.StateFailed])
	return nil
}

// deletePrefix removes the example's keys (SCAN and UNLINK; never FLUSHDB,
// the server may hold other data).
func deletePrefix(client *goredis.Client, prefix string) {
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		client.Unlink(ctx, keys[:n]...)
		keys = keys[n:]
	}
}
