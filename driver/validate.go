package driver

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The checks below are the contract's rules on input, written once so that
// every adapter refuses the same things with the same errors. Each returns
// nil or an error wrapping ErrInvalid (or ErrUnsupportedPriorityRule) that
// names the offending field. Adapters call them before touching the store.

// ValidateQueueName checks a queue name: 1 to MaxQueueNameLen bytes of
// ASCII letters, digits and the characters _ - . : /. The set is narrow on
// purpose so that a name is safe as a part of a Redis key, a file name or a
// SQL literal on every backend.
func ValidateQueueName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: queue name is empty", ErrInvalid)
	}
	if len(name) > MaxQueueNameLen {
		return fmt.Errorf("%w: queue name is %d bytes, longer than %d", ErrInvalid, len(name), MaxQueueNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == ':' || c == '/'
		if !ok {
			return fmt.Errorf("%w: queue name %q has character %q; allowed are letters, digits and _ - . : /", ErrInvalid, name, c)
		}
	}
	return nil
}

// ValidateQueueNames checks a list of queue names for Admin.Pause,
// Admin.Resume and DueReporter.Due: each as ValidateQueueName says. The
// error names the first bad name's place in the list. A name may appear
// more than once, and the list may be empty.
func ValidateQueueNames(names []string) error {
	for i, name := range names {
		if err := ValidateQueueName(name); err != nil {
			return fmt.Errorf("queue %d: %w", i, err)
		}
	}
	return nil
}

// ValidateNewTasks checks a batch for Create, with payloads of at most
// DefaultMaxPayloadLen bytes.
func ValidateNewTasks(tasks []NewTask) error {
	return ValidateNewTasksMax(tasks, DefaultMaxPayloadLen)
}

// ValidateNewTasksMax checks a batch for Create, with payloads of at most
// maxPayload bytes (the driver's payload limit, which the error names),
// and at most BatchPayloadLimit(maxPayload) bytes in all.
func ValidateNewTasksMax(tasks []NewTask, maxPayload int) error {
	total := 0
	for i, t := range tasks {
		if len(t.Payload) > maxPayload {
			return fmt.Errorf("%w: task %d: payload is %d bytes, over the driver's payload limit of %d bytes", ErrInvalid, i, len(t.Payload), maxPayload)
		}
		if err := ValidateQueueName(t.Queue); err != nil {
			return fmt.Errorf("task %d: %w", i, err)
		}
		if err := CheckNewTask(t, nil); err != nil {
			return fmt.Errorf("%w: task %d: %w", ErrInvalid, i, err)
		}
		total += len(t.Payload)
	}
	return checkBatchPayload(total, maxPayload)
}

// BatchPayloadLimit is the most payload bytes a batch may carry in all on
// a driver whose payload limit is maxPayload: MaxBatchPayloadLen, or
// maxPayload if that is higher.
func BatchPayloadLimit(maxPayload int) int { return max(MaxBatchPayloadLen, maxPayload) }

// checkBatchPayload refuses a batch whose payloads total more than
// BatchPayloadLimit(maxPayload) bytes.
func checkBatchPayload(total, maxPayload int) error {
	if limit := BatchPayloadLimit(maxPayload); total > limit {
		return fmt.Errorf("%w: the batch's payloads are %d bytes in all, over the batch limit of %d bytes (MaxBatchPayloadLen); split the batch", ErrInvalid, total, limit)
	}
	return nil
}

// CheckNewTask checks the fields of t whose rules are the same on every
// driver: Priority within [MinPriority, MaxPriority], Delay not negative,
// MaxAttempts within [1, MaxAttemptsLimit] and UniqueKey as CheckText
// says, in that order. (The queue name has ValidateQueueName, and the
// payload's length is the driver's own limit: see ValidateNewTasksMax.)
// These rules are written here once: ValidateNewTasksMax applies them to
// every task of a batch, and package gosk to CreateOptions before it
// encodes a payload.
//
// It returns nil, or an error that names the first field that breaks its
// rule and says how (such as "priority 40000 is outside [-32768, 32767]")
// without wrapping ErrInvalid, for the caller to wrap as CheckText's. The
// error calls a field label(name), name being its name in NewTask
// ("Priority", "Delay", "MaxAttempts", "UniqueKey"); a nil label calls
// them as this package's messages do ("priority", "delay", "max
// attempts", "unique key").
func CheckNewTask(t NewTask, label func(field string) string) error {
	if label == nil {
		label = fieldWords
	}
	switch {
	case t.Priority < MinPriority || t.Priority > MaxPriority:
		return fmt.Errorf("%s %d is outside [%d, %d]", label("Priority"), t.Priority, MinPriority, MaxPriority)
	case t.Delay < 0:
		return fmt.Errorf("%s %v is negative", label("Delay"), t.Delay)
	case t.MaxAttempts < 1 || t.MaxAttempts > MaxAttemptsLimit:
		return fmt.Errorf("%s %d is outside [1, %d]", label("MaxAttempts"), t.MaxAttempts, MaxAttemptsLimit)
	}
	if err := CheckText(t.UniqueKey, MaxUniqueKeyLen); err != nil {
		return fmt.Errorf("%s %w", label("UniqueKey"), err)
	}
	return nil
}

