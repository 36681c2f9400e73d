package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/dashboard"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

const hostile = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">`

func TestIndexShowsCountsAndPauses(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, d store) {
		create(t, d, driver.NewTask{Queue: "a", MaxAttempts: 1}, driver.NewTask{Queue: "a", MaxAttempts: 1},
			driver.NewTask{Queue: "b", MaxAttempts: 1})
		finish(t, d, "a", driver.Outcome{Kind: driver.Fail, Message: "boom"})
		require.NoError(t, d.Pause(context.Background(), []string{"b"}))
		srv, _ := serve(t, d, &dashboard.Options{Queues: []string{"a", "b"}})

		res := get(t, srv, "/")
		require.Equal(t, http.StatusOK, res.status)
		require.Contains(t, res.body, `<td class="count" data-state="pending"><a href="/tasks?queue=a&amp;state=pending">1</a></td>`)
		require.Contains(t, res.body, `<td class="count" data-state="failed"><a href="/tasks?queue=a&amp;state=failed">1</a></td>`)
		require.Contains(t, res.body, `<td class="count" data-state="pending"><a href="/tasks?queue=b&amp;state=pending">1</a></td>`)
		a, b := rowOf(t, res.body, "a"), rowOf(t, res.body, "b")
		require.Contains(t, a, "active")
		require.Contains(t, b, "paused")
		require.Contains(t, b, "Resume")
		csp := res.header.Get("Content-Security-Policy")
		require.Contains(t, csp, "default-src 'none'")
		require.NotContains(t, csp, "script-src")
		require.NotContains(t, csp, "unsafe-inline")

		css := get(t, srv, "/static/style.css")
		require.Equal(t, http.StatusOK, css.status)
		require.Contains(t, css.header.Get("Content-Type"), "text/css")
	})
}

// rowOf returns the index page's table row of queue.
func rowOf(t *testing.T, body, queue string) string {
	t.Helper()
	i := strings.Index(body, fmt.Sprintf(`<tr id="q-%s"`, queue))
	require.GreaterOrEqual(t, i, 0, "no row for queue %s", queue)
	j := strings.Index(body[i:], "</tr>")
	return body[i : i+j]
}

func TestStoredStringsAreEscaped(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, d store) {
		create(t, d, driver.NewTask{Queue: "q", Payload: []byte(hostile), UniqueKey: hostile, MaxAttempts: 1})
		failed := finish(t, d, "q", driver.Outcome{Kind: driver.Fail, Message: hostile})
		create(t, d, driver.NewTask{Queue: "q", Payload: []byte(hostile), MaxAttempts: 1})
		done := finish(t, d, "q", driver.Outcome{Kind: driver.Complete, Result: []byte(hostile)})
		srv, _ := serve(t, d, &dashboard.Options{Queues: []string{"q"}})

		for _, path := range []string{"/tasks?queue=q", fmt.Sprintf("/tasks/%d", failed), fmt.Sprintf("/tasks/%d", done)} {
			res := get(t, srv, path)
			require.Equal(t, http.StatusOK, res.status, path)
			require.NotContains(t, res.body, "<script", path)
			require.NotContains(t, res.body, "<img", path)
			require.Contains(t, res.body, "&lt;script&gt;window.pwned=1&lt;/script&gt;", path)
		}
		// A hostile queue name in a query is refused, escaped.
		res := get(t, srv, "/tasks?queue="+url.QueryEscape(hostile))
		require.Equal(t, http.StatusNotFound, res.status)
		require.NotContains(t, res.body, "<script")
	})
}

func TestBinaryPayloadIsShownAsHex(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	defer d.Close()
	ids := create(t, d, driver.NewTask{Queue: "q", Payload: []byte{0xff, 0x00, 0x41}, MaxAttempts: 1})
	srv, _ := serve(t, d, &dashboard.Options{Queues: []string{"q"}})
	res := get(t, srv, fmt.Sprintf("/tasks/%d", ids[0]))
	require.Contains(t, res.body, "(binary, hex)")
	require.Contains(t, res.body, "ff 00 41")
}

