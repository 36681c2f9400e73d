package drivertest_test

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/gosk/gosk/driver"
)

// errLimitOutOfRange is the error of the broken driver huge-limit-fails for
// a limit it cannot pass on: what Redis answered a script that handed
// ZRANGE a limit of math.MaxInt as the float 9.2233720368548e+18.
var errLimitOutOfRange = errors.New("ERR value is not an integer or out of range")

// errTooManyToUnpack is the error of the broken driver due-many-names-fail
// for a Due of many names: what Redis answered a script that passed
// every name's keys to one command.
var errTooManyToUnpack = errors.New("ERR user_script:70: too many results to unpack")

// refuseHugeLimit returns errLimitOutOfRange for a limit over math.MaxInt32
// on the broken driver huge-limit-fails (Claim, List and Purge call it),
// as a store that keeps limits in 32 bits, or in a script's floats, would;
// nil otherwise.
func (b *broken) refuseHugeLimit(limit int) error {
	if b.name == "huge-limit-fails" && limit > math.MaxInt32 {
		return errLimitOutOfRange
	}
	return nil
}

// answerTrip is how long the answer of the broken driver
// create-answer-lost-to-context takes to come back from its store.
const answerTrip = 2 * time.Millisecond

// createAnswerLost is Create on the broken driver
// create-answer-lost-to-context: a store whose create commits by itself,
// and whose answer then takes answerTrip to come back. A context that
// ends meanwhile makes the call return the context's error for a batch
// it stored, as PostgreSQL's single-statement insert of a large batch
// did while its result rows travelled back.
func (b *broken) createAnswerLost(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	res, err := b.Driver.Create(ctx, tasks)
	if err != nil {
		return res, err
	}
	b.noteKeys(tasks, res)
	if err := answerTravels(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// answerTravels waits answerTrip, the time a stored call's answer takes to
// come back, and returns the error of ctx if it ends meanwhile.
func answerTravels(ctx context.Context) error {
	trip := time.NewTimer(answerTrip)
	defer trip.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-trip.C:
		return nil
	}
}

// finishInIDOrder is Finish on the broken driver
// large-finish-answers-in-id-order for a batch of more than 1,000: a
// store that splits a large batch into chunks in task-ID order, to lock
// its rows in that order, applies each outcome to its own task but
// answers in the order of the chunks instead of the input's.
func (b *broken) finishInIDOrder(ctx context.Context, outcomes []driver.Outcome) ([]error, error) {
	sorted := slices.Clone(outcomes)
	slices.SortFunc(sorted, func(x, y driver.Outcome) int { return cmp.Compare(x.Lease.TaskID, y.Lease.TaskID) })
	return b.Driver.Finish(ctx, sorted)
}

// claimAnswerLost is Claim on the broken driver
// claim-answer-lost-to-context: a store whose claim commits by itself,
// and whose answer then takes answerTrip to come back. A context that
// ends meanwhile makes the call return the context's error for tasks it
// leased, as PostgreSQL's claim statement did.
func (b *broken) claimAnswerLost(ctx context.Context, p driver.ClaimParams) ([]driver.ClaimedTask, error) {
	got, err := b.Driver.Claim(ctx, p)
	if err != nil {
		return got, err
	}
	b.noteClaims(got, nil)
	if err := answerTravels(ctx); err != nil {
		return nil, err
	}
	return got, nil
}

// createInHalves is Create on the broken driver batch-total-unchecked: a
// store that checks each payload against its limit but not the batch's
// total, and stores a batch of any size (here in two calls of the memory
// driver, each within its total).
func (b *broken) createInHalves(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	if len(tasks) < 2 {
		return b.Driver.Create(ctx, tasks)
	}
	half := len(tasks) / 2
	first, err := b.Driver.Create(ctx, tasks[:half])
	if err != nil {
		return nil, err
	}
	second, err := b.Driver.Create(ctx, tasks[half:])
	if err != nil {
		return nil, err
	}
	res := append(first, second...)
	b.noteKeys(tasks, res)
	return res, nil
}

// phantoms returns n results of tasks created under IDs never stored: the
// answer of the broken driver tx-ended-answers-ids to a Create through a
// creator whose transaction has ended, as a store that queued the tasks
// into a transaction object nobody commits again would give.
func (b *broken) phantoms(n int) []driver.CreateResult {
	b.mu.Lock()
	defer b.mu.Unlock()
	res := make([]driver.CreateResult, n)
	for i := range res {
		b.fakeIDs++
		res[i] = driver.CreateResult{ID: b.fakeIDs}
	}
	return res
}
