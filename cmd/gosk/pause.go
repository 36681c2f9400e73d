package main

import (
	"context"
	"fmt"

	"github.com/gosk/gosk/driver"
)

var pauseCmd = &command{
	name: "pause",
	args: "QUEUE...",
	summary: "Pause queues: no worker claims their tasks until they are resumed.\n" +
		"Creating tasks and finishing running ones go on. Pausing a paused queue changes nothing.",
	run: func(c *call) error {
		return c.eachQueue("paused", func(a driver.Admin) func(context.Context, []string) error { return a.Pause })
	},
}

var resumeCmd = &command{
	name:    "resume",
	args:    "QUEUE...",
	summary: "Resume paused queues, waking their workers.\nResuming a queue that is not paused changes nothing.",
	run: func(c *call) error {
		return c.eachQueue("resumed", func(a driver.Admin) func(context.Context, []string) error { return a.Resume })
	},
}

func (c *call) eachQueue(done string, pick func(driver.Admin) func(context.Context, []string) error) error {
	if len(c.args) == 0 {
		return usagef("%s takes one or more queue names", c.cmd.name)
	}
	if err := driver.ValidateQueueNames(c.args); err != nil {
		return usageError{err.Error()}
	}
	a, err := c.admin()
	if err != nil {
		return err
	}
	if err := pick(a)(c.ctx, c.args); err != nil {
		return err
	}
	for _, q := range c.args {
		fmt.Fprintf(c.stdout, "%s %s\n", done, q)
	}
	return nil
}
