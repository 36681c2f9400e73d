package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
)

// Create stores tasks. Tasks of one queue (one hash slot) are stored by one
// script call, atomically. A batch spanning several slots is one
// MULTI/EXEC transaction on a single server; on a cluster, where a
// transaction cannot span slots, it is one pipeline. Either way each
// slot's call applies or fails on its own (Redis does not roll back a
// transaction): if some fail and others apply, the call returns no error
// and each task of a failed slot has that failure as its result's Err
// (see # Caveats in the package doc). The call's own error means that no
// slot's call applied.
//
// Concurrent Creates of up to 64 tasks share round trips: one that finds
// no call in flight goes at once (taking along those ready to join it),
// and those that arrive while one is in flight are sent together as soon
// as it returns, their results the same as if the calls had been made one
// after another.
func (d *Driver) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if err := d.begin(ctx, driver.ValidateNewTasksMax(tasks, d.maxPayload)); err != nil {
		return nil, err
	}
	if len(tasks) == 0 {
		return []driver.CreateResult{}, nil
	}
	return d.createShared(ctx, tasks)
}

// Claim leases up to p.Limit available tasks of p.Queue in one script call.
// Expired leases come first; see the package doc for how each rule is
// served by a sorted set.
func (d *Driver) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	p, err := driver.ValidateClaim(p)
	if err = d.begin(ctx, err); err != nil {
		return nil, err
	}
	lease := storeunit.Micros(p.Lease)
	slot := d.keys.queueSlot(p.Queue)
	replies, err := d.run(ctx, []call{{
		script: d.s.claim,
		keys:   []string{d.keys.base(slot)},
		args:   []any{p.Queue, scriptCount(p.Limit), p.Rule.String(), lease, storeunit.Micros(d.retention), driver.LeaseExpiredMessage},
	}})
	if err != nil {
		return nil, err
	}
	recs, ok := replies[0].([]any)
	if !ok {
		return nil, fmt.Errorf("gosk/redis: claim script replied %T", replies[0])
	}
	if len(recs)%2 != 0 {
		return nil, fmt.Errorf("gosk/redis: claim script replied %d items", len(recs))
	}
	out := make([]driver.ClaimedTask, 0, len(recs)/2)
	var apart []int // of out, the tasks whose payloads are kept apart
	for i := 0; i < len(recs); i += 2 {
		id, _ := recs[i].(string)
		packed, _ := recs[i+1].(string)
		fields, err := unpackRecord(id, packed)
		if err != nil {
			return nil, err
		}
		rec, token, payloadApart, err := parseRecord(fields)
		if err != nil {
			return nil, err
		}
		if payloadApart {
			apart = append(apart, len(out))
		}
		out = append(out, driver.ClaimedTask{Task: rec, Lease: driver.Lease{TaskID: rec.ID, Token: token}})
	}
	if len(apart) == 0 {
		return out, nil
	}
	got := make([]*driver.TaskRecord, len(apart))
	for k, i := range apart {
		got[k] = &out[i].Task
	}
	// The tasks are leased now: a context that ends before their payloads
	// come must not make the claim fail, or they sit leased to nobody.
	found, err := d.fetchPayloads(context.WithoutCancel(ctx), d.keys.base(slot), got)
	if err != nil {
		return nil, err
	}
	// A payload that is gone went with its task, deleted (cancelled and
	// purged) between the claim and the read: its lease is lost already.
	kept := out[:0]
	for i, k := 0, 0; i < len(out); i++ {
		if k < len(apart) && apart[k] == i {
			k++
			if !found[k-1] {
				continue
			}
		}
		kept = append(kept, out[i])
	}
	return kept, nil
}

// fetchPayloads reads into recs, all of the slot whose base key is base,
// the payloads kept under their payload keys (see externalPayloadMin), with
// one MGET. It reports, per record, whether the payload was there: one that
// is not was deleted with its task after the script read the record.
func (d *Driver) fetchPayloads(ctx context.Context, base string, recs []*driver.TaskRecord) ([]bool, error) {
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = base + "p:" + idString(r.ID)
	}
	vals, err := d.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, translate(err)
	}
	found := make([]bool, len(recs))
	for i, v := range vals {
		if p, ok := v.(string); ok {
			recs[i].Payload = []byte(p)
			found[i] = true
		}
	}
	return found, nil
}

