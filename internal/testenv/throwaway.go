package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a throwaway server of a test's own, on a free loopback port
// and in a temporary directory, that the test may crash and start again
// (never the shared servers, which other tests and programs use). It is
// stopped and its directory removed when the test ends.
type Server struct {
	// URL is the server's address, for the driver's Open.
	URL string
	// Port is its loopback port, the same across restarts.
	Port int

	t     testing.TB
	mu    sync.Mutex
	start func() error
	crash func() error
}

// Start starts the server (again, after Crash) and waits until it
// answers.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.start(); err != nil {
		s.t.Fatalf("starting the throwaway server again: %v", err)
	}
}

// Crash stops the server at once, as a crash would: PostgreSQL by
// `pg_ctl stop -m immediate` (no checkpoint, recovery at the next start),
// Redis by SIGKILL.
func (s *Server) Crash() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.crash(); err != nil {
		s.t.Fatalf("crashing the throwaway server: %v", err)
	}
}

// missing skips the test (fails it when Required) for want of a binary.
func missing(t testing.TB, what, install string, err error) {
	t.Helper()
	Absent(t, fmt.Sprintf("this test starts a throwaway %s and needs its binaries (%v); install %s (.ci/services does)", what, err, install))
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// postgresLib is where Debian installs PostgreSQL's versions, each in a
// directory of its own, off PATH. A variable, so that a test can hide
// the installed server.
var postgresLib = "/usr/lib/postgresql"

// postgresBin finds initdb and pg_ctl: in the newest postgresLib/*/bin,
// else on PATH.
func postgresBin() (initdb, pgctl string, err error) {
	dirs, _ := filepath.Glob(filepath.Join(postgresLib, "*", "bin"))
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")
		if _, err1 := os.Stat(i); err1 == nil {
			if _, err2 := os.Stat(p); err2 == nil {
				return i, p, nil
			}
		}
	}
	i, err1 := exec.LookPath("initdb")
	p, err2 := exec.LookPath("pg_ctl")
	if err := errors.Join(err1, err2); err != nil {
		return "", "", err
	}
	return i, p, nil
}

// StartPostgres starts a throwaway PostgreSQL server (see NewPostgres)
// and returns it once it answers.
func StartPostgres(t testing.TB) *Server {
	t.Helper()
	s := NewPostgres(t)
	s.Start()
	return s
}

// NewPostgres prepares a throwaway PostgreSQL server (initdb into a
// temporary directory; trust authentication, database "postgres", a free
// loopback port) without starting it: Start starts it with pg_ctl. Run as
// root, the server runs as the user postgres, as PostgreSQL requires.
// Without the server binaries the test skips (fails when Required).
func NewPostgres(t testing.TB) *Server {
	t.Helper()
	initdb, pgctl, err := postgresBin()
	if err != nil {
		missing(t, "PostgreSQL", "the PostgreSQL server package (Debian: postgresql)", err)
	}
	dir, err := os.MkdirTemp("", "gosk-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	// asUser runs a command as the user postgres when the test runs as
	// root, since PostgreSQL refuses to run as root.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			missing(t, "PostgreSQL", "the PostgreSQL server package, which makes the user postgres", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %v: %w\n%s", filepath.Base(name), args, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run(initdb, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		URL:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		Port: port,
		t:    t,
	}
	s.start = func() error {
		err := run(pgctl, "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o",
			fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=50", port, dir), "start")
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return fmt.Errorf("%w\nserver log:\n%s", err, log)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for {
			err := probePostgres(ctx, s.URL)
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	s.crash = func() error { return run(pgctl, "-D", data, "-m", "immediate", "-w", "stop") }
	t.Cleanup(func() { _ = run(pgctl, "-D", data, "-m", "immediate", "-w", "stop") })
	return s
}

// StartRedis starts a throwaway redis-server (see NewRedis) and returns
// it once it answers.
func StartRedis(t testing.TB) *Server {
	t.Helper()
	s := NewRedis(t)
	s.Start()
	return s
}

// NewRedis prepares a throwaway redis-server on a free loopback port,
// without starting it (Start does), with the append-only file on and
// fsynced at every write (appendonly yes, appendfsync always) in a
// temporary directory, so that every acknowledged write survives a
// SIGKILL. Without redis-server the test skips (fails when Required).
func NewRedis(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		missing(t, "Redis", "redis-server (Debian: redis-server)", err)
	}
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		URL:  fmt.Sprintf("redis://127.0.0.1:%d/0", port),
		Port: port,
		t:    t,
	}
	var cmd *exec.Cmd
	var done chan struct{}
	stop := func() error {
		if cmd == nil {
			return nil
		}
		err := cmd.Process.Kill()
		<-done
		cmd = nil
		return err
	}
	s.start = func() error {
		c := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
			"--logfile", filepath.Join(dir, "log"))
		if err := c.Start(); err != nil {
			return err
		}
		ch := make(chan struct{})
		go func() { _ = c.Wait(); close(ch) }()
		cmd, done = c, ch
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for {
			err := probeRedis(ctx, fmt.Sprintf("127.0.0.1:%d", port))
			if err == nil {
				return nil
			}
			select {
			case <-ch:
				log, _ := os.ReadFile(filepath.Join(dir, "log"))
				return fmt.Errorf("redis-server exited: %w\n%s", err, log)
			default:
			}
			if ctx.Err() != nil {
				_ = stop()
				return err
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	s.crash = stop
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		_ = stop()
	})
	return s
}
