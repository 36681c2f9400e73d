package dashboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gosk/gosk/driver"
)

// point is one sample of one queue's counts.
type point struct {
	at     time.Time
	counts map[driver.State]int64
}

// sampler keeps the last n samples of each queue, oldest first.
type sampler struct {
	mu     sync.Mutex
	n      int
	series map[string][]point
}

func newSampler(n int) *sampler {
	return &sampler{n: n, series: make(map[string][]point)}
}

// keep drops the samples of every queue not in queues: one that is no
// longer listed.
func (s *sampler) keep(queues []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q := range s.series {
		if !slices.Contains(queues, q) {
			delete(s.series, q)
		}
	}
}

func (s *sampler) add(queue string, p point) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := append(s.series[queue], p)
	if len(ps) > s.n {
		ps = append(ps[:0:0], ps[len(ps)-s.n:]...)
	}
	s.series[queue] = ps
}

// points returns a copy of queue's samples, oldest first.
func (s *sampler) points(queue string) []point {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]point(nil), s.series[queue]...)
}

// sample counts every queue shown now once and records the counts.
func (h *Handler) sample(ctx context.Context) error {
	queues, err := h.shown(ctx)
	if err != nil {
		return err
	}
	h.samples.keep(queues)
	var errs []error
	for _, q := range queues {
		c, err := h.admin.Count(ctx, q)
		if err != nil {
			errs = append(errs, fmt.Errorf("count queue %q: %w", q, err))
			continue
		}
		h.samples.add(q, point{at: time.Now(), counts: c})
	}
	return errors.Join(errs...)
}

func (h *Handler) sampleLoop(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(h.opts.SampleInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := h.sample(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("dashboard: sample the counts", "err", err)
			}
		}
	}
}

// series is what a chart draws: one value per sample.
type series struct {
	Title  string
	Values []int64
	// Times are the samples' times, for the axis labels.
	Times []time.Time
}

// charts turns a queue's samples into its three charts: tasks completed
// and tasks failed per interval (differences of the counts, which a purge
// can lower: a negative difference counts as zero), and depth (pending
// plus running) at each sample.
func charts(ps []point) (throughput, failures, depth series) {
	throughput.Title = "completed per sample"
	failures.Title = "failed per sample"
	depth.Title = "depth (pending + running)"
	for i, p := range ps {
		depth.Values = append(depth.Values, p.counts[driver.StatePending]+p.counts[driver.StateRunning])
		depth.Times = append(depth.Times, p.at)
		if i == 0 {
			continue
		}
		prev := ps[i-1]
		throughput.Values = append(throughput.Values, max(0, p.counts[driver.StateCompleted]-prev.counts[driver.StateCompleted]))
		throughput.Times = append(throughput.Times, p.at)
		failures.Values = append(failures.Values, max(0, p.counts[driver.StateFailed]-prev.counts[driver.StateFailed]))
		failures.Times = append(failures.Times, p.at)
	}
	return throughput, failures, depth
}
