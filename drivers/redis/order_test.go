package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/redis"
)

// invalidCalls makes one call of every method with input the port
// refuses.
func invalidCalls(d driver.Driver) map[string]func(ctx context.Context) error {
	a := d.(driver.Admin)
	n := d.(driver.Notifier)
	return map[string]func(ctx context.Context) error{
		"Create": func(ctx context.Context) error {
			_, err := d.Create(ctx, []driver.NewTask{{Queue: "", MaxAttempts: 1}})
			return err
		},
		"Claim": func(ctx context.Context) error {
			_, err := d.Claim(ctx, driver.ClaimParams{Queue: "", Limit: 1, Lease: time.Second})
			return err
		},
		"Ping": func(ctx context.Context) error {
			_, err := d.Ping(ctx, []driver.Lease{{TaskID: 0}}, time.Second)
			return err
		},
		"Finish": func(ctx context.Context) error {
			_, err := d.Finish(ctx, []driver.Outcome{{Lease: driver.Lease{TaskID: 0}, Kind: driver.Complete}})
			return err
		},
		"Get": func(ctx context.Context) error {
			_, err := d.Get(ctx, 0)
			return err
		},
		"List": func(ctx context.Context) error {
			_, err := a.List(ctx, driver.ListParams{Queue: ""})
			return err
		},
		"Count": func(ctx context.Context) error {
			_, err := a.Count(ctx, "")
			return err
		},
		"Retry": func(ctx context.Context) error {
			_, err := a.Retry(ctx, []int64{0})
			return err
		},
		"Cancel": func(ctx context.Context) error {
			_, err := a.Cancel(ctx, []int64{0})
			return err
		},
		"Purge": func(ctx context.Context) error {
			_, err := a.Purge(ctx, driver.PurgeParams{Queue: ""})
			return err
		},
		"Subscribe": func(ctx context.Context) error {
			_, err := n.Subscribe(ctx, "")
			return err
		},
	}
}

// TestChecksClosedThenInputThenStore: every call judges, in this order,
// that the driver is open, then its input, then the store (# Batches in
// package driver). A Lazy driver whose server is down refuses invalid
// input with ErrInvalid, without trying the server; once closed it refuses
// the same input with ErrClosed.
func TestChecksClosedThenInputThenStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d, err := redis.Open(ctx, "redis://"+deadAddr(t)+"/0", &redis.Options{Lazy: true})
	require.NoError(t, err)
	_, err = d.Get(ctx, 1)
	require.Error(t, err)
	require.False(t, driver.IsPortError(err), "valid input reaches the store, which is down: %v", err)
	for name, call := range invalidCalls(d) {
		start := time.Now()
		err := call(ctx)
		require.ErrorIs(t, err, driver.ErrInvalid, "%s: input is checked before the store", name)
		require.Less(t, time.Since(start), time.Second, "%s did not try the server", name)
	}
	require.NoError(t, d.Close())
	for name, call := range invalidCalls(d) {
		err := call(ctx)
		require.ErrorIs(t, err, driver.ErrClosed, "%s: a closed driver refuses whatever the input", name)
		require.NotErrorIs(t, err, driver.ErrInvalid, name)
	}
}

// TestPerItemErrorsNameTheirTask: each per-item error of Ping, Finish,
// Retry and Cancel is a *driver.TaskError that names its task.
func TestPerItemErrorsNameTheirTask(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	defer d.Close()
	ctx := t.Context()
	res, err := d.Create(ctx, []driver.NewTask{{Queue: "q", Payload: []byte("x"), MaxAttempts: 3}, {Queue: "q", Payload: []byte("x"), MaxAttempts: 1, UniqueKey: "k"}})
	require.NoError(t, err)
	pending, keyed := res[0].ID, res[1].ID
	const missing = 1 << 40

	named := func(err error, id int64, sentinel error) *driver.TaskError {
		t.Helper()
		require.ErrorIs(t, err, sentinel)
		var te *driver.TaskError
		require.True(t, errors.As(err, &te), "%v is a *driver.TaskError", err)
		require.Equal(t, id, te.ID)
		return te
	}
	errs, err := d.Ping(ctx, []driver.Lease{{TaskID: missing, Token: 1}, {TaskID: pending, Token: 1}}, time.Second)
	require.NoError(t, err)
	named(errs[0], missing, driver.ErrTaskNotFound)
	named(errs[1], pending, driver.ErrLeaseLost)
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: driver.Lease{TaskID: pending, Token: 1}, Kind: driver.Complete}})
	require.NoError(t, err)
	named(errs[0], pending, driver.ErrLeaseLost)
	errs, err = d.Retry(ctx, []int64{pending})
	require.NoError(t, err)
	named(errs[0], pending, driver.ErrTaskConflict)
	errs, err = d.Cancel(ctx, []int64{keyed, missing})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	named(errs[1], missing, driver.ErrTaskNotFound)
	errs, err = d.Cancel(ctx, []int64{keyed})
	require.NoError(t, err)
	named(errs[0], keyed, driver.ErrTaskConflict)
	// Another task takes the key: the cancelled one cannot be retried.
	res, err = d.Create(ctx, []driver.NewTask{{Queue: "q", Payload: []byte("x"), MaxAttempts: 1, UniqueKey: "k"}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	errs, err = d.Retry(ctx, []int64{keyed})
	require.NoError(t, err)
	te := named(errs[0], keyed, driver.ErrDuplicate)
	require.Contains(t, te.Detail, "unique key")
}
