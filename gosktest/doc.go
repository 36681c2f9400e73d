// Package gosktest helps users of gosk test their own code: handlers,
// code that creates tasks, and whole flows of both. Import it from
// _test.go files only.
//
// Three helpers, one for each kind of test:
//
//   - Run calls a handler on a payload in a unit test, with no store and
//     no worker loop, and returns what a worker would have stored: the
//     task completed, cancelled, snoozed, retried after a back-off or
//     failed on its last attempt. It decides by worker.Decide, the
//     worker's own outcome policy, and calls the handler as a worker
//     does: through Config.Middleware, within Config.HandlerTimeout, with
//     panics recovered into a *worker.PanicError, on a payload that has
//     been through the queue's codec. Use it to test a handler's logic
//     and the fate it gives its task ("a bad address cancels, a timeout
//     from the mail server retries").
//   - RequireCreated asserts that the code under test created a task in a
//     queue whose payload matches, on any driver with driver.Admin (every
//     shipped driver, memory included), and returns it so that the test
//     can check its options too. When no task matches, it fails the test
//     with a list of what the queue does hold. Use it to test the code
//     that enqueues, without running the handler.
//   - Drain runs a real worker over a queue until nothing is available,
//     and returns how many runs ended in each way. Use it in integration
//     tests: create tasks through the code under test, drain, then check
//     the handler's effects. It fails the test if an outcome could not be
//     stored.
//
// Every helper takes a testing.TB, marks itself as a helper and fails the
// test with a message that starts with "gosktest:". They use the test's
// context (testing.TB.Context), so they stop when the test ends.
//
// # Caveats
//
// Run touches no store: the task it hands the handler has no lease, and
// nothing is pinged, stored or fenced; a handler that reads the task's
// record from the store needs Drain (or a worker) instead. Drain claims
// only tasks available now: tasks created with a delay, or retried or
// snoozed for a while, stay pending when it returns (the runs that
// retried or snoozed them are counted). Give the worker a Config.Backoff that returns 0 to have Drain run
// retries until they complete or fail.
package gosktest
