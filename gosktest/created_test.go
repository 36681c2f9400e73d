package gosktest_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/gosktest"
)

// drivers opens a fresh store of each kind the helpers are tested on: the
// memory driver and an SQLite file.
func drivers(t *testing.T) map[string]driver.Driver {
	t.Helper()
	mem := newMemory(t)
	lite, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gosk.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = lite.Close() })
	return map[string]driver.Driver{"memory": mem, "sqlite": lite}
}

// newMemory returns a memory driver closed when the test ends.
func newMemory(t *testing.T) *memory.Driver {
	t.Helper()
	d := memory.New(nil)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func newQueue(t *testing.T, d driver.Driver, name string) *gosk.Queue[email] {
	t.Helper()
	q, err := gosk.NewQueue[email](d, name, nil)
	require.NoError(t, err)
	return q
}

func TestRequireCreatedFindsTheMatchingTask(t *testing.T) {
	for name, d := range drivers(t) {
		t.Run(name, func(t *testing.T) {
			q := newQueue(t, d, "emails")
			other := newQueue(t, d, "other")
			_, err := other.Create(t.Context(), email{To: "b@example.com"}, nil)
			require.NoError(t, err)
			_, err = q.Create(t.Context(), email{To: "a@example.com"}, nil)
			require.NoError(t, err)
			id, err := q.Create(t.Context(), email{To: "b@example.com", Subject: "hi"}, &gosk.CreateOptions{Priority: 3})
			require.NoError(t, err)

			task := gosktest.RequireCreated(t, q, func(e email) bool { return e.To == "b@example.com" })
			require.Equal(t, id, task.ID, "the task of queue emails, not the one of queue other")
			require.Equal(t, email{To: "b@example.com", Subject: "hi"}, task.Payload)
			require.Equal(t, 3, task.Priority)
			require.Equal(t, gosk.StatePending, task.State)

			first := gosktest.RequireCreated(t, q, nil)
			require.Equal(t, email{To: "a@example.com"}, first.Payload, "nil matches any task; the first in ID order is returned")
		})
	}
}

func TestRequireCreatedLooksPastOnePage(t *testing.T) {
	q := newQueue(t, newMemory(t), "emails")
	n := driver.DefaultListLimit + 5
	items := make([]gosk.Item[email], n)
	for i := range items {
		items[i] = gosk.Item[email]{Payload: email{To: fmt.Sprintf("%d@example.com", i)}}
	}
	_, err := q.CreateMany(t.Context(), items)
	require.NoError(t, err)
	last := fmt.Sprintf("%d@example.com", n-1)
	task := gosktest.RequireCreated(t, q, func(e email) bool { return e.To == last })
	require.Equal(t, last, task.Payload.To)
}

func TestRequireCreatedFails(t *testing.T) {
	t.Run("empty queue", func(t *testing.T) {
		q := newQueue(t, newMemory(t), "emails")
		r := check(t, func(tb testing.TB) { gosktest.RequireCreated(tb, q, nil) })
		require.True(t, r.Failed())
		require.Equal(t, `gosktest: no task in queue "emails" matches: the queue is empty`, r.message())
	})
	t.Run("no match lists the tasks", func(t *testing.T) {
		q := newQueue(t, newMemory(t), "emails")
		id1, err := q.Create(t.Context(), email{To: "a@example.com"}, nil)
		require.NoError(t, err)
		id2, err := q.Create(t.Context(), email{To: "b@example.com", Subject: "hi"}, nil)
		require.NoError(t, err)
		require.NoError(t, q.Cancel(t.Context(), id2))
		returned := false
		r := check(t, func(tb testing.TB) {
			gosktest.RequireCreated(tb, q, func(e email) bool { return e.To == "c@example.com" })
			returned = true
		})
		require.False(t, returned, "RequireCreated went on after failing")
		want := fmt.Sprintf("gosktest: no task in queue \"emails\" matches; it holds 2:\n"+
			"\ttask %d (pending): {To:a@example.com Subject: secret:}\n"+
			"\ttask %d (cancelled): {To:b@example.com Subject:hi secret:}\n", id1, id2)
		require.Equal(t, want, r.message())
	})
	t.Run("a long list is cut", func(t *testing.T) {
		q := newQueue(t, newMemory(t), "emails")
		_, err := q.CreateMany(t.Context(), gosk.Items(make([]email, 25), nil))
		require.NoError(t, err)
		r := check(t, func(tb testing.TB) { gosktest.RequireCreated(tb, q, func(email) bool { return false }) })
		msg := r.message()
		require.Contains(t, msg, "it holds 25:")
		require.Equal(t, 20, strings.Count(msg, "\ttask "), "20 tasks are listed: %s", msg)
		require.True(t, strings.HasSuffix(msg, "\t... and 5 more\n"), "the rest is counted: %s", msg)
	})
	t.Run("driver without Admin", func(t *testing.T) {
		q := newQueue(t, bare{newMemory(t)}, "emails")
		r := check(t, func(tb testing.TB) { gosktest.RequireCreated(tb, q, nil) })
		require.True(t, r.Failed())
		require.Contains(t, r.message(), `gosktest: list queue "emails": `)
		require.Contains(t, r.message(), "does not implement driver.Admin")
	})
	t.Run("payload that does not decode", func(t *testing.T) {
		d := newMemory(t)
		_, err := newQueue(t, d, "emails").Create(t.Context(), email{To: "a@example.com"}, nil)
		require.NoError(t, err)
		q, err := gosk.NewQueue[email](d, "emails", &gosk.QueueOptions{Codec: badCodec{}})
		require.NoError(t, err)
		r := check(t, func(tb testing.TB) { gosktest.RequireCreated(tb, q, nil) })
		require.True(t, r.Failed())
		require.Contains(t, r.message(), `gosktest: list queue "emails": `)
		require.Contains(t, r.message(), "cannot decode")
	})
}

// bare hides every capability of a driver but the Driver interface:
// only the embedded interface's methods are promoted.
type bare struct{ driver.Driver }
