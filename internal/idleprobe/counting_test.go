package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestWrapKeepsExactlyTheCapabilities checks that the counting wrapper
// has Due when, and only when, the driver has it and it is not hidden,
// keeps Notifier and Admin, and counts what passes through it.
func TestWrapKeepsExactlyTheCapabilities(t *testing.T) {
	ctx := context.Background()
	mem := memory.New(nil)
	t.Cleanup(func() { _ = mem.Close() })
	// without is the memory driver with its Notifier and Admin but not
	// its DueReporter, as a driver that lacks Due.
	without := struct {
		driver.Driver
		driver.Notifier
		driver.Admin
	}{mem, mem, mem}
	for _, tc := range []struct {
		name    string
		inner   driver.Driver
		hide    bool
		wantDue bool
	}{
		{"memory", mem, false, true},
		{"memory, Due hidden", mem, true, false},
		{"a driver without Due", without, false, false},
		{"a driver without Due, hidden", without, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newCounts()
			d, err := wrap(tc.inner, n, tc.hide)
			require.NoError(t, err)
			_, hasDue := d.(driver.DueReporter)
			require.Equal(t, tc.wantDue, hasDue)
			require.Implements(t, (*driver.Notifier)(nil), d)
			require.Implements(t, (*driver.Admin)(nil), d)
			_, err = d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 1, Rule: driver.Fifo, Lease: time.Second})
			require.NoError(t, err)
			_, err = d.(driver.Admin).Count(ctx, "q")
			require.NoError(t, err)
			if hasDue {
				due, err := d.(driver.DueReporter).Due(ctx, []string{"q"})
				require.NoError(t, err)
				require.Equal(t, []int64{int64(driver.NotDue)}, []int64{int64(due[0])})
			}
			want := map[string]int64{"Claim": 1, "Count": 1}
			if hasDue {
				want["Due"] = 1
			}
			require.Equal(t, want, n.snapshot())
		})
	}
	_, err := wrap(struct{ driver.Driver }{mem}, newCounts(), false)
	require.ErrorContains(t, err, "driver.Notifier", "a driver without the capabilities every shipped driver has is refused")
}
