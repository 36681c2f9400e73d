package drivertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// checkOrderRules pin the order in which a call is judged (see the
// package doc of driver, "# Batches"): first that the driver is open, then
// its input, then the store. A closed driver answers ErrClosed whatever
// the input, so that ErrInvalid always means the input is at fault.
var checkOrderRules = []rule{
	{name: "ClosedBeforeInvalidInput", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		calls := invalidCalls(f.d)
		for _, c := range calls {
			require.ErrorIs(t, c.call(f.ctx), driver.ErrInvalid, "%s on an open driver", c.name)
		}
		require.NoError(t, f.d.Close(), "Close")
		for _, ctx := range []struct {
			name string
			ctx  context.Context
		}{{"", f.ctx}, {" with a cancelled context", cancelled(f.ctx)}} {
			for _, c := range calls {
				assert.ErrorIs(t, c.call(ctx.ctx), driver.ErrClosed,
					"%s%s after Close: a closed driver returns ErrClosed whatever the input (a call checks that the driver is open, then its input, then the store)", c.name, ctx.name)
			}
		}
	}},
}

// orderCall is one method of a driver, called with input that an open
// driver refuses with ErrInvalid.
type orderCall struct {
	name string
	call func(ctx context.Context) error
}

// invalidCalls returns a call with invalid input for every method of d
// and of its capabilities.
func invalidCalls(d driver.Driver) []orderCall {
	noLease := driver.Lease{TaskID: 0, Token: 1}
	calls := []orderCall{
		{"Create of a task with no queue", func(ctx context.Context) error {
			_, err := d.Create(ctx, []driver.NewTask{{Queue: "", MaxAttempts: 1}})
			return err
		}},
		{"Claim with no queue and no lease", func(ctx context.Context) error {
			_, err := d.Claim(ctx, driver.ClaimParams{Queue: "", Rule: driver.Fifo})
			return err
		}},
		{"Ping of task 0 with no extension", func(ctx context.Context) error {
			_, err := d.Ping(ctx, []driver.Lease{noLease}, 0)
			return err
		}},
		{"Finish of task 0 with an unknown kind", func(ctx context.Context) error {
			_, err := d.Finish(ctx, []driver.Outcome{{Lease: noLease, Kind: driver.OutcomeKind(99)}})
			return err
		}},
		{"Get of task 0", func(ctx context.Context) error {
			_, err := d.Get(ctx, 0)
			return err
		}},
	}
	if a, ok := d.(driver.Admin); ok {
		calls = append(calls,
			orderCall{"Admin.List of no queue", func(ctx context.Context) error {
				_, err := a.List(ctx, driver.ListParams{Queue: "", Limit: -1})
				return err
			}},
			orderCall{"Admin.Count of no queue", func(ctx context.Context) error {
				_, err := a.Count(ctx, "")
				return err
			}},
			orderCall{"Admin.Retry of task 0", func(ctx context.Context) error {
				_, err := a.Retry(ctx, []int64{0})
				return err
			}},
			orderCall{"Admin.Cancel of task -1", func(ctx context.Context) error {
				_, err := a.Cancel(ctx, []int64{-1})
				return err
			}},
			orderCall{"Admin.Purge of no queue", func(ctx context.Context) error {
				_, err := a.Purge(ctx, driver.PurgeParams{Queue: "", OlderThan: -1, Limit: -1})
				return err
			}})
	}
	if n, ok := d.(driver.Notifier); ok {
		calls = append(calls, orderCall{"Notifier.Subscribe to no queue", func(ctx context.Context) error {
			sub, err := n.Subscribe(ctx, "")
			if sub != nil {
				sub.Stop()
			}
			return err
		}})
	}
	return calls
}
