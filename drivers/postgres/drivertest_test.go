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

// harness makes each driver on its own schema, dropped when the test ends,
// over a pool of its own that the harness (not the driver) owns, so the
// suite also covers New with a caller's pool. opts are the driver's
// options but for Schema, which the harness sets.
func harness(opts postgres.Options) drivertest.Harness {
	var pools sync.Map // *postgres.Driver -> *pgxpool.Pool
	return drivertest.Harness{
		New: func(t testing.TB) driver.Driver {
			url := serverURL(t)
			schema := testSchema(t, url) // registered first, so it runs after the pool closes
			cfg, err := pgxpool.ParseConfig(url)
			require.NoError(t, err)
			cfg.MaxConns = 4
			pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
			require.NoError(t, err)
			t.Cleanup(pool.Close)
			o := opts
			o.Schema = schema
			d, err := postgres.New(context.Background(), pool, &o)
			require.NoError(t, err)
			pools.Store(d, pool)
			return d
		},
		// A second driver on the same schema, over a pool of its own, as
		// another process would open it.
		Again: func(t testing.TB, d driver.Driver) driver.Driver {
			again, err := postgres.Open(context.Background(), serverURL(t),
				&postgres.Options{Schema: d.(*postgres.Driver).Schema(), MaxConns: 2})
			require.NoError(t, err)
			return again
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
	}
}

func TestDriver(t *testing.T) {
	drivertest.Run(t, harness(postgres.Options{}))
}

func BenchmarkDriver(b *testing.B) {
	drivertest.RunBenchmarks(b, harness(postgres.Options{}))
}
