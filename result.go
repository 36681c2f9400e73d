package gosk

import (
	"errors"
	"fmt"

	"github.com/gosk/gosk/driver"
)

// ErrNoResult means a task has no result to decode: it is not completed,
// or the run that completed it stored none.
var ErrNoResult = errors.New("gosk: task has no result")

// MaxResultLen is the longest result a task may store, in encoded bytes:
// driver.MaxResultLen, 64 KiB. A result says what a run produced (an ID, a
// count, a URL, a short report); the product itself belongs in the
// application's own store.
const MaxResultLen = driver.MaxResultLen

// SetResult encodes v with the task's codec (its queue's) and sets it as
// t.Result, the result of this run: if the handler then returns nil, the
// worker stores it with the completed task, in the same write that
// completes it, and [Queue.Get] reads it back. A run that does not
// complete (it returns an error, cancels, snoozes, panics, or loses its
// lease) stores no result. Calling SetResult again replaces the result.
//
// A value that does not encode, or whose encoding is longer than
// [MaxResultLen] (an error wrapping [ErrInvalid]), is refused and leaves
// t.Result as it was: the handler decides what to do (return the error
// to retry, or set a shorter result). SetResult is not safe for
// concurrent use: call it from the handler, before it returns.
func (t *Task[T]) SetResult(v any) error {
	b, err := t.resultCodec().Marshal(v)
	if err != nil {
		return fmt.Errorf("gosk: encode result of task %d: %w", t.ID, err)
	}
	if len(b) > MaxResultLen {
		return fmt.Errorf("%w: result of task %d is %d bytes encoded, longer than MaxResultLen (%d)", ErrInvalid, t.ID, len(b), MaxResultLen)
	}
	t.Result = b
	return nil
}

// DecodeResult decodes t.Result with the task's codec (its queue's) into
// the value v points to. A task with no result (not completed, or its
// run stored none) returns an error wrapping [ErrNoResult].
//
//	task, err := q.Get(ctx, id)
//	...
//	var r Receipt
//	err = task.DecodeResult(&r)
func (t *Task[T]) DecodeResult(v any) error {
	if len(t.Result) == 0 {
		return fmt.Errorf("gosk: task %d (%s): %w", t.ID, t.State, ErrNoResult)
	}
	if err := t.resultCodec().Unmarshal(t.Result, v); err != nil {
		return fmt.Errorf("gosk: decode result of task %d: %w", t.ID, err)
	}
	return nil
}

// resultCodec is the codec of the queue the task came from, or JSONCodec
// for a task made by hand.
func (t *Task[T]) resultCodec() Codec {
	if t.codec == nil {
		return JSONCodec{}
	}
	return t.codec
}

// DecodeTask turns a driver's record into a Task of payload type T,
// decoding its payload with codec (nil: JSONCodec), as [Queue.Decode]
// does for a queue with that codec; the Task's SetResult and DecodeResult
// use codec too. It is the seam for code that has a record and a codec
// but no queue, such as package gosktest; with a queue, use Queue.Decode.
func DecodeTask[T any](rec driver.TaskRecord, codec Codec) (*Task[T], error) {
	if codec == nil {
		codec = JSONCodec{}
	}
	return (&Queue[T]{name: rec.Queue, codec: codec}).Decode(rec)
}
