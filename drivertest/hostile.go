package drivertest

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// hostileQueueNames are queue names that could break a store that put them
// into a query, a key, a pattern or a file name unquoted: quotes, SQL LIKE
// and glob wildcards, Redis hash tags, escapes, NUL, newlines, invalid
// UTF-8. The port refuses every one of them (see driver.ValidateQueueName).
var hostileQueueNames = map[string]string{
	"a single quote":        "q'; DROP TABLE gosk_tasks; --",
	"a double quote":        `q"x`,
	"a percent sign":        "q%",
	"a star":                "q*",
	"a question mark":       "q?",
	"braces (a hash tag)":   "{q}",
	"square brackets":       "q[a-z]",
	"a backslash":           `q\x`,
	"a NUL byte":            "q\x00x",
	"a newline":             "q\nx",
	"a carriage return":     "q\rx",
	"a space":               "q x",
	"invalid UTF-8":         "q\xffx",
	"a multi-byte letter":   "qé",
	"a Lua pattern":         "q%s+.-",
	"too many bytes":        strings.Repeat("q", driver.MaxQueueNameLen+1),
	"a format verb":         "q%d%s%v",
	"a shell substitution":  "q$(x)`y`",
	"a zero-width space":    "q\u200bx",
	"a right-to-left mark":  "q\u200fx",
	"a tab":                 "q\tx",
	"a comma and semicolon": "q,x;y",
}

