package crashtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// Report is what a run found.
type Report struct {
	// Store is the store's kind.
	Store string
	// Tasks is the number of tasks in the store; Acked of them were
	// acknowledged to a producer.
	Tasks, Acked int
	// Batches tried; BatchesUnacked of them were cut by a kill, and
	// BatchesStored of those are in the store anyway (whole).
	Batches, BatchesUnacked, BatchesStored int
	// WorkerKills and ProducerKills count the SIGKILLs.
	WorkerKills, ProducerKills int
	// Completed, Cancelled and Failed count the final tasks.
	Completed, Cancelled, Failed int64
	// Runs counts handler runs; KilledRuns were cut by a kill.
	Runs, KilledRuns int
	// LostClaims counts attempts used with no handler run: a process
	// killed between a claim and its handler.
	LostClaims int
	// DupKilled counts runs whose outcome was never stored because their
	// process was killed and whose task ran again; DupLapsed those whose
	// lease ran out in a live process (EventLeaseLost: a slow ping).
	DupKilled, DupLapsed int
	// Lost counts acknowledged tasks missing; Stuck tasks not final.
	Lost, Stuck int
	// Violations lists every broken promise.
	Violations []string
}

func (r *Report) violate(format string, args ...any) {
	if len(r.Violations) < 50 {
		r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
	}
}

// tolerance covers the truncation of stored times.
const tolerance = 2 * time.Millisecond

