package redis

// SeqKey is the key of the ID sequence of queue's slot, which every create
// in that slot increments first: a test that gives it another type makes
// that slot's creates fail before they write anything.
func SeqKey(d *Driver, queue string) string {
	return d.keys.base(d.keys.queueSlot(queue)) + "seq"
}
