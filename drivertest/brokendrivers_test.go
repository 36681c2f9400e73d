package drivertest_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// broken is a memory driver with one rule broken, the one its name (a key
// of brokenDrivers) says. It embeds the memory driver and overrides the
// methods that the break touches. A break that the memory driver's methods
// cannot produce (a refused call that still writes its message, a purge
// that deletes other tasks) is shown through an overlay: records are read
// from the memory driver and then altered as the broken store would have
// stored them, so that from outside the driver the break is real.
type broken struct {
	*memory.Driver
	name string
	now  func() time.Time // the memory driver's clock

	inflight atomic.Int32 // claims under way, for rare-double-delivery

	mu        sync.Mutex
	tokens    map[int64]int64      // the latest lease token handed out per task
	last      []driver.ClaimedTask // the last non-empty claim
	released  map[int64]bool       // released since its last claim: with KeepAttempt?
	reclaimed map[int64]bool       // claimed again after its lease lapsed
	cancelled map[int64]int64      // cancelled by Admin.Cancel: the token it took
	keys      map[string]int64     // queue and unique key -> the last task created with it
	fakeIDs   int64                // IDs handed out for tasks never stored

	// The overlay: what the broken store shows instead of what the memory
	// driver stored.
	lastError map[int64]string // last error
	attempt   map[int64]int    // added to the attempt count
	key       map[int64]string // unique key, of a task stored without it
	gone      map[int64]driver.TaskRecord
	purged    map[string]map[driver.State]int64 // deleted but still counted
	result    map[int64][]byte                  // result (nil: none), see brokenresult_test.go

	slots map[string]time.Time // queue NUL name -> latest slot, for the slot-* drivers

	origins   map[string]int64 // queue NUL origin NUL ID -> task, for brokenimport_test.go
	originSeq int64            // origins handed to the memory driver instead
	checking  int              // import-check-then-act: callers between check and write
}

func newBroken(name string, clock func() time.Time) *broken {
	return &broken{
		Driver:    memory.New(&memory.Options{Clock: clock}),
		name:      name,
		now:       clock,
		tokens:    map[int64]int64{},
		released:  map[int64]bool{},
		reclaimed: map[int64]bool{},
		cancelled: map[int64]int64{},
		keys:      map[string]int64{},
		fakeIDs:   1 << 40,
		lastError: map[int64]string{},
		attempt:   map[int64]int{},
		key:       map[int64]string{},
		gone:      map[int64]driver.TaskRecord{},
		purged:    map[string]map[driver.State]int64{},
		result:    map[int64][]byte{},
		slots:     map[string]time.Time{},
		origins:   map[string]int64{},
	}
}

// view returns r as the broken store shows it.
func (b *broken) view(r driver.TaskRecord) driver.TaskRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m, ok := b.lastError[r.ID]; ok {
		r.LastError = m
	}
	r.Attempt += b.attempt[r.ID]
	if k, ok := b.key[r.ID]; ok {
		r.UniqueKey = k
	}
	return b.viewShared(b.viewResult(r))
}

// lapsed returns the tasks of queue claimed through b that are running
// under a lease that ran out, in ID order.
func (b *broken) lapsed(ctx context.Context, queue string) []driver.TaskRecord {
	b.mu.Lock()
	ids := make([]int64, 0, len(b.tokens))
	for id := range b.tokens {
		ids = append(ids, id)
	}
	b.mu.Unlock()
	slices.Sort(ids)
	now := b.now()
	var out []driver.TaskRecord
	for _, id := range ids {
		r, err := b.Driver.Get(ctx, id)
		if err == nil && r.Queue == queue && r.State == driver.StateRunning && !r.LeaseExpiresAt.After(now) {
			out = append(out, r)
		}
	}
	return out
}

// holdLapsed pings, with a token the store handed out, the lapsed leases
// of queue that keep says, so that the next claim does not see them lapsed.
func (b *broken) holdLapsed(ctx context.Context, queue string, keep func(driver.TaskRecord) bool) {
	for _, r := range b.lapsed(ctx, queue) {
		if keep(r) {
			b.mu.Lock()
			l := driver.Lease{TaskID: r.ID, Token: b.tokens[r.ID]}
			b.mu.Unlock()
			_, _ = b.Driver.Ping(ctx, []driver.Lease{l}, time.Second)
		}
	}
}

