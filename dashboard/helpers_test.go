package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/dashboard"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
)

// store is a driver with Admin, as the dashboard needs.
type store interface {
	driver.Driver
	driver.Admin
}

// stores are the real stores the unit tests run on.
var stores = []struct {
	name string
	open func(t *testing.T) store
}{
	{"memory", func(t *testing.T) store {
		d := memory.New(nil)
		t.Cleanup(func() { _ = d.Close() })
		return d
	}},
	{"sqlite", openSQLite},
}

func openSQLite(t *testing.T) store {
	d, err := gosksqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tasks.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// eachStore runs f once per store, in parallel subtests.
func eachStore(t *testing.T, f func(t *testing.T, d store)) {
	t.Helper()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			f(t, s.open(t))
		})
	}
}

// serve starts a dashboard over d on a test server, both closed at the
// end of the test.
func serve(t *testing.T, d store, opts *dashboard.Options) (*httptest.Server, *dashboard.Handler) {
	t.Helper()
	h, err := dashboard.New(context.Background(), d, opts)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, h.Close())
	})
	return srv, h
}

func create(t *testing.T, d store, tasks ...driver.NewTask) []int64 {
	t.Helper()
	res, err := d.Create(context.Background(), tasks)
	require.NoError(t, err)
	ids := make([]int64, len(res))
	for i, r := range res {
		require.NoError(t, r.Err)
		ids[i] = r.ID
	}
	return ids
}

// finish claims the one available task of queue and ends its run with o
// (whose lease is filled in), returning its ID.
func finish(t *testing.T, d store, queue string, o driver.Outcome) int64 {
	t.Helper()
	ctx := context.Background()
	got, err := d.Claim(ctx, driver.ClaimParams{Queue: queue, Rule: driver.Fifo, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, got, 1)
	o.Lease = got[0].Lease
	errs, err := d.Finish(ctx, []driver.Outcome{o})
	require.NoError(t, err)
	require.NoError(t, errs[0])
	return got[0].Task.ID
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{res.StatusCode, res.Header, string(b)}
}

func get(t *testing.T, srv *httptest.Server, path string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	require.NoError(t, err)
	return do(t, srv.Client(), req)
}

// noRedirect is a client that shows redirects rather than following them.
func noRedirect(srv *httptest.Server) *http.Client {
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// post sends a form as a same-origin browser would (Sec-Fetch-Site and
// Origin set), with extra headers applied last.
func post(t *testing.T, srv *httptest.Server, path string, form url.Values, extra map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range extra {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return do(t, noRedirect(srv), req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token reads the CSRF token from a page's form.
func token(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	require.NotNil(t, m, "no CSRF field on the page")
	return m[1]
}
