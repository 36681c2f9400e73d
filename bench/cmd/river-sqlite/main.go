// Command river-sqlite runs the comparison's workload on River with SQLite
// (riversqlite over modernc.org/sqlite, a fresh file, WAL, synchronous FULL,
// one connection as River's SQLite driver asks) and prints one JSON line
// (see package harness).
package main

import (
	"context"
	"database/sql"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite"

	"github.com/gosk/gosk/bench/harness"
	"github.com/gosk/gosk/bench/riversubject"
)

func main() {
	harness.Main(harness.Info{Library: "river", Backend: "sqlite", NativeBatch: true,
		Notes: riversubject.Notes + "; one connection (riversqlite's advice)"},
		func(ctx context.Context, env *harness.Env) (harness.Store, error) {
			path, err := harness.FreshSQLite(env, "river")
			if err != nil {
				return nil, err
			}
			db, err := sql.Open("sqlite", harness.SQLiteDSN(path))
			if err != nil {
				return nil, err
			}
			db.SetMaxOpenConns(1)
			completed := func(ctx context.Context) (int64, error) {
				var n int64
				err := db.QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE state = 'completed'").Scan(&n)
				return n, err
			}
			return riversubject.New(ctx, riversqlite.New(db), completed, db.Close)
		})
}
