package redis_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
)

// secretMark starts every password the URL fuzz targets put in a URL; an
// error that holds it has printed (at least part of) the password.
const secretMark = "pwQx7"

// openCancelled calls Open with a context that is already done, so that
// no input reaches a network: the URL is parsed and the options checked,
// and a URL that parses fails at the first command.
func openCancelled(t *testing.T, url string, opts *goskredis.Options) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := goskredis.Open(ctx, url, opts)
	if err == nil {
		_ = d.Close()
		t.Fatalf("Open(%q) with a cancelled context succeeded", url)
	}
	return err
}

// FuzzOpenURL gives Open arbitrary URLs with a password in them: Open
// never panics, a URL that go-redis cannot parse is ErrInvalid, and the
// error never holds the password.
func FuzzOpenURL(f *testing.F) {
	f.Add("", "secret", "127.0.0.1:6379", "/0")
	f.Add("user", "secret", "127.0.0.1:badport", "/0")
	f.Add("user", "se:cr@et", "host", "/x?dial_timeout=bad")
	f.Add("", "%zz", "[::1", "")
	f.Add("u", "p", "h:1", "/99999999999999999999")
	f.Add("u", "p", "h", "?protocol=9&db=x")
	f.Add("u", "p w", "h:6379", "/0?client_name=a b")
	f.Add("u\x00", "\n", "h\x7f", "#frag")
	// A password with an unescaped '#', '/' or '?' ends the host early, and
	// the parsers then quoted a piece of it as a port, a path or an option.
	f.Add("u", "#", "h", "")
	f.Add("u", "/ss", "h", "/0")
	f.Add("u", "?ss", "h", "")
	f.Add("u", "a#b/c?d", "h:6379", "/0")
	f.Fuzz(func(t *testing.T, user, password, host, rest string) {
		for _, s := range []string{user, host, rest} {
			if strings.Contains(s, secretMark) {
				return
			}
		}
		for _, scheme := range []string{"redis://", "rediss://", "unix://"} {
			url := scheme + user + ":" + secretMark + password + "@" + host + rest
			err := openCancelled(t, url, nil)
			if strings.Contains(err.Error(), secretMark) {
				t.Fatalf("Open's error prints the password of %q: %v", url, err)
			}
			if _, perr := goredis.ParseURL(url); perr != nil && !errors.Is(err, driver.ErrInvalid) {
				t.Fatalf("Open(%q) = %v; want ErrInvalid for a URL that does not parse (%v)", url, err, perr)
			}
		}
	})
}

// FuzzOpenOptions gives Open arbitrary prefixes: one that breaks the
// rule of Options.Prefix is refused with ErrInvalid before any command.
func FuzzOpenOptions(f *testing.F) {
	for _, p := range []string{"", "gosk", "a:b/c", "{tag}", "x*", "a b", "\x00", "\xff", strings.Repeat("p", goskredis.MaxPrefixLen+1)} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, prefix string) {
		err := openCancelled(t, "redis://127.0.0.1:6379/0", &goskredis.Options{Prefix: prefix})
		ok := len(prefix) <= goskredis.MaxPrefixLen
		for i := 0; i < len(prefix); i++ {
			c := prefix[i]
			ok = ok && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.:/", c) >= 0)
		}
		if ok == errors.Is(err, driver.ErrInvalid) {
			t.Fatalf("Open with Options.Prefix %q = %v; want ErrInvalid only for a prefix outside the rule", prefix, err)
		}
	})
}
