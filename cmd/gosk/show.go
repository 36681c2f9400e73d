package main

import (
	"fmt"
	"strconv"
	"strings"
)

var showCmd = &command{
	name: "show",
	args: "ID",
	summary: "Show a task's whole record.\n" +
		"The payload and result are shown as JSON when they are JSON, as a quoted\n" +
		"string when they are text, else as base64.\n" +
		"Exit code 3 if there is no such task.",
	flags: jsonFlag,
	run:   runShow,
}

func runShow(c *call) error {
	if len(c.args) != 1 {
		return usagef("show takes one task ID, got %d arguments", len(c.args))
	}
	ids, err := parseIDs(c.args)
	if err != nil {
		return err
	}
	r, err := c.store.Driver.Get(c.ctx, ids[0])
	if err != nil {
		return err
	}
	if c.json {
		return writeJSON(c.stdout, toJSON(r))
	}
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-17s %s\n", k+":", v) }
	line("id", strconv.FormatInt(r.ID, 10))
	line("queue", r.Queue)
	line("state", string(r.State))
	line("priority", strconv.Itoa(r.Priority))
	if r.UniqueKey != "" {
		line("unique key", strconv.Quote(r.UniqueKey))
	}
	line("attempt", fmt.Sprintf("%d of %d", r.Attempt, r.MaxAttempts))
	line("created at", stamp(r.CreatedAt))
	line("run at", stamp(r.RunAt))
	if !r.LeaseExpiresAt.IsZero() {
		line("lease expires at", stamp(r.LeaseExpiresAt))
	}
	if !r.FinalizedAt.IsZero() {
		line("finalized at", stamp(r.FinalizedAt))
	}
	if r.LastError != "" {
		line("last error", safe(r.LastError))
	}
	label, text := describeBytes(r.Payload)
	line("payload"+label, indentRest(text))
	if len(r.Result) > 0 {
		label, text := describeBytes(r.Result)
		line("result"+label, indentRest(text))
	}
	_, err = fmt.Fprint(c.stdout, b.String())
	return err
}

// indentRest indents every line of s but the first under the value
// column of show.
func indentRest(s string) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", 18))
}

// parseIDs reads task IDs.
func parseIDs(args []string) ([]int64, error) {
	ids := make([]int64, len(args))
	for i, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return nil, usagef("%q is not a task ID (a positive integer)", a)
		}
		ids[i] = id
	}
	return ids, nil
}
