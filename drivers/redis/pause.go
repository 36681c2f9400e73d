package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
)

// Pause pauses queues; see driver.Admin. A queue's pause is a flag in its
// own slot, set by one script call per slot, which every claim of the
// queue reads; the set of paused queues, in another slot, is what
// PausedQueues lists. The set gets a queue's name before and after its
// flag is set, so that a pause racing a resume of the same queue never
// leaves a set flag unlisted (PausedQueues lists a name only while its
// flag is set).
func (d *Driver) Pause(ctx context.Context, queues []string) error {
	if err := d.begin(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return err
	}
	if len(queues) == 0 {
		return nil
	}
	if err := d.listPaused(ctx, queues); err != nil {
		return err
	}
	if _, err := d.run(ctx, d.perQueueSlot(d.s.pause, queues)); err != nil {
		return err
	}
	return d.listPaused(ctx, queues)
}

// Resume ends the pause of queues and wakes their subscribers (one script
// call per slot), then takes them off the set of paused queues, putting
// back any whose flag a racing Pause has set again; see driver.Admin.
func (d *Driver) Resume(ctx context.Context, queues []string) error {
	if err := d.begin(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return err
	}
	if len(queues) == 0 {
		return nil
	}
	if _, err := d.run(ctx, d.perQueueSlot(d.s.resume, queues)); err != nil {
		return err
	}
	names := make([]any, len(queues))
	for i, q := range queues {
		names[i] = q
	}
	if err := d.client.ZRem(ctx, d.keys.paused(), names...).Err(); err != nil {
		return translate(err)
	}
	flagged, err := d.flagged(ctx, queues)
	if err != nil || len(flagged) == 0 {
		return err
	}
	return d.listPaused(ctx, flagged)
}

// PausedQueues lists the paused queues in byte order; see driver.Admin.
// It reads the set of paused queues, then the flag of each (one pipeline),
// and lists those whose flag is set.
func (d *Driver) PausedQueues(ctx context.Context) ([]string, error) {
	if err := d.begin(ctx, nil); err != nil {
		return nil, err
	}
	listed, err := d.client.ZRange(ctx, d.keys.paused(), 0, -1).Result()
	if err != nil {
		return nil, translate(err)
	}
	out, err := d.flagged(ctx, listed)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// Due tells when each queue next has a task to claim; see
// driver.DueReporter. On a single server it is one script call for all
// the queues (up to dueChunk of them per call); on a cluster one call per
// slot, all in one pipeline per node. Each call reads the clock of the
// server that runs it, and costs one EXISTS when none of its queues holds
// a task nor is paused.
func (d *Driver) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	if err := d.begin(ctx, driver.ValidateQueueNames(queues)); err != nil {
		return nil, err
	}
	out := make([]time.Duration, len(queues))
	if len(queues) == 0 {
		return out, nil
	}
	var groups [][]int // indexes of queues, one call each, at most dueChunk
	if _, cluster := d.client.(*goredis.ClusterClient); cluster {
		// Per slot, and within a slot per dueChunk: one queue named many
		// times (as the port allows) is many queues of one slot, whose
		// keys in one call would overflow the script's stack.
		slots, items := group(len(queues), func(i int) int { return d.keys.queueSlot(queues[i]) })
		for _, s := range slots {
			for g := items[s]; len(g) > 0; g = g[min(dueChunk, len(g)):] {
				groups = append(groups, g[:min(dueChunk, len(g))])
			}
		}
	} else {
		for i := 0; i < len(queues); i += dueChunk {
			g := make([]int, 0, min(dueChunk, len(queues)-i))
			for k := i; k < len(queues) && k < i+dueChunk; k++ {
				g = append(g, k)
			}
			groups = append(groups, g)
		}
	}
	calls := make([]call, len(groups))
	for j, g := range groups {
		keys := make([]string, len(g))
		args := make([]any, len(g))
		for k, i := range g {
			keys[k] = d.keys.base(d.keys.queueSlot(queues[i]))
			args[k] = queues[i]
		}
		calls[j] = call{script: d.s.due, keys: keys, args: args}
	}
	replies, err := d.run(ctx, calls)
	if err != nil {
		return nil, err
	}
	for j, g := range groups {
		v, ok := replies[j].([]any)
		if !ok || len(v) != len(g) {
			return nil, fmt.Errorf("gosk/redis: due script replied %T for %d queues", replies[j], len(g))
		}
		for k, i := range g {
			micros, _ := v[k].(int64)
			out[i] = driver.NotDue
			if micros >= 0 {
				out[i] = time.Duration(micros) * time.Microsecond
			}
		}
	}
	return out, nil
}

// dueChunk is the most queues one due script call reads (five keys each
// go to one EXISTS, within Lua's stack of 8,000).
const dueChunk = 500

// perQueueSlot builds one call of script per slot, with the queues of that
// slot as its arguments, the slots in order of first appearance (as group
// gives them).
func (d *Driver) perQueueSlot(script *goredis.Script, queues []string) []call {
	slots, items := group(len(queues), func(i int) int { return d.keys.queueSlot(queues[i]) })
	calls := make([]call, len(slots))
	for j, s := range slots {
		args := make([]any, len(items[s]))
		for k, i := range items[s] {
			args[k] = queues[i]
		}
		calls[j] = call{script: script, keys: []string{d.keys.base(s)}, args: args}
	}
	return calls
}

// listPaused adds queues to the set of paused queues.
func (d *Driver) listPaused(ctx context.Context, queues []string) error {
	members := make([]goredis.Z, len(queues))
	for i, q := range queues {
		members[i] = goredis.Z{Member: q}
	}
	return translate(d.client.ZAdd(ctx, d.keys.paused(), members...).Err())
}

// flagged returns the queues, in order, whose paused flag is set, reading
// the flags in one pipeline.
func (d *Driver) flagged(ctx context.Context, queues []string) ([]string, error) {
	if len(queues) == 0 {
		return nil, nil
	}
	cmds := make([]*goredis.IntCmd, len(queues))
	_, err := d.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, q := range queues {
			cmds[i] = p.Exists(ctx, d.keys.pausedFlag(q))
		}
		return nil
	})
	if err != nil {
		return nil, translate(err)
	}
	var out []string
	for i, c := range cmds {
		if c.Val() == 1 {
			out = append(out, queues[i])
		}
	}
	return out, nil
}
