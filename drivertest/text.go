package drivertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// validTexts are texts the port allows in a message and a unique key, each
// of which some store or encoding layer could get wrong: multi-byte and
// four-byte characters, control characters other than NUL, characters
// that look like nothing, the replacement character itself, and text that
// looks like SQL, Lua or format strings.
var validTexts = []string{
	"plain",
	"é ü ß 日本語 Ελληνικά עברית",
	"🎉 👩‍👩‍👧‍👦 🇫🇷",
	"\x01\x02\x1b[31mred\x1b[0m\x7f",
	"tab\there\r\nline two\n",
	"\u0085\u2028\u2029\u200b\ufeff",
	"\uFFFD",
	"\U0010FFFF\uE000",
	"  padded  ",
	"'; DROP TABLE x; -- ]] %s %d \\x00 \\u0000",
}

// badTexts are texts the port refuses in a message and a unique key.
var badTexts = map[string]string{
	"a NUL byte":                   "bad \x00 input",
	"only a NUL byte":              "\x00",
	"an invalid byte":              "bad \xff input",
	"a lone continuation byte":     "\x80",
	"a truncated sequence":         "é\xc3",
	"an overlong NUL (\\xc0\\x80)": "a\xc0\x80b",
	"an encoded surrogate":         "\xed\xa0\x80",
}

// textOf returns s repeated and padded with ASCII to exactly n bytes.
func textOf(s string, n int) string {
	out := strings.Repeat(s, n/len(s))
	return out + strings.Repeat("x", n-len(out))
}

