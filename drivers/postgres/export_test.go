package postgres

import "context"

// SetBetweenCreateSteps makes hook run inside every create of d, after the
// insert and before the holders of taken unique keys are read, with the
// backend PID of the create's connection. Nil removes it.
func SetBetweenCreateSteps(d *Driver, hook func(ctx context.Context, pid uint32) error) {
	d.betweenCreateSteps = hook
}
