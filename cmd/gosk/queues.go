package main

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/gosk/gosk/driver"
)

var queuesCmd = &command{
	name:    "queues",
	summary: "List the store's queues (those holding a task, or paused), one per line.",
	flags:   jsonFlag,
	run:     runQueues,
}

var statsCmd = &command{
	name: "stats",
	args: "[QUEUE...]",
	summary: "Show each queue's task counts by state, and whether it is paused.\n" +
		"Without QUEUE, every queue of the store.",
	flags: jsonFlag,
	run:   runStats,
}

// queueInfo is one queue's line of queues and stats.
type queueInfo struct {
	Name   string                 `json:"queue"`
	Paused bool                   `json:"paused"`
	Counts map[driver.State]int64 `json:"counts,omitempty"`
	Total  *int64                 `json:"total,omitempty"`
}

// admin returns the store's driver as an Admin.
func (c *call) admin() (driver.Admin, error) {
	a, ok := c.store.Driver.(driver.Admin)
	if !ok {
		return nil, errors.New("the driver does not implement driver.Admin")
	}
	return a, nil
}

// queueNames returns the store's queues and the set of paused ones.
func (c *call) queueNames() ([]string, map[string]bool, error) {
	a, err := c.admin()
	if err != nil {
		return nil, nil, err
	}
	l, ok := c.store.Driver.(driver.QueueLister)
	if !ok {
		return nil, nil, errors.New("the driver does not implement driver.QueueLister, so its queues cannot be listed")
	}
	names, err := l.Queues(c.ctx)
	if err != nil {
		return nil, nil, err
	}
	paused, err := a.PausedQueues(c.ctx)
	if err != nil {
		return nil, nil, err
	}
	set := make(map[string]bool, len(paused))
	for _, q := range paused {
		set[q] = true
	}
	return names, set, nil
}

func runQueues(c *call) error {
	if len(c.args) > 0 {
		return usagef("queues takes no arguments")
	}
	names, paused, err := c.queueNames()
	if err != nil {
		return err
	}
	if c.json {
		out := make([]queueInfo, len(names))
		for i, q := range names {
			out[i] = queueInfo{Name: q, Paused: paused[q]}
		}
		return writeJSON(c.stdout, out)
	}
	for _, q := range names {
		if paused[q] {
			q += " (paused)"
		}
		if _, err := c.stdout.Write([]byte(q + "\n")); err != nil {
			return err
		}
	}
	return nil
}

func runStats(c *call) error {
	a, err := c.admin()
	if err != nil {
		return err
	}
	if err := driver.ValidateQueueNames(c.args); err != nil {
		return usageError{err.Error()}
	}
	names, paused, err := c.queueNames()
	if err != nil {
		return err
	}
	if len(c.args) > 0 {
		names = slices.Clone(c.args)
	}
	out := make([]queueInfo, 0, len(names))
	for _, q := range names {
		n, err := a.Count(c.ctx, q)
		if err != nil {
			return err
		}
		var total int64
		for _, v := range n {
			total += v
		}
		out = append(out, queueInfo{Name: q, Paused: paused[q], Counts: n, Total: &total})
	}
	if c.json {
		return writeJSON(c.stdout, out)
	}
	header := []string{"QUEUE", "PAUSED"}
	for _, st := range driver.States() {
		header = append(header, strings.ToUpper(string(st)))
	}
	t := newTable(c.stdout, append(header, "TOTAL")...)
	for _, q := range out {
		cells := []string{q.Name, yesNo(q.Paused)}
		for _, st := range driver.States() {
			cells = append(cells, strconv.FormatInt(q.Counts[st], 10))
		}
		t.row(append(cells, strconv.FormatInt(*q.Total, 10))...)
	}
	return t.flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
