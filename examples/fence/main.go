// Command fence shows how a handler fences its own writes with the lease
// token of its claim (gosk.Task.Fence), so that a run whose lease was taken
// cannot overwrite what the task's new holder wrote.
//
// A report task is claimed by a run that then stalls (a long GC pause, a
// network partition) until its lease runs out. A worker claims the task
// again and writes the report. Then the stalled run wakes up and writes its
// own, older report: its fence is lower than the one stored with the row,
// so its write changes nothing, and the worker's report stays. The program
// checks that, prints what happened and exits.
//
// The handler's write is one statement, an upsert that replaces the row
// only when the row's fence is lower than the writer's:
//
//	INSERT INTO fence_reports (task_id, body, fence) VALUES (?1, ?2, ?3)
//	ON CONFLICT (task_id) DO UPDATE SET body = excluded.body, fence = excluded.fence
//	WHERE fence_reports.fence < excluded.fence
//
// The fences of one task only go up, but fences of different tasks are
// not comparable: a fenced row belongs to one task (here it is keyed by the
// task's ID).
//
//	go run ./examples/fence                    # SQLite, in a temporary file
//	go run ./examples/fence -postgres 'postgres://localhost:5432/app?sslmode=disable'
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
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for the application's own table

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/worker"
)

// Report is the task: write the report of an account.
type Report struct {
	Account int64 `json:"account"`
}

// settings say which store the program runs on.
type settings struct {
	// path is the SQLite file; empty means a temporary one.
	path string
	// postgres is the PostgreSQL URL; when set, the program runs there
	// instead of on SQLite, with gosk's tables and the report table in
	// schema.
	postgres, schema string
}

func main() {
	var s settings
	flag.StringVar(&s.path, "path", "", "SQLite file to use (default: a new temporary file, removed at exit)")
	flag.StringVar(&s.postgres, "postgres", "", "PostgreSQL URL to run on instead of SQLite")
	flag.StringVar(&s.schema, "schema", postgres.DefaultSchema, "PostgreSQL schema for gosk's tables and the report table")
	flag.Parse()
	if err := run(context.Background(), s); err != nil {
		log.Fatal(err)
	}
}

// lease is the stalled run's lease: short, so that the worker takes the
// task soon after.
const lease = 200 * time.Millisecond

func run(ctx context.Context, s settings) error {
	st, err := open(ctx, s)
	if err != nil {
		return err
	}
	defer st.close()
	q, err := gosk.NewQueue[Report](st.drv, "reports", nil)
	if err != nil {
		return err
	}
	id, err := q.Create(ctx, Report{Account: 7}, nil)
	if err != nil {
		return err
	}

	// The stalled run claims the task as a worker would, and gets the
	// fence of its claim on the task it hands its handler.
	claimed, err := st.drv.Claim(ctx, driver.ClaimParams{Queue: q.Name(), Limit: 1, Rule: driver.Fifo, Lease: lease})
	if err != nil {
		return err
	}
	if len(claimed) != 1 {
		return fmt.Errorf("the stalled run claimed %d tasks, want 1", len(claimed))
	}
	stale, err := q.Decode(claimed[0].Task)
	if err != nil {
		return err
	}
	stale.Fence = claimed[0].Lease.Token
	fmt.Printf("run 1 claimed task %d with fence %d, and stalls\n", id, stale.Fence)

	// Once its lease has run out, a worker claims the task again and
	// writes the report under the newer fence.
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var live int64
	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Report]) error {
		live = t.Fence
		applied, err := st.write(ctx, t, fmt.Sprintf("account %d: balance 120 (run with fence %d)", t.Payload.Account, t.Fence))
		if err != nil {
			return err
		}
		if !applied {
			return errors.New("a newer run already wrote the report")
		}
		fmt.Printf("run 2 claimed task %d with fence %d and wrote the report\n", t.ID, t.Fence)
		return nil
	}, &worker.Config{
		Concurrency:  1,
		PollInterval: 20 * time.Millisecond,
		OnEvent: func(ev worker.Event) {
			if ev.Kind == worker.EventCompleted {
				stop()
			}
		},
	})
	if err != nil {
		return err
	}
	if err := w.Run(wctx); err != nil {
		return err
	}

	// The stalled run wakes up and writes its report under its old
	// fence: the row's fence is greater, so nothing changes.
	applied, err := st.write(ctx, stale, fmt.Sprintf("account %d: balance 100 (run with fence %d)", stale.Payload.Account, stale.Fence))
	if err != nil {
		return err
	}
	body, fence, err := st.read(ctx, id)
	if err != nil {
		return err
	}
	fmt.Printf("run 1 woke up and wrote with fence %d: applied=%v\n", stale.Fence, applied)
	fmt.Printf("the report is %q, fence %d\n", body, fence)
	switch {
	case live <= stale.Fence:
		return fmt.Errorf("the worker's fence %d is not greater than the stalled run's %d", live, stale.Fence)
	case applied || fence != live:
		return fmt.Errorf("the stalled run's write changed the report: fence %d, want %d", fence, live)
	}

	// Its outcome is refused too: its lease was taken.
	errs, err := st.drv.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Complete}})
	if err != nil {
		return err
	}
	switch {
	case errs[0] == nil:
		return errors.New("the stalled run's complete was applied, though its lease was taken")
	case !errors.Is(errs[0], gosk.ErrLeaseLost):
		return fmt.Errorf("the stalled run's complete, refused with the wrong error (want ErrLeaseLost): %w", errs[0])
	}
	fmt.Println("run 1's complete was refused: lease lost")
	return nil
}

