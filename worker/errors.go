package worker

import "github.com/gosk/gosk/internal/notask"

// ErrNoTask is what [Worker.Work] returns when no task was available: a
// one-shot run that found no work. It is the same value as the deprecated
// gosk.ErrNoTask, so errors.Is matches either.
var ErrNoTask = notask.ErrNoTask
