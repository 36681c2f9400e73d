package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
)

// TestHelp: every command answers --help on stdout with exit code 0,
// naming itself and its flags; help and no command list every command.
func TestHelp(t *testing.T) {
	for _, c := range commands {
		for _, flag := range []string{"--help", "-h"} {
			r := runGosk(t, "", c.name, flag)
			assert.Equal(t, exitOK, r.code, "%s %s", c.name, flag)
			assert.Empty(t, r.stderr)
			assert.True(t, strings.HasPrefix(r.stdout, "usage: gosk "+c.name+" [flags]"), "%s %s: %q", c.name, flag, r.stdout)
			if !c.ownStores {
				assert.Contains(t, r.stdout, "-url URL")
			}
		}
		r := runGosk(t, "", "help", c.name)
		assert.Equal(t, exitOK, r.code)
		assert.True(t, strings.HasPrefix(r.stdout, "usage: gosk "+c.name), "help %s", c.name)
	}
	r := runGosk(t, "", "help")
	assert.Equal(t, exitOK, r.code)
	for _, c := range commands {
		assert.Contains(t, r.stdout, "\n  "+c.name+" ", "help lists %s", c.name)
	}
	r = runGosk(t, "")
	assert.Equal(t, exitUsage, r.code, "no command")
	assert.Contains(t, r.stderr, "commands:")
}

// TestUsageErrors: mistakes on the command line exit with code 2 and say
// what is wrong on stderr, before any store is touched.
func TestUsageErrors(t *testing.T) {
	t.Setenv(urlEnv, "")
	dir := t.TempDir()
	file := "sqlite://" + filepath.Join(dir, "x.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"queues"}, "no store: give --url or set GOSK_URL"},
		{[]string{"queues", "--url", "mysql://x"}, `unknown scheme "mysql"`},
		{[]string{"queues", "--url", "memory:"}, "memory: is a store of this process only"},
		{[]string{"queues", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"list", "--url", file, "--limit", "0", "--queue", "q"}, "--limit 0"},
		{[]string{"pause", "--url", file}, "pause takes one or more queue names"},
		{[]string{"retry", "--url", file, "1", "1"}, "task 1 is named twice"},
		{[]string{"bench", "--url", "memory:", "-n", "0"}, "-n 0"},
	} {
		r := runGosk(t, "", tc.args...)
		assert.Equal(t, exitUsage, r.code, "%q: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want, "%q", tc.args)
		assert.Empty(t, r.stdout, "%q", tc.args)
	}
	_, err := os.Stat(filepath.Join(dir, "x.db"))
	assert.NoError(t, err, "a valid URL was opened (and migrated) before the arguments were judged")
}

// TestURLFromEnvironment: GOSK_URL names the store when --url is absent.
func TestURLFromEnvironment(t *testing.T) {
	t.Setenv(urlEnv, "sqlite://"+filepath.Join(t.TempDir(), "env.db"))
	assert.Equal(t, "", ok(t, "", "queues"))
}

// TestPasswordNeverPrinted: a store that refuses, or a URL that does not
// parse, never shows the URL's password.
func TestPasswordNeverPrinted(t *testing.T) {
	const secret = "hunter2-secret"
	for _, u := range []string{
		"postgres://gosk:" + secret + "@127.0.0.1:1/db?connect_timeout=1",
		"redis://:" + secret + "@127.0.0.1:1/0?dial_timeout=1s",
		"postgres://gosk:" + secret + "@127.0.0.1:1/db?sslmode=bogus",
		"postgres://gosk:" + secret + "@127.0.0.1:1/db?schema=1bad",
		"redis://:" + secret + "@127.0.0.1:1/0?prefix=" + secret + "%20",
		"postgres://gosk:hunter2%2Fsecret@[::1/db",
	} {
		r := runGosk(t, "", "queues", "--url", u)
		assert.NotEqual(t, exitOK, r.code, u)
		assert.NotEmpty(t, r.stderr, u)
		assert.NotContains(t, r.stderr+r.stdout, "hunter2", "the password of %s", u)
	}
}

// TestBinary builds gosk with go build and runs it, as a user would after
// go install.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gosk")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	store := "sqlite://" + filepath.Join(t.TempDir(), "bin.db")
	cmd := exec.Command(bin, "migrate", "--url", store)
	out, err = cmd.Output()
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("sqlite schema version %d: up to date\n", gosksqlite.LatestVersion()), string(out))

	cmd = exec.Command(bin, "bench", "-n", "50")
	cmd.Env = append(os.Environ(), urlEnv+"="+store)
	out, err = cmd.Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "processed 50 tasks")

	for args, code := range map[string]int{"show 12345": exitNotFound, "nosuch": exitUsage} {
		cmd = exec.Command(bin, append(strings.Fields(args), "--url", store)...)
		var exit *exec.ExitError
		err = cmd.Run()
		require.ErrorAs(t, err, &exit, args)
		assert.Equal(t, code, exit.ExitCode(), args)
	}
}