func TestActions(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, d store) {
		ctx := context.Background()
		create(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1})
		failed := finish(t, d, "q", driver.Outcome{Kind: driver.Fail, Message: "boom"})
		pending := create(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1})[0]
		srv, _ := serve(t, d, &dashboard.Options{Queues: []string{"q"}})
		tok := token(t, get(t, srv, fmt.Sprintf("/tasks/%d", failed)).body)
		form := url.Values{"csrf": {tok}}

		res := post(t, srv, fmt.Sprintf("/tasks/%d/retry", failed), form, nil)
		require.Equal(t, http.StatusSeeOther, res.status, res.body)
		require.Equal(t, fmt.Sprintf("/tasks/%d?done=retried", failed), res.header.Get("Location"))
		rec, err := d.Get(ctx, failed)
		require.NoError(t, err)
		require.Equal(t, driver.StatePending, rec.State)
		require.Contains(t, get(t, srv, res.header.Get("Location")).body, "moved back to pending")

		// Retrying a pending task is a conflict, shown as such.
		res = post(t, srv, fmt.Sprintf("/tasks/%d/retry", failed), form, nil)
		require.Equal(t, http.StatusConflict, res.status)

		res = post(t, srv, fmt.Sprintf("/tasks/%d/cancel", pending), form, nil)
		require.Equal(t, http.StatusSeeOther, res.status, res.body)
		rec, err = d.Get(ctx, pending)
		require.NoError(t, err)
		require.Equal(t, driver.StateCancelled, rec.State)

		res = post(t, srv, "/queues/pause", url.Values{"csrf": {tok}, "queue": {"q"}}, nil)
		require.Equal(t, http.StatusSeeOther, res.status, res.body)
		paused, err := d.PausedQueues(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"q"}, paused)
		res = post(t, srv, "/queues/resume", url.Values{"csrf": {tok}, "queue": {"q"}}, nil)
		require.Equal(t, http.StatusSeeOther, res.status, res.body)
		paused, err = d.PausedQueues(ctx)
		require.NoError(t, err)
		require.Empty(t, paused)

		// Queues and tasks that the dashboard does not show cannot be acted on.
		res = post(t, srv, "/queues/pause", url.Values{"csrf": {tok}, "queue": {"other"}}, nil)
		require.Equal(t, http.StatusNotFound, res.status)
		other := create(t, d, driver.NewTask{Queue: "other", MaxAttempts: 1})[0]
		res = post(t, srv, fmt.Sprintf("/tasks/%d/cancel", other), form, nil)
		require.Equal(t, http.StatusNotFound, res.status)
		require.Equal(t, http.StatusNotFound, get(t, srv, fmt.Sprintf("/tasks/%d", other)).status)
		rec, err = d.Get(ctx, other)
		require.NoError(t, err)
		require.Equal(t, driver.StatePending, rec.State)
	})
}

func TestCSRFRefusal(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, d store) {
		ctx := context.Background()
		id := create(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1})[0]
		srv, _ := serve(t, d, &dashboard.Options{Queues: []string{"q"}})
		tok := token(t, get(t, srv, "/").body)
		path := fmt.Sprintf("/tasks/%d/cancel", id)
		cases := []struct {
			name  string
			form  url.Values
			extra map[string]string
		}{
			{"no token", url.Values{}, nil},
			{"wrong token", url.Values{"csrf": {"x" + tok[1:]}}, nil},
			{"cross-site fetch", url.Values{"csrf": {tok}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
			{"same-site fetch", url.Values{"csrf": {tok}}, map[string]string{"Sec-Fetch-Site": "same-site"}},
			{"foreign origin", url.Values{"csrf": {tok}}, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}},
		}
		for _, c := range cases {
			res := post(t, srv, path, c.form, c.extra)
			require.Equal(t, http.StatusForbidden, res.status, c.name)
			rec, err := d.Get(ctx, id)
			require.NoError(t, err)
			require.Equal(t, driver.StatePending, rec.State, c.name)
		}
		res := post(t, srv, "/queues/pause", url.Values{"queue": {"q"}}, nil)
		require.Equal(t, http.StatusForbidden, res.status)
		paused, err := d.PausedQueues(ctx)
		require.NoError(t, err)
		require.Empty(t, paused)

		// The right token from the right origin acts.
		res = post(t, srv, path, url.Values{"csrf": {tok}}, nil)
		require.Equal(t, http.StatusSeeOther, res.status)
	})
}

