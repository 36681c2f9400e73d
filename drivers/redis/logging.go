package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// go-redis logs through one logger per process (goredis.SetLogger), which
// by default writes to stderr: a "failed to dial" line per failed
// connection attempt, hundreds while a server restarts. The first driver
// made installs lines in its place, which hands each line to the
// Options.Logger of the open drivers; see # Logging in the package doc.
var (
	lines       = &lineRouter{loggers: make(map[*Driver]*slog.Logger)}
	installOnce sync.Once
)

// lineRouter is the go-redis logger that the package installs: it passes
// each line to the loggers of the open drivers that have one, once per
// distinct logger, and drops it when none has.
type lineRouter struct {
	mu      sync.Mutex
	loggers map[*Driver]*slog.Logger
}

// install makes the router go-redis's logger, once per process.
func (r *lineRouter) install() {
	installOnce.Do(func() { goredis.SetLogger(r) })
}

// listen installs the router and has it pass go-redis's lines to d's
// logger, if d has one, until forget.
func (r *lineRouter) listen(d *Driver, l *slog.Logger) {
	r.install()
	if l == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loggers[d] = l
}

// forget stops passing lines to d's logger.
func (r *lineRouter) forget(d *Driver) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.loggers, d)
}

// Printf is go-redis's logging interface. Lines go out at slog.LevelWarn
// as "go-redis" with the line as attribute "line".
func (r *lineRouter) Printf(ctx context.Context, format string, v ...any) {
	r.mu.Lock()
	to := make([]*slog.Logger, 0, len(r.loggers))
	seen := make(map[*slog.Logger]bool, len(r.loggers))
	for _, l := range r.loggers {
		if !seen[l] {
			seen[l] = true
			to = append(to, l)
		}
	}
	r.mu.Unlock()
	if len(to) == 0 {
		return
	}
	line := strings.TrimSpace(fmt.Sprintf(format, v...))
	for _, l := range to {
		l.LogAttrs(ctx, slog.LevelWarn, "go-redis", slog.String("line", line))
	}
}
