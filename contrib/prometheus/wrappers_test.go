package goskprom

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/contrib/prometheus/internal/capsgen"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// caps returns the capability mask of d, found by type assertions
// written out here rather than taken from the code under test: bit 0
// Notifier, 1 Admin, 2 DueReporter, 3 Scheduler, 4 QueueLister, 5
// Importer.
func caps(d driver.Driver) int {
	var has [6]bool
	_, has[0] = d.(driver.Notifier)
	_, has[1] = d.(driver.Admin)
	_, has[2] = d.(driver.DueReporter)
	_, has[3] = d.(driver.Scheduler)
	_, has[4] = d.(driver.QueueLister)
	_, has[5] = d.(driver.Importer)
	mask := 0
	for i, h := range has {
		if h {
			mask |= 1 << i
		}
	}
	return mask
}

// subset returns a driver around d with exactly the capabilities of mask
// and no other. It is made from the generated table with metrics of its
// own, so that the wrapper under test counts apart; the test checks its
// capabilities with caps before using it, so a wrong table entry fails
// there rather than passing unseen.
func subset(t *testing.T, d *memory.Driver, mask int) driver.Driver {
	t.Helper()
	own, err := New(prometheus.NewRegistry(), nil)
	require.NoError(t, err)
	p := parts{notifier{d}, admin{d}, due{d}, sched{own, d}, lister{d}, importer{d}}
	inner := wrappers[mask](&base{m: own, inner: d}, p)
	require.Equal(t, mask, caps(inner), "the test driver of mask %06b has other capabilities", mask)
	return inner
}

// TestDriverCapabilities: for each of the 64 sets of optional
// capabilities, the wrapper of a driver with that set has exactly it,
// its type is the one capsgen names for it, and each capability reaches
// the wrapped driver.
func TestDriverCapabilities(t *testing.T) {
	require.Len(t, capsgen.Capabilities, 6, "caps and subset know six capabilities")
	mem := memory.New(nil)
	defer mem.Close()
	require.Equal(t, 0b111111, caps(mem), "the memory driver has every capability")
	m, err := New(prometheus.NewRegistry(), nil)
	require.NoError(t, err)
	for mask := range capsgen.Masks {
		t.Run(fmt.Sprintf("caps=%06b", mask), func(t *testing.T) {
			w := m.Driver(subset(t, mem, mask))
			require.Equal(t, mask, caps(w))
			require.Equal(t, capsgen.TypeName(mask), typeName(w))
			exercise(t, m, w, fmt.Sprintf("q%d", mask), int64(mask+1))
		})
	}
	require.Equal(t, 0b111111, caps(m.Driver(mem)))
	require.Nil(t, m.Driver(nil))
	require.Nil(t, m.Creator(nil))
}

// typeName is the name of the wrapper's type, "d" for the base.
func typeName(w driver.Driver) string {
	if name := reflect.TypeOf(w).Elem().Name(); name != "base" {
		return name
	}
	return "d"
}

// exercise calls each capability of w on queue, which holds no task
// yet, importing the task of ID origin from a store named "test" (an ID
// of its own per call: the memory driver records origins store-wide),
// and checks that it reached the wrapped driver and was counted
// as the package doc says.
func exercise(t *testing.T, m *Metrics, w driver.Driver, queue string, origin int64) {
	ctx := t.Context()
	res, err := w.Create(ctx, []driver.NewTask{{Queue: queue, MaxAttempts: 1}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.InDelta(t, 1, testutil.ToFloat64(m.created.WithLabelValues(queue)), 0)
	if nt, ok := w.(driver.Notifier); ok {
		sub, err := nt.Subscribe(ctx, queue)
		require.NoError(t, err)
		sub.Stop()
		<-sub.Done
	}
	if ad, ok := w.(driver.Admin); ok {
		counts, err := ad.Count(ctx, queue)
		require.NoError(t, err)
		require.Equal(t, int64(1), counts[driver.StatePending])
		require.NoError(t, ad.Pause(ctx, []string{queue}))
		paused, err := ad.PausedQueues(ctx)
		require.NoError(t, err)
		require.Contains(t, paused, queue)
		require.NoError(t, ad.Resume(ctx, []string{queue}))
	}
	if dr, ok := w.(driver.DueReporter); ok {
		due, err := dr.Due(ctx, []string{queue, queue + "-empty"})
		require.NoError(t, err)
		require.Equal(t, []time.Duration{0, driver.NotDue}, due)
	}
	if sc, ok := w.(driver.Scheduler); ok {
		task := driver.NewTask{Queue: queue, MaxAttempts: 1, UniqueKey: "u"}
		res, err := sc.CreateSlot(ctx, driver.Slot{Name: "s", At: time.Unix(1000, 0), Task: task})
		require.NoError(t, err)
		require.True(t, res.Created)
		res, err = sc.CreateSlot(ctx, driver.Slot{Name: "s", At: time.Unix(2000, 0), Task: task})
		require.NoError(t, err)
		require.ErrorIs(t, res.Err, driver.ErrDuplicate)
		require.InDelta(t, 2, testutil.ToFloat64(m.created.WithLabelValues(queue)), 0)
		require.InDelta(t, 1, testutil.ToFloat64(m.duplicates.WithLabelValues(queue)), 0)
	}
	if ql, ok := w.(driver.QueueLister); ok {
		queues, err := ql.Queues(ctx)
		require.NoError(t, err)
		require.Contains(t, queues, queue)
	}
	if im, ok := w.(driver.Importer); ok {
		created := testutil.ToFloat64(m.created.WithLabelValues(queue))
		now := time.Now()
		it := driver.ImportTask{Origin: "test", Task: driver.TaskRecord{
			ID: origin, Queue: queue, Payload: []byte("x"), State: driver.StatePending,
			MaxAttempts: 1, CreatedAt: now, RunAt: now,
		}}
		got, err := im.Import(ctx, []driver.ImportTask{it})
		require.NoError(t, err)
		require.NoError(t, got[0].Err)
		require.True(t, got[0].Imported, "%+v", got[0])
		rec, err := w.Get(ctx, got[0].ID)
		require.NoError(t, err)
		require.Equal(t, []byte("x"), rec.Payload)
		again, err := im.Import(ctx, []driver.ImportTask{it})
		require.NoError(t, err)
		require.False(t, again[0].Imported)
		require.Equal(t, got[0].ID, again[0].ID)
		require.InDelta(t, created, testutil.ToFloat64(m.created.WithLabelValues(queue)), 0, "imports are not counted as created")
	}
}

// TestGeneratedFiles fails when the checked-in wrapper files are not
// what capsgen writes now, or when a generated file is left over from
// an older generator: run go generate in contrib/prometheus.
func TestGeneratedFiles(t *testing.T) {
	files, err := capsgen.Files()
	require.NoError(t, err)
	for name, want := range files {
		got, err := os.ReadFile(name)
		require.NoError(t, err, "run go generate in contrib/prometheus")
		require.Equal(t, string(want), string(got), "%s is stale: run go generate in contrib/prometheus", name)
	}
	onDisk, err := filepath.Glob("*_gen.go")
	require.NoError(t, err)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	require.Equal(t, names, onDisk, "a *_gen.go file that capsgen no longer writes")
}
