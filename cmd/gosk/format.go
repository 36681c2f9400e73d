package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gosk/gosk/driver"
)

// jsonFlag declares --json on a command.
func jsonFlag(fs *flag.FlagSet, c *call) {
	fs.BoolVar(&c.json, "json", false, "print JSON instead of a table")
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")) }

func (t *table) flush() error { return t.tw.Flush() }

// taskJSON is a task as the JSON output shows it. A payload or result that
// is JSON is shown as it is; another is shown as base64.
type taskJSON struct {
	ID             int64           `json:"id"`
	Queue          string          `json:"queue"`
	State          driver.State    `json:"state"`
	Priority       int             `json:"priority"`
	UniqueKey      string          `json:"unique_key,omitempty"`
	Attempt        int             `json:"attempt"`
	MaxAttempts    int             `json:"max_attempts"`
	LastError      string          `json:"last_error,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	RunAt          time.Time       `json:"run_at"`
	LeaseExpiresAt *time.Time      `json:"lease_expires_at,omitempty"`
	FinalizedAt    *time.Time      `json:"finalized_at,omitempty"`
	Payload        json.RawMessage `json:"payload,omitempty"`
	PayloadBase64  string          `json:"payload_base64,omitempty"`
	Result         json.RawMessage `json:"result,omitempty"`
	ResultBase64   string          `json:"result_base64,omitempty"`
}

func toJSON(r driver.TaskRecord) taskJSON {
	t := taskJSON{
		ID: r.ID, Queue: r.Queue, State: r.State, Priority: r.Priority, UniqueKey: r.UniqueKey,
		Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, LastError: r.LastError,
		CreatedAt: r.CreatedAt, RunAt: r.RunAt,
		LeaseExpiresAt: optTime(r.LeaseExpiresAt), FinalizedAt: optTime(r.FinalizedAt),
	}
	t.Payload, t.PayloadBase64 = asJSON(r.Payload)
	t.Result, t.ResultBase64 = asJSON(r.Result)
	return t
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// asJSON returns b as raw JSON if it is JSON, or else as base64.
func asJSON(b []byte) (json.RawMessage, string) {
	if len(b) == 0 {
		return nil, ""
	}
	if json.Valid(b) {
		var buf bytes.Buffer
		if json.Compact(&buf, b) == nil {
			return buf.Bytes(), ""
		}
	}
	return nil, base64.StdEncoding.EncodeToString(b)
}

// describeBytes shows b for a person: indented JSON if it is JSON, a
// quoted string if it is text, base64 otherwise; the label says which.
func describeBytes(b []byte) (label, text string) {
	if len(b) == 0 {
		return "", "(none)"
	}
	if json.Valid(b) {
		var buf bytes.Buffer
		if json.Indent(&buf, b, "", "  ") == nil {
			return " (JSON)", buf.String()
		}
	}
	if utf8.Valid(b) {
		return " (text)", strconv.Quote(string(b))
	}
	return " (base64)", base64.StdEncoding.EncodeToString(b)
}

// clip shortens s to one line of at most n runes, for a table cell, with
// control characters (stored text is user data) shown as U+FFFD.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(safe(s)), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// stamp formats a time for a table: UTC, to the second; "-" when zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateTime)
}

// safe replaces the control characters of s, other than newline and tab,
// so that stored text cannot drive the terminal.
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}
