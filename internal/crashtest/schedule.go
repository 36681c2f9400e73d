package crashtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/worker"
)

// ScheduleQueue is the queue the schedule crash test creates its tasks in.
const ScheduleQueue = "crash-schedule"

// scheduleName is the schedule every process runs.
const scheduleName = "tick"

// scheduleRole is a child process that runs the schedule until it is
// killed, with its clock Skew ahead of the real one.
type scheduleRole struct {
	Every     time.Duration
	Skew      time.Duration
	Tolerance time.Duration // worker.ScheduleConfig.ClockSkew
}

func (s scheduleRole) run(ctx context.Context, d driver.Driver) error {
	q, err := gosk.NewQueue[string](d, ScheduleQueue, nil)
	if err != nil {
		return err
	}
	sched, err := worker.NewSchedule(q, scheduleName, worker.Every(s.Every),
		func(slot time.Time) string { return slot.Format(time.RFC3339Nano) },
		&worker.ScheduleConfig{
			Clock:         func() time.Time { return time.Now().Add(s.Skew) },
			ClockSkew:     s.Tolerance,
			RetryInterval: s.Every / 4,
		})
	if err != nil {
		return err
	}
	return sched.Run(ctx) // until killed
}

// ScheduleConfig sets the size of a schedule crash run.
type ScheduleConfig struct {
	// Store is where the processes run the schedule; it must take several
	// processes at once (not bbolt).
	Store Store
	// Every is the schedule's period.
	Every time.Duration
	// Slots is how many periods the run lasts.
	Slots int
	// Skew is how far ahead of the real time the clock of the skewed
	// process runs; Tolerance is the schedule's ClockSkew.
	Skew, Tolerance time.Duration
	// Kills is how many times a process is killed and started again: the
	// skewed one two times in three, the others in turn.
	Kills int
	// Logf, if set, hears progress.
	Logf func(format string, args ...any)
}

// ScheduleReport is what RunSchedule found.
type ScheduleReport struct {
	// Slots are the slots of the tasks in the queue, in order.
	Slots []time.Time
	// Kills is how many processes were killed and started again.
	Kills int
	// Violations are the broken rules: a slot with two tasks, a slot
	// missing between the first task's and the last's.
	Violations []string
}

// RunSchedule runs three processes on cfg.Store that run one schedule,
// one with its clock cfg.Skew ahead, kills and restarts them cfg.Kills
// times (one at a time, so the schedule always runs somewhere) for
// cfg.Slots periods, stops them all, and checks that every slot from the
// first task on became exactly one task.
func RunSchedule(ctx context.Context, cfg ScheduleConfig) (*ScheduleReport, error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	// The parent opens the store first, so its layout is in place before
	// the children race for it, and checks the tasks with it at the end.
	d, err := cfg.Store.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	admin, ok := d.(driver.Admin)
	if !ok {
		return nil, fmt.Errorf("crashtest: %s driver has no Admin", cfg.Store.Kind)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var stderr lockedBuffer
	start := func(skew time.Duration) (*exec.Cmd, error) {
		spec, err := json.Marshal(role{Store: cfg.Store, Schedule: &scheduleRole{Every: cfg.Every, Skew: skew, Tolerance: cfg.Tolerance}})
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), ChildEnv+"="+string(spec))
		cmd.Stderr = &stderr
		return cmd, cmd.Start()
	}
	skews := []time.Duration{cfg.Skew, 0, 0}
	procs := make([]*exec.Cmd, len(skews))
	defer func() {
		for _, p := range procs {
			if p != nil {
				_ = p.Process.Kill()
				_ = p.Wait()
			}
		}
	}()
	for i, skew := range skews {
		if procs[i], err = start(skew); err != nil {
			return nil, err
		}
	}
	rep := &ScheduleReport{}
	end := time.Now().Add(time.Duration(cfg.Slots) * cfg.Every)
	gap := time.Duration(cfg.Slots) * cfg.Every / time.Duration(cfg.Kills+1)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for k := 0; k < cfg.Kills; k++ {
		// A kill at a random point of its share of the run, then a pause
		// of up to two periods before the process starts again.
		if !pause(ctx, gap/2+time.Duration(rng.Int64N(int64(gap/2)))) {
			return nil, ctx.Err()
		}
		i := 0
		if k%3 == 2 {
			i = 1 + k/3%2
		}
		_ = procs[i].Process.Kill()
		_ = procs[i].Wait()
		procs[i] = nil
		rep.Kills++
		if !pause(ctx, time.Duration(rng.Int64N(int64(2*cfg.Every)))) {
			return nil, ctx.Err()
		}
		if procs[i], err = start(skews[i]); err != nil {
			return nil, err
		}
		logf("killed and restarted process %d (skew %v)", i, skews[i])
	}
	if !pause(ctx, time.Until(end)) {
		return nil, ctx.Err()
	}
	for i, p := range procs {
		_ = p.Process.Kill()
		_ = p.Wait()
		procs[i] = nil
	}
	if s := stderr.String(); s != "" {
		logf("children's stderr:\n%s", s)
	}
	q, err := gosk.NewQueue[string](d, ScheduleQueue, nil)
	if err != nil {
		return nil, err
	}
	after := int64(0)
	for {
		recs, err := admin.List(ctx, driver.ListParams{Queue: ScheduleQueue, AfterID: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			t, err := q.Decode(r)
			if err != nil {
				return nil, err
			}
			at, err := time.Parse(time.RFC3339Nano, t.Payload)
			if err != nil {
				return nil, err
			}
			rep.Slots = append(rep.Slots, at)
			after = r.ID
		}
		if len(recs) < 500 {
			break
		}
	}
	rep.Violations = checkSlots(rep.Slots, cfg.Every)
	return rep, nil
}

// checkSlots returns the broken rules in slots (in ID order): each slot
// one task, and no slot missing between the first and the last.
func checkSlots(slots []time.Time, every time.Duration) []string {
	var out []string
	sorted := slices.SortedFunc(slices.Values(slots), func(a, b time.Time) int { return a.Compare(b) })
	if !slices.EqualFunc(sorted, slots, time.Time.Equal) {
		out = append(out, "tasks were not created in slot order")
	}
	for i := 1; i < len(sorted); i++ {
		switch gap := sorted[i].Sub(sorted[i-1]); {
		case gap == 0:
			out = append(out, fmt.Sprintf("slot %v has two tasks", sorted[i]))
		case gap != every:
			out = append(out, fmt.Sprintf("slots missing between %v and %v", sorted[i-1], sorted[i]))
		}
	}
	return out
}

// pause waits d or until ctx is done, reporting whether d passed.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// lockedBuffer gathers the children's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