// store is the driver and the application's table of reports beside it.
type store struct {
	drv    driver.Driver
	db     *sql.DB
	upsert string // the fenced write: task ID, body, fence
	get    string // body and fence of a task's report
	close  func()
}

// write stores body as the report of t, fenced by t.Fence: a row written
// under a fence as high or higher is left as it is, and applied is false.
func (s *store) write(ctx context.Context, t *gosk.Task[Report], body string) (applied bool, err error) {
	res, err := s.db.ExecContext(ctx, s.upsert, t.ID, body, t.Fence)
	if err != nil {
		return false, fmt.Errorf("write report of task %d: %w", t.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// read returns the report of task id and the fence it was written under.
func (s *store) read(ctx context.Context, id int64) (body string, fence int64, err error) {
	err = s.db.QueryRowContext(ctx, s.get, id).Scan(&body, &fence)
	return body, fence, err
}

// The report table and its statements, with the table's name (qualified
// by its schema on PostgreSQL) put in by fmt.Sprintf.
const (
	createTable = `CREATE TABLE IF NOT EXISTS %s (
		task_id BIGINT PRIMARY KEY,
		body    TEXT   NOT NULL,
		fence   BIGINT NOT NULL)`
	sqliteUpsert = `INSERT INTO %[1]s (task_id, body, fence) VALUES (?1, ?2, ?3)
		ON CONFLICT (task_id) DO UPDATE SET body = excluded.body, fence = excluded.fence
		WHERE %[1]s.fence < excluded.fence`
	postgresUpsert = `INSERT INTO %[1]s AS r (task_id, body, fence) VALUES ($1, $2, $3)
		ON CONFLICT (task_id) DO UPDATE SET body = excluded.body, fence = excluded.fence
		WHERE r.fence < excluded.fence`
	sqliteGet   = `SELECT body, fence FROM %s WHERE task_id = ?1`
	postgresGet = `SELECT body, fence FROM %s WHERE task_id = $1`
)

// open opens the store that s names and creates the report table.
func open(ctx context.Context, s settings) (*store, error) {
	var st *store
	if s.postgres != "" {
		drv, err := postgres.Open(ctx, s.postgres, &postgres.Options{Schema: s.schema})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		db, err := sql.Open("pgx", s.postgres)
		if err != nil {
			_ = drv.Close()
			return nil, err
		}
		table := pgx.Identifier{s.schema, "fence_reports"}.Sanitize()
		st = &store{
			drv: drv, db: db,
			upsert: fmt.Sprintf(postgresUpsert, table),
			get:    fmt.Sprintf(postgresGet, table),
			close:  func() { _ = db.Close(); _ = drv.Close() },
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf(createTable, table)); err != nil {
			st.close()
			return nil, err
		}
		return st, nil
	}
	path, cleanup := s.path, func() {}
	if path == "" {
		dir, err := os.MkdirTemp("", "gosk-fence-example-")
		if err != nil {
			return nil, err
		}
		path, cleanup = filepath.Join(dir, "reports.db"), func() { _ = os.RemoveAll(dir) }
	}
	drv, err := gosksqlite.Open(ctx, path, nil)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	const table = `"fence_reports"`
	st = &store{
		drv: drv, db: drv.DB(),
		upsert: fmt.Sprintf(sqliteUpsert, table),
		get:    fmt.Sprintf(sqliteGet, table),
		close:  func() { _ = drv.Close(); cleanup() },
	}
	if _, err := st.db.ExecContext(ctx, fmt.Sprintf(createTable, table)); err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}
