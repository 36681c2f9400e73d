package sqlite

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
)

// FuzzDSNParams checks the DSN handling of Open on arbitrary DSNs:
// withParams keeps the caller's DSN as it is, adds each setting the DSN
// lacks exactly once after one separator, and leaves the ones it sets.
func FuzzDSNParams(f *testing.F) {
	for _, s := range []string{":memory:", "tasks.db", "file:/x/tasks.db?mode=rwc", "file::memory:?cache=shared", "x.db?_pragma=busy_timeout(5)",
		"x.db?_pragma=journal_mode(DELETE)&_pragma=synchronous(OFF)", "a?b?c", "?", "x.db?_txlock=immediate#frag", "file:x?mode=memory", "\x00?\xff"} {
		f.Add(s, int64(10*time.Second), false)
	}
	f.Fuzz(func(t *testing.T, dsn string, busy int64, normal bool) {
		o := Options{BusyTimeout: time.Duration(busy), Sync: SyncFull}
		if normal {
			o.Sync = SyncNormal
		}
		memory := isMemoryDSN(dsn)
		got := withParams(dsn, o, memory)
		if !strings.HasPrefix(got, dsn) {
			t.Fatalf("withParams(%q) = %q; the caller's DSN must stay as it is", dsn, got)
		}
		added := got[len(dsn):]
		if added == "" {
			return
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		if !strings.HasPrefix(added, sep) {
			t.Fatalf("withParams(%q) added %q; want it to start with %q", dsn, added, sep)
		}
		_, query, _ := strings.Cut(dsn, "?")
		lower := strings.ToLower(query)
		for _, p := range []struct {
			name, dsnKey, alt string
			want              bool
		}{
			{"busy_timeout", "busy_timeout", "_timeout", true},
			{"journal_mode", "journal_mode", "_journal", !memory},
			{"synchronous", "synchronous", "_sync", true},
		} {
			n := strings.Count(added, "_pragma="+p.name+"(")
			wantN := 0
			if p.want && !strings.Contains(lower, p.dsnKey) && !strings.Contains(lower, p.alt) {
				wantN = 1
			}
			if n != wantN {
				t.Fatalf("withParams(%q) added %q: %d settings of %s, want %d", dsn, added, n, p.name, wantN)
			}
		}
		if !regexp.MustCompile(`^[?&]_pragma=[a-z_]+\([A-Za-z0-9-]+\)(&_pragma=[a-z_]+\([A-Za-z0-9-]+\))*$`).MatchString(added) {
			t.Fatalf("withParams(%q) added %q, which is not a list of _pragma settings", dsn, added)
		}
	})
}

// FuzzOptions gives Open arbitrary options on an in-memory database: each
// that breaks its rule is refused with ErrInvalid, naming the field, and
// any other opens the database.
func FuzzOptions(f *testing.F) {
	f.Add("", int64(0), "", int64(0))
	f.Add("gosk_", int64(time.Second), "NORMAL", int64(time.Millisecond))
	f.Add("t; DROP TABLE x; --", int64(-1), "OFF", int64(-1))
	f.Add("1abc", int64(1), "FULL", int64(0))
	f.Add("a\"b", int64(1), "full", int64(0))
	f.Add(strings.Repeat("p", 33), int64(1), "normal); ATTACH 'x' AS y; --", int64(0))
	f.Fuzz(func(t *testing.T, prefix string, busy int64, sync string, watch int64) {
		o := &Options{TablePrefix: prefix, BusyTimeout: time.Duration(busy), Sync: Sync(sync), WatchInterval: time.Duration(watch)}
		valid := (prefix == "" || prefixPattern.MatchString(prefix)) && busy >= 0 && (sync == "" || Sync(sync) == SyncFull || Sync(sync) == SyncNormal)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d, err := Open(ctx, ":memory:", o)
		if err == nil {
			defer d.Close()
		}
		switch {
		case valid && err != nil:
			t.Fatalf("Open(:memory:, %+v): %v", o, err)
		case !valid && !errors.Is(err, driver.ErrInvalid):
			t.Fatalf("Open(:memory:, %+v) = %v; want ErrInvalid", o, err)
		case !valid && !strings.Contains(err.Error(), "Options."):
			t.Fatalf("Open's error does not name the option: %v", err)
		}
	})
}
