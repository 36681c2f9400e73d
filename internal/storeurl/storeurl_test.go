package storeurl_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
	goskpostgres "github.com/gosk/gosk/drivers/postgres"
	gosksqlite "github.com/gosk/gosk/drivers/sqlite"
	"github.com/gosk/gosk/internal/storeurl"
	"github.com/gosk/gosk/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// open opens u and registers its Close.
func open(t *testing.T, u string) *storeurl.Store {
	t.Helper()
	s, err := storeurl.Open(context.Background(), u)
	require.NoError(t, err, "Open(%s)", storeurl.Redact(u))
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// roundTrip creates a task through s and reads it back.
func roundTrip(t *testing.T, s *storeurl.Store) {
	t.Helper()
	ctx := context.Background()
	res, err := s.Driver.Create(ctx, []driver.NewTask{{Queue: "q", Payload: []byte("x"), MaxAttempts: 1}})
	require.NoError(t, err)
	rec, err := s.Driver.Get(ctx, res[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "q", rec.Queue)
}

// TestOpenEachKind: each scheme opens its driver, with the adapter's
// options taken from the query, and migrates the store.
func TestOpenEachKind(t *testing.T) {
	dir := t.TempDir()
	t.Run("sqlite", func(t *testing.T) {
		u := "sqlite://" + filepath.Join(dir, "a.db") + "?table_prefix=app_&busy_timeout=2s&sync=normal&watch_interval=-1s&max_payload_len=1024&_pragma=foreign_keys(1)"
		s := open(t, u)
		assert.Equal(t, storeurl.KindSQLite, s.Kind)
		assert.Equal(t, gosksqlite.LatestVersion(), s.SchemaVersion)
		assert.True(t, s.Durable())
		roundTrip(t, s)
		_, err := s.Driver.Create(context.Background(), []driver.NewTask{{Queue: "q", Payload: make([]byte, 1025), MaxAttempts: 1}})
		assert.ErrorIs(t, err, driver.ErrInvalid, "max_payload_len reaches the driver")
	})
	t.Run("sqlite relative", func(t *testing.T) {
		t.Chdir(dir)
		roundTrip(t, open(t, "sqlite:rel.db"))
		assert.FileExists(t, filepath.Join(dir, "rel.db"))
	})
	t.Run("bbolt", func(t *testing.T) {
		s := open(t, "bbolt://"+filepath.Join(dir, "a.bolt")+"?bucket=app&commit=each&lock_timeout=100ms&file_mode=0640")
		assert.Equal(t, storeurl.KindBbolt, s.Kind)
		assert.Equal(t, goskbbolt.SchemaVersion, s.SchemaVersion)
		roundTrip(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		base := testenv.PostgresURL(t)
		u, err := url.Parse(base)
		require.NoError(t, err)
		q := u.Query()
		q.Set("schema", testenv.NewSchema(t, base))
		q.Set("max_conns", "2")
		q.Set("reconnect_min", "10ms")
		u.RawQuery = q.Encode()
		s := open(t, u.String())
		assert.Equal(t, storeurl.KindPostgres, s.Kind)
		assert.Equal(t, goskpostgres.LatestVersion(), s.SchemaVersion)
		roundTrip(t, s)
	})
	t.Run("redis", func(t *testing.T) {
		base := testenv.URL(t, testenv.RedisVar)
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		prefix := "gosk-storeurl-test:" + hex.EncodeToString(b) + ":"
		t.Cleanup(func() { deletePrefix(t, base, prefix) })
		s := open(t, base+"?prefix="+prefix+"&dial_timeout=2s")
		assert.Equal(t, storeurl.KindRedis, s.Kind)
		assert.Positive(t, s.SchemaVersion)
		roundTrip(t, s)
	})
	t.Run("memory", func(t *testing.T) {
		s := open(t, "memory:?max_payload_len=10")
		assert.Equal(t, storeurl.KindMemory, s.Kind)
		assert.False(t, s.Durable())
		roundTrip(t, s)
	})
}

// TestOpenRefusesBadURLs: a malformed URL, an unknown scheme or an
// unknown or malformed parameter is ErrInvalid, naming what is wrong.
func TestOpenRefusesBadURLs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	for u, want := range map[string]string{
		"":                                       "is not a store URL",
		"/just/a/path":                           "is not a store URL",
		"mysql://h/db":                           `unknown scheme "mysql"`,
		"sqlite://host/x.db":                     "has a host",
		"sqlite://":                              "names no file",
		"sqlite://" + file + "?tabel_prefix=x":   "unknown sqlite parameter tabel_prefix",
		"sqlite://" + file + "?busy_timeout=5":   `busy_timeout="5": want a duration`,
		"sqlite://" + file + "?sync=sometimes":   "Options.Sync",
		"bbolt://" + file + "?commit=never":      `commit="never": want grouped, each or bolt_batch`,
		"bbolt://" + file + "?file_mode=rw":      "file_mode",
		"bbolt://" + file + "?bucket=a&bucket=b": "bucket is given 2 times",
		"memory:/x":                              "takes no path",
		"memory:?max_payload_len=big":            `max_payload_len="big": want an integer`,
		"memory:?size=1":                         "unknown memory parameter size",
		"postgres://h/db?lazy=maybe":             `lazy="maybe": want true or false`,
		"redis://h:1/0?retention=forever":        `retention="forever"`,
	} {
		_, err := storeurl.Open(context.Background(), u)
		require.Error(t, err, "%q", u)
		assert.ErrorIs(t, err, driver.ErrInvalid, "%q", u)
		assert.Contains(t, err.Error(), want, "%q", u)
	}
}

// TestRedact: passwords are masked, in the user info and in parameters;
// the rest stays as it was.
func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://gosk:pw@db:5432/app?sslmode=disable":         "postgres://gosk:xxxxx@db:5432/app?sslmode=disable",
		"postgres://gosk@db/app?password=pw&sslmode=require":     "postgres://gosk@db/app?password=xxxxx&sslmode=require",
		"postgres://db/app?sslpassword=pw":                       "postgres://db/app?sslpassword=xxxxx",
		"redis://:pw@cache:6379/0?prefix=app:":                   "redis://:xxxxx@cache:6379/0?prefix=app:",
		"redis://cache:6379/0":                                   "redis://cache:6379/0",
		"sqlite:///var/lib/app/tasks.db?_pragma=foreign_keys(1)": "sqlite:///var/lib/app/tasks.db?_pragma=foreign_keys(1)",
		"memory:": "memory:",
	} {
		assert.Equal(t, want, storeurl.Redact(in), "Redact(%q)", in)
	}
	got := storeurl.Redact("postgres://gosk:pw%2@db/app")
	assert.NotContains(t, got, "pw", "a URL that does not parse is cut")
	assert.Contains(t, got, "postgres:")
}

