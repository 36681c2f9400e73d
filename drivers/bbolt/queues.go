package bbolt

import (
	"context"
	"slices"

	"github.com/gosk/gosk/driver"
)

var _ driver.QueueLister = (*Driver)(nil)

// Queues implements driver.QueueLister in one read transaction: the
// queues whose counts say they hold a task, and the keys of the paused
// bucket.
func (d *Driver) Queues(ctx context.Context) ([]string, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	var out []string
	err = d.view(ctx, func(s *store) error {
		out = []string{}
		seen := make(map[string]bool)
		err := s.queues.ForEachBucket(func(k []byte) error {
			q, err := s.queue(string(k), false)
			if err != nil || q == nil {
				return err
			}
			for _, st := range driver.States() {
				if readCount(q, st) > 0 {
					seen[string(k)] = true
					out = append(out, string(k))
					break
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return s.paused.ForEach(func(k, _ []byte) error {
			if !seen[string(k)] {
				out = append(out, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}