func keyOf(queue, key string) string { return queue + "\x00" + key }

// noteKeys remembers which task took each unique key.
func (b *broken) noteKeys(tasks []driver.NewTask, res []driver.CreateResult) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, r := range res {
		if r.Err == nil && tasks[i].UniqueKey != "" {
			b.keys[keyOf(tasks[i].Queue, tasks[i].UniqueKey)] = r.ID
		}
	}
}

func (b *broken) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	switch b.name {
	case "cancelled-context-ignored":
		ctx = context.WithoutCancel(ctx)
	case "create-answer-lost-to-context":
		return b.createAnswerLost(ctx, tasks)
	case "batch-total-unchecked":
		return b.createInHalves(ctx, tasks)
	case "duplicate-unique-key-accepted":
		return b.createFreed(ctx, tasks, func(driver.TaskRecord) bool { return true })
	case "key-freed-on-release", "key-freed-on-snooze":
		snooze := b.name == "key-freed-on-snooze"
		return b.createFreed(ctx, tasks, func(r driver.TaskRecord) bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			keep, ok := b.released[r.ID]
			return ok && r.State == driver.StatePending && keep == snooze
		})
	case "key-freed-on-lapse":
		return b.createFreed(ctx, tasks, func(r driver.TaskRecord) bool {
			return r.State == driver.StateRunning && !r.LeaseExpiresAt.After(b.now())
		})
	case "key-freed-on-reclaim":
		return b.createFreed(ctx, tasks, func(r driver.TaskRecord) bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			return r.State == driver.StateRunning && b.reclaimed[r.ID]
		})
	case "key-kept-when-final":
		return b.createHeld(ctx, tasks, func(driver.TaskRecord) bool { return true })
	case "cancel-keeps-unique-key":
		return b.createHeld(ctx, tasks, func(r driver.TaskRecord) bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			_, ok := b.cancelled[r.ID]
			return ok
		})
	case "delay-short-by-a-tenth":
		tasks = slices.Clone(tasks)
		for i := range tasks {
			tasks[i].Delay -= tasks[i].Delay / 10
		}
	case "unique-key-nul-accepted":
		tasks = slices.Clone(tasks)
		for i := range tasks {
			tasks[i].UniqueKey = strings.ReplaceAll(tasks[i].UniqueKey, "\x00", "\uFFFD")
		}
	case "unique-key-case-folded":
		folded := slices.Clone(tasks)
		for i := range folded {
			folded[i].UniqueKey = strings.ToLower(folded[i].UniqueKey)
		}
		res, err := b.Driver.Create(ctx, folded)
		if err != nil {
			return res, err
		}
		b.noteKeys(tasks, res)
		b.mu.Lock()
		for i, r := range res {
			if r.Err == nil && tasks[i].UniqueKey != folded[i].UniqueKey {
				b.key[r.ID] = tasks[i].UniqueKey
			}
		}
		b.mu.Unlock()
		return res, nil
	case "create-not-atomic":
		// One task at a time: an invalid task fails the call after the
		// tasks before it were stored.
		res := make([]driver.CreateResult, 0, len(tasks))
		for _, nt := range tasks {
			r, err := b.Driver.Create(ctx, []driver.NewTask{nt})
			if err != nil {
				return nil, err
			}
			res = append(res, r...)
		}
		b.noteKeys(tasks, res)
		return res, nil
	}
	res, err := b.Driver.Create(ctx, tasks)
	if err != nil {
		return res, err
	}
	b.noteKeys(tasks, res)
	b.sharePayloads(tasks, res)
	if b.name == "create-errors-shifted" && len(res) > 1 {
		last := res[len(res)-1].Err
		for i := len(res) - 1; i > 0; i-- {
			res[i].Err = res[i-1].Err
		}
		res[0].Err = last
	}
	return res, nil
}