// fieldWords is CheckNewTask's default label.
func fieldWords(field string) string {
	switch field {
	case "MaxAttempts":
		return "max attempts"
	case "UniqueKey":
		return "unique key"
	}
	return strings.ToLower(field)
}

// PayloadLimit returns the payload limit an adapter's option asks for:
// DefaultMaxPayloadLen for zero, n itself within [1, MaxPayloadLimit], or
// an error wrapping ErrInvalid that names option (such as
// "gosk/redis: Options.MaxPayloadLen").
func PayloadLimit(option string, n int) (int, error) {
	switch {
	case n == 0:
		return DefaultMaxPayloadLen, nil
	case n < 0:
		return 0, fmt.Errorf("%w: %s %d is negative", ErrInvalid, option, n)
	case n > MaxPayloadLimit:
		return 0, fmt.Errorf("%w: %s %d is over %d (MaxPayloadLimit), the most every store holds in one value", ErrInvalid, option, n, MaxPayloadLimit)
	}
	return n, nil
}

// CheckText checks a text field (NewTask.UniqueKey, Outcome.Message)
// against the rule of "Text" in the package doc: at most maxLen bytes of
// valid UTF-8 with no NUL byte. It returns nil, or an error that says what
// is wrong (such as "holds a NUL byte at byte 4") without naming the field
// and without wrapping ErrInvalid, for the caller to wrap with both.
func CheckText(s string, maxLen int) error {
	if len(s) > maxLen {
		return fmt.Errorf("is %d bytes, longer than %d", len(s), maxLen)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0 {
			return fmt.Errorf("holds a NUL byte at byte %d", i)
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("is not valid UTF-8 at byte %d", i)
		}
		i += n
	}
	return nil
}

// CleanMessage returns s made fit to be an Outcome.Message: each NUL byte,
// and each run of bytes that is not valid UTF-8, replaced by U+FFFD, and
// the result cut to at most MaxMessageLen bytes, between two characters.
// A string that already fits is returned as it is. Package worker stores
// every handler error text through it.
func CleanMessage(s string) string {
	if CheckText(s, MaxMessageLen) == nil {
		return s
	}
	const replacement = "\uFFFD"
	var b strings.Builder
	b.Grow(min(len(s), MaxMessageLen))
	invalid := false // the last byte read was invalid and is replaced
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		next := s[i : i+n]
		switch {
		case r == utf8.RuneError && n == 1:
			if invalid {
				i++
				continue
			}
			invalid, next = true, replacement
		case r == 0:
			invalid, next = false, replacement
		default:
			invalid = false
		}
		if b.Len()+len(next) > MaxMessageLen {
			break
		}
		b.WriteString(next)
		i += n
	}
	return b.String()
}

// ValidateClaim checks ClaimParams and returns them with defaults filled
// (a zero Limit becomes 1).
func ValidateClaim(p ClaimParams) (ClaimParams, error) {
	if err := ValidateQueueName(p.Queue); err != nil {
		return p, err
	}
	if !p.Rule.Valid() {
		return p, fmt.Errorf("%w: %v", ErrUnsupportedPriorityRule, p.Rule)
	}
	if p.Limit < 0 {
		return p, fmt.Errorf("%w: claim limit %d is negative", ErrInvalid, p.Limit)
	}
	if p.Limit == 0 {
		p.Limit = 1
	}
	if p.Lease <= 0 {
		return p, fmt.Errorf("%w: lease %v is not positive", ErrInvalid, p.Lease)
	}
	return p, nil
}

// ValidatePing checks the leases and extension of a Ping.
func ValidatePing(leases []Lease, extend time.Duration) error {
	if extend <= 0 {
		return fmt.Errorf("%w: lease extension %v is not positive", ErrInvalid, extend)
	}
	return validateLeases(len(leases), func(i int) Lease { return leases[i] })
}

