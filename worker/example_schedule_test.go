package worker_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/memory"
	"github.com/gosk/gosk/worker"
)

type Report struct {
	Slot time.Time `json:"slot"`
}

// Run a schedule next to a queue's workers: every process of the service
// runs the same schedule, and each slot becomes one task. A schedule that
// never ran starts with its last slot (MissedRunLast, the default), so
// this one creates the report of the current hour at once; a worker of
// the queue runs it.
func ExampleNewSchedule() {
	drv := memory.New(nil)
	defer drv.Close()
	q, err := gosk.NewQueue[Report](drv, "reports", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	hourly, err := worker.NewSchedule(q, "hourly", worker.Every(time.Hour),
		func(slot time.Time) Report { return Report{Slot: slot} },
		&worker.ScheduleConfig{Options: gosk.CreateOptions{UniqueKey: "hourly-report"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Cron specs read as cron does, in UTC unless CRON_TZ says otherwise.
	if _, err := worker.NewSchedule(q, "weekdays", worker.Cron("CRON_TZ=Europe/Paris 0 9 * * MON-FRI"), nil, nil); err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hourly.Run(ctx) }()

	w, err := worker.New(q, func(ctx context.Context, t *gosk.Task[Report]) error {
		fmt.Println("report of a whole hour:", t.Payload.Slot.Equal(t.Payload.Slot.Truncate(time.Hour)))
		cancel() // one report is enough for the example
		return nil
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := w.Run(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Println("schedule stopped:", <-done)
	counts, _ := drv.Count(context.Background(), "reports")
	fmt.Println("completed:", counts[driver.StateCompleted])
	// Output:
	// report of a whole hour: true
	// schedule stopped: <nil>
	// completed: 1
}
