// Command producer creates tasks in a PostgreSQL database for the worker
// program next to it (examples/postgres/worker) to process, then exits.
//
// It creates -tasks tasks in batches of -batch (each batch one INSERT), and
// one more task inside a transaction of its own together with a row of the
// application's, to show that the task appears only if that transaction
// commits. Start one or more workers in other terminals, before or after:
//
//	go run ./examples/postgres/producer -tasks 5000
//	go run ./examples/postgres/worker               # in several terminals
//
// The database is -url (default $GOSK_POSTGRES_URL, else the local test
// server); the tables live in schema -schema (default gosk_example).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/postgres"
)

// Email is the task: send one message.
type Email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
}

func main() {
	url := flag.String("url", defaultURL(), "PostgreSQL connection string")
	schema := flag.String("schema", "gosk_example", "schema holding gosk's tables")
	queue := flag.String("queue", "emails", "queue to create tasks in")
	tasks := flag.Int("tasks", 1000, "how many tasks to create")
	batch := flag.Int("batch", 100, "tasks per create call")
	flag.Parse()
	if *tasks < 0 || *batch < 1 {
		log.Fatal("-tasks must not be negative and -batch must be positive")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, *url, *schema, *queue, *tasks, *batch); err != nil {
		log.Fatal(err)
	}
}

func defaultURL() string {
	if u := os.Getenv("GOSK_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func run(ctx context.Context, url, schema, queue string, tasks, batch int) error {
	// The application's own pool, shared with gosk through postgres.New.
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	defer pool.Close()
	drv, err := postgres.New(ctx, pool, &postgres.Options{Schema: schema})
	if err != nil {
		return fmt.Errorf("driver: %w", err)
	}
	defer drv.Close() //nolint:errcheck // nothing left to flush
	q, err := gosk.NewQueue[Email](drv, queue, &gosk.QueueOptions{MaxAttempts: 5})
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}

	start := time.Now()
	for done := 0; done < tasks; {
		n := min(batch, tasks-done)
		emails := make([]Email, n)
		for i := range emails {
			emails[i] = Email{To: fmt.Sprintf("user%d@example.com", done+i), Subject: "Welcome"}
		}
		if _, err := q.CreateMany(ctx, gosk.Items(emails, nil)); err != nil {
			return fmt.Errorf("create: %w", err)
		}
		done += n
	}
	elapsed := time.Since(start)
	fmt.Printf("created %d tasks in queue %q of schema %q in %v (%.0f tasks/s)\n",
		tasks, queue, schema, elapsed.Round(time.Millisecond), float64(tasks)/max(elapsed.Seconds(), 1e-9))

	// A task created in the application's transaction, next to its own
	// write, with a unique key so that running the producer again while the
	// task is pending does not queue the report twice.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+pgx.Identifier{schema, "example_reports"}.Sanitize()+
			" (id bigserial PRIMARY KEY, requested_at timestamptz NOT NULL DEFAULT now())"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+pgx.Identifier{schema, "example_reports"}.Sanitize()+" DEFAULT VALUES"); err != nil {
			return err
		}
		id, err := q.In(drv.Tx(tx)).Create(ctx, Email{To: "ops@example.com", Subject: "Daily report"},
			&gosk.CreateOptions{UniqueKey: "daily-report", Priority: 10})
		switch {
		case errors.Is(err, gosk.ErrDuplicate):
			fmt.Printf("the daily report is already queued as task %d\n", id)
			return nil
		case err != nil:
			return err
		}
		fmt.Printf("queued the daily report as task %d, in the same transaction as its row\n", id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("transactional create: %w", err)
	}

	counts, err := q.Count(ctx)
	if err != nil {
		return fmt.Errorf("count: %w", err)
	}
	fmt.Printf("queue %q now: pending %d, running %d, completed %d, cancelled %d, failed %d\n", queue,
		counts[gosk.StatePending], counts[gosk.StateRunning], counts[gosk.StateCompleted],
		counts[gosk.StateCancelled], counts[gosk.StateFailed])
	return nil
}
