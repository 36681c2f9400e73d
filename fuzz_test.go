package gosk_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// fuzzPayload is a payload with a field of each kind JSON carries.
type fuzzPayload struct {
	S   string
	N   int64
	U   uint64
	F   float64
	B   bool
	Raw []byte
	M   map[string]string
	L   []string
	P   *int64
}

// jsonString is what encoding/json makes of s: each byte that is not part
// of valid UTF-8 becomes U+FFFD, as converting to runes does.
func jsonString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// FuzzJSONCodecRoundTrip checks that JSONCodec decodes what it encodes:
// decode(encode(x)) == x for every value, with invalid UTF-8 in strings
// replaced by U+FFFD as encoding/json documents, and that a value JSON
// cannot hold (NaN, an infinity) is an error, not a panic. The same value
// also goes through a Queue on the memory driver and comes back from Get.
func FuzzJSONCodecRoundTrip(f *testing.F) {
	f.Add("", int64(0), uint64(0), 0.0, false, []byte(nil))
	f.Add("héllo \"world\"\n<>&\u2028", int64(math.MinInt64), uint64(math.MaxUint64), math.MaxFloat64, true, []byte{0, 0xff})
	f.Add("\xff\xfe\xc3", int64(math.MaxInt64), uint64(1<<53+1), math.SmallestNonzeroFloat64, false, []byte("x"))
	f.Add("\x00\x7f\ud7ff", int64(-1), uint64(1), math.Copysign(0, -1), true, []byte{})
	f.Add("nan", int64(1), uint64(2), math.NaN(), false, []byte(nil))
	f.Add("inf", int64(1), uint64(2), math.Inf(-1), false, []byte(nil))
	codec := gosk.JSONCodec{}
	d := memory.New(nil)
	f.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[fuzzPayload](d, "codec", nil)
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, s string, n int64, u uint64, fl float64, b bool, raw []byte) {
		in := fuzzPayload{S: s, N: n, U: u, F: fl, B: b, Raw: raw, M: map[string]string{s: s, "k": s}, L: []string{s, "", s}, P: &n}
		data, err := codec.Marshal(in)
		if math.IsNaN(fl) || math.IsInf(fl, 0) {
			var unsupported *json.UnsupportedValueError
			if !errors.As(err, &unsupported) {
				t.Fatalf("Marshal of float %v = %q, %v; want an UnsupportedValueError", fl, data, err)
			}
			if _, err := q.Create(ctx, in, nil); err == nil {
				t.Fatalf("Queue.Create of float %v succeeded; want the codec's error", fl)
			}
			return
		}
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", in, err)
		}
		want := in
		want.S = jsonString(s)
		want.M = map[string]string{jsonString(s): jsonString(s), "k": jsonString(s)}
		want.L = []string{jsonString(s), "", jsonString(s)}
		if raw == nil {
			want.Raw = nil
		} else {
			want.Raw = append([]byte{}, raw...)
		}
		var out fuzzPayload
		if err := codec.Unmarshal(data, &out); err != nil {
			t.Fatalf("Unmarshal(Marshal(%+v)) = %v; data %q", in, err, data)
		}
		if !reflect.DeepEqual(normalise(out), normalise(want)) {
			t.Fatalf("decode(encode(x)) != x:\n got %+v\nwant %+v\ndata %q", out, want, data)
		}
		id, err := q.Create(ctx, in, nil)
		if err != nil {
			t.Fatalf("Queue.Create: %v", err)
		}
		task, err := q.Get(ctx, id)
		if err != nil {
			t.Fatalf("Queue.Get(%d): %v", id, err)
		}
		if !reflect.DeepEqual(normalise(task.Payload), normalise(want)) {
			t.Fatalf("a payload through a Queue does not round-trip:\n got %+v\nwant %+v", task.Payload, want)
		}
	})
}

// normalise makes an empty byte slice nil, as JSON's "" decodes to an
// empty slice and null to nil; the two mean the same payload.
func normalise(p fuzzPayload) fuzzPayload {
	if len(p.Raw) == 0 {
		p.Raw = nil
	}
	return p
}

