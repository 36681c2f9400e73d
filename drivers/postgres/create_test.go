package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
)

// A create whose second step (reading the holders of taken unique keys)
// fails, by an error or by its connection being terminated, returns an
// error and stores nothing of its batch, on the pool and in a caller's
// transaction that commits anyway; the same batch created again stores
// each task exactly once.
func TestCreateFailingBetweenStepsStoresNothing(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	injected := errors.New("injected fault")
	terminate := func(t *testing.T) func(ctx context.Context, pid uint32) error {
		watcher := connect(t, url)
		return func(ctx context.Context, pid uint32) error {
			var done bool
			if err := watcher.QueryRow(ctx, "SELECT pg_terminate_backend($1, 10000)", int32(pid)).Scan(&done); err != nil {
				return err
			}
			if !done {
				return errors.New("the create's backend did not end")
			}
			return nil
		}
	}
	fail := func(*testing.T) func(context.Context, uint32) error {
		return func(context.Context, uint32) error { return injected }
	}
	// create runs one create through the path under test and reports its
	// error; a path with a caller's transaction commits it whatever the
	// create answered.
	type creator func(t *testing.T, d *postgres.Driver, batch []driver.NewTask) ([]driver.CreateResult, error)
	onPool := func(t *testing.T, d *postgres.Driver, batch []driver.NewTask) ([]driver.CreateResult, error) {
		return d.Create(context.Background(), batch)
	}
	inPgxTx := func(t *testing.T, d *postgres.Driver, batch []driver.NewTask) ([]driver.CreateResult, error) {
		ctx := context.Background()
		tx, err := connect(t, url).Begin(ctx)
		require.NoError(t, err)
		res, err := d.Tx(tx).Create(ctx, batch)
		_ = tx.Commit(ctx) // committed even after an error: the batch must not be in it
		return res, err
	}
	inSQLTx := func(t *testing.T, d *postgres.Driver, batch []driver.NewTask) ([]driver.CreateResult, error) {
		ctx := context.Background()
		db := stdlib.OpenDB(*mustParse(t, url))
		defer db.Close() //nolint:errcheck
		tx, err := db.BeginTx(ctx, &sql.TxOptions{})
		require.NoError(t, err)
		res, err := d.SQLTx(tx).Create(ctx, batch)
		_ = tx.Commit()
		return res, err
	}
	for _, c := range []struct {
		name  string
		fault func(*testing.T) func(context.Context, uint32) error
		run   creator
	}{
		{"pool/error", fail, onPool},
		{"pool/terminated", terminate, onPool},
		{"pgx.Tx/error", fail, inPgxTx},
		{"pgx.Tx/terminated", terminate, inPgxTx},
		{"sql.Tx/error", fail, inSQLTx},
		{"sql.Tx/terminated", terminate, inSQLTx},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := newDriver(t)
			ctx := context.Background()
			held := driver.NewTask{Queue: "atomic", Payload: []byte("holder"), MaxAttempts: 1, UniqueKey: "taken"}
			res, err := d.Create(ctx, []driver.NewTask{held})
			require.NoError(t, err)
			holder := res[0].ID
			batch := []driver.NewTask{
				{Queue: "atomic", Payload: []byte("a"), MaxAttempts: 1},
				{Queue: "atomic", Payload: []byte("dup"), MaxAttempts: 1, UniqueKey: "taken"},
				{Queue: "atomic", Payload: []byte("b"), MaxAttempts: 1},
				{Queue: "atomic", Payload: []byte("c"), MaxAttempts: 1, UniqueKey: "free"},
			}
			var armed atomic.Bool
			armed.Store(true)
			fault := c.fault(t)
			postgres.SetBetweenCreateSteps(d, func(ctx context.Context, pid uint32) error {
				if armed.CompareAndSwap(true, false) {
					return fault(ctx, pid)
				}
				return nil
			})
			stored := func() map[string]int {
				recs, err := d.List(ctx, driver.ListParams{Queue: "atomic"})
				require.NoError(t, err)
				n := make(map[string]int)
				for _, r := range recs {
					n[string(r.Payload)]++
				}
				return n
			}

			_, err = c.run(t, d, batch)
			require.False(t, armed.Load(), "the fault was injected")
			require.Error(t, err, "a create whose second step failed returns an error")
			require.Equal(t, map[string]int{"holder": 1}, stored(),
				"a create that returned an error stored nothing of its batch")

			res, err = c.run(t, d, batch)
			require.NoError(t, err, "the same batch again")
			require.Len(t, res, len(batch))
			require.NoError(t, res[0].Err)
			require.ErrorIs(t, res[1].Err, driver.ErrDuplicate)
			require.Equal(t, holder, res[1].ID)
			require.NoError(t, res[2].Err)
			require.NoError(t, res[3].Err)
			require.Equal(t, map[string]int{"holder": 1, "a": 1, "b": 1, "c": 1}, stored(),
				"the batch created again stores each task once")
		})
	}
}
