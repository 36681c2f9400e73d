package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeurl"
)

// TestDashboardServesUntilInterrupted: the dashboard command serves the
// store's queues on the address it prints, those created while it runs
// included, and an interrupt (the context's end) stops it with exit
// code 0.
func TestDashboardServesUntilInterrupted(t *testing.T) {
	u := "sqlite://" + filepath.Join(t.TempDir(), "tasks.db")
	seed(t, u)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	page, exited, errOut := startDashboard(t, ctx, u)

	body := getPage(t, page)
	assert.Contains(t, body, "emails", "every queue of the store is shown by default")
	assert.Contains(t, body, "reports")
	assert.NotContains(t, body, `id="q-late"`)
	createIn(t, u, "late")
	assert.Contains(t, getPage(t, page), `id="q-late"`, "a queue created after the start is shown at the next load")

	cancel()
	select {
	case code := <-exited:
		assert.Equal(t, exitOK, code, "stderr %q", errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the dashboard did not stop after the interrupt")
	}
	if resp, err := http.Get(page); err == nil {
		_ = resp.Body.Close()
		t.Error("something still listens once the command has returned")
	}
}

// TestDashboardStartsOnAnEmptyStore: with no --queues, a store that holds
// no queue yet is served, and its first queue appears once created.
func TestDashboardStartsOnAnEmptyStore(t *testing.T) {
	u := "sqlite://" + filepath.Join(t.TempDir(), "tasks.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	page, exited, errOut := startDashboard(t, ctx, u)
	assert.Contains(t, getPage(t, page), `id="no-queue"`)
	createIn(t, u, "first")
	assert.Contains(t, getPage(t, page), `id="q-first"`)
	cancel()
	assert.Equal(t, exitOK, <-exited, "stderr %q", errOut.String())
}

// startDashboard runs the dashboard command on the store at u, read-only
// on a free loopback port, until ctx ends, and returns the page it
// serves, the channel its exit code comes on and its stderr.
func startDashboard(t *testing.T, ctx context.Context, u string) (string, <-chan int, *bytes.Buffer) {
	t.Helper()
	// The command prints where it listens once it does: the test reads
	// that line from a pipe, which the command's end closes, so a command
	// that fails before it listens ends the read too.
	out, stdout := io.Pipe()
	var errOut bytes.Buffer
	exited := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"dashboard", "--url", u, "--addr", "127.0.0.1:0", "--read-only"}, stdout, &errOut)
		_ = stdout.Close()
		exited <- code
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the command ended before it said where it listens (exit %d): stderr %q", <-exited, errOut.String())
	}
	m := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+/)`).FindStringSubmatch(line)
	require.NotNil(t, m, "the first line says where the dashboard listens: %q", line)
	// The reader is done with: the command's further output, if any,
	// must not block on the pipe.
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return m[1], exited, &errOut
}

// getPage returns the body of page, which must answer 200.
func getPage(t *testing.T, page string) string {
	t.Helper()
	resp, err := http.Get(page)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return string(body)
}

// createIn creates one task in queue of the store at u, through a driver
// of its own.
func createIn(t *testing.T, u, queue string) {
	t.Helper()
	s, err := storeurl.Open(context.Background(), u)
	require.NoError(t, err)
	defer s.Close()
	res, err := s.Driver.Create(context.Background(), []driver.NewTask{{Queue: queue, MaxAttempts: 1}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
}

// TestDashboardRefusesUserWithoutPassword: basic auth needs its password
// from the environment, never from a flag.
func TestDashboardRefusesUserWithoutPassword(t *testing.T) {
	t.Setenv(passwordEnv, "")
	u := "sqlite://" + filepath.Join(t.TempDir(), "tasks.db")
	r := runGosk(t, u, "dashboard", "--user", "ops", "--addr", "127.0.0.1:0")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, passwordEnv)
}
