package crashtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/gosk/gosk/internal/testenv"
)

// scheduleEvery is the period of the schedule crash test's schedule.
const scheduleEvery = 150 * time.Millisecond

// crashSchedule runs three processes with one schedule on s for 60 slots,
// one of them with its clock 1.5 slots ahead, kills and restarts them six
// times (the skewed one four times), and checks that every slot from the
// first task on became exactly one task.
func crashSchedule(t *testing.T, s Store) {
	t.Helper()
	cfg := ScheduleConfig{
		Store: s,
		Every: scheduleEvery,
		Slots: 60,
		Skew:  3 * scheduleEvery / 2,
		// A process that its machine stalls for longer than the
		// tolerance starts the schedule afresh, by design, and skips the
		// slots of the stall: a shared machine under full load stalled
		// processes for more than 4 slots (600 ms) now and then.
		Tolerance: 8 * scheduleEvery,
		Kills:     6,
		Logf:      t.Logf,
	}
	start := time.Now()
	rep, err := RunSchedule(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v: %d tasks, %d kills, slots %v to %v", time.Since(start), len(rep.Slots), rep.Kills,
		rep.Slots[0].Format(time.StampMilli), rep.Slots[len(rep.Slots)-1].Format(time.StampMilli))
	for _, v := range rep.Violations {
		t.Error(v)
	}
	// A start looks back Tolerance, and the last slots may not be
	// taken when the processes are stopped: the count is near Slots.
	if min := cfg.Slots * 3 / 4; len(rep.Slots) < min {
		t.Errorf("%d tasks over %d slots: want at least %d", len(rep.Slots), cfg.Slots, min)
	}
	if rep.Kills != cfg.Kills {
		t.Errorf("%d kills, want %d", rep.Kills, cfg.Kills)
	}
}

func TestScheduleCrashSQLite(t *testing.T) {
	t.Parallel()
	crashSchedule(t, Store{Kind: "sqlite", Addr: filepath.Join(t.TempDir(), "schedule.db")})
}

func TestScheduleCrashPostgres(t *testing.T) {
	t.Parallel()
	url, schema := testenv.PostgresSchema(t)
	crashSchedule(t, Store{Kind: "postgres", Addr: url, Namespace: schema})
}

func TestScheduleCrashRedis(t *testing.T) {
	t.Parallel()
	url := testenv.URL(t, testenv.RedisVar)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "gosk_schedcrash_" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() { deleteKeys(t, url, prefix) })
	crashSchedule(t, Store{Kind: "redis", Addr: url, Namespace: prefix})
}

func TestCheckSlots(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := []time.Time{at, at.Add(time.Second), at.Add(2 * time.Second)}
	if v := checkSlots(ok, time.Second); len(v) != 0 {
		t.Errorf("consecutive slots: %v", v)
	}
	for name, slots := range map[string][]time.Time{
		"twice":        {at, at, at.Add(time.Second)},
		"missing":      {at, at.Add(2 * time.Second)},
		"out of order": {at.Add(time.Second), at},
	} {
		if v := checkSlots(slots, time.Second); len(v) == 0 {
			t.Errorf("%s: checkSlots found nothing wrong", name)
		}
	}
}
