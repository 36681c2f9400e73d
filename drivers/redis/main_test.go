package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/internal/testenv"
)

// cleanups run after every test of the package, before the leak check:
// closing the shared clients and stopping the test cluster.
var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

func atExit(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupMu.Unlock()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// single is the shared client of the single-node server, made once.
var single = struct {
	once   sync.Once
	client *goredis.Client
	err    error
}{}

// singleClient returns the client of the server named by
// GOSK_TEST_REDIS_URL, skipping the test if the variable is unset (failing
// it under GOSK_TEST_REQUIRE_SERVICES=1) or the server unreachable.
func singleClient(t testing.TB) *goredis.Client {
	t.Helper()
	url := testenv.URL(t, testenv.RedisVar)
	single.once.Do(func() {
		opts, err := goredis.ParseURL(url)
		if err != nil {
			single.err = err
			return
		}
		c := goredis.NewClient(opts)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			_ = c.Close()
			single.err = err
			return
		}
		single.client = c
		atExit(func() { _ = c.Close() })
	})
	if single.err != nil {
		testenv.Unavailable(t, "Redis at "+url, single.err)
	}
	return single.client
}

// testPrefix returns a key prefix no other test uses.
func testPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "gosktest:" + hex.EncodeToString(b) + ":"
}

// deletePrefix removes every key under prefix, on every master of a
// cluster. It never flushes: other tests and programs share the server.
func deletePrefix(client goredis.UniversalClient, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	del := func(ctx context.Context, c *goredis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return err
		}
		// One key per command: on a cluster the keys span slots.
		pipe := c.Pipeline()
		for _, k := range batch {
			pipe.Unlink(ctx, k)
		}
		if len(batch) > 0 {
			_, err := pipe.Exec(ctx)
			return err
		}
		return nil
	}
	switch c := client.(type) {
	case *goredis.ClusterClient:
		return c.ForEachMaster(ctx, del)
	case *goredis.Client:
		return del(ctx, c)
	}
	return fmt.Errorf("unsupported client %T", client)
}

// newDriver returns a driver on client under a fresh prefix whose keys are
// deleted when the test ends.
func newDriver(t testing.TB, client goredis.UniversalClient, opts *goskredis.Options) *goskredis.Driver {
	t.Helper()
	var o goskredis.Options
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		o.Prefix = testPrefix()
	}
	d, err := goskredis.New(context.Background(), client, &o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	prefixes.Store(d, o.Prefix)
	t.Cleanup(func() {
		if err := deletePrefix(client, o.Prefix); err != nil {
			t.Errorf("deleting keys under %s: %v", o.Prefix, err)
		}
	})
	return d
}

// prefixes maps each driver newDriver made to its key prefix, for
// againHarness.
var prefixes sync.Map // *goskredis.Driver -> string

// againHarness is drivertest's Harness.Again for drivers on client: a
// second driver on the first one's prefix, as another process opens it.
func againHarness(client goredis.UniversalClient) func(t testing.TB, d driver.Driver) driver.Driver {
	return func(t testing.TB, d driver.Driver) driver.Driver {
		prefix, ok := prefixes.Load(d)
		if !ok {
			t.Fatal("driver was not made by newDriver")
		}
		return newDriver(t, client, &goskredis.Options{Prefix: prefix.(string)})
	}
}

// txHarness is drivertest's Harness.Tx for a driver on client: a
// MULTI/EXEC pipeline, committed by EXEC and rolled back by DISCARD.
func txHarness(client goredis.UniversalClient) func(t testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
	return func(t testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
		pipe := client.TxPipeline()
		commit := func() error {
			_, err := pipe.Exec(context.Background())
			return err
		}
		rollback := func() error {
			pipe.Discard()
			return nil
		}
		return d.(*goskredis.Driver).Tx(pipe), commit, rollback
	}
}

// singleURL returns GOSK_TEST_REDIS_URL, skipping as singleClient does.
func singleURL(t testing.TB) string {
	singleClient(t)
	return testenv.URL(t, testenv.RedisVar)
}