// hostileUniqueKeys are valid unique keys that a store could mistake for a
// pattern, an escape or a separator: each must be stored and read back
// exactly, and match only itself.
var hostileUniqueKeys = []string{
	"*", "?", "%", "_", "[a]", "{q}", "{}", `\`, `\\`, `\*`, "a*", "a%", "a_",
	"'", `"`, "''", `'; DROP TABLE gosk_tasks; --`, `"; DEL *; --`,
	"%s %d %v %!", "\n", "\r\n", "line\nbreak", "\t", " ", "  ",
	"a:b", "a:*", "gosk:*", "{gosk}:tasks", "$1", "?1", ":name", "@x",
	"é", "e\u0301", "\u200b", "\ufeff", "\U0001F511",
}

// hostileBadKeys are unique keys the port refuses.
var hostileBadKeys = map[string]string{
	"a NUL byte":            "k\x00",
	"only a NUL byte":       "\x00",
	"invalid UTF-8":         "k\xff",
	"a quote and a NUL":     "'\x00'",
	"a wildcard and a NUL":  "*\x00%",
	"a newline and invalid": "\n\xc3",
}

var hostileRules = []rule{
	{name: "HostileQueueNamesRefusedAlike", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		admin, hasAdmin := f.d.(driver.Admin)
		for what, name := range hostileQueueNames {
			want := driver.ValidateQueueName(name)
			require.Error(t, want, "rule: a queue name with %s is refused by driver.ValidateQueueName", what)
			check := func(call string, err error) {
				t.Helper()
				if assert.ErrorIs(t, err, driver.ErrInvalid, "rule: %s refuses a queue name with %s with ErrInvalid", call, what) {
					assert.Contains(t, err.Error(), want.Error(),
						"rule: %s refuses a queue name with %s with the words of driver.ValidateQueueName, the same on every driver", call, what)
				}
			}
			_, err := f.d.Create(f.ctx, []driver.NewTask{task(q, "ok"), task(name, "hostile")})
			check("Create", err)
			_, err = f.d.Claim(f.ctx, driver.ClaimParams{Queue: name, Rule: driver.Fifo, Lease: longLease})
			check("Claim", err)
			if hasAdmin {
				_, err = admin.List(f.ctx, driver.ListParams{Queue: name})
				check("Admin.List", err)
				_, err = admin.Count(f.ctx, name)
				check("Admin.Count", err)
				_, err = admin.Purge(f.ctx, driver.PurgeParams{Queue: name})
				check("Admin.Purge", err)
			}
			if n, ok := f.d.(driver.Notifier); ok {
				sub, err := n.Subscribe(f.ctx, name)
				if sub != nil {
					sub.Stop()
				}
				check("Subscribe", err)
			}
		}
		f.claimNone(q, "a batch refused for a hostile queue name stores nothing, not even its valid tasks")
	}},
	{name: "HostileUniqueKeysRoundTripAndMatchOnlyThemselves", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		tasks := make([]driver.NewTask, len(hostileUniqueKeys))
		for i, k := range hostileUniqueKeys {
			tasks[i] = task(q, strconv.Itoa(i))
			tasks[i].UniqueKey = k
		}
		ids := f.create(tasks...) // fails if one key is taken as a duplicate of another
		for i, k := range hostileUniqueKeys {
			assert.True(t, f.get(ids[i]).UniqueKey == k, "rule: unique key %q is stored and read back exactly", k)
		}
		res, err := f.d.Create(f.ctx, tasks)
		require.NoError(t, err, "Create of the same keys again")
		require.Len(t, res, len(tasks))
		for i, r := range res {
			if assert.ErrorIs(t, r.Err, driver.ErrDuplicate, "rule: unique key %q is held by its task", hostileUniqueKeys[i]) {
				assert.Equal(t, ids[i], r.ID, "rule: unique key %q matches only its own task, not one whose key it looks like as a pattern", hostileUniqueKeys[i])
			}
		}
		// Keys that would match the hostile ones as patterns, but are none
		// of them, are free.
		others := []string{"x", "a", "ab", "aX", "a:b:c", "gosk:tasks", "[", "]", "q", "ee\u0301"}
		free := make([]driver.NewTask, len(others))
		for i, k := range others {
			free[i] = task(q, "other")
			free[i].UniqueKey = k
		}
		f.create(free...)
	}},
	{name: "HostileUniqueKeysRefusedAlike", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		for what, key := range hostileBadKeys {
			want := driver.CheckText(key, driver.MaxUniqueKeyLen)
			require.Error(t, want, "rule: a unique key with %s is refused by driver.CheckText", what)
			bad := task(q, "hostile")
			bad.UniqueKey = key
			_, err := f.d.Create(f.ctx, []driver.NewTask{task(q, "ok"), bad})
			if assert.ErrorIs(t, err, driver.ErrInvalid, "rule: a unique key with %s is refused with ErrInvalid", what) {
				assert.Contains(t, err.Error(), want.Error(), "rule: a unique key with %s is refused with the words of driver.CheckText, the same on every driver", what)
			}
		}
		f.claimNone(q, "a batch refused for a hostile unique key stores nothing")
	}},
	{name: "PayloadOfExactlyTheLimitIsStored", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		limit := s.payloadLimit()
		p := bytes.Repeat([]byte{0xA5}, limit)
		p[0], p[limit-1] = 0, 0xff
		id := f.create(driver.NewTask{Queue: q, Payload: p, MaxAttempts: 1})[0]
		assert.True(t, bytes.Equal(p, f.get(id).Payload), "rule: a payload of exactly the driver's limit (%d bytes) is stored whole", limit)
	}},
	{name: "BatchOfPayloadsAtTheTotalLimitIsStored", serial: true, test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		limit := driver.BatchPayloadLimit(s.payloadLimit())
		ids := f.create(s.batchOfPayloads(q, limit)...)
		got := 0
		for _, id := range ids {
			got += len(f.get(id).Payload)
		}
		assert.Equal(t, limit, got, "rule: a batch whose payloads total exactly driver.BatchPayloadLimit (%d bytes) is stored whole", limit)
	}},
	{name: "BatchOfPayloadsOverTheTotalLimitIsRefused", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		limit := driver.BatchPayloadLimit(s.payloadLimit())
		_, err := f.d.Create(f.ctx, s.batchOfPayloads(q, limit+1))
		if assert.ErrorIs(t, err, driver.ErrInvalid, "rule: a batch whose payloads total one byte over driver.BatchPayloadLimit is refused with ErrInvalid") {
			assert.Contains(t, err.Error(), strconv.Itoa(limit), "rule: the refusal of a batch over the total limit names the limit")
		}
		f.claimNone(q, "a batch refused for its payloads' total stores none of its tasks")
	}},
	{name: "PayloadOverTheLimitRefusesTheWholeBatch", test: func(t *testing.T, s *suite) {
		f := s.fresh(t)
		q := f.queue()
		limit := s.payloadLimit()
		over := driver.NewTask{Queue: q, Payload: make([]byte, limit+1), MaxAttempts: 1}
		for _, batch := range [][]driver.NewTask{
			{over},
			{task(q, "before"), over},
			{over, task(q, "after")},
		} {
			_, err := f.d.Create(f.ctx, batch)
			if assert.ErrorIs(t, err, driver.ErrInvalid, "rule: a payload one byte over the driver's limit is refused with ErrInvalid") {
				assert.Contains(t, err.Error(), strconv.Itoa(limit), "rule: the refusal of a payload over the limit names the limit")
			}
		}
		f.claimNone(q, "a batch refused for a payload over the limit stores nothing of the batch")
	}},
}

// batchOfPayloads returns tasks of queue whose payloads total exactly
// bytes, each at most the harness's payload limit; the tasks share one
// slice, so that a batch of 64 MiB costs the test 4 MiB.
func (s *suite) batchOfPayloads(queue string, bytes int) []driver.NewTask {
	per := s.payloadLimit()
	buf := make([]byte, per)
	var tasks []driver.NewTask
	for left := bytes; left > 0; left -= per {
		tasks = append(tasks, driver.NewTask{Queue: queue, Payload: buf[:min(per, left)], MaxAttempts: 1})
	}
	return tasks
}

// payloadLimit is the payload limit of the harness's drivers.
func (s *suite) payloadLimit() int {
	if s.h.MaxPayloadLen > 0 {
		return s.h.MaxPayloadLen
	}
	return driver.DefaultMaxPayloadLen
}
