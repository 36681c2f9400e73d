// Package adaptertest holds checks that gosk's own adapters pass beyond
// drivertest's contract, which a third-party driver need not: per-item
// errors in the one form that names the task, and the order of a call's
// checks shown on a store that is down. Each adapter's tests call them
// with its own driver.
package adaptertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// Store is what a shipped driver offers: the port and both capabilities.
type Store interface {
	driver.Driver
	driver.Notifier
	driver.Admin
}

// invalidCalls makes one call of every method with input the port
// refuses.
func invalidCalls(d Store) map[string]func(ctx context.Context) error {
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
			_, err := d.List(ctx, driver.ListParams{Queue: ""})
			return err
		},
		"Count": func(ctx context.Context) error {
			_, err := d.Count(ctx, "")
			return err
		},
		"Retry": func(ctx context.Context) error {
			_, err := d.Retry(ctx, []int64{0})
			return err
		},
		"Cancel": func(ctx context.Context) error {
			_, err := d.Cancel(ctx, []int64{0})
			return err
		},
		"Purge": func(ctx context.Context) error {
			_, err := d.Purge(ctx, driver.PurgeParams{Queue: ""})
			return err
		},
		"Subscribe": func(ctx context.Context) error {
			_, err := d.Subscribe(ctx, "")
			return err
		},
	}
}

// InputBeforeStore checks the order in which every call of d judges
// (# Batches in package driver): that the driver is open, then its input,
// then the store. d is a Lazy driver whose server is down: it refuses
// invalid input with ErrInvalid, without trying the server, and valid
// input with a store error; InputBeforeStore then closes it, after which
// it refuses the same input with ErrClosed.
func InputBeforeStore(t *testing.T, d Store) {
	t.Helper()
	ctx := t.Context()
	_, err := d.Get(ctx, 1)
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

// TaskErrors checks that each per-item error of Ping, Finish, Retry and
// Cancel is a *driver.TaskError that names its task. d is an empty
// driver, which the test leaves open.
func TaskErrors(t *testing.T, d Store) {
	t.Helper()
	ctx := t.Context()
	res, err := d.Create(ctx, []driver.NewTask{{Queue: "q", Payload: []byte("x"), MaxAttempts: 3}, {Queue: "q", Payload: []byte("x"), MaxAttempts: 1, UniqueKey: "k"}})
	require.NoError(t, err)
	pending, keyed := res[0].ID, res[1].ID
	const missing = 1 << 40

	// named checks err and returns its detail.
	named := func(err error, id int64, sentinel error) (detail string) {
		t.Helper()
		require.ErrorIs(t, err, sentinel)
		var te *driver.TaskError
		require.True(t, errors.As(err, &te), "%v is a *driver.TaskError", err)
		require.Equal(t, id, te.ID)
		return te.Detail
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
	require.Contains(t, named(errs[0], keyed, driver.ErrDuplicate), "unique key")
}
