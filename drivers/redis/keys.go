package redis

import (
	"fmt"
	"strconv"
	"sync"
)

// numSlots is the number of hash slots of Redis Cluster. Task IDs carry the
// slot of their queue in their low slotBits bits.
const (
	numSlots = 16384
	slotBits = 14
	slotMask = numSlots - 1
)

// maxID is the largest task ID: Lua numbers are doubles, exact up to 2^53.
const maxID = 1<<53 - 1

// crc16 is the CRC-16/XMODEM checksum that Redis Cluster uses to map keys to
// slots, a byte at a time from crcTable.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^c]
	}
	return crc
}

// crcTable holds the CRC-16/XMODEM (polynomial 0x1021) of each byte.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// slotTags returns, for every slot, the shortest base-36 string whose
// CRC16 falls in that slot. Keys hash-tagged with slotTags()[s] live in slot
// s, which lets a task ID name the slot its keys are in. The table is a pure
// function of the CRC, built once on first use (a few milliseconds).
var slotTags = sync.OnceValue(func() []string {
	tags := make([]string, numSlots)
	left := numSlots
	for i := int64(0); left > 0; i++ {
		s := strconv.FormatInt(i, 36)
		slot := crc16([]byte(s)) & slotMask
		if tags[slot] == "" {
			tags[slot] = s
			left--
		}
	}
	return tags
})

// keys builds the key names of one store (one prefix). Lua scripts build the
// same names from the base key they are given; see the package doc.
type keys struct {
	prefix string
}

// queueSlot is the slot that holds every key of queue.
func (k keys) queueSlot(queue string) int {
	return int(crc16([]byte(k.prefix+"\x00"+queue)) & slotMask)
}

// base is the hash-tagged stem of every key in slot: "<prefix>{<tag>}".
func (k keys) base(slot int) string {
	return k.prefix + "{" + slotTags()[slot] + "}"
}

// meta is the key of the layout record (version and owner).
func (k keys) meta() string { return k.prefix + "meta" }

// task is the key of a task's record.
func (k keys) task(id int64) string {
	return k.base(idSlot(id)) + "t:" + idString(id)
}

// channel is the pub/sub channel that wakes workers of queue.
func (k keys) channel(queue string) string {
	return k.base(k.queueSlot(queue)) + "q:" + queue + ":wake"
}

// paused is the sorted set of the names of the paused queues, each scored
// 0 so that the set keeps them in byte order. Each queue's pause itself is
// its flag in its own slot (see pausedFlag), which a claim reads; this
// set, in a slot of its own, is what Admin.PausedQueues lists.
func (k keys) paused() string { return k.prefix + "paused" }

// pausedFlag is the key that marks queue paused, in the queue's slot.
func (k keys) pausedFlag(queue string) string {
	return k.base(k.queueSlot(queue)) + "q:" + queue + ":paused"
}

// idSlot is the slot encoded in a task ID.
func idSlot(id int64) int { return int(id & slotMask) }

// idString is the form of an ID in keys and sorted-set members: zero-padded
// to 16 digits so that lexical order is numeric order.
func idString(id int64) string { return fmt.Sprintf("%016d", id) }
