package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// OpenFiles returns what each of the process's open file descriptors
// refers to (a path, or a name such as "socket:[123]"), by descriptor,
// read from /proc/self/fd. Where /proc is missing (not Linux) the test
// skips; with GOSK_TEST_REQUIRE_SERVICES=1 it fails.
func OpenFiles(t testing.TB) map[int]string {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		Absent(t, fmt.Sprintf("the open files cannot be listed (this test needs Linux's /proc): %v", err))
	}
	files := make(map[int]string, len(entries))
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// The descriptor ReadDir itself used is gone by now: skip what
		// no longer resolves.
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue
		}
		files[fd] = target
	}
	return files
}

// NewFiles returns the files open now that were not open (by the same
// descriptor, on the same file) in before: what a test left open.
func NewFiles(t testing.TB, before map[int]string) []string {
	t.Helper()
	var opened []string
	for fd, target := range OpenFiles(t) {
		if before[fd] != target {
			opened = append(opened, strconv.Itoa(fd)+" -> "+target)
		}
	}
	return opened
}

// FilesUnder returns the open files whose path lies under dir.
func FilesUnder(t testing.TB, dir string) []string {
	t.Helper()
	var under []string
	for _, target := range OpenFiles(t) {
		if strings.HasPrefix(target, dir+string(filepath.Separator)) {
			under = append(under, target)
		}
	}
	return under
}
