package drivertest_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/gosk/gosk/driver"
)

// The broken drivers of driver.Importer. Those that break the record of
// origins keep their own (in broken.origins) and import through the
// memory driver under an origin it has never seen; the others change the
// tasks on the way in.

// ledgerBreaks lists the broken drivers that keep their own record of
// origins.
var ledgerBreaks = []string{
	"import-ignores-origin",
	"import-check-then-act",
	"import-records-duplicate",
	"import-forgets-on-purge",
}

// Import imports tasks as the broken driver's name says.
func (b *broken) Import(ctx context.Context, tasks []driver.ImportTask) ([]driver.ImportResult, error) {
	if slices.Contains(ledgerBreaks, b.name) {
		return b.importLedger(ctx, tasks)
	}
	switch b.name {
	case "import-resets-history", "import-stamps-now", "import-loses-precision":
		tasks = slices.Clone(tasks)
		for i := range tasks {
			b.spoilImport(&tasks[i].Task)
		}
	case "import-invalid-stores-valid":
		if err := driver.ValidateImports(tasks, driver.DefaultMaxPayloadLen); err != nil {
			for _, it := range tasks {
				_, _ = b.Driver.Import(ctx, []driver.ImportTask{it})
			}
			return nil, err
		}
	}
	return b.Driver.Import(ctx, tasks)
}

// spoilImport changes a task on its way in as the broken store would.
func (b *broken) spoilImport(r *driver.TaskRecord) {
	switch b.name {
	case "import-resets-history":
		r.Attempt, r.LastError = 0, ""
	case "import-stamps-now":
		now := b.now()
		r.CreatedAt, r.RunAt = now, now
		if r.State.Final() {
			r.FinalizedAt = now
		}
	case "import-loses-precision":
		r.CreatedAt = r.CreatedAt.Truncate(time.Millisecond)
		r.RunAt = r.RunAt.Truncate(time.Millisecond)
		r.FinalizedAt = r.FinalizedAt.Truncate(time.Millisecond)
	}
}

func originKey(it driver.ImportTask) string {
	return it.Task.Queue + "\x00" + it.Origin + "\x00" + strconv.FormatInt(it.Task.ID, 10)
}

// importLedger imports with the broken driver's own record of origins.
func (b *broken) importLedger(ctx context.Context, tasks []driver.ImportTask) ([]driver.ImportResult, error) {
	// Count tells whether the memory driver is closed: a closed driver
	// judges no input.
	if _, err := b.Driver.Count(ctx, "closed-probe"); errors.Is(err, driver.ErrClosed) {
		return nil, err
	}
	if err := driver.ValidateImports(tasks, driver.DefaultMaxPayloadLen); err != nil {
		return nil, err
	}
	results := make([]driver.ImportResult, len(tasks))
	b.mu.Lock()
	var fresh []int // the tasks whose origin was not seen
	for i, it := range tasks {
		if id, seen := b.origins[originKey(it)]; seen && b.name != "import-ignores-origin" {
			results[i] = driver.ImportResult{ID: id}
			continue
		}
		fresh = append(fresh, i)
	}
	if b.name == "import-check-then-act" {
		// The check and the write are two steps, and the store is slow
		// between them: another caller checks in between and sees the
		// same origins unrecorded. The step waits (a while at most) for
		// a second caller to check, so that concurrent callers overlap
		// however the scheduler runs them.
		b.checking++
		b.mu.Unlock()
		for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); runtime.Gosched() {
			b.mu.Lock()
			overlap := b.checking > 1
			b.mu.Unlock()
			if overlap {
				break
			}
		}
		b.mu.Lock()
		b.checking--
	}
	defer b.mu.Unlock()
	in := make([]driver.ImportTask, len(fresh))
	for k, i := range fresh {
		in[k] = tasks[i]
		b.originSeq++
		in[k].Origin = "broken-" + strconv.FormatInt(b.originSeq, 10)
	}
	res, err := b.Driver.Import(ctx, in)
	if err != nil {
		return nil, err
	}
	for k, i := range fresh {
		r := res[k]
		results[i] = r
		if r.Err == nil || b.name == "import-records-duplicate" {
			b.origins[originKey(tasks[i])] = r.ID
		}
	}
	return results, nil
}

// forgetOrigins drops the record of the origins imported into queue, for
// the driver that loses it with a purge.
func (b *broken) forgetOrigins(queue string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.origins {
		if len(k) > len(queue) && k[:len(queue)+1] == queue+"\x00" {
			delete(b.origins, k)
		}
	}
}