// createFreed creates tasks, and stores again without its key every task
// refused as a duplicate of a task that freed says no longer holds the key
// (showing the key through the overlay).
func (b *broken) createFreed(ctx context.Context, tasks []driver.NewTask, freed func(driver.TaskRecord) bool) ([]driver.CreateResult, error) {
	res, err := b.Driver.Create(ctx, tasks)
	if err != nil {
		return res, err
	}
	b.noteKeys(tasks, res)
	for i := range res {
		if !errors.Is(res[i].Err, driver.ErrDuplicate) {
			continue
		}
		holder, err := b.Driver.Get(ctx, res[i].ID)
		if err != nil || !freed(holder) {
			continue
		}
		again := tasks[i]
		again.UniqueKey = ""
		r, err := b.Driver.Create(ctx, []driver.NewTask{again})
		if err != nil {
			return nil, err
		}
		res[i] = r[0]
		b.mu.Lock()
		b.key[r[0].ID] = tasks[i].UniqueKey
		b.mu.Unlock()
	}
	return res, nil
}

// createHeld creates tasks, refusing as a duplicate every task whose key
// was last taken by a final task that held says still holds it.
func (b *broken) createHeld(ctx context.Context, tasks []driver.NewTask, held func(driver.TaskRecord) bool) ([]driver.CreateResult, error) {
	out := make([]driver.CreateResult, len(tasks))
	var pass []driver.NewTask
	var at []int
	for i, nt := range tasks {
		if nt.UniqueKey != "" {
			b.mu.Lock()
			id, ok := b.keys[keyOf(nt.Queue, nt.UniqueKey)]
			b.mu.Unlock()
			if ok {
				if r, err := b.Driver.Get(ctx, id); err == nil && r.State.Final() && held(r) {
					out[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
					continue
				}
			}
		}
		pass = append(pass, nt)
		at = append(at, i)
	}
	res, err := b.Driver.Create(ctx, pass)
	if err != nil {
		return nil, err
	}
	b.noteKeys(pass, res)
	for j, r := range res {
		out[at[j]] = r
	}
	return out, nil
}

func (b *broken) Claim(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	if err := b.refuseHugeLimit(p.Limit); err != nil {
		return nil, err
	}
	if b.name == "claim-answer-lost-to-context" {
		return b.claimAnswerLost(ctx, p)
	}
	if b.heldByOwnPause(p.Queue) {
		return []driver.ClaimedTask{}, nil
	}
	switch b.name {
	case "cancelled-context-ignored":
		ctx = context.WithoutCancel(ctx)
	case "lease-never-expires":
		p.Lease *= 1000
	case "lease-long-by-a-tenth":
		p.Lease += p.Lease / 10
	case "lease-short-by-a-tenth":
		p.Lease -= p.Lease / 10
	case "fifo-claims-newest":
		if p.Rule == driver.Fifo {
			p.Rule = driver.Lifo
		}
	case "lifo-never-reclaims-lapsed":
		if p.Rule == driver.Lifo {
			b.holdLapsed(ctx, p.Queue, func(driver.TaskRecord) bool { return true })
		}
	case "priority-last-attempt-lapse-not-failed":
		if p.Rule == driver.Priority {
			b.holdLapsed(ctx, p.Queue, func(r driver.TaskRecord) bool { return r.Attempt >= r.MaxAttempts })
		}
	case "claim-holds-back-spent-tasks":
		return b.claimHoldingBack(ctx, p)
	case "lapsed-leases-first":
		if got, ok, err := b.claimLapsedFirst(ctx, p); ok {
			return got, err
		}
	case "lease-tokens-count-down":
		// The store shows each token negated: a task's tokens go down
		// with each claim, and Ping and Finish negate them back, so
		// fencing holds.
		got, err := b.claim(ctx, p, nil)
		for i := range got {
			got[i].Lease.Token = -got[i].Lease.Token
		}
		return got, err
	case "rare-double-delivery":
		// A claim overlaps another when another is under way as it
		// starts or as it ends. The task handed out twice is one of the
		// claim before it, which another claimer holds.
		b.mu.Lock()
		held := b.last
		b.mu.Unlock()
		overlapping := b.inflight.Add(1) > 1
		got, err := b.claim(ctx, p, nil)
		overlapping = overlapping || b.inflight.Load() > 1
		b.inflight.Add(-1)
		if err != nil || !overlapping || rand.IntN(50) != 0 {
			return got, err
		}
		for _, c := range held {
			if c.Task.Queue == p.Queue && !slices.ContainsFunc(got, func(g driver.ClaimedTask) bool { return g.Task.ID == c.Task.ID }) {
				if len(got) < max(p.Limit, 1) {
					got = append(got, c)
				} else {
					got[len(got)-1] = c
				}
				break
			}
		}
		return got, nil
	}
	var lapsed []driver.TaskRecord
	switch b.name {
	case "key-freed-on-reclaim", "attempt-not-counted-on-lapse":
		lapsed = b.lapsed(ctx, p.Queue)
	case "lapse-failure-message-wrong":
		for _, r := range b.lapsed(ctx, p.Queue) {
			if r.Attempt >= r.MaxAttempts {
				b.mu.Lock()
				b.lastError[r.ID] = "lease lapsed"
				b.mu.Unlock()
			}
		}
	}
	return b.claim(ctx, p, lapsed)
}

// claim claims from the memory driver and notes what it handed out;
// lapsed are the tasks whose lease had lapsed before the claim.
func (b *broken) claim(ctx context.Context, p driver.ClaimParams, lapsed []driver.TaskRecord) ([]driver.ClaimedTask, error) {
	got, err := b.Driver.Claim(ctx, p)
	if err != nil {
		return got, err
	}
	b.noteClaims(got, lapsed)
	if b.name == "claim-hands-out-leased-task" {
		b.mu.Lock()
		limit := max(p.Limit, 1)
		for _, c := range b.last {
			if len(got) < limit && c.Task.Queue == p.Queue && !slices.ContainsFunc(got, func(g driver.ClaimedTask) bool { return g.Task.ID == c.Task.ID }) {
				got = append(got, c)
			}
		}
		if len(got) > 0 {
			b.last = got
		}
		b.mu.Unlock()
	}
	for i := range got {
		got[i].Task = b.view(got[i].Task)
	}
	return got, nil
}

func (b *broken) noteClaims(got []driver.ClaimedTask, lapsed []driver.TaskRecord) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range got {
		id := c.Task.ID
		b.tokens[id] = c.Lease.Token
		delete(b.released, id)
		if slices.ContainsFunc(lapsed, func(r driver.TaskRecord) bool { return r.ID == id }) {
			b.reclaimed[id] = true
			if b.name == "attempt-not-counted-on-lapse" {
				b.attempt[id]--
			}
		}
	}
	if len(got) > 0 && b.name != "claim-hands-out-leased-task" {
		b.last = slices.Clone(got)
	}
}