// Ping extends leases, one script call per slot, all in one pipeline.
func (d *Driver) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	if err := d.begin(ctx, driver.ValidatePing(leases, extend)); err != nil {
		return nil, err
	}
	ext := storeunit.Micros(extend)
	return d.perItem(ctx, len(leases), func(i int) int64 { return leases[i].TaskID },
		func(slot int, idx []int) call {
			args := make([]any, 0, 1+2*len(idx))
			args = append(args, ext)
			for _, i := range idx {
				args = append(args, idString(leases[i].TaskID), leases[i].Token)
			}
			return call{script: d.s.ping, keys: []string{d.keys.base(slot)}, args: args}
		})
}

// Finish applies outcomes, one script call per slot, all in one pipeline.
func (d *Driver) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	if err := d.begin(ctx, driver.ValidateOutcomes(outcomes)); err != nil {
		return nil, err
	}
	return d.perItem(ctx, len(outcomes), func(i int) int64 { return outcomes[i].Lease.TaskID },
		func(slot int, idx []int) call {
			args := make([]any, 0, 1+7*len(idx))
			args = append(args, storeunit.Micros(d.retention))
			for _, i := range idx {
				o := outcomes[i]
				keep := 0
				if o.KeepAttempt {
					keep = 1
				}
				args = append(args, idString(o.Lease.TaskID), o.Lease.Token, o.Kind.String(), o.Message, storeunit.Micros(o.Delay), keep, o.Result)
			}
			return call{script: d.s.finish, keys: []string{d.keys.base(slot)}, args: args}
		})
}

// recordFields are the task record's fields in the order scripts read
// them (FIELDS in lua/base.lua).
var recordFields = []string{"q", "p", "pr", "uk", "s", "a", "ma", "e", "c", "r", "l", "f", "tok", "res"}

// Get reads a task with one script call, which unpacks its record.
func (d *Driver) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	if err := d.begin(ctx, driver.ValidateID(id)); err != nil {
		return driver.TaskRecord{}, err
	}
	replies, err := d.run(ctx, []call{{script: d.s.get, keys: []string{d.keys.base(idSlot(id))}, args: []any{idString(id)}}})
	if err != nil {
		return driver.TaskRecord{}, err
	}
	rec, _, payloadApart, err := parseRecord(replies[0])
	if err != nil || !payloadApart {
		return rec, err
	}
	found, err := d.fetchPayloads(ctx, d.keys.base(idSlot(id)), []*driver.TaskRecord{&rec})
	if err != nil {
		return driver.TaskRecord{}, err
	}
	if !found[0] {
		return driver.TaskRecord{}, fmt.Errorf("%w: task %d", driver.ErrTaskNotFound, id)
	}
	return rec, nil
}

// parseRecord reads a record reply: the ID, then recordFields in order. It
// returns the task, its lease token, and whether its payload is kept under
// its payload key (p false, which the reply holds as nil) rather than in
// the record, in which case the record's Payload is empty.
func parseRecord(reply any) (driver.TaskRecord, int64, bool, error) {
	v, ok := reply.([]any)
	if !ok || len(v) != 1+len(recordFields) {
		return driver.TaskRecord{}, 0, false, fmt.Errorf("gosk/redis: bad task record reply %T", reply)
	}
	id, err := parseID(v[0])
	if err != nil {
		return driver.TaskRecord{}, 0, false, err
	}
	str := func(i int) string { s, _ := v[1+i].(string); return s }
	num := func(i int) int64 {
		if n, ok := v[1+i].(int64); ok { // a packed task's numbers
			return n
		}
		n, _ := strconv.ParseInt(str(i), 10, 64) // a layout 1 task's
		return n
	}
	at := func(i int) time.Time {
		if n := num(i); n != 0 {
			return time.UnixMicro(n)
		}
		return time.Time{}
	}
	if str(0) == "" {
		return driver.TaskRecord{}, 0, false, fmt.Errorf("%w: task %d", driver.ErrTaskNotFound, id)
	}
	rec := driver.TaskRecord{
		ID:             id,
		Queue:          str(0),
		Payload:        []byte(str(1)),
		Priority:       int(num(2)),
		UniqueKey:      str(3),
		State:          driver.State(str(4)),
		Attempt:        int(num(5)),
		MaxAttempts:    int(num(6)),
		LastError:      str(7),
		CreatedAt:      at(8),
		RunAt:          at(9),
		LeaseExpiresAt: at(10),
		FinalizedAt:    at(11),
	}
	if s := str(13); s != "" {
		rec.Result = []byte(s)
	}
	return rec, num(12), v[2] == nil, nil
}
