package redis

import "testing"

func TestCRC16MatchesRedisCluster(t *testing.T) {
	t.Parallel()
	// The reference value from the Redis Cluster specification.
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("crc16(123456789) = %#x, want 0x31c3", got)
	}
}

func TestSlotTagsCoverEverySlot(t *testing.T) {
	t.Parallel()
	tags := slotTags()
	if len(tags) != numSlots {
		t.Fatalf("%d tags, want %d", len(tags), numSlots)
	}
	for slot, tag := range tags {
		if got := int(crc16([]byte(tag)) & slotMask); got != slot {
			t.Fatalf("tag %q of slot %d hashes to slot %d", tag, slot, got)
		}
	}
}

func TestIDsCarryTheirQueueSlot(t *testing.T) {
	t.Parallel()
	k := keys{prefix: "p:"}
	slot := k.queueSlot("emails")
	id := int64(12345)<<slotBits | int64(slot)
	if idSlot(id) != slot {
		t.Fatalf("idSlot = %d, want %d", idSlot(id), slot)
	}
	want := "p:{" + slotTags()[slot] + "}t:" + idString(id)
	if got := k.task(id); got != want {
		t.Fatalf("task key %q, want %q", got, want)
	}
}