// FuzzJSONCodecDecode feeds arbitrary bytes to JSONCodec.Unmarshal and to
// Queue.Decode: they never panic, an error says what failed (Decode names
// the task), and whatever decodes without error encodes and decodes again
// to the same value.
func FuzzJSONCodecDecode(f *testing.F) {
	for _, s := range []string{``, `null`, `{}`, `[]`, `{"S":"x","N":1,"F":1e308,"Raw":"AAE="}`, `{"N":1e400}`,
		`{"U":-1}`, `{"Raw":"!!"}`, `{"M":{"a":1}}`, `"\ud800"`, `[[[[[[[[[[`, "{\"S\":\"\xff\"}", `{"P":null}`, `1e999`, "\x00"} {
		f.Add([]byte(s))
	}
	codec := gosk.JSONCodec{}
	d := memory.New(nil)
	f.Cleanup(func() { _ = d.Close() })
	q, err := gosk.NewQueue[fuzzPayload](d, "decode", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p fuzzPayload
		if err := codec.Unmarshal(data, &p); err == nil {
			again, err := codec.Marshal(p)
			if err != nil {
				t.Fatalf("Marshal of a decoded value %+v: %v", p, err)
			}
			var p2 fuzzPayload
			if err := codec.Unmarshal(again, &p2); err != nil || !reflect.DeepEqual(normalise(p2), normalise(p)) {
				t.Fatalf("a decoded value does not round-trip: %+v, then %+v, %v", p, p2, err)
			}
		} else if err.Error() == "" {
			t.Fatal("Unmarshal returned an error with no text")
		}
		var v any
		_ = codec.Unmarshal(data, &v)
		task, err := q.Decode(driver.TaskRecord{ID: 7, Queue: "decode", Payload: data, State: driver.StatePending})
		if task == nil {
			t.Fatal("Queue.Decode returned no task")
		}
		if err != nil && !strings.Contains(err.Error(), "task 7") {
			t.Fatalf("Queue.Decode's error does not name the task: %v", err)
		}
	})
}

// FuzzCreateOptions drives QueueOptions and CreateOptions with arbitrary
// values: each call either creates the task with exactly the options given
// or is refused with ErrInvalid and stores nothing, and nothing panics.
func FuzzCreateOptions(f *testing.F) {
	f.Add(0, 0, int64(0), int64(0), 0, "")
	f.Add(0, 5, int64(time.Hour), int64(0), 3, "k")
	f.Add(0, driver.MaxPriority+1, int64(-1), int64(0), -1, "\x00")
	f.Add(-1, driver.MinPriority, int64(math.MaxInt64), int64(0), driver.MaxAttemptsLimit+1, "\xff")
	f.Add(driver.MaxAttemptsLimit, driver.MaxPriority, int64(0), int64(math.MaxInt64), driver.MaxAttemptsLimit, strings.Repeat("k", driver.MaxUniqueKeyLen))
	f.Add(1, 0, int64(1), int64(math.MinInt64), 0, "a")
	f.Add(1, 0, int64(0), int64(-62135596800), 0, "a")
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, queueMax, priority int, delay, runAtUnix int64, maxAttempts int, key string) {
		d := memory.New(&memory.Options{Clock: func() time.Time { return now }})
		defer d.Close()
		q, err := gosk.NewQueue[int](d, "opts", &gosk.QueueOptions{MaxAttempts: queueMax, Clock: func() time.Time { return now }})
		if queueMax < 0 || queueMax > driver.MaxAttemptsLimit {
			if !errors.Is(err, gosk.ErrInvalid) || !strings.Contains(err.Error(), "MaxAttempts") {
				t.Fatalf("NewQueue(MaxAttempts %d) = %v; want ErrInvalid naming MaxAttempts", queueMax, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("NewQueue(MaxAttempts %d): %v", queueMax, err)
		}
		var runAt time.Time
		if runAtUnix != 0 {
			runAt = time.Unix(runAtUnix, 0)
		}
		opts := &gosk.CreateOptions{Priority: priority, Delay: time.Duration(delay), RunAt: runAt, MaxAttempts: maxAttempts, UniqueKey: key}
		valid := priority >= driver.MinPriority && priority <= driver.MaxPriority &&
			delay >= 0 && (runAt.IsZero() || delay == 0) &&
			maxAttempts >= 0 && maxAttempts <= driver.MaxAttemptsLimit &&
			driver.CheckText(key, driver.MaxUniqueKeyLen) == nil
		id, err := q.Create(ctx, 42, opts)
		counts, cerr := q.Count(ctx)
		if cerr != nil {
			t.Fatal(cerr)
		}
		if !valid {
			if !errors.Is(err, gosk.ErrInvalid) {
				t.Fatalf("Create(%+v) = %d, %v; want ErrInvalid", opts, id, err)
			}
			if counts[gosk.StatePending] != 0 {
				t.Fatalf("a refused Create stored a task: %v", counts)
			}
			return
		}
		if err != nil {
			t.Fatalf("Create(%+v): %v", opts, err)
		}
		task, err := q.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		wantMax := maxAttempts
		if wantMax == 0 {
			wantMax = queueMax
			if wantMax == 0 {
				wantMax = gosk.DefaultMaxAttempts
			}
		}
		wantDelay := time.Duration(delay)
		if !runAt.IsZero() {
			wantDelay = max(runAt.Sub(now), 0)
		}
		if task.Payload != 42 || task.Priority != priority || task.MaxAttempts != wantMax || task.UniqueKey != key ||
			task.State != gosk.StatePending || !task.RunAt.Equal(now.Add(wantDelay)) {
			t.Fatalf("Create(%+v) stored %+v; want priority %d, max attempts %d, key %q, run-at %v",
				opts, task, priority, wantMax, key, now.Add(wantDelay))
		}
	})
}
