package postgres_test

import (
	"context"
	"database/sql"
	"log"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
)

// Open connects by connection string; the driver owns the pool.
func ExampleOpen() {
	ctx := context.Background()
	drv, err := postgres.Open(ctx, "postgres://app@db.internal:5432/app", &postgres.Options{
		Schema:   "jobs",
		MaxConns: 20,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer drv.Close() //nolint:errcheck
	// gosk.NewQueue[Email](drv, "emails", nil) ...
}

// New shares a pool the application already has; Close leaves it open.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@db.internal:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	drv, err := postgres.New(ctx, pool, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer drv.Close() //nolint:errcheck
}

// Tx creates tasks in the application's transaction: they exist, and
// workers hear of them, only if it commits. With package gosk, pass the
// Creator to Queue.In.
func ExampleDriver_Tx() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@db.internal:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	drv, err := postgres.New(ctx, pool, nil)
	if err != nil {
		log.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE accounts SET verified = true WHERE id = $1", 42); err != nil {
			return err
		}
		_, err := drv.Tx(tx).Create(ctx, []driver.NewTask{{Queue: "emails", Payload: []byte(`{"to":42}`), MaxAttempts: 5}})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
}

// SQLTx does the same for database/sql, through pgx's stdlib driver.
func ExampleDriver_SQLTx() {
	ctx := context.Background()
	db, err := sql.Open("pgx", "postgres://app@db.internal:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close() //nolint:errcheck
	drv, err := postgres.Open(ctx, "postgres://app@db.internal:5432/app", nil)
	if err != nil {
		log.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	if _, err := drv.SQLTx(tx).Create(ctx, []driver.NewTask{{Queue: "emails", MaxAttempts: 5}}); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
}
