package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/dashboard"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// TestQueuesListedOnEachLoad: without Options.Queues, the dashboard shows
// the store's queues as they are at each load, so a queue created after
// the handler started appears without a restart, can be listed and acted
// on, and is charted from the sampler's next samples on.
func TestQueuesListedOnEachLoad(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, d store) {
		ctx := context.Background()
		create(t, d, driver.NewTask{Queue: "early", MaxAttempts: 1})
		h, err := dashboard.New(ctx, d, &dashboard.Options{SampleInterval: 100 * time.Millisecond})
		require.NoError(t, err)
		srv := newServer(t, h)
		t.Cleanup(func() { require.NoError(t, h.Close()) })

		index := get(t, srv, "/")
		require.Equal(t, http.StatusOK, index.status)
		rowOf(t, index.body, "early")
		require.NotContains(t, index.body, `id="q-late"`)
		require.Contains(t, index.body, "Queues and counts are read from the store on every load.")
		require.Equal(t, http.StatusNotFound, get(t, srv, "/tasks?queue=late").status)
		tok := token(t, index.body)
		res := post(t, srv, "/queues/pause", url.Values{"csrf": {tok}, "queue": {"late"}}, nil)
		require.Equal(t, http.StatusNotFound, res.status, "a queue the store does not hold is not made by a pause")
		paused, err := d.PausedQueues(ctx)
		require.NoError(t, err)
		require.Empty(t, paused)

		late := create(t, d, driver.NewTask{Queue: "late", MaxAttempts: 1}, driver.NewTask{Queue: "late", MaxAttempts: 1})
		index = get(t, srv, "/")
		require.Contains(t, rowOf(t, index.body, "late"), `data-state="pending"><a href="/tasks?queue=late&amp;state=pending">2</a>`)
		require.Less(t, strings.Index(index.body, `id="q-early"`), strings.Index(index.body, `id="q-late"`), "in byte order")
		tasks := get(t, srv, "/tasks?queue=late")
		require.Equal(t, http.StatusOK, tasks.status)
		require.Equal(t, late, rowIDs(tasks.body))
		require.Contains(t, tasks.body, `<option value="late" selected>`)
		require.Contains(t, tasks.body, `<option value="early">`)
		require.Equal(t, http.StatusOK, get(t, srv, fmt.Sprintf("/tasks/%d", late[0])).status)

		res = post(t, srv, "/queues/pause", url.Values{"csrf": {tok}, "queue": {"late"}}, nil)
		require.Equal(t, http.StatusSeeOther, res.status, res.body)
		paused, err = d.PausedQueues(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"late"}, paused)

		// The sampler picks the new queue up: its charts fill in.
		finish(t, d, "early", driver.Outcome{Kind: driver.Complete})
		require.Eventually(t, func() bool {
			return strings.Count(chartsOf(t, get(t, srv, "/").body, "late"), "<polyline") == 3
		}, 10*time.Second, 50*time.Millisecond, "the sampler never charted the queue created after New")
	})
}

// chartsOf returns the index page's chart section of queue.
func chartsOf(t *testing.T, body, queue string) string {
	t.Helper()
	i := strings.Index(body, fmt.Sprintf("<h2>%s</h2>", queue))
	require.GreaterOrEqual(t, i, 0, "no charts for queue %s", queue)
	j := strings.Index(body[i:], "</section>")
	return body[i : i+j]
}

// TestNoQueueYet: a store with no queue shows an empty index page, and a
// task list with no queue to show says so.
func TestNoQueueYet(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	defer d.Close()
	srv, _ := serve(t, d, nil)
	index := get(t, srv, "/")
	require.Equal(t, http.StatusOK, index.status)
	require.Contains(t, index.body, `id="no-queue"`)
	tasks := get(t, srv, "/tasks")
	require.Equal(t, http.StatusNotFound, tasks.status)
	require.Contains(t, tasks.body, "no queue yet")
}

// TestExplicitQueuesStayFixed: with Options.Queues, a queue the store
// gains later is not shown, even on a driver that can list its queues.
func TestExplicitQueuesStayFixed(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	defer d.Close()
	srv, _ := serve(t, d, &dashboard.Options{Queues: []string{"a"}})
	other := create(t, d, driver.NewTask{Queue: "other", MaxAttempts: 1})[0]
	index := get(t, srv, "/")
	rowOf(t, index.body, "a")
	require.NotContains(t, index.body, `id="q-other"`)
	require.Contains(t, index.body, "Counts are read from the store on every load.")
	require.Equal(t, http.StatusNotFound, get(t, srv, "/tasks?queue=other").status)
	require.Equal(t, http.StatusNotFound, get(t, srv, fmt.Sprintf("/tasks/%d", other)).status)
}

// adminOnly is a driver with Admin but no QueueLister.
type adminOnly struct {
	driver.Driver
	driver.Admin
}

// TestNewNeedsQueuesOrALister: without Options.Queues, New refuses a
// driver that cannot list its queues, naming both ways out.
func TestNewNeedsQueuesOrALister(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	defer d.Close()
	ctx := context.Background()
	for _, opts := range []*dashboard.Options{nil, {}, {Queues: []string{}}} {
		_, err := dashboard.New(ctx, adminOnly{d, d}, opts)
		require.ErrorIs(t, err, driver.ErrInvalid)
		require.ErrorContains(t, err, "Options.Queues")
		require.ErrorContains(t, err, "driver.QueueLister")
	}
	h, err := dashboard.New(ctx, adminOnly{d, d}, &dashboard.Options{Queues: []string{"q"}})
	require.NoError(t, err, "named queues need no lister")
	require.NoError(t, h.Close())
}
