package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/drivertest"
)

// TestDriverLazy runs the conformance suite against drivers made with
// Options.Lazy, whose schema is migrated by their first call, whatever
// that call is (a transactional create included), instead of by New.
func TestDriverLazy(t *testing.T) {
	t.Parallel()
	var pools sync.Map // *postgres.Driver -> *pgxpool.Pool
	drivertest.Run(t, drivertest.Harness{
		New: func(t testing.TB) driver.Driver {
			url := serverURL(t)
			schema := testSchema(t, url) // registered first, so it runs after the pool closes
			cfg, err := pgxpool.ParseConfig(url)
			require.NoError(t, err)
			cfg.MaxConns = 4
			pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
			require.NoError(t, err)
			t.Cleanup(pool.Close)
			d, err := postgres.New(context.Background(), pool, &postgres.Options{Schema: schema, Lazy: true})
			require.NoError(t, err)
			pools.Store(d, pool)
			return d
		},
		Tx: func(t testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
			pool, ok := pools.Load(d)
			require.True(t, ok, "driver was not made by this harness")
			ctx := context.Background()
			tx, err := pool.(*pgxpool.Pool).Begin(ctx)
			require.NoError(t, err)
			return d.(*postgres.Driver).Tx(tx),
				func() error { return tx.Commit(ctx) },
				func() error { return tx.Rollback(ctx) }
		},
	})
}