var textRules = []rule{
	{name: "InvalidMessageRefusesTheWholeBatch", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		ids := f.createN(q, 2)
		claimed := f.claim(q, driver.Fifo, 2, longLease)
		require.Len(t, claimed, 2)
		a, b := claimed[0].Lease, claimed[1].Lease
		kinds := []driver.OutcomeKind{driver.Fail, driver.Release, driver.Cancel}
		n := 0
		for what, msg := range badTexts {
			before := []driver.TaskRecord{f.get(ids[0]), f.get(ids[1])}
			bad := driver.Outcome{Lease: b, Kind: kinds[n%len(kinds)], Message: msg}
			batch := []driver.Outcome{outcome(a, driver.Complete), bad}
			if n%2 == 1 {
				batch = []driver.Outcome{bad, outcome(a, driver.Complete)}
			}
			n++
			_, err := f.d.Finish(f.ctx, batch)
			require.ErrorIs(t, err, driver.ErrInvalid, "a message with %s is invalid (%v)", what, bad.Kind)
			for i, id := range ids {
				f.unchanged(before[i], f.get(id), "a batch refused for a message with %s changes no task of the batch", what)
			}
		}
		require.NoError(t, f.finish(outcome(a, driver.Complete)), "both leases still hold after the refusals")
		require.NoError(t, f.finish(driver.Outcome{Lease: b, Kind: driver.Fail, Message: "fine"}), "both leases still hold after the refusals")
	}},
	{name: "MessageLengthLimit", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		ids := f.createN(q, 3)
		claimed := f.claim(q, driver.Fifo, 3, longLease)
		require.Len(t, claimed, 3)
		long := textOf("x", driver.MaxMessageLen+1)
		before := f.get(ids[0])
		_, err := f.d.Finish(f.ctx, []driver.Outcome{{Lease: claimed[0].Lease, Kind: driver.Fail, Message: long}})
		require.ErrorIs(t, err, driver.ErrInvalid, "a message of driver.MaxMessageLen+1 bytes is invalid")
		f.unchanged(before, f.get(ids[0]), "a refused message changes nothing")
		for i, msg := range []string{textOf("m", driver.MaxMessageLen), textOf("🎉", driver.MaxMessageLen), textOf("é日", driver.MaxMessageLen)} {
			require.Len(t, msg, driver.MaxMessageLen)
			require.NoError(t, f.finish(driver.Outcome{Lease: claimed[i].Lease, Kind: driver.Fail, Message: msg}),
				"a message of exactly driver.MaxMessageLen bytes is valid")
			assert.True(t, f.get(ids[i]).LastError == msg, "a message of exactly driver.MaxMessageLen bytes is stored whole and exact (message %d)", i)
		}
	}},
	{name: "ValidMessagesRoundTrip", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		admin, hasAdmin := f.d.(driver.Admin)
		for i, msg := range validTexts {
			// A release stores the message on a task that is claimed
			// again; then a fail stores it on a final task. Both are read
			// back by Claim, Get and, if the driver has it, Admin.List.
			id := f.create(task(q, "x"))[0]
			c := f.claimOne(q, longLease)
			require.Equal(t, id, c.Task.ID)
			require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Release, Message: msg}), "release with message %d", i)
			assert.Equal(t, msg, f.get(id).LastError, "a released task's message reads back exactly (message %d)", i)
			c = f.claimOne(q, longLease)
			assert.Equal(t, msg, c.Task.LastError, "Claim returns the stored message exactly (message %d)", i)
			failed := msg + " / final"
			require.NoError(t, f.finish(driver.Outcome{Lease: c.Lease, Kind: driver.Fail, Message: failed}), "fail with message %d", i)
			assert.Equal(t, failed, f.get(id).LastError, "a failed task's message reads back exactly (message %d)", i)
			if hasAdmin {
				recs, err := admin.List(f.ctx, driver.ListParams{Queue: q, AfterID: id - 1, Limit: 1})
				require.NoError(t, err, "Admin.List")
				require.Len(t, recs, 1)
				assert.Equal(t, failed, recs[0].LastError, "Admin.List returns the stored message exactly (message %d)", i)
			}
		}
	}},
	{name: "InvalidUniqueKeyRefusesTheWholeBatch", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		n := 0
		for what, key := range badTexts {
			good := task(q, "good")
			good.UniqueKey = fmt.Sprintf("good-%d", n)
			bad := task(q, "bad")
			bad.UniqueKey = key
			batch := []driver.NewTask{good, bad}
			if n%2 == 1 {
				batch = []driver.NewTask{bad, good}
			}
			n++
			_, err := f.d.Create(f.ctx, batch)
			require.ErrorIs(t, err, driver.ErrInvalid, "a unique key with %s is invalid", what)
			f.claimNone(q, "a batch refused for a unique key with "+what+" stores none of its tasks")
			res, err := f.d.Create(f.ctx, []driver.NewTask{good})
			require.NoError(t, err)
			require.NoError(t, res[0].Err, "a refused batch takes none of its unique keys (key with %s)", what)
			f.claimOne(q, longLease)
		}
	}},
	{name: "UniqueKeyLengthLimit", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		long := task(q, "x")
		long.UniqueKey = textOf("k", driver.MaxUniqueKeyLen+1)
		_, err := f.d.Create(f.ctx, []driver.NewTask{long})
		require.ErrorIs(t, err, driver.ErrInvalid, "a unique key of driver.MaxUniqueKeyLen+1 bytes is invalid")
		f.claimNone(q, "a refused create stores nothing")
		for _, key := range []string{textOf("k", driver.MaxUniqueKeyLen), textOf("🔑", driver.MaxUniqueKeyLen)} {
			require.Len(t, key, driver.MaxUniqueKeyLen)
			n := task(q, "x")
			n.UniqueKey = key
			id := f.create(n)[0]
			assert.True(t, f.get(id).UniqueKey == key, "a unique key of exactly driver.MaxUniqueKeyLen bytes is stored whole and exact")
			res, err := f.d.Create(f.ctx, []driver.NewTask{n})
			require.NoError(t, err)
			assert.ErrorIs(t, res[0].Err, driver.ErrDuplicate, "a unique key of exactly driver.MaxUniqueKeyLen bytes is held")
			assert.Equal(t, id, res[0].ID, "the duplicate names the holder")
			other := n
			last, size := utf8.DecodeLastRuneInString(key)
			other.UniqueKey = key[:len(key)-size] + string(last+1)
			require.Len(t, other.UniqueKey, len(key))
			res, err = f.d.Create(f.ctx, []driver.NewTask{other})
			require.NoError(t, err)
			assert.NoError(t, res[0].Err, "a key that differs only in its last byte is another key: the whole key counts")
		}
	}},
	{name: "ValidUniqueKeysRoundTrip", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		batch := make([]driver.NewTask, len(validTexts))
		for i, key := range validTexts {
			batch[i] = task(q, "x")
			batch[i].UniqueKey = key
		}
		ids := f.create(batch...)
		keys := make(map[int64]string, len(ids))
		for i, id := range ids {
			keys[id] = validTexts[i]
			assert.Equal(t, validTexts[i], f.get(id).UniqueKey, "Get returns the unique key exactly (key %d)", i)
		}
		for _, c := range f.claim(q, driver.Fifo, len(ids), longLease) {
			assert.Equal(t, keys[c.Task.ID], c.Task.UniqueKey, "Claim returns the unique key exactly (task %d)", c.Task.ID)
		}
		res, err := f.d.Create(f.ctx, batch)
		require.NoError(t, err)
		for i, r := range res {
			assert.ErrorIs(t, r.Err, driver.ErrDuplicate, "the same key again is a duplicate (key %d)", i)
			assert.Equal(t, ids[i], r.ID, "the duplicate names its holder (key %d)", i)
		}
	}},
	{name: "UniqueKeysCompareAsBytes", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		// Pairs that a collation, a case fold, a normalisation or padding
		// would take for one key.
		pairs := [][2]string{
			{"k", "K"},
			{"k", "k "},
			{"é", "e\u0301"},
			{"ß", "ss"},
			{"ﬁ", "fi"},
			{"a\u200bb", "ab"},
			{"\uFFFD", "?"},
		}
		for i, p := range pairs {
			a, b := task(q, "a"), task(q, "b")
			a.UniqueKey, b.UniqueKey = fmt.Sprintf("%d:%s", i, p[0]), fmt.Sprintf("%d:%s", i, p[1])
			res, err := f.d.Create(f.ctx, []driver.NewTask{a, b})
			require.NoError(t, err)
			assert.NoError(t, res[0].Err, "key %q", p[0])
			assert.NoError(t, res[1].Err, "keys %q and %q differ in their bytes, so they are two keys", p[0], p[1])
		}
	}},
	{name: "WorkerStoresHandlerErrorsCleaned", serial: true, test: workerStoresHandlerErrorsCleaned},
}