func TestReadOnlyRefusesActions(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, d store) {
		ctx := context.Background()
		create(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1})
		failed := finish(t, d, "q", driver.Outcome{Kind: driver.Fail, Message: "boom"})
		srv, _ := serve(t, d, &dashboard.Options{Queues: []string{"q"}, ReadOnly: true})
		page := get(t, srv, fmt.Sprintf("/tasks/%d", failed)).body
		require.NotContains(t, page, "<form method=\"post\"")
		require.Contains(t, page, "read-only")
		require.NotContains(t, get(t, srv, "/").body, "<form method=\"post\"")
		// The page offers no form, so no token; a POST is refused as
		// read-only before its token is even looked at.
		res := post(t, srv, fmt.Sprintf("/tasks/%d/retry", failed), url.Values{"csrf": {"anything"}}, nil)
		require.Equal(t, http.StatusForbidden, res.status)
		require.Contains(t, res.body, "read-only")
		res = post(t, srv, "/queues/pause", url.Values{"queue": {"q"}}, nil)
		require.Equal(t, http.StatusForbidden, res.status)
		rec, err := d.Get(ctx, failed)
		require.NoError(t, err)
		require.Equal(t, driver.StateFailed, rec.State)
		paused, err := d.PausedQueues(ctx)
		require.NoError(t, err)
		require.Empty(t, paused)
	})
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, d store) {
		srv, _ := serve(t, d, &dashboard.Options{Queues: []string{"q"}, BasicAuth: &dashboard.BasicAuth{User: "ops", Password: "s3cret"}})
		for _, c := range []struct {
			name       string
			user, pass string
			set        bool
			want       int
		}{
			{"none", "", "", false, http.StatusUnauthorized},
			{"wrong password", "ops", "nope", true, http.StatusUnauthorized},
			{"wrong user", "dev", "s3cret", true, http.StatusUnauthorized},
			{"right", "ops", "s3cret", true, http.StatusOK},
		} {
			for _, path := range []string{"/", "/tasks", "/static/style.css"} {
				req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
				require.NoError(t, err)
				if c.set {
					req.SetBasicAuth(c.user, c.pass)
				}
				res := do(t, srv.Client(), req)
				require.Equal(t, c.want, res.status, "%s %s", c.name, path)
				if c.want == http.StatusUnauthorized {
					require.Contains(t, res.header.Get("WWW-Authenticate"), "Basic")
				}
			}
		}
		// A POST without the password is refused before anything else.
		res := post(t, srv, "/queues/pause", url.Values{"queue": {"q"}}, nil)
		require.Equal(t, http.StatusUnauthorized, res.status)
	})
}

func TestTaskListFiltersAndPages(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, d store) {
		var all []driver.NewTask
		for i := range 5 {
			all = append(all, driver.NewTask{Queue: "q", Payload: fmt.Appendf(nil, "task-%d", i), MaxAttempts: 1})
		}
		ids := create(t, d, all...)
		finish(t, d, "q", driver.Outcome{Kind: driver.Complete})
		srv, _ := serve(t, d, &dashboard.Options{Queues: []string{"q", "r"}, PageSize: 2})

		var seen []int64
		path := "/tasks?queue=q"
		for pages := 0; path != ""; pages++ {
			require.Less(t, pages, 4)
			res := get(t, srv, path)
			require.Equal(t, http.StatusOK, res.status)
			seen = append(seen, rowIDs(res.body)...)
			path = ""
			if i := strings.Index(res.body, `<a id="next" href="`); i >= 0 {
				rest := res.body[i+len(`<a id="next" href="`):]
				path = strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
			}
		}
		require.Equal(t, ids, seen)

		res := get(t, srv, "/tasks?queue=q&state=completed")
		require.Equal(t, []int64{ids[0]}, rowIDs(res.body))
		res = get(t, srv, "/tasks?queue=q&state=pending")
		require.Equal(t, ids[1:3], rowIDs(res.body))
		require.Empty(t, rowIDs(get(t, srv, "/tasks?queue=r").body))

		require.Equal(t, http.StatusBadRequest, get(t, srv, "/tasks?queue=q&state=bogus").status)
		require.Equal(t, http.StatusBadRequest, get(t, srv, "/tasks?queue=q&after=-1").status)
		require.Equal(t, http.StatusBadRequest, get(t, srv, "/tasks/abc").status)
		require.Equal(t, http.StatusNotFound, get(t, srv, "/tasks/999999").status)
	})
}

