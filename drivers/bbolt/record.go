package bbolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/gosk/gosk/driver"
)

// task is a stored task as the adapter works on it: times are Unix
// nanoseconds on the driver's clock, zero meaning unset.
type task struct {
	id      int64
	queue   string
	payload []byte // read by store.withPayload; nil otherwise
	// result is not part of the encoded record: it lives in the results
	// bucket, read by store.withResult and written by store.move when the
	// task completes.
	result      []byte
	priority    int
	uniqueKey   string
	state       driver.State
	attempt     int
	maxAttempts int
	lastError   string
	token       int64
	createdAt   int64
	runAt       int64
	leaseExp    int64
	finalizedAt int64
}

// live reports whether the task holds its unique key: pending or running.
func (t *task) live() bool { return !t.state.Final() }

// record returns the task as the port's TaskRecord.
func (t *task) record() driver.TaskRecord {
	p := t.payload
	if p == nil {
		p = []byte{}
	}
	return driver.TaskRecord{
		ID:             t.id,
		Queue:          t.queue,
		Payload:        p,
		Priority:       t.priority,
		UniqueKey:      t.uniqueKey,
		State:          t.state,
		Attempt:        t.attempt,
		MaxAttempts:    t.maxAttempts,
		LastError:      t.lastError,
		CreatedAt:      fromNanos(t.createdAt),
		RunAt:          fromNanos(t.runAt),
		LeaseExpiresAt: fromNanos(t.leaseExp),
		FinalizedAt:    fromNanos(t.finalizedAt),
		Result:         t.result,
	}
}

func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// recordFormat is the first byte of every stored task value; a value
// starting with another byte was not written by this code.
const recordFormat = 1

// State codes as stored in a record; zero is not a state.
var stateCodes = map[driver.State]byte{
	driver.StatePending:   1,
	driver.StateRunning:   2,
	driver.StateCompleted: 3,
	driver.StateCancelled: 4,
	driver.StateFailed:    5,
}

var codeStates = [...]driver.State{1: driver.StatePending, 2: driver.StateRunning,
	3: driver.StateCompleted, 4: driver.StateCancelled, 5: driver.StateFailed}

// errCorrupt marks a stored value this code cannot read.
var errCorrupt = errors.New("gosk/bbolt: corrupt task record")

// encode appends the task's record (everything but its ID, which is the
// key, and its payload, which has a bucket of its own) to b: a format
// byte, the state, then length-prefixed strings and varints.
func (t *task) encode(b []byte) []byte {
	b = append(b, recordFormat, stateCodes[t.state])
	b = appendString(b, t.queue)
	b = appendString(b, t.uniqueKey)
	b = appendString(b, t.lastError)
	b = binary.AppendVarint(b, int64(t.priority))
	b = binary.AppendVarint(b, int64(t.attempt))
	b = binary.AppendVarint(b, int64(t.maxAttempts))
	b = binary.AppendVarint(b, t.token)
	b = binary.AppendVarint(b, t.createdAt)
	b = binary.AppendVarint(b, t.runAt)
	b = binary.AppendVarint(b, t.leaseExp)
	b = binary.AppendVarint(b, t.finalizedAt)
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeTask reads a record written by encode. Strings are copied, so the
// task stays valid after the transaction ends; the payload is not read.
func decodeTask(id int64, v []byte) (*task, error) {
	r := reader{b: v}
	if r.byte() != recordFormat {
		return nil, fmt.Errorf("%w: task %d: unknown record format", errCorrupt, id)
	}
	code := r.byte()
	t := &task{id: id}
	t.queue = r.string()
	t.uniqueKey = r.string()
	t.lastError = r.string()
	t.priority = int(r.varint())
	t.attempt = int(r.varint())
	t.maxAttempts = int(r.varint())
	t.token = r.varint()
	t.createdAt = r.varint()
	t.runAt = r.varint()
	t.leaseExp = r.varint()
	t.finalizedAt = r.varint()
	if r.bad || int(code) >= len(codeStates) || code == 0 {
		return nil, fmt.Errorf("%w: task %d", errCorrupt, id)
	}
	t.state = codeStates[code]
	return t, nil
}

// reader decodes a record; any short or malformed field sets bad.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || uint64(len(r.b)-k) < n {
		r.bad = true
		return ""
	}
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}
