package redis

import (
	"context"
	"slices"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
)

var _ driver.QueueLister = (*Driver)(nil)

// scanCount is the COUNT hint of each SCAN step of Queues.
const scanCount = 1000

// Queues names the queues that hold a task or are paused, in byte order;
// see driver.QueueLister. A queue holds a task while its set of every
// task exists, so Queues SCANs the prefix's keys for those sets (on every
// master of a cluster): it reads the whole key space, a step at a time,
// and is meant for tools. It then adds the paused queues.
func (d *Driver) Queues(ctx context.Context) ([]string, error) {
	if err := d.begin(ctx, nil); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	found := map[string]bool{}
	scan := func(ctx context.Context, c goredis.Cmdable) error {
		iter := c.Scan(ctx, 0, d.keys.prefix+"{*}q:*:all", scanCount).Iterator()
		for iter.Next(ctx) {
			if q, ok := d.keys.queueOfAll(iter.Val()); ok {
				mu.Lock()
				found[q] = true
				mu.Unlock()
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := d.client.(*goredis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, d.client)
	}
	if err != nil {
		return nil, translate(err)
	}
	paused, err := d.PausedQueues(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range paused {
		found[q] = true
	}
	out := make([]string, 0, len(found))
	for q := range found {
		out = append(out, q)
	}
	slices.Sort(out)
	return out, nil
}

// queueOfAll returns the queue whose set of every task is key, if key is
// one: "<prefix>{<tag>}q:<queue>:all", with tag the queue's own.
func (k keys) queueOfAll(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, k.prefix+"{")
	if !ok {
		return "", false
	}
	tag, rest, ok := strings.Cut(rest, "}q:")
	if !ok {
		return "", false
	}
	q, ok := strings.CutSuffix(rest, ":all")
	if !ok || driver.ValidateQueueName(q) != nil || slotTags()[k.queueSlot(q)] != tag {
		return "", false
	}
	return q, true
}