// rowIDs returns the task IDs of a task list page's rows, in order.
func rowIDs(body string) []int64 {
	var ids []int64
	for _, part := range strings.Split(body, `<tr data-id="`)[1:] {
		var id int64
		_, _ = fmt.Sscanf(part, "%d", &id)
		ids = append(ids, id)
	}
	return ids
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	defer d.Close()
	h, err := dashboard.New(context.Background(), d, &dashboard.Options{Queues: []string{"q"}, Prefix: "/ops/gosk"})
	require.NoError(t, err)
	defer h.Close()
	mux := http.NewServeMux()
	mux.Handle("/ops/gosk/", h)
	mux.Handle("/ops/gosk", h)
	srv := newServer(t, mux)
	res := get(t, srv, "/ops/gosk/")
	require.Equal(t, http.StatusOK, res.status)
	require.Contains(t, res.body, `href="/ops/gosk/static/style.css"`)
	require.Contains(t, res.body, `action="/ops/gosk/queues/pause"`)
	require.Equal(t, http.StatusOK, get(t, srv, "/ops/gosk/static/style.css").status)
	require.Equal(t, http.StatusOK, get(t, srv, "/ops/gosk").status, "redirected to the slash")
}

func TestOptionsAreChecked(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	defer d.Close()
	ctx := context.Background()
	for _, c := range []struct {
		opts  *dashboard.Options
		field string
	}{
		{&dashboard.Options{Queues: []string{"a b"}}, "Queues"},
		{&dashboard.Options{Queues: []string{"a", "a"}}, "Queues"},
		{&dashboard.Options{Queues: []string{"a"}, BasicAuth: &dashboard.BasicAuth{User: "u"}}, "BasicAuth"},
		{&dashboard.Options{Queues: []string{"a"}, BasicAuth: &dashboard.BasicAuth{User: "u:v", Password: "p"}}, "BasicAuth"},
		{&dashboard.Options{Queues: []string{"a"}, Prefix: "ops"}, "Prefix"},
		{&dashboard.Options{Queues: []string{"a"}, Prefix: "/ops/"}, "Prefix"},
		{&dashboard.Options{Queues: []string{"a"}, Prefix: "/o\"ps"}, "Prefix"},
		{&dashboard.Options{Queues: []string{"a"}, SampleInterval: time.Millisecond}, "SampleInterval"},
		{&dashboard.Options{Queues: []string{"a"}, Samples: 1}, "Samples"},
		{&dashboard.Options{Queues: []string{"a"}, PageSize: -1}, "PageSize"},
		{&dashboard.Options{Queues: []string{"a"}, PageSize: dashboard.MaxPageSize + 1}, "PageSize"},
	} {
		_, err := dashboard.New(ctx, d, c.opts)
		require.ErrorIs(t, err, driver.ErrInvalid)
		require.ErrorContains(t, err, "Options."+c.field)
	}
	_, err := dashboard.New(ctx, nil, &dashboard.Options{Queues: []string{"a"}})
	require.ErrorIs(t, err, driver.ErrInvalid)

	// A closed store is reported by New, which then starts nothing.
	closed := memory.New(nil)
	require.NoError(t, closed.Close())
	_, err = dashboard.New(ctx, closed, &dashboard.Options{Queues: []string{"a"}})
	require.ErrorIs(t, err, driver.ErrClosed)
}

func TestChartsFollowTheSamples(t *testing.T) {
	t.Parallel()
	d := memory.New(nil)
	defer d.Close()
	h, err := dashboard.New(context.Background(), d, &dashboard.Options{Queues: []string{"q"}, SampleInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	srv := newServer(t, h)
	require.Contains(t, get(t, srv, "/").body, "Not enough samples yet.")
	create(t, d, driver.NewTask{Queue: "q", MaxAttempts: 1}, driver.NewTask{Queue: "q", MaxAttempts: 1})
	finish(t, d, "q", driver.Outcome{Kind: driver.Complete})
	require.Eventually(t, func() bool {
		body := get(t, srv, "/").body
		return strings.Count(body, "<polyline") == 3 && strings.Contains(body, "completed per sample — last") &&
			strings.Contains(body, "max 1,")
	}, 10*time.Second, 50*time.Millisecond)
	require.NoError(t, h.Close())
	require.NoError(t, h.Close(), "Close twice")
	require.Equal(t, http.StatusOK, get(t, srv, "/").status, "pages are served after Close")
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
