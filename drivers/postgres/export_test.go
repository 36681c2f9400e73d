package postgres

import "context"

// SetBetweenCreateSteps makes hook run inside every create of d, after the
// insert and before the holders of taken unique keys are read, with the
// backend PID of the create's connection. Nil removes it.
func SetBetweenCreateSteps(d *Driver, hook func(ctx context.Context, pid uint32) error) {
	d.betweenCreateSteps = hook
}

// SetGroupHook makes hook run in the leader of every create group of d,
// before the group's statement, with the context the statement runs in
// and the number of calls in the group. Nil removes it.
func SetGroupHook(d *Driver, hook func(ctx context.Context, calls int)) { d.groupHook = hook }

// QueuedCreates returns how many Create calls of d wait for a group.
func QueuedCreates(d *Driver) int {
	n := 0
	for _, g := range []*createGroups{d.plain, d.keyed} {
		g.mu.Lock()
		n += len(g.pending)
		g.mu.Unlock()
	}
	return n
}