// oddOutcome returns what the handler of task i in
// WorkerStoresHandlerErrorsCleaned does (panic with panicValue if it is
// not nil, else return err) and the last error that must then be stored
// ("" for none).
func oddOutcome(i int) (panicValue any, stored string, err error) {
	switch i % 6 {
	case 0:
		err = errors.New("bad \x00 input")
	case 1:
		err = errors.New("bad \xff\xfe input")
	case 2:
		return nil, "", nil
	case 3:
		err = fmt.Errorf("cancel \x00 %d: %w", i, gosk.ErrCancelTask)
	case 4:
		err = errors.New(strings.Repeat("é", driver.MaxMessageLen) + "\x00")
	case 5:
		v := "bad \x00 panic"
		return v, driver.CleanMessage("panic: " + v), nil
	}
	return nil, driver.CleanMessage(err.Error()), err
}

// workerStoresHandlerErrorsCleaned runs package worker on the driver with
// handlers whose error texts hold NUL bytes, invalid UTF-8 and more than
// driver.MaxMessageLen bytes: every task must reach its final state with
// the cleaned text stored, none may stall the others.
func workerStoresHandlerErrorsCleaned(t *testing.T, s *suite) {
	f := s.fresh(t)
	q, err := gosk.NewQueue[int](f.d, f.queue(), nil)
	require.NoError(t, err)
	const n = 200
	vs := make([]int, n)
	for i := range vs {
		vs[i] = i
	}
	res, err := q.CreateMany(f.ctx, gosk.Items(vs, &gosk.CreateOptions{MaxAttempts: 1}))
	require.NoError(t, err)
	var (
		ended, final atomic.Int64
		mu           sync.Mutex
		odd          []string
	)
	all := make(chan struct{})
	w, err := worker.New(q, func(_ context.Context, task *gosk.Task[int]) error {
		p, _, err := oddOutcome(task.Payload)
		if p != nil {
			panic(p)
		}
		return err
	}, &worker.Config{
		Concurrency:  8,
		Lease:        waitLimit, // also how long a stalled worker's shutdown waits
		PollInterval: 20 * time.Millisecond,
		Retention:    worker.NoRetention,
		OnEvent: func(e worker.Event) {
			switch e.Kind {
			case worker.EventCompleted, worker.EventFailed, worker.EventCancelled:
				final.Add(1)
			default:
				mu.Lock()
				odd = append(odd, fmt.Sprintf("task %d: %v: %v", e.Task.ID, e.Kind, e.Err))
				mu.Unlock()
			}
			if ended.Add(1) == n {
				close(all)
			}
		},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	bound := 3 * waitLimit
	timeout := time.NewTimer(bound)
	select {
	case <-all:
	case <-timeout.C:
	case err := <-done:
		done <- err
	}
	timeout.Stop()
	cancel()
	stopErr := <-done
	mu.Lock()
	defer mu.Unlock()
	require.EqualValues(t, n, final.Load(),
		"every task reaches its final state within %v although handler error texts hold NUL bytes, invalid UTF-8 or too many bytes (other events: %d, the first: %q)",
		bound, len(odd), odd[:min(3, len(odd))])
	require.Empty(t, odd, "every outcome is stored: the driver stores any text driver.CleanMessage returns")
	require.NoError(t, stopErr, "the worker stops cleanly")
	for i, r := range res {
		rec := f.get(r.ID)
		p, want, herr := oddOutcome(i)
		wantState := driver.StateFailed
		switch {
		case p != nil:
		case herr == nil:
			wantState = driver.StateCompleted
		case errors.Is(herr, gosk.ErrCancelTask):
			wantState = driver.StateCancelled
		}
		assert.Equal(t, wantState, rec.State, "task %d", i)
		assert.True(t, rec.LastError == want, "task %d: the stored error text is the handler's, cleaned by driver.CleanMessage: got %d bytes %.40q..., want %d bytes %.40q...",
			i, len(rec.LastError), rec.LastError, len(want), want)
	}
}
