package dashboard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/dashboard"
	"github.com/gosk/gosk/driver"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/internal/testenv"
	"github.com/gosk/gosk/worker"
)

// The environment variables the browser test reads.
const (
	// chromiumVar names the browser to drive; default /usr/bin/chromium
	// (Debian's package, which .ci/browser installs), else chromium or
	// chromium-browser on the PATH.
	chromiumVar = "GOSK_CHROMIUM"
	// screenshotVar, if set, is where the test saves a PNG of the
	// queues page (docs/dashboard.png is made this way).
	screenshotVar = "GOSK_DASHBOARD_SCREENSHOT"
)

// injection is stored as a payload, a unique key and a last error: each
// would set window.pwned if the page let it run.
const injection = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">`

// findChromium returns the browser's path, or ends the test (a failure
// under GOSK_TEST_REQUIRE_SERVICES=1, as in CI) if there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(chromiumVar); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Absent(t, "no Chromium at /usr/bin/chromium or on the PATH; install it (apt-get install -y chromium, as .ci/browser does) or set "+chromiumVar)
	return ""
}

// browser starts a headless Chromium with a fresh profile and no network
// beyond what the test serves, and returns a context to drive it with; it
// is closed at the end of the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := findChromium(t)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx)
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser now, so that a broken install fails here with
	// its own error.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")), "start %s", path)
	return ctx
}

// polling is the SQLite driver, counting the claims of one queue that have
// returned, so that the test can wait for the worker to have looked for
// tasks rather than sleep.
type polling struct {
	*gosksqlite.Driver
	queue  string
	claims atomic.Int64
}

func (p *polling) Claim(ctx context.Context, cp driver.ClaimParams) ([]driver.ClaimedTask, error) {
	got, err := p.Driver.Claim(ctx, cp)
	if cp.Queue == p.queue {
		p.claims.Add(1)
	}
	return got, err
}

// click clicks sel, which submits a form, and waits for the page that
// answers it to load.
func click(ctx context.Context, sel chromedp.CSS) error {
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(sel)))
	return err
}

func text(t *testing.T, ctx context.Context, sel chromedp.CSS) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err, "text of %s", sel)
	return strings.TrimSpace(s)
}