// claimLapsedFirst hands out tasks whose lease lapsed ahead of every other
// task, whatever the rule: it claims every available task, keeps the
// lapsed ones first and gives the rest back as a shutdown would (the
// attempt kept). ok is false when no lease of the queue has lapsed.
func (b *broken) claimLapsedFirst(ctx context.Context, p driver.ClaimParams) (got []driver.ClaimedTask, ok bool, err error) {
	p, err = driver.ValidateClaim(p)
	if err != nil {
		return nil, true, err
	}
	lapsed := b.lapsed(ctx, p.Queue)
	if len(lapsed) == 0 {
		return nil, false, nil
	}
	all, err := b.Driver.Claim(ctx, driver.ClaimParams{Queue: p.Queue, Limit: math.MaxInt32, Rule: p.Rule, Lease: p.Lease})
	if err != nil {
		return nil, true, err
	}
	wasLapsed := func(c driver.ClaimedTask) bool {
		return slices.ContainsFunc(lapsed, func(r driver.TaskRecord) bool { return r.ID == c.Task.ID })
	}
	var first, rest []driver.ClaimedTask
	for _, c := range all {
		if wasLapsed(c) {
			first = append(first, c)
		} else {
			rest = append(rest, c)
		}
	}
	ordered := append(first, rest...)
	keep := ordered[:min(p.Limit, len(ordered))]
	var back []driver.Outcome
	for _, c := range ordered[len(keep):] {
		back = append(back, driver.Outcome{Lease: c.Lease, Kind: driver.Release, KeepAttempt: true})
	}
	if len(back) > 0 {
		if _, err := b.Driver.Finish(ctx, back); err != nil {
			return nil, true, err
		}
	}
	b.noteClaims(keep, lapsed)
	for i := range keep {
		keep[i].Task = b.view(keep[i].Task)
	}
	return keep, true, nil
}

