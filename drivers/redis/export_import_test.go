package redis

// DelayedKey is the key of queue's delayed set: pending tasks of a
// priority other than 0 that are not yet due, by run-at.
func DelayedKey(d *Driver, queue string) string {
	return d.keys.base(d.keys.queueSlot(queue)) + "q:" + queue + ":delayed"
}
