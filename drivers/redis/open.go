package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"regexp"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
)

// DefaultDialTimeout bounds each connection attempt of a client that Open
// builds, when the URL sets no dial_timeout.
const DefaultDialTimeout = 5 * time.Second

// Open connects to the Redis server at url (redis://, rediss:// or
// unix://, as go-redis's ParseURL reads them) and returns a driver on that
// connection, which Close closes. Each connection attempt is bounded by
// the URL's dial_timeout, or DefaultDialTimeout (5s). Errors say what is
// wrong and where (a malformed URL and why, a server at host:port that did
// not answer) but never quote the URL, so a password in it is not printed.
// Unless the URL sets max_retries, the client does not resend a command
// whose connection broke (go-redis's default is to resend it up to 3
// times): the server may have run it already, and a resent script would
// store a create twice or report a stored outcome as ErrTaskConflict. The
// error goes to the caller, which retries knowing that (package worker
// does). With Options.Lazy, Open does not contact the server.
func Open(ctx context.Context, url string, opts *Options) (*Driver, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ro, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("%w: gosk/redis: the URL cannot be parsed: %s (the URL is not shown, as it may hold a password)", driver.ErrInvalid, urlReason(err))
	}
	lines.install() // before the first dial, whose failure go-redis logs
	if ro.DialTimeout == 0 {
		ro.DialTimeout = DefaultDialTimeout
	}
	if ro.MaxRetries == 0 {
		// go-redis would resend a script whose connection broke after the
		// server ran it: a create stored twice, an outcome answered
		// ErrTaskConflict as if another call had stored it. gosk's callers
		// retry themselves, knowing a call may have applied.
		ro.MaxRetries = -1
	}
	client := goredis.NewClient(ro)
	if err := client.Ping(ctx).Err(); err != nil && !o.Lazy {
		_ = client.Close()
		addr, hidden := where(ro, url)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("gosk/redis: connect to Redis at %s: %w", addr, ctx.Err())
		}
		var rerr goredis.Error
		if errors.As(err, &rerr) { // it answered, and refused (auth, database number)
			return nil, fmt.Errorf("gosk/redis: connect to Redis at %s: %s", addr, dialText(err, ro, hidden))
		}
		return nil, fmt.Errorf("gosk/redis: Redis at %s did not answer (dial timeout %v): %s", addr, ro.DialTimeout, dialText(err, ro, hidden))
	}
	d, err := New(ctx, client, opts)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	d.ownsClient = true
	return d, nil
}

// quoted matches a Go-quoted string in an error message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// urlReason says why ParseURL refused a URL without quoting any of it: a
// password with an unescaped '#', '/' or '?' in it ends the URL's host
// early, and the parsers then quote a piece of the password as a port, a
// path or an option. net/url's *url.Error quotes the whole URL; its cause
// is kept with what it quotes elided. go-redis's errors are kept up to the
// text they quote, after their second colon.
func urlReason(err error) string {
	var uerr *neturl.Error
	if errors.As(err, &uerr) {
		return quoted.ReplaceAllString(uerr.Err.Error(), `"…"`)
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		if j := strings.Index(msg[i+2:], ": "); j >= 0 {
			msg = msg[:i+2+j]
		}
	}
	return quoted.ReplaceAllString(msg, `"…"`)
}

// where names the server of ro for an error: its host:port, unless that
// could hold part of a password. That is the path of a Unix socket (the
// rest of a unix:// URL), and the host of a URL that has an '@' but no user
// info: a password with an unescaped '#', '/' or '?' ends the URL's
// authority early, and the parsers then take a piece of it as the host.
func where(ro *goredis.Options, rawURL string) (name string, hidden bool) {
	if ro.Network == "unix" {
		return "the Unix socket that the URL names", true
	}
	if strings.Contains(rawURL, "@") {
		if u, err := neturl.Parse(rawURL); err != nil || u.User == nil {
			return "the address that the URL names (not shown: the URL's user info did not parse)", true
		}
	}
	return ro.Addr, false
}

// dialText is a connection error's text with the password masked, and the
// address too where where hides it.
func dialText(err error, ro *goredis.Options, hidden bool) string {
	text := scrub(err.Error(), ro.Password)
	if hidden {
		text = scrub(text, ro.Addr)
		if host, _, splitErr := net.SplitHostPort(ro.Addr); splitErr == nil {
			text = scrub(text, host)
		}
	}
	return text
}

// scrub masks secret in s.
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "xxxxx")
}