// ValidateOutcomes checks a batch for Finish.
func ValidateOutcomes(outcomes []Outcome) error {
	for i, o := range outcomes {
		if err := CheckText(o.Message, MaxMessageLen); err != nil {
			return fmt.Errorf("%w: outcome %d: message %w", ErrInvalid, i, err)
		}
		if len(o.Result) > MaxResultLen {
			return fmt.Errorf("%w: outcome %d: result is %d bytes, longer than MaxResultLen (%d)", ErrInvalid, i, len(o.Result), MaxResultLen)
		}
		if len(o.Result) > 0 && o.Kind != Complete {
			return fmt.Errorf("%w: outcome %d: result applies to complete only, not %v", ErrInvalid, i, o.Kind)
		}
		switch o.Kind {
		case Complete, Cancel, Fail:
			if o.Delay != 0 || o.KeepAttempt {
				return fmt.Errorf("%w: outcome %d: delay and keep-attempt apply to release only, not %v", ErrInvalid, i, o.Kind)
			}
		case Release:
			if o.Delay < 0 {
				return fmt.Errorf("%w: outcome %d: release delay %v is negative", ErrInvalid, i, o.Delay)
			}
		default:
			return fmt.Errorf("%w: outcome %d: unknown kind %v", ErrInvalid, i, o.Kind)
		}
	}
	return validateLeases(len(outcomes), func(i int) Lease { return outcomes[i].Lease })
}

func validateLeases(n int, lease func(int) Lease) error {
	seen := make(map[int64]struct{}, n)
	for i := 0; i < n; i++ {
		id := lease(i).TaskID
		if err := ValidateID(id); err != nil {
			return fmt.Errorf("lease %d: %w", i, err)
		}
		if _, dup := seen[id]; dup {
			return fmt.Errorf("%w: task %d is named twice in one batch", ErrInvalid, id)
		}
		seen[id] = struct{}{}
	}
	return nil
}

// ValidateID checks a task ID: IDs are positive.
func ValidateID(id int64) error {
	if id <= 0 {
		return fmt.Errorf("%w: task ID %d is not positive", ErrInvalid, id)
	}
	return nil
}

// ValidateIDs checks a batch of IDs for Admin.Retry and Admin.Cancel: each
// positive, none twice.
func ValidateIDs(ids []int64) error {
	return validateLeases(len(ids), func(i int) Lease { return Lease{TaskID: ids[i]} })
}

// ValidateList checks ListParams and returns them with defaults filled.
func ValidateList(p ListParams) (ListParams, error) {
	if err := ValidateQueueName(p.Queue); err != nil {
		return p, err
	}
	for _, s := range p.States {
		if !s.Valid() {
			return p, fmt.Errorf("%w: unknown state %q", ErrInvalid, s)
		}
	}
	if p.AfterID < 0 {
		return p, fmt.Errorf("%w: after-ID %d is negative", ErrInvalid, p.AfterID)
	}
	if p.Limit < 0 {
		return p, fmt.Errorf("%w: list limit %d is negative", ErrInvalid, p.Limit)
	}
	if p.Limit == 0 {
		p.Limit = DefaultListLimit
	}
	return p, nil
}

// ValidatePurge checks PurgeParams and returns them with defaults filled.
func ValidatePurge(p PurgeParams) (PurgeParams, error) {
	if err := ValidateQueueName(p.Queue); err != nil {
		return p, err
	}
	if p.OlderThan < 0 {
		return p, fmt.Errorf("%w: purge age %v is negative", ErrInvalid, p.OlderThan)
	}
	if p.Limit < 0 {
		return p, fmt.Errorf("%w: purge limit %d is negative", ErrInvalid, p.Limit)
	}
	if p.Limit == 0 {
		p.Limit = DefaultPurgeLimit
	}
	return p, nil
}

// CheckLease applies the fencing rule of the package doc to a task that
// exists, in state with current lease token current, for a call naming
// token. It returns nil when the call may act on the running task, and
// ErrLeaseLost or ErrTaskConflict otherwise. Adapters that decide in Go
// (rather than in a query or a script) call it so the order of the checks
// is written once.
func CheckLease(state State, current, token int64) error {
	switch {
	case token != current:
		return ErrLeaseLost
	case state != StateRunning: // this lease already finalised or released it
		return ErrTaskConflict
	}
	return nil
}

// CheckPing is CheckLease for Ping, where a task that is not running (its
// lease ended its run) is not a conflict but a lease that no longer holds.
func CheckPing(state State, current, token int64) error {
	if token != current || state != StateRunning {
		return ErrLeaseLost
	}
	return nil
}