// TestErrorsHidePasswords: an error of a store that refused does not
// quote the URL's password, and still wraps what the driver returned.
func TestErrorsHidePasswords(t *testing.T) {
	const pw = "s3cret-pw"
	for _, u := range []string{
		"postgres://gosk:" + pw + "@127.0.0.1:1/db?connect_timeout=1",
		"postgres://gosk@127.0.0.1:1/db?connect_timeout=1&password=" + pw,
		"redis://:" + pw + "@127.0.0.1:1/0?dial_timeout=1s",
		"postgres://gosk:" + pw + "@127.0.0.1:1/db?sslmode=nonsense",
	} {
		_, err := storeurl.Open(context.Background(), u)
		require.Error(t, err, u)
		assert.NotContains(t, err.Error(), pw, u)
	}
	_, err := storeurl.Open(context.Background(), "postgres://gosk:"+pw+"@h/db?schema=pg_bad")
	assert.ErrorIs(t, err, driver.ErrInvalid)
	assert.NotContains(t, err.Error(), pw)
	assert.True(t, errors.Is(err, driver.ErrInvalid))
	assert.Equal(t, "x xxxxx y", storeurl.Scrub("x "+pw+" y", "redis://:"+pw+"@h"))
}

// deletePrefix deletes the keys under prefix on the Redis server at base.
func deletePrefix(t *testing.T, base, prefix string) {
	opts, err := goredis.ParseURL(base)
	require.NoError(t, err)
	c := goredis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		require.NoError(t, c.Unlink(ctx, iter.Val()).Err())
	}
	require.NoError(t, iter.Err())
}
