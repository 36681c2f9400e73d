package main

import (
	"testing"

	"github.com/gosk/gosk/internal/testenv"
)

// The example works under a key prefix of its own, deletes it at the end,
// and returns an error when its checks do not hold.
func TestExample(t *testing.T) {
	url := testenv.URL(t, testenv.RedisVar)
	if err := run(url, 200); err != nil {
		t.Fatal(err)
	}
}
