package drivertest

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
)

// FuzzBoundary is the body of a driver's fuzz target for its boundary:
// queue names, unique keys, payloads and outcome messages of arbitrary
// bytes and sizes, and delays of any length, go through Create, Get,
// Claim, Finish (or Admin.Cancel, for a delayed task) and Get again on
// d, which the caller opens once (with f's TempDir and Cleanup) and which
// must have the Admin capability. For each input, the rule is:
//
//   - an input that the contract's checks (driver.ValidateQueueName,
//     driver.CheckText) refuse is refused with ErrInvalid and stores
//     nothing: the queue's counts stay as they were;
//   - any other input round-trips exactly: Get and Claim return the queue,
//     payload and unique key as given, and a Fail outcome stores the
//     message as given;
//   - a delayed task's run-at is not before its creation, and a task
//     delayed by an hour or more (up to the longest time.Duration) is not
//     claimable at once;
//   - after every input, the counts of the queue are exactly the tasks the
//     target has stored in it (every one of them failed or completed, as
//     each input ends its task: failed, completed or cancelled).
//
// The seed corpus (f.Add) holds quotes, %, *, braces, NUL bytes, newlines,
// invalid UTF-8 and lengths at and over the limits; the driver package's
// testdata/fuzz/<target> holds more.
func FuzzBoundary(f *testing.F, d driver.Driver) {
	admin, ok := d.(driver.Admin)
	if !ok {
		f.Fatal("drivertest.FuzzBoundary: the driver lacks driver.Admin, which the target needs to count what is stored")
	}
	seeds := []struct {
		queue, key, msg string
		payload         []byte
		delay           time.Duration
	}{
		{"q", "", "", nil, 0},
		{"q", "k", "", []byte("late"), math.MaxInt64},
		{"q", "k", "", []byte("late"), 250 * 365 * 24 * time.Hour},
		{"q", "", "", nil, time.Hour},
		{"q", "", "", nil, time.Nanosecond},
		{"q", "", "", nil, -1},
		{"q", "k", "boom", []byte(`{"a":1}`), 0},
		{"emails.send:v2/x-y_z", "user:42", "line one\nline two", []byte{0, 1, 2, 0xff}, 0},
		{"q'; DROP TABLE tasks; --", "k'\"`%*{}", "m%s%d", []byte("x"), 0},
		{"q{tag}", "{tag}*?[]", "", []byte{}, 0},
		{"q\x00", "k\x00", "m\x00", []byte{0}, 0},
		{"q", "\xff\xfe", "\xc3\x28", []byte("\xff"), 0},
		{"q", "k\r\n\t", "€ ∂ 𝄞", bytes.Repeat([]byte{0xaa}, 70000), 0},
		{"", "k", "", nil, 0},
		{strings.Repeat("q", driver.MaxQueueNameLen), strings.Repeat("k", driver.MaxUniqueKeyLen), strings.Repeat("m", driver.MaxMessageLen), nil, 0},
		{strings.Repeat("q", driver.MaxQueueNameLen+1), strings.Repeat("k", driver.MaxUniqueKeyLen+1), strings.Repeat("m", driver.MaxMessageLen+1), nil, 0},
		{"q q", "k", "", nil, 0},
		{"Q", "k", "", nil, 0},
	}
	for _, s := range seeds {
		f.Add(s.queue, s.key, s.msg, s.payload, int64(s.delay))
	}
	ctx := context.Background()
	// stored counts, per queue, the tasks this process has stored: the
	// fuzzing engine calls the body one input at a time in each process.
	stored := map[string]map[driver.State]int64{}
	f.Fuzz(func(t *testing.T, queue, key, msg string, payload []byte, delay int64) {
		validQueue := driver.ValidateQueueName(queue) == nil
		validKey := driver.CheckText(key, driver.MaxUniqueKeyLen) == nil
		validMsg := driver.CheckText(msg, driver.MaxMessageLen) == nil
		want := stored[queue]
		if want == nil {
			want = map[driver.State]int64{}
		}
		checkCounts := func(when string) {
			t.Helper()
			if !validQueue {
				return
			}
			got, err := admin.Count(ctx, queue)
			if err != nil {
				t.Fatalf("Count %q %s: %v", queue, when, err)
			}
			for _, st := range driver.States() {
				if got[st] != want[st] {
					t.Fatalf("rule: the store stays consistent: Count(%q) %s = %v, want %v", queue, when, got, want)
				}
			}
		}
		checkCounts("before Create")
		res, err := d.Create(ctx, []driver.NewTask{{Queue: queue, Payload: payload, MaxAttempts: 1, UniqueKey: key, Delay: time.Duration(delay)}})
		if !validQueue || !validKey || delay < 0 {
			if !errors.Is(err, driver.ErrInvalid) {
				t.Fatalf("rule: invalid input is refused with ErrInvalid: Create(queue %q, key %q, delay %v) = %v, %v", queue, key, time.Duration(delay), res, err)
			}
			checkCounts("after a refused Create")
			return
		}
		if err != nil || len(res) != 1 || res[0].Err != nil || res[0].ID <= 0 {
			t.Fatalf("rule: valid input is stored: Create(queue %q, key %q, %d-byte payload) = %+v, %v", queue, key, len(payload), res, err)
		}
		id := res[0].ID
		roundTrip := func(when string, rec driver.TaskRecord) {
			t.Helper()
			if rec.ID != id || rec.Queue != queue || rec.UniqueKey != key || !bytes.Equal(rec.Payload, payload) {
				t.Fatalf("rule: input round-trips exactly: %s: got ID %d queue %q key %q payload %q, want ID %d queue %q key %q payload %q",
					when, rec.ID, rec.Queue, rec.UniqueKey, rec.Payload, id, queue, key, payload)
			}
		}
		rec, err := d.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get(%d) after Create: %v", id, err)
		}
		roundTrip("Get after Create", rec)
		want[driver.StatePending]++
		stored[queue] = want
		checkCounts("after Create")
		if rec.RunAt.Before(rec.CreatedAt) {
			t.Fatalf("rule: run-at is creation plus the delay: delay %v gave run-at %v, before creation at %v", time.Duration(delay), rec.RunAt, rec.CreatedAt)
		}
		if delay > 0 {
			if time.Duration(delay) >= time.Hour {
				claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: queue, Limit: 1, Rule: driver.Fifo, Lease: time.Minute})
				if err != nil || len(claimed) != 0 {
					t.Fatalf("rule: a delayed task is not claimable before its run-at: delay %v, run-at %v: Claim = %d tasks, %v", time.Duration(delay), rec.RunAt, len(claimed), err)
				}
			}
			errs, err := admin.Cancel(ctx, []int64{id})
			if err != nil || len(errs) != 1 || errs[0] != nil {
				t.Fatalf("Cancel(%d) = %v, %v", id, errs, err)
			}
			want[driver.StatePending]--
			want[driver.StateCancelled]++
			checkCounts("after Cancel")
			return
		}

		claimed, err := d.Claim(ctx, driver.ClaimParams{Queue: queue, Limit: 1, Rule: driver.Fifo, Lease: time.Minute})
		if err != nil || len(claimed) != 1 {
			t.Fatalf("Claim(%q) = %d tasks, %v; want the one task just created", queue, len(claimed), err)
		}
		roundTrip("Claim", claimed[0].Task)
		want[driver.StatePending]--
		want[driver.StateRunning]++
		checkCounts("after Claim")

		kind, final, wantMsg := driver.Fail, driver.StateFailed, msg
		errs, err := d.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: kind, Message: msg}})
		if !validMsg {
			if !errors.Is(err, driver.ErrInvalid) {
				t.Fatalf("rule: invalid input is refused with ErrInvalid: Finish(message %q) = %v, %v", msg, errs, err)
			}
			checkCounts("after a refused Finish")
			kind, final, wantMsg = driver.Complete, driver.StateCompleted, ""
			errs, err = d.Finish(ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: kind}})
		}
		if err != nil || len(errs) != 1 || errs[0] != nil {
			t.Fatalf("Finish(%v) = %v, %v; want one nil error", kind, errs, err)
		}
		want[driver.StateRunning]--
		want[final]++
		checkCounts("after Finish")

		rec, err = d.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get(%d) after Finish: %v", id, err)
		}
		roundTrip("Get after Finish", rec)
		if rec.State != final || rec.LastError != wantMsg {
			t.Fatalf("rule: input round-trips exactly: after Finish(%v) the task is %s with last error %q, want %s with %q", kind, rec.State, rec.LastError, final, wantMsg)
		}
	})
}
