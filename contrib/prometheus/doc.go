// Package goskprom exports gosk's task metrics to Prometheus.
//
// It is a module of its own (github.com/gosk/gosk/contrib/prometheus), so
// that the Prometheus client library enters the module graph of those
// who import it and of no other gosk user.
//
// A Metrics, made by New and registered with a prometheus.Registerer of
// the caller's, counts through three seams, each optional:
//
//   - Metrics.Driver wraps the driver.Driver that queues and workers use,
//     and counts the tasks created (gosk_tasks_created_total, with those
//     refused as duplicates in gosk_tasks_duplicates_total) and claimed
//     (gosk_tasks_claimed_total). The wrapper has exactly the optional
//     capabilities of the driver it wraps (driver.Notifier, driver.Admin,
//     driver.DueReporter, driver.Scheduler, driver.QueueLister,
//     driver.Importer), so workers, groups, schedules, the gosk command,
//     the dashboard and gosk.Move behave as they do on the bare driver.
//     Tasks created inside a transaction, through an adapter's Tx, are
//     counted when the Creator is wrapped too: q.In(m.Creator(drv.Tx(tx))).
//     Tasks stored by driver.Importer (gosk.Move's destination) are not
//     counted: they were created on another store.
//   - Metrics.OnEvent, as worker.Config.OnEvent or
//     worker.GroupConfig.OnEvent, counts how each run ended
//     (gosk_task_runs_total by queue and outcome: completed, cancelled,
//     failed, retried, snoozed, released, lease_lost, not_stored) and
//     observes how long its handler ran (gosk_handler_duration_seconds,
//     a histogram by queue and outcome).
//   - Metrics.Middleware, in worker.Config.Middleware, keeps
//     gosk_handlers_running, the handlers running now by queue.
//
// A DepthCollector, registered on its own, reports how many tasks each
// queue holds in each state (gosk_queue_tasks) by calling driver.Admin's
// Count at scrape time, bounded by a timeout; gosk_queue_depth_up says
// whether that call answered, and gosk_queue_paused whether the queue is
// paused.
//
//	reg := prometheus.NewRegistry()
//	m, err := goskprom.New(reg, nil)
//	if err != nil { ... }
//	drv := m.Driver(sqliteDriver) // count creates and claims
//	q, err := gosk.NewQueue[Email](drv, "emails", nil)
//	w, err := worker.New(q, handle, &worker.Config{
//		OnEvent:    m.OnEvent,
//		Middleware: []worker.Middleware{m.Middleware()},
//	})
//	depth, err := goskprom.NewDepthCollector(drv, []string{"emails"}, nil)
//	reg.MustRegister(depth)
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// # Concurrency
//
// A Metrics and its wrappers are safe for concurrent use; one Metrics
// may serve every worker and queue of a process.
//
// # Caveats
//
// A create is counted when the driver's Create returns: a task created in
// a transaction that then rolls back has been counted. A Claim's tasks
// are counted when it returns them, whether or not their handler then
// runs (a worker that is stopping releases them unrun). Metrics on the
// driver count the calls of this process only; DepthCollector's counts
// are the store's, every process included.
package goskprom
