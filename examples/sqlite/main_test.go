package main

import (
	"path/filepath"
	"testing"
)

// The example checks its own outcome (a rolled-back order leaves no task,
// each receipt is sent once) and returns an error when it does not hold.
func TestExample(t *testing.T) {
	if err := run(60, filepath.Join(t.TempDir(), "shop.db")); err != nil {
		t.Fatal(err)
	}
}
