package goskprom

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
)

// DefaultDepthTimeout bounds one scrape's Count calls unless
// DepthOptions.Timeout says otherwise.
const DefaultDepthTimeout = 5 * time.Second

// DepthOptions configures a DepthCollector. The zero value means every
// default; nil means all defaults.
type DepthOptions struct {
	// Namespace prefixes the metrics' names. Default DefaultNamespace
	// ("gosk").
	Namespace string
	// Timeout bounds the Count calls of one scrape, all queues together.
	// A queue whose call has not answered by then is reported down
	// (gosk_queue_depth_up 0) with no counts. Default
	// DefaultDepthTimeout (5s); negative is invalid.
	Timeout time.Duration
	// ConstLabels are added to every metric. Default none.
	ConstLabels prometheus.Labels
}

// DepthCollector is a prometheus.Collector that reports, at each scrape,
// how many tasks each of its queues holds in each state, by calling the
// driver's driver.Admin Count once per queue:
//
//	gosk_queue_tasks{queue="emails",state="pending"} 12
//	gosk_queue_depth_up{queue="emails"} 1
//	gosk_queue_paused{queue="emails"} 0
//
// gosk_queue_depth_up is 0, and the queue's counts are left out, when its
// Count call failed or timed out; gosk_queue_paused, from one
// PausedQueues call, is left out when that call failed. The scrape itself
// succeeds. Register
// it with the registry that serves the scrapes. The counts are the
// store's: every process's tasks are in them, so one process of a
// service is enough to report them.
type DepthCollector struct {
	admin   driver.Admin
	queues  []string
	timeout time.Duration
	tasks   *prometheus.Desc
	up      *prometheus.Desc
	paused  *prometheus.Desc
}

// NewDepthCollector returns a collector of the depth of queues in d. It
// refuses a driver without driver.Admin, an empty or invalid list of
// queue names and invalid options with an error wrapping gosk.ErrInvalid.
func NewDepthCollector(d driver.Driver, queues []string, opts *DepthOptions) (*DepthCollector, error) {
	ad, ok := d.(driver.Admin)
	if !ok {
		return nil, fmt.Errorf("%w: goskprom: the driver %T has no driver.Admin, which DepthCollector needs to count tasks", gosk.ErrInvalid, d)
	}
	if len(queues) == 0 {
		return nil, fmt.Errorf("%w: goskprom: DepthCollector needs at least one queue", gosk.ErrInvalid)
	}
	if err := driver.ValidateQueueNames(queues); err != nil {
		return nil, fmt.Errorf("goskprom: DepthCollector queues: %w", err)
	}
	var o DepthOptions
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Timeout < 0:
		return nil, fmt.Errorf("%w: goskprom: DepthOptions.Timeout is negative (%v)", gosk.ErrInvalid, o.Timeout)
	case o.Timeout == 0:
		o.Timeout = DefaultDepthTimeout
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	return &DepthCollector{
		admin:   ad,
		queues:  append([]string(nil), queues...),
		timeout: o.Timeout,
		tasks: prometheus.NewDesc(prometheus.BuildFQName(o.Namespace, "queue", "tasks"),
			"Tasks in the store, by queue and state, counted at scrape time.", []string{"queue", "state"}, o.ConstLabels),
		up: prometheus.NewDesc(prometheus.BuildFQName(o.Namespace, "queue", "depth_up"),
			"1 if the queue's tasks could be counted at this scrape, else 0.", []string{"queue"}, o.ConstLabels),
		paused: prometheus.NewDesc(prometheus.BuildFQName(o.Namespace, "queue", "paused"),
			"1 if the queue is paused, else 0.", []string{"queue"}, o.ConstLabels),
	}, nil
}

// Describe sends the collector's descriptions.
func (c *DepthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tasks
	ch <- c.up
	ch <- c.paused
}

// Collect counts each queue's tasks, within the collector's timeout, and
// sends the counts, then whether each queue is paused.
func (c *DepthCollector) Collect(ch chan<- prometheus.Metric) {
	// A scrape has no context of its own: the timeout is its bound.
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if paused, err := c.admin.PausedQueues(ctx); err == nil {
		for _, q := range c.queues {
			v := 0.0
			if slices.Contains(paused, q) {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, v, q)
		}
	}
	for _, q := range c.queues {
		counts, err := c.admin.Count(ctx, q)
		if err != nil {
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0, q)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1, q)
		for _, s := range driver.States() {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(counts[s]), q, string(s))
		}
	}
}
