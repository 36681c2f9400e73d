package goskprom

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/worker"
)

// DefaultNamespace is the prefix of every metric's name unless
// Options.Namespace says otherwise.
const DefaultNamespace = "gosk"

// Options configures a Metrics. The zero value means every default; nil
// means all defaults.
type Options struct {
	// Namespace prefixes every metric's name. Default DefaultNamespace
	// ("gosk").
	Namespace string
	// Buckets are the upper bounds, in seconds, of the handler duration
	// histogram's buckets, in increasing order. Default
	// prometheus.DefBuckets (5ms to 10s).
	Buckets []float64
	// ConstLabels are added to every metric, for instance to tell two
	// services apart in one registry. Default none.
	ConstLabels prometheus.Labels
}

// Metrics counts gosk's tasks for Prometheus. Make one with New; see the
// package doc for what it counts and where.
type Metrics struct {
	created    *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	claimed    *prometheus.CounterVec
	runs       *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	running    *prometheus.GaugeVec
}

// New makes the metrics and registers them with reg. It refuses a nil
// reg and invalid options with an error wrapping gosk.ErrInvalid that
// names the field. A metric that reg already holds with the same
// description (a second New on one registry) is shared rather than
// refused; a clash with a different metric of the same name is returned
// as the registry's error.
func New(reg prometheus.Registerer, opts *Options) (*Metrics, error) {
	if reg == nil {
		return nil, fmt.Errorf("%w: goskprom: the prometheus.Registerer is nil", gosk.ErrInvalid)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Buckets == nil {
		o.Buckets = prometheus.DefBuckets
	}
	for i := 1; i < len(o.Buckets); i++ {
		if o.Buckets[i] <= o.Buckets[i-1] {
			return nil, fmt.Errorf("%w: goskprom: Options.Buckets must be in increasing order", gosk.ErrInvalid)
		}
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: o.Namespace, Name: name, Help: help, ConstLabels: o.ConstLabels}, labels)
	}
	m := &Metrics{
		created:    counter("tasks_created_total", "Tasks created, by queue.", "queue"),
		duplicates: counter("tasks_duplicates_total", "Tasks not created because a pending or running task of the queue holds their unique key, by queue.", "queue"),
		claimed:    counter("tasks_claimed_total", "Tasks handed out by claims, by queue.", "queue"),
		runs:       counter("task_runs_total", "Task runs whose end the worker reported, by queue and outcome.", "queue", "outcome"),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: o.Namespace, Name: "handler_duration_seconds", ConstLabels: o.ConstLabels,
			Help:    "How long handlers ran, by queue and outcome.",
			Buckets: o.Buckets,
		}, []string{"queue", "outcome"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: o.Namespace, Name: "handlers_running", ConstLabels: o.ConstLabels,
			Help: "Handlers running now, by queue (counted by Metrics.Middleware).",
		}, []string{"queue"}),
	}
	var err error
	if m.created, err = register(reg, m.created); err != nil {
		return nil, err
	}
	if m.duplicates, err = register(reg, m.duplicates); err != nil {
		return nil, err
	}
	if m.claimed, err = register(reg, m.claimed); err != nil {
		return nil, err
	}
	if m.runs, err = register(reg, m.runs); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.running, err = register(reg, m.running); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c with reg, or returns the collector reg already
// holds with the same description.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if old, ok := are.ExistingCollector.(C); ok {
			return old, nil
		}
	}
	return c, fmt.Errorf("goskprom: registering a metric: %w", err)
}

// Outcome returns the outcome label of an event kind: its name, with an
// underscore for a space ("lease_lost", "not_stored").
func Outcome(k worker.EventKind) string {
	return strings.ReplaceAll(k.String(), " ", "_")
}

// OnEvent counts the end of one task run. Use it as
// worker.Config.OnEvent or worker.GroupConfig.OnEvent (in one of the two:
// in both, each run counts twice), or call it from a hook of your own.
func (m *Metrics) OnEvent(ev worker.Event) {
	outcome := Outcome(ev.Kind)
	m.runs.WithLabelValues(ev.Task.Queue, outcome).Inc()
	m.duration.WithLabelValues(ev.Task.Queue, outcome).Observe(ev.Duration.Seconds())
}

// Middleware returns a worker.Middleware that keeps
// gosk_handlers_running: the handlers of each queue running now.
func (m *Metrics) Middleware() worker.Middleware {
	return func(ctx context.Context, info worker.TaskInfo, next func(context.Context) error) error {
		g := m.running.WithLabelValues(info.Queue)
		g.Inc()
		defer g.Dec()
		return next(ctx)
	}
}
