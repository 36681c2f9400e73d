package main

import (
	"context"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// emulatedDue gives the memory driver a driver.DueReporter, read through
// its List, until the driver has one of its own, so that the probe can
// show what a Group does with Due. An in-process List is no store round
// trip; on a server store it would be one per queue, which is why only
// the memory driver is given this.
type emulatedDue struct{ *memory.Driver }

// Due reports, for each queue, the time until its earliest pending run-at
// or running lease end, zero if past, or driver.NotDue.
func (d *emulatedDue) Due(ctx context.Context, queues []string) ([]time.Duration, error) {
	now := time.Now()
	out := make([]time.Duration, len(queues))
	for i, q := range queues {
		out[i] = driver.NotDue
		p := driver.ListParams{Queue: q, States: []driver.State{driver.StatePending, driver.StateRunning}, Limit: 1000}
		for {
			recs, err := d.List(ctx, p)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				at := r.RunAt
				if r.State == driver.StateRunning {
					at = r.LeaseExpiresAt
				}
				if due := max(at.Sub(now), 0); out[i] == driver.NotDue || due < out[i] {
					out[i] = due
				}
			}
			if len(recs) < p.Limit {
				break
			}
			p.AfterID = recs[len(recs)-1].ID
		}
	}
	return out, nil
}

// mustMemory returns a memory driver value to ask about its capabilities;
// it starts nothing, so it is not closed.
func mustMemory() driver.Driver { return (*memory.Driver)(nil) }
