// Package dashboard is a web page over a gosk store: every queue with its
// counts by state and whether it is paused, charts of the last minutes,
// the task list with filters and paging, each task's payload, result and
// last error, and the actions retry, cancel, pause and resume.
//
// A [Handler] is an http.Handler that an application mounts on its own
// server; the package starts no server of its own, so the application
// (or the gosk command) chooses the address, TLS and timeouts:
//
//	h, err := dashboard.New(ctx, drv, nil) // every queue the store holds
//	if err != nil { ... }
//	defer h.Close()
//	srv := &http.Server{Addr: dashboard.DefaultAddr, Handler: h}
//
// It needs a driver with [driver.Admin]. [Options.Queues] names the
// queues to show; only they can be seen and acted on. Left empty, the
// dashboard shows every queue the store holds, which needs a driver with
// [driver.QueueLister] (every shipped driver has it): each load of the
// queues page or the task list asks the store for its queues, so a queue
// created while the dashboard runs appears at the next load, and the
// sampler behind the charts asks at each sample, so it charts a new
// queue from its next sample on.
//
// # Safe defaults
//
//   - Nothing here listens: [DefaultAddr] is a loopback address, so that
//     a command that takes the default serves this machine only.
//   - Every stored string (payloads, results, errors, unique keys) is user
//     data and is escaped by html/template. Responses carry a strict
//     Content-Security-Policy: no script at all, no image, the one
//     stylesheet from the dashboard itself, forms posted to it only, no
//     framing. The page uses no JavaScript; its charts are SVG drawn on
//     the server and its template and CSS are embedded in the binary: it
//     works offline, with no CDN.
//   - Every POST carries a CSRF token (an HMAC of a random per-process
//     secret) in a hidden field, and is refused with 403 unless the token
//     matches and the browser's Sec-Fetch-Site and Origin headers say the
//     request comes from the dashboard's own origin
//     ([net/http.CrossOriginProtection]).
//   - [Options.ReadOnly] hides the action buttons and refuses every POST
//     with 403.
//   - [Options.BasicAuth] asks every request for a user and password,
//     compared in constant time. Without it anyone who reaches the handler
//     can act on tasks: serve it on loopback, behind the application's own
//     authentication, or read-only.
//
// # Caveats
//
// The charts come from samples kept in memory by each Handler: they start
// empty when the process starts, and two processes serving the dashboard
// each draw their own. Throughput and failures are differences between
// samples of the completed and failed counts, so a purge (a worker's
// Retention) during an interval hides that interval's work. Each sample
// costs one Admin.Count per queue, as each load of the queues page does;
// without Options.Queues, each sample, each load of the queues page or
// the task list, and each pause or resume also costs one
// QueueLister.Queues call, which may scan the store (an index or key
// scan), and a queue that drops out of the store's list (every task
// purged, not paused) loses its samples.
// A CSRF token lasts until the process restarts; a form loaded before
// then is refused once, and works again when reloaded.
//
// # Shutdown
//
// New starts one goroutine that samples the counts of the queues for the
// charts; [Handler.Close] stops it and waits for it. The driver stays
// open: it belongs to the caller.
package dashboard

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
)

// DefaultAddr is the address a command serving the dashboard should
// listen on when told none: loopback only, port 8080.
const DefaultAddr = "127.0.0.1:8080"

// Defaults for zero fields of Options.
const (
	// DefaultSampleInterval is how often the counts are sampled for the
	// charts.
	DefaultSampleInterval = 5 * time.Second
	// DefaultSamples is how many samples the charts show: with the
	// default interval, the last five minutes.
	DefaultSamples = 60
	// DefaultPageSize is how many tasks one page of the task list shows.
	DefaultPageSize = 50
	// MaxPageSize is the largest PageSize.
	MaxPageSize = 1000
)

// BasicAuth is a user and password that every request must present.
type BasicAuth struct {
	// User is the user name. Required when BasicAuth is set.
	User string
	// Password is the password. Required when BasicAuth is set.
	Password string
}

// Options configures a Handler. Every field's zero value means its
// default.
type Options struct {
	// Queues names the queues to show, in the order shown, each a valid
	// queue name (driver.ValidateQueueName), no name twice. Only these
	// queues and their tasks can be seen or acted on. Default: every
	// queue the store holds at each page load and each sample, in
	// ascending byte order, as the driver's driver.QueueLister names
	// them; New refuses an empty Queues on a driver without it.
	Queues []string
	// ReadOnly hides the actions and refuses every POST with 403.
	// Default false: retry, cancel, pause and resume are offered.
	ReadOnly bool
	// BasicAuth, if set, is asked of every request. Default nil: no
	// authentication (see "Safe defaults" in the package doc).
	BasicAuth *BasicAuth
	// Logger receives the errors of actions and of sampling. Default:
	// none, the handler is silent.
	Logger *slog.Logger
	// Prefix is the path the handler is mounted at, such as "/dashboard",
	// which it strips from requests and puts in front of its links.
	// Default "": the root. It must start with "/" and not end with one.
	Prefix string
	// SampleInterval is how often the counts are sampled for the charts.
	// Default DefaultSampleInterval; at least 100ms.
	SampleInterval time.Duration
	// Samples is how many samples the charts keep. Default
	// DefaultSamples; at least 2, at most 10000.
	Samples int
	// PageSize is how many tasks a page of the task list shows. Default
	// DefaultPageSize; at most MaxPageSize.
	PageSize int
}