func (b *broken) Ping(ctx context.Context, leases []driver.Lease, extend time.Duration) ([]error, error) {
	switch b.name {
	case "invalid-ping-batch-applied":
		if err := driver.ValidatePing(leases, extend); err != nil {
			return nil, b.applyValidLeases(ctx, leases, extend, err)
		}
	case "ping-extends-from-old-expiry":
		if err := driver.ValidatePing(leases, extend); err != nil {
			return nil, err
		}
		errs := make([]error, len(leases))
		for i, l := range leases {
			ext := extend
			if r, err := b.Driver.Get(ctx, l.TaskID); err == nil && r.State == driver.StateRunning {
				ext += max(0, r.LeaseExpiresAt.Sub(b.now()))
			}
			e, err := b.Driver.Ping(ctx, []driver.Lease{l}, ext)
			if err != nil {
				return nil, err
			}
			errs[i] = e[0]
		}
		return errs, nil
	case "ping-extension-short-by-a-tenth":
		extend -= extend / 10
	case "lease-tokens-count-down":
		leases = slices.Clone(leases)
		for i := range leases {
			leases[i].Token = -leases[i].Token
		}
	case "lapsed-lease-refused-before-reclaim":
		return b.refuseLapsed(ctx, leases, func(kept []driver.Lease) ([]error, error) {
			return b.Driver.Ping(ctx, kept, extend)
		})
	}
	if b.name == "ping-check-then-act" && driver.ValidatePing(leases, extend) == nil {
		leases = b.checkThenAct(leases)
	}
	errs, err := b.Driver.Ping(ctx, leases, extend)
	if err != nil {
		return errs, err
	}
	switch b.name {
	case "ping-revives-final-task":
		for i, l := range leases {
			if r, err := b.Get(ctx, l.TaskID); err == nil && r.State.Final() {
				errs[i] = nil
			}
		}
	case "stale-ping-extends-holder":
		for i, l := range leases {
			b.mu.Lock()
			current, ok := b.tokens[l.TaskID]
			b.mu.Unlock()
			if errors.Is(errs[i], driver.ErrLeaseLost) && ok && current != l.Token {
				_, _ = b.Driver.Ping(ctx, []driver.Lease{{TaskID: l.TaskID, Token: current}}, extend)
			}
		}
	case "ping-after-release-conflict":
		for i, l := range leases {
			b.mu.Lock()
			current := b.tokens[l.TaskID]
			b.mu.Unlock()
			if r, err := b.Driver.Get(ctx, l.TaskID); err == nil && errors.Is(errs[i], driver.ErrLeaseLost) && r.State == driver.StatePending && current == l.Token {
				errs[i] = driver.ErrTaskConflict
			}
		}
	case "ping-results-rotated":
		if len(errs) > 1 {
			errs = append(errs[len(errs)-1:], errs[:len(errs)-1]...)
		}
	}
	return errs, nil
}

