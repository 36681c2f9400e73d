package main

import (
	"fmt"

	"github.com/gosk/gosk/driver"
)

var migrateCmd = &command{
	name: "migrate",
	summary: "Create or upgrade the store's schema and print its version.\n" +
		"Makes the tables, buckets or keys, or upgrades them to the version this gosk\n" +
		"knows. Safe to run while workers\n" +
		"run, and from several processes at once. A store newer than this gosk is\n" +
		"refused (exit code 1).",
	run: func(c *call) error {
		if len(c.args) > 0 {
			return usagef("migrate takes no arguments")
		}
		// Opening the store migrated it, unless the URL made it lazy:
		// a first call then does.
		if a, ok := c.store.Driver.(driver.Admin); ok {
			if _, err := a.PausedQueues(c.ctx); err != nil {
				return err
			}
		}
		_, err := fmt.Fprintf(c.stdout, "%s schema version %d: up to date\n", c.store.Kind, c.store.SchemaVersion)
		return err
	},
}
