package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"
)

// call is one script call of a batch.
type call struct {
	script *goredis.Script
	keys   []string
	args   []any
	// stage holds payloads to set, each under its key with an expiry of
	// stagedPayloadTTL, in the same pipeline just before the script (see
	// externalPayloadMin).
	stage []stagedPayload
}

// stagedPayload is a payload that a create call's script takes from key.
type stagedPayload struct {
	key     string
	payload []byte
}

// queueStage queues c's staged payloads on pipe.
func (c call) queueStage(ctx context.Context, pipe goredis.Pipeliner) {
	for _, s := range c.stage {
		pipe.Set(ctx, s.key, s.payload, stagedPayloadTTL)
	}
}

// run runs calls and returns their replies in order. One call runs by SHA
// with EVAL as a fallback; several go in one pipeline (see evalEach). The
// first call that failed fails the whole; a caller for which some calls
// may apply while others fail uses evalEach.
func (d *Driver) run(ctx context.Context, calls []call) ([]any, error) {
	if err := d.use(ctx); err != nil {
		return nil, err
	}
	out := make([]any, len(calls))
	if len(calls) == 1 && len(calls[0].stage) == 0 {
		c := calls[0]
		v, err := c.script.Run(ctx, d.client, c.keys, c.args...).Result()
		if err != nil {
			return nil, translate(err)
		}
		out[0] = v
		return out, nil
	}
	for i, cmd := range d.evalEach(ctx, calls, false) {
		v, err := cmd.Result()
		if err != nil {
			return nil, translate(err)
		}
		out[i] = v
	}
	return out, nil
}

// evalEach sends calls in one pipeline, inside MULTI/EXEC if tx, and
// returns their commands, each holding its own reply or error. Without
// tx (on a cluster, one pipeline per node) calls go by SHA, and any that
// met an empty script cache are sent again with EVAL, which is safe
// because a NOSCRIPT call did nothing. With tx they send the scripts'
// source (EVAL): inside MULTI a missing script would fail at EXEC with no
// way to fall back. Redis does not roll a transaction back, so with tx
// too each call has its own outcome.
func (d *Driver) evalEach(ctx context.Context, calls []call, tx bool) []*goredis.Cmd {
	cmds := make([]*goredis.Cmd, len(calls))
	if tx {
		_, _ = d.client.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
			for i, c := range calls {
				c.queueStage(ctx, tx)
				cmds[i] = c.script.Eval(ctx, tx, c.keys, c.args...)
			}
			return nil
		})
		return cmds
	}
	pipe := d.client.Pipeline()
	for i, c := range calls {
		c.queueStage(ctx, pipe)
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	var again []int
	for i, cmd := range cmds {
		if errorCode(cmd.Err()) == codeNoScript {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		pipe := d.client.Pipeline()
		for _, i := range again {
			c := calls[i]
			c.queueStage(ctx, pipe) // again: the first may have run out
			cmds[i] = c.script.Eval(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	return cmds
}

// group splits n items by the slot that holds them, keeping the items'
// order within each slot; slots come in order of first appearance.
func group(n int, slot func(i int) int) (slots []int, items map[int][]int) {
	items = make(map[int][]int)
	for i := range n {
		s := slot(i)
		if _, ok := items[s]; !ok {
			slots = append(slots, s)
		}
		items[s] = append(items[s], i)
	}
	return slots, items
}

// perItem runs one script call per slot over n items named by task ID and
// lines the per-item codes up with the input.
func (d *Driver) perItem(ctx context.Context, n int, id func(i int) int64, build func(slot int, idx []int) call) ([]error, error) {
	if n == 0 {
		return []error{}, nil
	}
	slots, items := group(n, func(i int) int { return idSlot(id(i)) })
	calls := make([]call, len(slots))
	for j, s := range slots {
		calls[j] = build(s, items[s])
	}
	replies, err := d.run(ctx, calls)
	if err != nil {
		return nil, err
	}
	out := make([]error, n)
	for j, s := range slots {
		codes, ok := replies[j].([]any)
		if !ok || len(codes) != len(items[s]) {
			return nil, fmt.Errorf("gosk/redis: script replied %T for %d items", replies[j], len(items[s]))
		}
		for k, i := range items[s] {
			code, _ := codes[k].(int64)
			out[i] = taskError(id(i), code)
		}
	}
	return out, nil
}