func (b *broken) Finish(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	if b.name == "large-finish-answers-in-id-order" && len(outcomes) > 1000 {
		return b.finishInIDOrder(ctx, outcomes)
	}
	outcomes = slices.Clone(outcomes)
	for i := range outcomes {
		o := &outcomes[i]
		switch b.name {
		case "finish-ignores-lease-token":
			b.mu.Lock()
			if tok, ok := b.tokens[o.Lease.TaskID]; ok {
				o.Lease.Token = tok
			}
			b.mu.Unlock()
		case "lease-tokens-count-down":
			o.Lease.Token = -o.Lease.Token
		case "finish-check-then-act":
			o.Lease = b.checkThenAct([]driver.Lease{o.Lease})[0]
		case "keep-attempt-ignored":
			o.KeepAttempt = false
		case "keep-attempt-drops-delay":
			if o.KeepAttempt {
				o.Delay = 0
			}
		case "release-delay-from-creation", "release-delay-from-old-run-at":
			if o.Kind == driver.Release && o.Delay > 0 {
				if r, err := b.Driver.Get(ctx, o.Lease.TaskID); err == nil {
					from := r.CreatedAt
					if b.name == "release-delay-from-old-run-at" {
						from = r.RunAt
					}
					o.Delay = max(0, o.Delay-b.now().Sub(from))
				}
			}
		case "message-trimmed":
			o.Message = strings.TrimSpace(o.Message)
		case "message-nul-accepted":
			if strings.ContainsRune(o.Message, 0) || !utf8.ValidString(o.Message) {
				o.Message = strings.ToValidUTF8(strings.ReplaceAll(o.Message, "\x00", "\uFFFD"), "\uFFFD")
			}
		}
	}
	if b.name == "lapsed-lease-refused-before-reclaim" {
		leases := make([]driver.Lease, len(outcomes))
		for i, o := range outcomes {
			leases[i] = o.Lease
		}
		return b.refuseLapsed(ctx, leases, func(kept []driver.Lease) ([]error, error) {
			var outs []driver.Outcome
			for _, o := range outcomes {
				if slices.Contains(kept, o.Lease) {
					outs = append(outs, o)
				}
			}
			return b.Driver.Finish(ctx, outs)
		})
	}
	afterResults := b.resultBreak(outcomes)
	errs, err := b.Driver.Finish(ctx, outcomes)
	if err != nil {
		return errs, err
	}
	afterResults(errs)
	for i, o := range outcomes {
		b.noteOutcome(ctx, o, errs[i])
	}
	switch b.name {
	case "finish-results-reversed":
		slices.Reverse(errs)
	case "outside-cancel-keeps-token":
		for i, o := range outcomes {
			b.mu.Lock()
			took, ok := b.cancelled[o.Lease.TaskID]
			b.mu.Unlock()
			if errors.Is(errs[i], driver.ErrLeaseLost) && ok && took == o.Lease.Token {
				errs[i] = driver.ErrTaskConflict
			}
		}
	case "outcome-after-release-lease-lost":
		for i, o := range outcomes {
			if r, err := b.Driver.Get(ctx, o.Lease.TaskID); err == nil && errors.Is(errs[i], driver.ErrTaskConflict) && r.State == driver.StatePending {
				errs[i] = driver.ErrLeaseLost
			}
		}
	}
	return errs, nil
}

// refuseLapsed answers ErrLeaseLost for each lease whose task is running
// under it with its time run out, and passes the others to call.
func (b *broken) refuseLapsed(ctx context.Context, leases []driver.Lease, call func(kept []driver.Lease) ([]error, error)) ([]error, error) {
	errs := make([]error, len(leases))
	var kept []driver.Lease
	var at []int
	for i, l := range leases {
		r, err := b.Driver.Get(ctx, l.TaskID)
		b.mu.Lock()
		current := b.tokens[l.TaskID]
		b.mu.Unlock()
		if err == nil && r.State == driver.StateRunning && current == l.Token && !r.LeaseExpiresAt.After(b.now()) {
			errs[i] = driver.ErrLeaseLost
			continue
		}
		kept = append(kept, l)
		at = append(at, i)
	}
	if len(kept) == 0 {
		return errs, nil
	}
	got, err := call(kept)
	if err != nil {
		return nil, err
	}
	for j, e := range got {
		errs[at[j]] = e
	}
	return errs, nil
}

