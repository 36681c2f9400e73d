package driver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// CheckNewTask holds the field rules that ValidateNewTasksMax and package
// gosk share; each broken rule names its field through the label, and the
// error leaves wrapping ErrInvalid to the caller.
func TestCheckNewTaskNamesTheField(t *testing.T) {
	t.Parallel()
	ok := driver.NewTask{Queue: "q", MaxAttempts: 1}
	require.NoError(t, driver.CheckNewTask(ok, nil))

	prefixed := func(f string) string { return "Opts." + f }
	cases := []struct {
		name          string
		edit          func(*driver.NewTask)
		words, labels string
	}{
		{"priority", func(n *driver.NewTask) { n.Priority = driver.MaxPriority + 1 }, "priority 32768 is outside", "Opts.Priority 32768"},
		{"delay", func(n *driver.NewTask) { n.Delay = -time.Second }, "delay -1s is negative", "Opts.Delay"},
		{"attempts", func(n *driver.NewTask) { n.MaxAttempts = 0 }, "max attempts 0 is outside", "Opts.MaxAttempts 0"},
		{"key", func(n *driver.NewTask) { n.UniqueKey = "a\x00" }, "unique key holds a NUL byte", "Opts.UniqueKey holds"},
		{"long key", func(n *driver.NewTask) { n.UniqueKey = strings.Repeat("k", driver.MaxUniqueKeyLen+1) }, "unique key is 1025 bytes", "Opts.UniqueKey is"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			task := ok
			c.edit(&task)
			err := driver.CheckNewTask(task, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.words)
			assert.NotErrorIs(t, err, driver.ErrInvalid, "the caller wraps ErrInvalid")
			err = driver.CheckNewTask(task, prefixed)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.labels)

			err = driver.ValidateNewTasks([]driver.NewTask{ok, task})
			require.ErrorIs(t, err, driver.ErrInvalid)
			assert.Contains(t, err.Error(), "task 1: "+c.words)
		})
	}
}

// A result belongs to a completion only, and has a length limit; the
// error names the outcome and the field.
func TestValidateOutcomesResult(t *testing.T) {
	t.Parallel()
	lease := driver.Lease{TaskID: 1, Token: 1}
	long := make([]byte, driver.MaxResultLen+1)
	require.NoError(t, driver.ValidateOutcomes([]driver.Outcome{{Lease: lease, Kind: driver.Complete, Result: long[:driver.MaxResultLen]}}))
	for _, kind := range []driver.OutcomeKind{driver.Complete, driver.Release, driver.Cancel, driver.Fail} {
		require.NoError(t, driver.ValidateOutcomes([]driver.Outcome{{Lease: lease, Kind: kind, Result: []byte{}}}), "an empty result is none, on %v", kind)
	}
	err := driver.ValidateOutcomes([]driver.Outcome{{Lease: lease, Kind: driver.Complete, Result: long}})
	require.ErrorIs(t, err, driver.ErrInvalid)
	assert.Contains(t, err.Error(), "outcome 0: result is 65537 bytes, longer than MaxResultLen")
	for _, kind := range []driver.OutcomeKind{driver.Release, driver.Cancel, driver.Fail} {
		err := driver.ValidateOutcomes([]driver.Outcome{{Lease: lease, Kind: kind, Result: []byte("x")}})
		require.ErrorIs(t, err, driver.ErrInvalid)
		assert.Contains(t, err.Error(), "outcome 0: result applies to complete only, not "+kind.String())
	}
}
