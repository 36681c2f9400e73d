package redis

import (
	"fmt"
	"math"
)

// unpackRecord reads a task's record as the scripts store it (the
// MessagePack array of recordFields that Lua's cmsgpack packs) into the
// form of a record reply: the ID, then the fields in order, strings as
// strings, integers as int64 and false (no result) as nil, so that
// parseRecord reads either. Claim gets its tasks so: one string each
// rather than an array of fields, which costs the server less to send.
func unpackRecord(id, b string) ([]any, error) {
	d := unpacker{b: b}
	n, err := d.arrayLen()
	if err != nil {
		return nil, err
	}
	if n != len(recordFields) {
		return nil, fmt.Errorf("gosk/redis: packed record of task %s has %d fields, want %d", id, n, len(recordFields))
	}
	out := make([]any, 1, 1+n)
	out[0] = id
	for range n {
		v, err := d.value()
		if err != nil {
			return nil, fmt.Errorf("gosk/redis: packed record of task %s: %w", id, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// unpacker reads the MessagePack that cmsgpack writes for a record:
// arrays, strings, integers, floats and booleans.
type unpacker struct {
	b string
}

func (d *unpacker) take(n int) (string, error) {
	if n < 0 || len(d.b) < n {
		return "", fmt.Errorf("record cut short")
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v, nil
}

// uint reads a big-endian unsigned integer of n bytes.
func (d *unpacker) uint(n int) (uint64, error) {
	p, err := d.take(n)
	if err != nil {
		return 0, err
	}
	var u uint64
	for i := range len(p) {
		u = u<<8 | uint64(p[i])
	}
	return u, nil
}

func (d *unpacker) arrayLen() (int, error) {
	t, err := d.take(1)
	if err != nil {
		return 0, err
	}
	switch c := t[0]; {
	case c&0xf0 == 0x90:
		return int(c & 0x0f), nil
	case c == 0xdc:
		n, err := d.uint(2)
		return int(n), err
	case c == 0xdd:
		n, err := d.uint(4)
		return int(n), err
	default:
		return 0, fmt.Errorf("record is not an array (0x%02x)", c)
	}
}

func (d *unpacker) str(n int) (any, error) {
	return d.take(n)
}

// value reads one field: a string, an int64, or nil for false or nil.
func (d *unpacker) value() (any, error) {
	t, err := d.take(1)
	if err != nil {
		return nil, err
	}
	c := t[0]
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c&0xe0 == 0xa0:
		return d.str(int(c & 0x1f))
	}
	switch c {
	case 0xc0, 0xc2:
		return nil, nil
	case 0xc3:
		return int64(1), nil
	case 0xd9, 0xda, 0xdb:
		n, err := d.uint(1 << (c - 0xd9))
		if err != nil {
			return nil, err
		}
		return d.str(int(n))
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, err := d.uint(1 << (c - 0xcc))
		return int64(u), err
	case 0xd0, 0xd1, 0xd2, 0xd3:
		n := 1 << (c - 0xd0)
		u, err := d.uint(n)
		shift := 64 - 8*n
		return int64(u<<shift) >> shift, err
	case 0xca:
		u, err := d.uint(4)
		return int64(math.Float32frombits(uint32(u))), err
	case 0xcb:
		u, err := d.uint(8)
		return int64(math.Float64frombits(u)), err
	}
	return nil, fmt.Errorf("unexpected MessagePack type 0x%02x", c)
}