// Handler serves the dashboard. It is safe for concurrent use. Close it
// to stop its sampling goroutine.
type Handler struct {
	admin   driver.Admin
	drv     driver.Driver
	opts    Options
	queues  map[string]bool    // Options.Queues, when set
	lister  driver.QueueLister // when Options.Queues is empty
	secret  []byte
	log     *slog.Logger
	mux     http.Handler
	cop     *http.CrossOriginProtection
	samples *sampler

	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Handler over drv, which must have driver.Admin, and
// driver.QueueLister too when Options.Queues is empty. opts is checked as
// its doc says; an invalid field, or an empty Options.Queues on a driver
// without driver.QueueLister, gives an error wrapping driver.ErrInvalid
// that names the field. New samples the counts once before it
// returns, so that a store that cannot be read is reported at once, and
// then starts sampling every Options.SampleInterval until Close.
func New(ctx context.Context, drv driver.Driver, opts *Options) (*Handler, error) {
	if drv == nil {
		return nil, fmt.Errorf("%w: dashboard: driver is nil", driver.ErrInvalid)
	}
	admin, ok := drv.(driver.Admin)
	if !ok {
		return nil, fmt.Errorf("%w: dashboard: %T does not implement driver.Admin", gosk.ErrUnsupported, drv)
	}
	o, err := fill(opts)
	if err != nil {
		return nil, err
	}
	var lister driver.QueueLister
	if len(o.Queues) == 0 {
		if lister, ok = drv.(driver.QueueLister); !ok {
			return nil, fmt.Errorf("%w: dashboard: Options.Queues is empty and %T does not implement driver.QueueLister, "+
				"so the store's queues cannot be listed; name the queues to show in Options.Queues", driver.ErrInvalid, drv)
		}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("dashboard: make the CSRF secret: %w", err)
	}
	h := &Handler{
		admin:   admin,
		drv:     drv,
		opts:    o,
		queues:  make(map[string]bool, len(o.Queues)),
		lister:  lister,
		secret:  secret,
		log:     o.Logger,
		cop:     http.NewCrossOriginProtection(),
		samples: newSampler(o.Samples),
		done:    make(chan struct{}),
	}
	for _, q := range o.Queues {
		h.queues[q] = true
	}
	if err := h.sample(ctx); err != nil {
		return nil, fmt.Errorf("dashboard: first sample: %w", err)
	}
	h.mux = h.routes()
	// The loop outlives New's ctx (a request's, perhaps) but keeps its
	// values; Close cancels it, which also ends a Count call that hangs
	// on a dead server.
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h.cancel = cancel
	go h.sampleLoop(loopCtx)
	return h, nil
}

func fill(opts *Options) (Options, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	bad := func(field, format string, args ...any) (Options, error) {
		return Options{}, fmt.Errorf("%w: dashboard: Options.%s %s", driver.ErrInvalid, field, fmt.Sprintf(format, args...))
	}
	seen := make(map[string]bool, len(o.Queues))
	for i, q := range o.Queues {
		if err := driver.ValidateQueueName(q); err != nil {
			return bad("Queues", "[%d]: %v", i, err)
		}
		if seen[q] {
			return bad("Queues", "names %q twice", q)
		}
		seen[q] = true
	}
	o.Queues = slices.Clone(o.Queues)
	if o.BasicAuth != nil {
		if o.BasicAuth.User == "" || o.BasicAuth.Password == "" {
			return bad("BasicAuth", "needs both User and Password")
		}
		if strings.Contains(o.BasicAuth.User, ":") {
			return bad("BasicAuth", "User contains ':', which basic authentication cannot carry")
		}
		a := *o.BasicAuth
		o.BasicAuth = &a
	}
	if o.Prefix != "" && (!strings.HasPrefix(o.Prefix, "/") || strings.HasSuffix(o.Prefix, "/")) {
		return bad("Prefix", "%q must start with / and not end with one", o.Prefix)
	}
	if strings.ContainsAny(o.Prefix, "\"'<>?#\\ ") {
		return bad("Prefix", "%q has a character not allowed in a path prefix", o.Prefix)
	}
	switch {
	case o.SampleInterval == 0:
		o.SampleInterval = DefaultSampleInterval
	case o.SampleInterval < 100*time.Millisecond:
		return bad("SampleInterval", "is %v, shorter than 100ms", o.SampleInterval)
	}
	switch {
	case o.Samples == 0:
		o.Samples = DefaultSamples
	case o.Samples < 2 || o.Samples > 10000:
		return bad("Samples", "is %d, not within [2, 10000]", o.Samples)
	}
	switch {
	case o.PageSize == 0:
		o.PageSize = DefaultPageSize
	case o.PageSize < 0 || o.PageSize > MaxPageSize:
		return bad("PageSize", "is %d, not within [1, %d]", o.PageSize, MaxPageSize)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Close stops the sampling goroutine and waits for it. It leaves the
// driver open. Requests served after Close still work, with charts that
// no longer move. Close is safe to call more than once.
func (h *Handler) Close() error {
	h.cancel()
	<-h.done
	return nil
}

// ServeHTTP serves the dashboard's pages, its stylesheet and its actions.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	if !h.authorized(r) {
		hd.Set("WWW-Authenticate", `Basic realm="gosk dashboard", charset="UTF-8"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	h.mux.ServeHTTP(w, r)
}
