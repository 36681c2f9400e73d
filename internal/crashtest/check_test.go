package crashtest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
)

// TestCheckCatchesBrokenPromises feeds the check a store and records that
// break each promise once, and requires it to name every one: a check that
// sees nothing would pass every crash test.
func TestCheckCatchesBrokenPromises(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := Store{Kind: "sqlite", Addr: filepath.Join(t.TempDir(), "check.db")}
	d, err := s.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	payload := func(batch string) []byte {
		b, _ := json.Marshal(Job{Batch: batch, Behave: BehaveOK})
		return b
	}
	// Batch "whole" has 2 tasks, one left pending; batch "half" was tried
	// with 3 and has 2; batch "gone" was acknowledged but is absent.
	var tasks []driver.NewTask
	for _, b := range []string{"whole", "whole", "half", "half"} {
		tasks = append(tasks, driver.NewTask{Queue: Queue, Payload: payload(b), MaxAttempts: 3})
	}
	created, err := d.Create(ctx, tasks)
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: Queue, Limit: 3, Rule: driver.Fifo, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []driver.Outcome
	for _, c := range claimed {
		outcomes = append(outcomes, driver.Outcome{Lease: c.Lease, Kind: driver.Complete})
	}
	if _, err := d.Finish(ctx, outcomes); err != nil {
		t.Fatal(err)
	}
	book := newLogbook()
	id := func(i int) string { return fmt.Sprint(created[i].ID) }
	now := time.Now().UnixNano()
	for _, l := range []string{
		"try whole 2", "ack whole " + id(0) + " " + id(1),
		"try half 3",
		"try gone 1", "ack gone 999999",
		// The first task's attempt 1 runs twice in live processes.
		fmt.Sprintf("start %s 1 %d", id(0), now), fmt.Sprintf("end %s 1 %d ok", id(0), now+1),
	} {
		book.record(1, l)
	}
	book.record(2, fmt.Sprintf("start %s 1 %d", id(0), now+2))
	book.record(2, fmt.Sprintf("end %s 1 %d ok", id(0), now+3))
	book.record(3, fmt.Sprintf("start %s 1 %d", id(2), now+4)) // never ends, process 3 lives

	rep := &Report{Store: s.Kind}
	if err := rep.check(ctx, d, Config{Concurrency: 1}, book, map[int]bool{}); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(rep.Violations, "\n")
	for _, want := range []string{
		"is pending, not final",
		"2 of its 3 tasks are stored",
		"task 999999 was acknowledged",
		"attempt 1 ran twice",
		"were used with no handler run",
		"is completed but never ran",
		"tasks were created",
		"never ended, yet the process was not killed",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the check missed %q; it said:\n%s", want, all)
		}
	}
	if rep.Lost != 1 || rep.Stuck != 1 {
		t.Errorf("lost %d, stuck %d: want 1 and 1", rep.Lost, rep.Stuck)
	}
}