// noteOutcome notes what an outcome did, and what the broken store shows
// for it.
func (b *broken) noteOutcome(ctx context.Context, o driver.Outcome, err error) {
	id := o.Lease.TaskID
	if err != nil {
		if b.name == "refused-finish-writes-message" && o.Message != "" && !errors.Is(err, driver.ErrTaskNotFound) {
			b.mu.Lock()
			b.lastError[id] = o.Message
			b.mu.Unlock()
		}
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case o.Message != "":
		delete(b.lastError, id)
	case b.name == "empty-message-clears-last-error":
		b.lastError[id] = ""
	}
	if o.Kind == driver.Release {
		b.released[id] = o.KeepAttempt
	}
}

func (b *broken) Get(ctx context.Context, id int64) (driver.TaskRecord, error) {
	if b.name == "input-before-closed" {
		if err := driver.ValidateID(id); err != nil {
			return driver.TaskRecord{}, err
		}
	}
	r, err := b.Driver.Get(ctx, id)
	if err != nil {
		return r, err
	}
	b.mu.Lock()
	_, gone := b.gone[id]
	b.mu.Unlock()
	if gone {
		return driver.TaskRecord{}, fmt.Errorf("task %d: %w", id, driver.ErrTaskNotFound)
	}
	return b.view(r), nil
}

func (b *broken) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if b.name == "tx-commit-does-not-wake" || b.name == "slot-does-not-wake" {
		return b.subscribeMuted(ctx, queue)
	}
	if b.name == "subscription-outlives-context" {
		ctx = context.WithoutCancel(ctx)
	}
	return b.Driver.Subscribe(ctx, queue)
}

func (b *broken) List(ctx context.Context, p driver.ListParams) ([]driver.TaskRecord, error) {
	if err := b.refuseHugeLimit(p.Limit); err != nil {
		return nil, err
	}
	if b.name == "list-cursor-inclusive" && p.AfterID > 0 {
		p.AfterID--
	}
	recs, err := b.Driver.List(ctx, p)
	if err != nil {
		return recs, err
	}
	out := recs[:0]
	for _, r := range recs {
		b.mu.Lock()
		_, gone := b.gone[r.ID]
		b.mu.Unlock()
		if !gone {
			out = append(out, b.view(r))
		}
	}
	return out, nil
}

