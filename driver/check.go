package driver

// CheckRetry applies the rule of [Admin.Retry] to task id, which exists
// and is in state: nil when it may be retried (it is failed or
// cancelled), a *TaskError wrapping ErrTaskConflict that names the state
// otherwise. Adapters that decide in Go call it, so that the rule and its
// error are written once.
func CheckRetry(id int64, state State) error {
	if state != StateFailed && state != StateCancelled {
		return NewTaskError(id, ErrTaskConflict, "it is %s; only failed and cancelled tasks are retried", state)
	}
	return nil
}

// CheckCancel applies the rule of [Admin.Cancel] to task id, which exists
// and is in state: nil when it may be cancelled (it is pending or
// running), a *TaskError wrapping ErrTaskConflict that names the state
// otherwise.
func CheckCancel(id int64, state State) error {
	if state.Final() {
		return NewTaskError(id, ErrTaskConflict, "it is already %s", state)
	}
	return nil
}
