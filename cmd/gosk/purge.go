package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/gosk/gosk/driver"
)

var purgeCmd = &command{
	name: "purge",
	summary: "Delete old final tasks.\n" +
		"Deletes completed, cancelled and failed tasks finalised at least --older-than\n" +
		"ago, in batches, from one queue or every queue.",
	flags: func(fs *flag.FlagSet, c *call) {
		o := &purgeOpts{olderThan: -1}
		fs.Func("older-than", "delete tasks finalised at least this long ago, a `DURATION` such as 720h (required; 0s: every final task)", func(v string) error {
			d, err := time.ParseDuration(v)
			if err == nil && d < 0 {
				err = errors.New("negative")
			}
			o.olderThan = d
			return err
		})
		fs.StringVar(&o.queue, "queue", "", "purge only this `QUEUE` (default: every queue)")
		fs.IntVar(&o.batch, "batch", driver.DefaultPurgeLimit, "the most tasks deleted in one call")
		c.opts = o
	},
	run: runPurge,
}

type purgeOpts struct {
	olderThan time.Duration
	queue     string
	batch     int
}

func runPurge(c *call) error {
	o := c.opts.(*purgeOpts)
	if len(c.args) > 0 {
		return usagef("purge takes no arguments (did you mean --queue %s?)", c.args[0])
	}
	if o.olderThan < 0 {
		return usagef("--older-than is required (a duration such as 720h; 0s purges every final task)")
	}
	if o.batch <= 0 {
		return usagef("--batch %d: want a positive number", o.batch)
	}
	queues := []string{o.queue}
	if o.queue == "" {
		var err error
		if queues, _, err = c.queueNames(); err != nil {
			return err
		}
	} else if err := driver.ValidateQueueName(o.queue); err != nil {
		return usageError{err.Error()}
	}
	a, err := c.admin()
	if err != nil {
		return err
	}
	var total int
	for _, q := range queues {
		n := 0
		for {
			k, err := a.Purge(c.ctx, driver.PurgeParams{Queue: q, OlderThan: o.olderThan, Limit: o.batch})
			n += k
			if err != nil {
				fmt.Fprintf(c.stdout, "purged %d from %s\n", n, q)
				return err
			}
			if k < o.batch {
				break
			}
		}
		total += n
		fmt.Fprintf(c.stdout, "purged %d from %s\n", n, q)
	}
	fmt.Fprintf(c.stdout, "purged %d in all\n", total)
	return nil
}