// pwned reports what window.pwned is on the page: "undefined" unless an
// injection ran.
func pwned(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof window.pwned`))
	require.NoError(t, err)
	return s
}

func TestBrowser(t *testing.T) {
	bctx := browser(t)
	ctx := context.Background()

	sq, err := gosksqlite.Open(ctx, filepath.Join(t.TempDir(), "tasks.db"), nil)
	require.NoError(t, err)
	defer sq.Close()
	drv := &polling{Driver: sq, queue: "emails"}
	emails, err := gosk.NewQueue[string](drv, "emails", nil)
	require.NoError(t, err)

	// A worker on "emails" fails the tasks whose payload is "fail", with
	// an error text that tries an injection, and completes the others.
	w, err := worker.New(emails, func(_ context.Context, task *gosk.Task[string]) error {
		if task.Payload == "fail" {
			return errors.New(injection)
		}
		return nil
	}, &worker.Config{PollInterval: 20 * time.Millisecond, Retention: worker.NoRetention})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { require.NoError(t, w.Run(runCtx)) })
	defer func() { stop(); wg.Wait() }()

	h, err := dashboard.New(ctx, drv, &dashboard.Options{Queues: []string{"emails", "reports"}, SampleInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()

	// Some tasks complete, one fails; "reports" has no worker and holds
	// the injection attempts.
	for _, p := range []string{"a", "b", "c", "fail"} {
		_, err := emails.Create(ctx, p, &gosk.CreateOptions{MaxAttempts: 1})
		require.NoError(t, err)
	}
	res, err := drv.Create(ctx, []driver.NewTask{
		{Queue: "reports", Payload: []byte(injection), UniqueKey: injection, MaxAttempts: 1},
		{Queue: "reports", Payload: []byte("plain"), MaxAttempts: 1},
	})
	require.NoError(t, err)
	hostile := res[0].ID
	require.Eventually(t, func() bool {
		n, err := drv.Count(ctx, "emails")
		require.NoError(t, err)
		return n[driver.StateCompleted] == 3 && n[driver.StateFailed] == 1
	}, 20*time.Second, 10*time.Millisecond)
	failed, err := emails.List(ctx, &gosk.ListOptions{States: []gosk.State{gosk.StateFailed}})
	require.NoError(t, err)
	require.Len(t, failed, 1)

	// The queues page shows the store's counts.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("queues"))))
	countsMatch(t, bctx, drv, "emails")
	countsMatch(t, bctx, drv, "reports")
	require.Equal(t, "active", text(t, bctx, `#q-emails td.status`))

	// Pause "emails": its row says so, and the worker stops taking its
	// tasks: a new task stays pending while the worker polls again and
	// again.
	require.NoError(t, click(bctx, `#q-emails button.pause`))
	require.Contains(t, text(t, bctx, `#notice`), "paused")
	require.Equal(t, "paused", text(t, bctx, `#q-emails td.status`))
	waiting, err := emails.Create(ctx, "after the pause", &gosk.CreateOptions{MaxAttempts: 1})
	require.NoError(t, err)
	polls := drv.claims.Load()
	require.Eventually(t, func() bool { return drv.claims.Load() >= polls+3 }, 20*time.Second, 5*time.Millisecond,
		"the worker goes on polling")
	rec, err := drv.Get(ctx, waiting)
	require.NoError(t, err)
	require.Equal(t, driver.StatePending, rec.State, "a paused queue's task is not taken")

	// Retry the failed task from its page: it becomes pending (and,
	// the queue being paused, stays so).
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(fmt.Sprintf("%s/tasks/%d", srv.URL, failed[0].ID))))
	require.Equal(t, "failed", text(t, bctx, `#state`))
	require.Equal(t, injection, text(t, bctx, `#lasterror`), "the error text is shown as text")
	require.Equal(t, "undefined", pwned(t, bctx))
	require.NoError(t, click(bctx, `#retry`))
	require.Contains(t, text(t, bctx, `#notice`), "pending")
	require.Equal(t, "pending", text(t, bctx, `#state`))
	rec, err = drv.Get(ctx, failed[0].ID)
	require.NoError(t, err)
	require.Equal(t, driver.StatePending, rec.State)

	// The counts still match, with two pending tasks now.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/")))
	countsMatch(t, bctx, drv, "emails")
	require.Equal(t, "2", text(t, bctx, `#q-emails td[data-state="pending"]`))

	// The stored injection attempts show as text and run nothing, on the
	// task list and on the task's page.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/tasks?queue=reports")))
	require.Contains(t, text(t, bctx, chromedp.CSS(fmt.Sprintf(`tr[data-id="%d"]`, hostile))), "<script>window.pwned=1</script>")
	require.Equal(t, "undefined", pwned(t, bctx))
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(fmt.Sprintf("%s/tasks/%d", srv.URL, hostile))))
	require.Equal(t, injection, text(t, bctx, `#payload`))
	require.Equal(t, "undefined", pwned(t, bctx))

	// Resume: the worker takes the waiting tasks again.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/")))
	require.NoError(t, click(bctx, `#q-emails button.resume`))
	require.Equal(t, "active", text(t, bctx, `#q-emails td.status`))
	require.Eventually(t, func() bool {
		rec, err := drv.Get(ctx, waiting)
		require.NoError(t, err)
		return rec.State == driver.StateCompleted
	}, 20*time.Second, 10*time.Millisecond)

	if path := os.Getenv(screenshotVar); path != "" {
		screenshot(t, bctx, srv, drv, path)
	}
}

// countsMatch checks that the page's row of queue shows the store's
// counts, as the store has them now (the caller sees to it that they do
// not move).
func countsMatch(t *testing.T, bctx context.Context, d driver.Admin, queue string) {
	t.Helper()
	n, err := d.Count(bctx, queue) // the browser's context lasts the test too
	require.NoError(t, err)
	for _, s := range driver.States() {
		got := text(t, bctx, chromedp.CSS(fmt.Sprintf(`#q-%s td[data-state="%s"]`, queue, s)))
		require.Equal(t, strconv.FormatInt(n[s], 10), got, "queue %s, state %s", queue, s)
	}
}

// screenshot waits until the charts have a few samples, then saves the
// queues page as a PNG at path.
func screenshot(t *testing.T, bctx context.Context, srv *httptest.Server, d driver.Driver, path string) {
	t.Helper()
	ctx := bctx // the browser's context lasts the test too
	// Some traffic, so that the charts have something to show.
	emails, err := gosk.NewQueue[string](d, "emails", nil)
	require.NoError(t, err)
	for i := range 6 {
		for j := range i + 1 {
			_, err := emails.Create(ctx, fmt.Sprintf("mail %d.%d", i, j), &gosk.CreateOptions{MaxAttempts: 1})
			require.NoError(t, err)
		}
		polls := d.(*polling).claims.Load()
		require.Eventually(t, func() bool { return d.(*polling).claims.Load() >= polls+8 }, 20*time.Second, 5*time.Millisecond)
	}
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`svg.chart`))))
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("saved a screenshot of the dashboard to %s", path)
}