func (r *Report) check(ctx context.Context, d driver.Driver, cfg Config, book *logbook, killed map[int]bool) error {
	a, ok := d.(driver.Admin)
	if !ok {
		return fmt.Errorf("%T has no Admin", d)
	}
	var tasks []driver.TaskRecord
	for after := int64(0); ; {
		page, err := a.List(ctx, driver.ListParams{Queue: Queue, AfterID: after, Limit: 1000})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		tasks = append(tasks, page...)
		after = page[len(page)-1].ID
	}
	counts, err := a.Count(ctx, Queue)
	if err != nil {
		return err
	}
	r.Tasks = len(tasks)
	r.Completed, r.Cancelled, r.Failed = counts[driver.StateCompleted], counts[driver.StateCancelled], counts[driver.StateFailed]
	if total := r.Completed + r.Cancelled + r.Failed; total != int64(len(tasks)) {
		r.violate("completed %d + cancelled %d + failed %d = %d, but %d tasks were created", r.Completed, r.Cancelled, r.Failed, total, len(tasks))
	}

	book.mu.Lock()
	defer book.mu.Unlock()
	byID := make(map[int64]driver.TaskRecord, len(tasks))
	jobs := make(map[int64]Job, len(tasks))
	perBatch := make(map[string]int)
	for _, t := range tasks {
		byID[t.ID] = t
		var j Job
		if err := json.Unmarshal(t.Payload, &j); err != nil {
			r.violate("task %d: payload %q does not decode: %v", t.ID, t.Payload, err)
		}
		jobs[t.ID] = j
		perBatch[j.Batch]++
		if _, tried := book.tries[j.Batch]; !tried {
			r.violate("task %d: batch %q was never tried", t.ID, j.Batch)
		}
		if !t.State.Final() {
			r.Stuck++
			r.violate("task %d is %s, not final", t.ID, t.State)
		}
	}
	// Acknowledged tasks exist; a batch is whole or absent.
	for marker, n := range book.tries {
		r.Batches++
		ids, acked := book.acks[marker]
		if !acked {
			r.BatchesUnacked++
			switch perBatch[marker] {
			case 0:
			case n:
				r.BatchesStored++
			default:
				r.violate("batch %s: %d of its %d tasks are stored: a create is all or nothing", marker, perBatch[marker], n)
			}
			continue
		}
		r.Acked += len(ids)
		for _, id := range ids {
			if jobs[id].Batch != marker {
				r.Lost++
				r.violate("task %d was acknowledged for batch %s but is not in the store (found %q)", id, marker, jobs[id].Batch)
			}
		}
		if perBatch[marker] != len(ids) {
			r.violate("batch %s: %d tasks acknowledged, %d stored", marker, len(ids), perBatch[marker])
		}
	}

	// Runs, task by task, in the order they started.
	runs := make(map[int64][]*run)
	for _, x := range book.runs {
		runs[x.id] = append(runs[x.id], x)
	}
	r.Runs = len(book.runs)
	for id, rs := range runs {
		t, ok := byID[id]
		if !ok {
			r.violate("task %d ran but is not in the store", id)
			continue
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].start < rs[j].start })
		runAt := t.CreatedAt.Add(jobs[id].Delay)
		seen := map[int]*run{}
		for i, x := range rs {
			if x.end == 0 {
				r.KilledRuns++
				if !killed[x.pid] {
					r.violate("task %d attempt %d: the run in process %d never ended, yet the process was not killed", id, x.attempt, x.pid)
				}
			}
			if start := time.Unix(0, x.start); start.Before(runAt.Add(-tolerance)) {
				r.violate("task %d: a run started at %v, before its run-at %v", id, start, runAt)
			} else if !t.FinalizedAt.IsZero() && start.After(t.FinalizedAt.Add(tolerance)) {
				r.violate("task %d: a run started at %v, after the task was final at %v", id, start, t.FinalizedAt)
			}
			// An attempt runs again only after a snooze gave it back: a
			// stored one, or one whose process was killed after it
			// may have stored it and before it could say so.
			if prev := seen[x.attempt]; prev != nil && prev.event != worker.EventSnoozed &&
				(prev.result != "snooze" || prev.event != 0 || !killed[prev.pid]) {
				r.violate("task %d: attempt %d ran twice (processes %d and %d) without a snooze between (the first ended %q, event %v, killed %v)",
					id, x.attempt, prev.pid, x.pid, prev.result, prev.event, killed[prev.pid])
			}
			seen[x.attempt] = x
			if i == len(rs)-1 {
				break
			}
			next := rs[i+1]
			if x.end != 0 && next.start < x.end && !killed[x.pid] && x.event != worker.EventLeaseLost {
				r.violate("task %d: attempt %d started in process %d while attempt %d still ran in live process %d", id, next.attempt, next.pid, x.attempt, x.pid)
			}
			switch x.event {
			case worker.EventRetried, worker.EventSnoozed:
				continue // ran again as it should
			case worker.EventCompleted, worker.EventCancelled, worker.EventFailed:
				r.violate("task %d: attempt %d ran again after its final outcome %v was stored", id, x.attempt, x.event)
			case worker.EventLeaseLost:
				r.DupLapsed++
			default:
				if !killed[x.pid] {
					r.violate("task %d: attempt %d in live process %d ended with %v, yet the task ran again", id, x.attempt, x.pid, x.event)
				}
				r.DupKilled++
			}
		}
		// Every attempt used is a run, or a claim its process was
		// killed before running.
		if len(seen) > t.Attempt {
			r.violate("task %d: %d attempts ran, but the store counts %d", id, len(seen), t.Attempt)
		}
		r.LostClaims += t.Attempt - len(seen)
	}
	for _, t := range tasks {
		if len(runs[t.ID]) == 0 && t.Attempt > 0 {
			r.LostClaims += t.Attempt
		}
		if t.State == driver.StateCompleted || t.State == driver.StateCancelled {
			if len(runs[t.ID]) == 0 {
				r.violate("task %d is %s but never ran", t.ID, t.State)
			}
		}
	}
	if bound := (r.WorkerKills + 1) * 2 * cfg.Concurrency * 4; r.LostClaims > 0 && (r.WorkerKills == 0 || r.LostClaims > bound) {
		r.violate("%d attempts were used with no handler run, after %d worker kills", r.LostClaims, r.WorkerKills)
	}

	// Unique keys: two tasks with one key are never live at once.
	byKey := map[string][]driver.TaskRecord{}
	for _, t := range tasks {
		if t.UniqueKey != "" {
			byKey[t.UniqueKey] = append(byKey[t.UniqueKey], t)
		}
	}
	for key, ts := range byKey {
		sort.Slice(ts, func(i, j int) bool { return ts[i].CreatedAt.Before(ts[j].CreatedAt) })
		for i := 1; i < len(ts); i++ {
			if ts[i].CreatedAt.Before(ts[i-1].FinalizedAt.Add(-tolerance)) {
				r.violate("unique key %q: task %d was created at %v while task %d held it until %v", key, ts[i].ID, ts[i].CreatedAt, ts[i-1].ID, ts[i-1].FinalizedAt)
			}
		}
	}
	return nil
}

// Print writes the report as one row of a table, with a header if header
// is true.
func (r *Report) Print(w io.Writer, header bool) {
	if header {
		fmt.Fprintf(w, "%-9s %8s %8s %7s %6s %6s %8s %8s %8s %8s %7s %6s %6s %6s %5s %5s %5s\n",
			"store", "tasks", "acked", "batches", "wkill", "pkill", "complete", "cancel", "failed", "runs", "killed", "noRun", "dupK", "dupL", "lost", "stuck", "viol")
	}
	fmt.Fprintf(w, "%-9s %8d %8d %7d %6d %6d %8d %8d %8d %8d %7d %6d %6d %6d %5d %5d %5d\n",
		r.Store, r.Tasks, r.Acked, r.Batches, r.WorkerKills, r.ProducerKills, r.Completed, r.Cancelled, r.Failed,
		r.Runs, r.KilledRuns, r.LostClaims, r.DupKilled, r.DupLapsed, r.Lost, r.Stuck, len(r.Violations))
}
