package main

import (
	"path/filepath"
	"testing"
)

// The example runs to its end: every sign-up's welcome sent, the file
// reopened and purged; it returns an error on the way if any step fails.
func TestExample(t *testing.T) {
	if err := run(60, filepath.Join(t.TempDir(), "app.db")); err != nil {
		t.Fatal(err)
	}
}
