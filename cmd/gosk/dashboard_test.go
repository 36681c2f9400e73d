package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a strings.Builder safe for the command's goroutine and
// the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDashboardServesUntilInterrupted: the dashboard command serves the
// store's queues on the address it prints, and an interrupt (the
// context's end) stops it with exit code 0.
func TestDashboardServesUntilInterrupted(t *testing.T) {
	u := "sqlite://" + filepath.Join(t.TempDir(), "tasks.db")
	seed(t, u)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"dashboard", "--url", u, "--addr", "127.0.0.1:0", "--read-only"}, &out, &errOut)
	}()
	addr := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+/)`)
	require.Eventually(t, func() bool { return addr.MatchString(out.String()) }, 30*time.Second, 10*time.Millisecond,
		"the command never said where it listens; stderr %q", errOut.String())
	page := addr.FindStringSubmatch(out.String())[1]

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
