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
)

// TestDashboardServesUntilInterrupted: the dashboard command serves the
// store's queues on the address it prints, and an interrupt (the
// context's end) stops it with exit code 0.
func TestDashboardServesUntilInterrupted(t *testing.T) {
	u := "sqlite://" + filepath.Join(t.TempDir(), "tasks.db")
	seed(t, u)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
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
	page := m[1]

	resp, err := http.Get(page)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "emails", "every queue of the store is shown by default")
	assert.Contains(t, string(body), "reports")

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

// TestDashboardRefusesUserWithoutPassword: basic auth needs its password
// from the environment, never from a flag.
func TestDashboardRefusesUserWithoutPassword(t *testing.T) {
	t.Setenv(passwordEnv, "")
	u := "sqlite://" + filepath.Join(t.TempDir(), "tasks.db")
	r := runGosk(t, u, "dashboard", "--user", "ops", "--addr", "127.0.0.1:0")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, passwordEnv)
}
