package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/gosk/gosk/driver"
)

var listCmd = &command{
	name: "list",
	summary: "List a queue's tasks in ascending ID order, a page at a time.\n" +
		"When a page is full, the next page's cursor is printed (to stderr in a table,\n" +
		"as next_after in JSON): pass it as --after.",
	flags: func(fs *flag.FlagSet, c *call) {
		o := &listOpts{}
		fs.StringVar(&o.queue, "queue", "", "the `QUEUE` to list (required)")
		fs.StringVar(&o.states, "state", "", "only tasks in these `STATES`, comma-separated (pending,running,completed,cancelled,failed)")
		fs.IntVar(&o.limit, "limit", driver.DefaultListLimit, "the most tasks to list")
		fs.Int64Var(&o.after, "after", 0, "only tasks with a greater `ID` (the cursor of the previous page)")
		jsonFlag(fs, c)
		c.opts = o
	},
	run: runList,
}

type listOpts struct {
	queue, states string
	limit         int
	after         int64
}

// listJSON is the JSON output of list.
type listJSON struct {
	Tasks []taskJSON `json:"tasks"`
	// NextAfter is the cursor of the next page, or zero if this one is
	// the last.
	NextAfter int64 `json:"next_after,omitempty"`
}

func runList(c *call) error {
	o := c.opts.(*listOpts)
	if len(c.args) > 0 {
		return usagef("list takes no arguments (did you mean --queue %s?)", c.args[0])
	}
	if o.queue == "" {
		return usagef("--queue is required")
	}
	if err := driver.ValidateQueueName(o.queue); err != nil {
		return usageError{err.Error()}
	}
	if o.limit <= 0 {
		return usagef("--limit %d: want a positive number", o.limit)
	}
	if o.after < 0 {
		return usagef("--after %d: want an ID, zero or more", o.after)
	}
	states, err := parseStates(o.states)
	if err != nil {
		return err
	}
	a, err := c.admin()
	if err != nil {
		return err
	}
	recs, err := a.List(c.ctx, driver.ListParams{Queue: o.queue, States: states, AfterID: o.after, Limit: o.limit})
	if err != nil {
		return err
	}
	var next int64
	if len(recs) == o.limit {
		next = recs[len(recs)-1].ID
	}
	if c.json {
		out := listJSON{Tasks: make([]taskJSON, len(recs)), NextAfter: next}
		for i, r := range recs {
			out.Tasks[i] = toJSON(r)
		}
		return writeJSON(c.stdout, out)
	}
	t := newTable(c.stdout, "ID", "STATE", "ATTEMPT", "PRIORITY", "RUN AT (UTC)", "LAST ERROR")
	for _, r := range recs {
		t.row(strconv.FormatInt(r.ID, 10), string(r.State), fmt.Sprintf("%d/%d", r.Attempt, r.MaxAttempts),
			strconv.Itoa(r.Priority), stamp(r.RunAt), clip(r.LastError, 60))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if next != 0 {
		fmt.Fprintf(c.stderr, "more: gosk list --queue %s --after %d\n", o.queue, next)
	}
	return nil
}

// parseStates reads a comma-separated list of states.
func parseStates(s string) ([]driver.State, error) {
	if s == "" {
		return nil, nil
	}
	var out []driver.State
	for part := range strings.SplitSeq(s, ",") {
		st := driver.State(strings.ToLower(strings.TrimSpace(part)))
		if !st.Valid() {
			return nil, usagef("--state %q: want pending, running, completed, cancelled or failed", part)
		}
		out = append(out, st)
	}
	return out, nil
}