func (b *broken) Count(ctx context.Context, queue string) (map[driver.State]int64, error) {
	if b.name == "count-ignores-cancelled-context" {
		ctx = context.WithoutCancel(ctx)
	}
	counts, err := b.Driver.Count(ctx, queue)
	if err != nil {
		return counts, err
	}
	if b.name == "lapsed-lease-counted-pending" {
		for range b.lapsed(ctx, queue) {
			counts[driver.StateRunning]--
			counts[driver.StatePending]++
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s, n := range b.purged[queue] {
		counts[s] += n
	}
	for _, r := range b.gone {
		if r.Queue == queue {
			counts[r.State]--
		}
	}
	if b.name == "count-omits-zero-states" {
		for s, n := range counts {
			if n == 0 {
				delete(counts, s)
			}
		}
	}
	return counts, nil
}

func (b *broken) Retry(ctx context.Context, ids []int64) ([]error, error) {
	if (b.name == "retry-check-then-act" || b.name == "retry-reads-stale-state") && driver.ValidateIDs(ids) == nil {
		return b.retryCheckThenAct(ctx, ids)
	}
	var before []driver.TaskRecord
	if b.name == "retry-keeps-attempts" {
		for _, id := range ids {
			r, _ := b.Driver.Get(ctx, id)
			before = append(before, r)
		}
	}
	errs, err := b.Driver.Retry(ctx, ids)
	if err != nil {
		return errs, err
	}
	b.retryResultBreak(ctx, ids, errs)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, id := range ids {
		if errs[i] != nil {
			continue
		}
		delete(b.cancelled, id)
		switch b.name {
		case "retry-keeps-attempts":
			b.attempt[id] += before[i].Attempt
		case "retry-clears-last-error":
			b.lastError[id] = ""
		}
	}
	if b.name == "retry-hides-taken-key" {
		for i := range errs {
			if errors.Is(errs[i], driver.ErrDuplicate) {
				errs[i] = nil
			}
		}
	}
	return errs, nil
}

func (b *broken) Cancel(ctx context.Context, ids []int64) ([]error, error) {
	if err := driver.ValidateIDs(ids); err != nil && b.name == "invalid-cancel-batch-applied" {
		return nil, b.cancelValidIDs(ctx, ids, err)
	}
	errs, err := b.Driver.Cancel(ctx, ids)
	if err != nil {
		return errs, err
	}
	b.mu.Lock()
	for i, id := range ids {
		if errs[i] == nil {
			b.cancelled[id] = b.tokens[id]
		}
	}
	b.mu.Unlock()
	if b.name == "cancel-results-reversed" {
		slices.Reverse(errs)
	}
	return errs, nil
}

func (b *broken) Purge(ctx context.Context, p driver.PurgeParams) (int, error) {
	if err := b.refuseHugeLimit(p.Limit); err != nil {
		return 0, err
	}
	switch b.name {
	case "purge-ignores-cancelled-context":
		ctx = context.WithoutCancel(ctx)
	case "purge-limit-ignored":
		p.Limit = math.MaxInt32
	case "purge-age-from-creation":
		return b.purgeBy(ctx, p, func(r driver.TaskRecord) time.Time { return r.CreatedAt }, false)
	case "purge-newest-first":
		return b.purgeBy(ctx, p, func(r driver.TaskRecord) time.Time { return r.FinalizedAt }, true)
	case "purge-check-then-act":
		return b.purgeCheckThenAct(ctx, p)
	case "count-stale-after-purge":
		before, err := b.finalTasks(ctx, p.Queue)
		if err != nil {
			return 0, err
		}
		n, err := b.Driver.Purge(ctx, p)
		if err != nil {
			return n, err
		}
		after, err := b.finalTasks(ctx, p.Queue)
		if err != nil {
			return 0, err
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, r := range before {
			if !slices.ContainsFunc(after, func(a driver.TaskRecord) bool { return a.ID == r.ID }) {
				if b.purged[p.Queue] == nil {
					b.purged[p.Queue] = map[driver.State]int64{}
				}
				b.purged[p.Queue][r.State]++
			}
		}
		return n, nil
	case "slot-forgets-on-purge":
		b.forgetSlots(p.Queue)
	case "import-forgets-on-purge":
		b.forgetOrigins(p.Queue)
	}
	return b.Driver.Purge(ctx, p)
}

// purgeBy purges as Purge does, but measures a task's age by age and,
// if newestFirst, deletes the newest finalisations first. Deleted tasks
// are hidden by the overlay.
func (b *broken) purgeBy(ctx context.Context, p driver.PurgeParams, age func(driver.TaskRecord) time.Time, newestFirst bool) (int, error) {
	p, err := driver.ValidatePurge(p)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	final, err := b.finalTasks(ctx, p.Queue)
	if err != nil {
		return 0, err
	}
	cutoff := b.now().Add(-p.OlderThan)
	b.mu.Lock()
	defer b.mu.Unlock()
	var old []driver.TaskRecord
	for _, r := range final {
		if _, gone := b.gone[r.ID]; !gone && !age(r).After(cutoff) {
			old = append(old, r)
		}
	}
	slices.SortStableFunc(old, func(x, y driver.TaskRecord) int {
		if newestFirst {
			return y.FinalizedAt.Compare(x.FinalizedAt)
		}
		return x.FinalizedAt.Compare(y.FinalizedAt)
	})
	old = old[:min(p.Limit, len(old))]
	for _, r := range old {
		b.gone[r.ID] = r
	}
	return len(old), nil
}

// finalTasks lists every final task of queue from the memory driver.
func (b *broken) finalTasks(ctx context.Context, queue string) ([]driver.TaskRecord, error) {
	var out []driver.TaskRecord
	var after int64
	for {
		page, err := b.Driver.List(ctx, driver.ListParams{
			Queue: queue, AfterID: after, Limit: 1000,
			States: []driver.State{driver.StateCompleted, driver.StateCancelled, driver.StateFailed},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}
