package crashtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/gosk/gosk/internal/testenv"
)

func TestMain(m *testing.M) {
	MaybeChild() // a child process runs its role and exits here
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
	)
}

// short is the size of the crash test of `make test`: a few seconds per
// store, at least three workers killed while they run handlers and two
// producers killed in a create.
func short(s Store) Config {
	return Config{
		Store:            s,
		Tasks:            300,
		Workers:          2,
		Concurrency:      4,
		Producers:        2,
		BatchSize:        10,
		Lease:            time.Second,
		KillMin:          100 * time.Millisecond,
		KillMax:          0,
		MinWorkerKills:   3,
		MinProducerKills: 2,
		Mix:              []string{BehaveOK, BehaveOK, BehaveErr, BehaveFail, BehaveCancel, BehavePanic},
		Timeout:          60 * time.Second,
		Stall:            30 * time.Second,
	}
}

func crash(t *testing.T, s Store) {
	t.Helper()
	cfg := short(s)
	cfg.Logf = t.Logf
	start := time.Now()
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.Print(&b, true)
	t.Logf("%v\n%s", time.Since(start), b.String())
	for _, v := range rep.Violations {
		t.Error(v)
	}
	if rep.Lost != 0 || rep.Stuck != 0 {
		t.Errorf("lost %d, stuck %d: want none", rep.Lost, rep.Stuck)
	}
	if rep.Acked < cfg.Tasks {
		t.Errorf("acked %d tasks, want %d", rep.Acked, cfg.Tasks)
	}
	if rep.WorkerKills < cfg.MinWorkerKills || rep.ProducerKills < cfg.MinProducerKills {
		t.Errorf("killed %d workers and %d producers, want at least %d and %d", rep.WorkerKills, rep.ProducerKills, cfg.MinWorkerKills, cfg.MinProducerKills)
	}
}

func TestCrashSQLite(t *testing.T) {
	t.Parallel()
	crash(t, Store{Kind: "sqlite", Addr: filepath.Join(t.TempDir(), "crash.db")})
}

func TestCrashBbolt(t *testing.T) {
	t.Parallel()
	crash(t, Store{Kind: "bbolt", Addr: filepath.Join(t.TempDir(), "crash.bolt")})
}

func TestCrashPostgres(t *testing.T) {
	t.Parallel()
	url, schema := testenv.PostgresSchema(t)
	crash(t, Store{Kind: "postgres", Addr: url, Namespace: schema})
}

func TestCrashRedis(t *testing.T) {
	t.Parallel()
	url := testenv.URL(t, testenv.RedisVar)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "gosk_crash_" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() { deleteKeys(t, url, prefix) })
	crash(t, Store{Kind: "redis", Addr: url, Namespace: prefix})
}

func deleteKeys(t *testing.T, url, prefix string) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Error(err)
		return
	}
	c := goredis.NewClient(opt)
	defer c.Close()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Error(err)
	}
}
