package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosk/gosk/driver"
)

var retryCmd = &command{
	name: "retry",
	args: "ID...",
	summary: "Move failed or cancelled tasks back to pending.\n" +
		"They are available at once, with their attempts reset. Prints each task retried; each one that could not be is\n" +
		"reported on stderr. Exit code 3 if some task does not exist and nothing else\n" +
		"went wrong, 1 if some task could not be retried.",
	run: func(c *call) error {
		return c.eachTask("retried", func(a driver.Admin) func(context.Context, []int64) ([]error, error) { return a.Retry })
	},
}

var cancelCmd = &command{
	name: "cancel",
	args: "ID...",
	summary: "Cancel pending or running tasks.\n" +
		"A running task's worker learns at its next ping. Prints each task cancelled; each one that could not be is reported on\n" +
		"stderr. Exit codes as for retry.",
	run: func(c *call) error {
		return c.eachTask("cancelled", func(a driver.Admin) func(context.Context, []int64) ([]error, error) { return a.Cancel })
	},
}

// eachTask applies an Admin batch call to the IDs on the command line and
// reports each task's result.
func (c *call) eachTask(done string, pick func(driver.Admin) func(context.Context, []int64) ([]error, error)) error {
	if len(c.args) == 0 {
		return usagef("%s takes one or more task IDs", c.cmd.name)
	}
	ids, err := parseIDs(c.args)
	if err != nil {
		return err
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return usagef("task %d is named twice", id)
		}
		seen[id] = true
	}
	a, err := c.admin()
	if err != nil {
		return err
	}
	errs, err := pick(a)(c.ctx, ids)
	if err != nil {
		return err
	}
	var notFound, failed bool
	for i, e := range errs {
		switch {
		case e == nil:
			fmt.Fprintf(c.stdout, "%s %d\n", done, ids[i])
		case errors.Is(e, driver.ErrTaskNotFound):
			notFound = true
			fmt.Fprintf(c.stderr, "gosk %s: %s\n", c.cmd.name, c.scrub(e.Error()))
		default:
			failed = true
			fmt.Fprintf(c.stderr, "gosk %s: %s\n", c.cmd.name, c.scrub(e.Error()))
		}
	}
	switch {
	case failed:
		return errReported
	case notFound:
		return errNotFoundReported
	}
	return nil
}
