package drivertest_test

import (
	"context"
	"errors"
	"slices"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
)

// brokenTx is a transaction of the broken driver.
type brokenTx struct {
	b      *broken
	tx     *memory.Tx
	staged map[int64]bool

	// keyless stages, for tx-failed-commit-stores-some, the tasks without
	// a unique key, in a memory transaction of their own.
	keyless *memory.Tx
	// keys are the unique keys staged so far: by key alone for
	// tx-key-scoped-to-transaction, by queue and key for
	// tx-commit-skips-key-check.
	keys map[string]int64
	// stripped are the keys of the tasks that tx-commit-skips-key-check
	// staged without them, shown once the transaction commits.
	stripped map[int64]string
	// queues are the queues of the tasks staged, whose wake-ups
	// tx-commit-does-not-wake mutes at commit.
	queues map[string]bool
}

func (b *broken) begin() *brokenTx {
	return &brokenTx{b: b, tx: b.Begin(), staged: map[int64]bool{}, keyless: b.Begin(), keys: map[string]int64{}, stripped: map[int64]string{}, queues: map[string]bool{}}
}

// Create stages tasks. Broken as tx-repeated-key-dropped, a task whose key
// a task staged earlier in the same transaction holds gets an ID of its
// own and no error, and is then never stored.
func (t *brokenTx) Create(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	switch t.b.name {
	case "tx-key-scoped-to-transaction", "tx-commit-skips-key-check", "tx-failed-commit-stores-some":
		if driver.ValidateNewTasks(tasks) == nil {
			return t.createEach(ctx, tasks)
		}
	case "tx-payload-limit-ignored":
		// Checked without the payload limit, and stored cut to it.
		if driver.ValidateNewTasksMax(tasks, driver.MaxPayloadLimit) == nil {
			tasks = slices.Clone(tasks)
			for i := range tasks {
				tasks[i].Payload = tasks[i].Payload[:min(len(tasks[i].Payload), driver.DefaultMaxPayloadLen)]
			}
		}
	}
	res, err := t.b.Tx(t.tx).Create(ctx, tasks)
	if errors.Is(err, driver.ErrInvalid) && t.b.name == "tx-ended-answers-ids" && driver.ValidateNewTasks(tasks) == nil {
		return t.b.phantoms(len(tasks)), nil
	}
	if err != nil {
		return res, err
	}
	for i := range res {
		switch {
		case res[i].Err == nil:
			t.staged[res[i].ID] = true
			t.queues[tasks[i].Queue] = true
		case t.b.name == "tx-repeated-key-dropped" && errors.Is(res[i].Err, driver.ErrDuplicate) && t.staged[res[i].ID]:
			t.b.mu.Lock()
			t.b.fakeIDs++
			res[i] = driver.CreateResult{ID: t.b.fakeIDs}
			t.b.mu.Unlock()
		}
	}
	return res, nil
}

// createEach stages a valid batch one task at a time, as the broken
// transaction of tx-key-scoped-to-transaction, tx-commit-skips-key-check
// or tx-failed-commit-stores-some does:
//
//   - tx-key-scoped-to-transaction refuses a key staged earlier in the
//     transaction for another queue as a duplicate of that task;
//   - tx-commit-skips-key-check checks keys when it stages a task (against
//     the store and the transaction, as it should) and stages the task
//     without its key, so that the commit does not check it again;
//   - tx-failed-commit-stores-some stages the tasks without a key apart,
//     and commits them even when the commit of the others fails.
func (t *brokenTx) createEach(ctx context.Context, tasks []driver.NewTask) ([]driver.CreateResult, error) {
	res := make([]driver.CreateResult, len(tasks))
	for i, nt := range tasks {
		into, key := t.tx, ""
		switch t.b.name {
		case "tx-key-scoped-to-transaction":
			key = nt.UniqueKey
		case "tx-commit-skips-key-check":
			key = keyOf(nt.Queue, nt.UniqueKey)
		case "tx-failed-commit-stores-some":
			if nt.UniqueKey == "" {
				into = t.keyless
			}
		}
		if id, ok := t.keys[key]; ok && nt.UniqueKey != "" {
			res[i] = driver.CreateResult{ID: id, Err: driver.ErrDuplicate}
			continue
		}
		if t.b.name == "tx-commit-skips-key-check" && nt.UniqueKey != "" {
			if holder := t.b.keyHolder(ctx, nt); holder != 0 {
				res[i] = driver.CreateResult{ID: holder, Err: driver.ErrDuplicate}
				continue
			}
			nt.UniqueKey = ""
		}
		r, err := t.b.Tx(into).Create(ctx, []driver.NewTask{nt})
		if err != nil {
			return nil, err
		}
		res[i] = r[0]
		if r[0].Err != nil {
			continue
		}
		t.staged[r[0].ID] = true
		if tasks[i].UniqueKey != "" && key != "" {
			t.keys[key] = r[0].ID
		}
		if t.b.name == "tx-commit-skips-key-check" && tasks[i].UniqueKey != "" {
			t.stripped[r[0].ID] = tasks[i].UniqueKey
		}
	}
	return res, nil
}

// keyHolder returns the task of the memory driver that holds nt's unique
// key, or zero: a Create in a transaction that is rolled back finds it.
func (b *broken) keyHolder(ctx context.Context, nt driver.NewTask) int64 {
	probe := b.Begin()
	defer func() { _ = probe.Rollback() }()
	r, err := b.Tx(probe).Create(ctx, []driver.NewTask{{Queue: nt.Queue, MaxAttempts: 1, UniqueKey: nt.UniqueKey}})
	if err != nil || !errors.Is(r[0].Err, driver.ErrDuplicate) {
		return 0
	}
	return r[0].ID
}

func (t *brokenTx) commit() error {
	if t.b.name == "tx-commit-does-not-wake" {
		for q := range t.queues {
			t.b.mute(q)
		}
	}
	err := t.tx.Commit()
	if t.b.name == "tx-failed-commit-stores-some" {
		_ = t.keyless.Commit()
	}
	if err == nil && len(t.stripped) > 0 {
		t.b.mu.Lock()
		for id, key := range t.stripped {
			t.b.key[id] = key
		}
		t.b.mu.Unlock()
	}
	return err
}

func (t *brokenTx) rollback() error {
	_ = t.keyless.Rollback()
	return t.tx.Rollback()
}
