package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	goskpostgres "github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/internal/testenv"
)

// TestCommands runs every command on each durable driver, against a real
// store, and checks exit codes and output.
func TestCommands(t *testing.T) {
	for _, s := range durableStores(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			testCommands(t, s.url)
		})
	}
}

func testCommands(t *testing.T, u string) {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	out := ok(t, u, "migrate")
	assert.Regexp(t, `^(sqlite|bbolt|postgres|redis) schema version [1-9][0-9]*: up to date\n$`, out, "migrate")
	sd := seed(t, u)

	t.Run("queues", func(t *testing.T) {
		assert.Equal(t, "emails\nreports\n", ok(t, u, "queues"))
		assert.Equal(t, "paused reports\n", ok(t, u, "pause", "reports"))
		assert.Equal(t, "emails\nreports (paused)\n", ok(t, u, "queues"))
		var got []queueInfo
		require.NoError(t, json.Unmarshal([]byte(ok(t, u, "queues", "--json")), &got))
		assert.Equal(t, []queueInfo{{Name: "emails"}, {Name: "reports", Paused: true}}, got)
	})

	t.Run("stats", func(t *testing.T) {
		out := ok(t, u, "stats")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 3, out)
		assert.Equal(t, []string{"QUEUE", "PAUSED", "PENDING", "RUNNING", "COMPLETED", "CANCELLED", "FAILED", "TOTAL"}, strings.Fields(lines[0]))
		assert.Equal(t, []string{"emails", "no", "2", "0", "1", "0", "1", "4"}, strings.Fields(lines[1]))
		assert.Equal(t, []string{"reports", "yes", "1", "0", "0", "0", "0", "1"}, strings.Fields(lines[2]))
		var got []queueInfo
		require.NoError(t, json.Unmarshal([]byte(ok(t, u, "stats", "--json", "reports")), &got))
		require.Len(t, got, 1)
		assert.True(t, got[0].Paused)
		assert.Equal(t, int64(1), got[0].Counts[driver.StatePending])
		assert.Equal(t, int64(1), *got[0].Total)
		assert.Equal(t, "resumed reports\n", ok(t, u, "resume", "reports"))
		assert.Equal(t, "emails\nreports\n", ok(t, u, "queues"))
	})

	t.Run("list", func(t *testing.T) {
		out := ok(t, u, "list", "--queue", "emails", "--state", "failed")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 2, out)
		assert.Equal(t, []string{id(sd.failed), "failed", "1/1", "0"}, strings.Fields(lines[1])[:4])
		assert.Contains(t, lines[1], "smtp: 550 no such user")
		assert.NotContains(t, out, "\x1b", "control characters of stored text are not printed")

		r := runGosk(t, u, "list", "--queue", "emails", "--limit", "2")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 3, r.stdout)
		assert.Contains(t, r.stderr, "--after "+id(sd.binTask), "a full page names the next cursor")

		var page listJSON
		require.NoError(t, json.Unmarshal([]byte(ok(t, u, "list", "--queue", "emails", "--after", id(sd.binTask), "--json")), &page))
		require.Len(t, page.Tasks, 2)
		assert.Equal(t, []int64{sd.failed, sd.completed}, []int64{page.Tasks[0].ID, page.Tasks[1].ID})
		assert.Zero(t, page.NextAfter, "the last page has no cursor")
		assert.JSONEq(t, `{"sent":true}`, string(page.Tasks[1].Result))

		assert.Equal(t, exitUsage, runGosk(t, u, "list").code, "list without --queue")
		assert.Equal(t, exitUsage, runGosk(t, u, "list", "--queue", "emails", "--state", "sleeping").code)
	})

	t.Run("show", func(t *testing.T) {
		out := ok(t, u, "show", id(sd.jsonTask))
		assert.Contains(t, out, "queue:            emails\n")
		assert.Contains(t, out, "state:            pending\n")
		assert.Contains(t, out, "payload (JSON):   {\n", "a JSON payload is shown as JSON")
		assert.Contains(t, out, `"to": "ada@example.com"`)

		out = ok(t, u, "show", id(sd.binTask))
		assert.Contains(t, out, "payload (base64): AAEC/w==\n", "a binary payload is shown as base64")

		var task taskJSON
		require.NoError(t, json.Unmarshal([]byte(ok(t, u, "show", "--json", id(sd.completed))), &task))
		assert.Equal(t, driver.StateCompleted, task.State)
		assert.JSONEq(t, `{"n":2}`, string(task.Payload))
		assert.JSONEq(t, `{"sent":true}`, string(task.Result))
		assert.NotNil(t, task.FinalizedAt)
		task = taskJSON{}
		require.NoError(t, json.Unmarshal([]byte(ok(t, u, "show", id(sd.binTask), "--json")), &task), "flags may follow the arguments")
		assert.Equal(t, "AAEC/w==", task.PayloadBase64)

		r := runGosk(t, u, "show", "999999999")
		assert.Equal(t, exitNotFound, r.code, "show of an unknown task")
		assert.Contains(t, r.stderr, "task not found")
		assert.Empty(t, r.stdout)
		assert.Equal(t, exitUsage, runGosk(t, u, "show", "seven").code)
		assert.Equal(t, exitUsage, runGosk(t, u, "show").code)
	})

	t.Run("retry and cancel", func(t *testing.T) {
		assert.Equal(t, "retried "+id(sd.failed)+"\n", ok(t, u, "retry", id(sd.failed)))
		r := runGosk(t, u, "retry", id(sd.failed))
		assert.Equal(t, exitError, r.code, "retrying a pending task is refused")
		assert.Contains(t, r.stderr, "task "+id(sd.failed)+": gosk: task state conflict")
		r = runGosk(t, u, "retry", "999999999")
		assert.Equal(t, exitNotFound, r.code)
		assert.Contains(t, r.stderr, "task 999999999: gosk: task not found")

		r = runGosk(t, u, "cancel", id(sd.failed), "999999999", id(sd.completed))
		assert.Equal(t, exitError, r.code, "a conflict outweighs a task not found")
		assert.Equal(t, "cancelled "+id(sd.failed)+"\n", r.stdout, "the task that could be cancelled is")
		assert.Contains(t, r.stderr, "task 999999999: gosk: task not found")
		assert.Contains(t, r.stderr, "task "+id(sd.completed)+": gosk: task state conflict")
		assert.Contains(t, ok(t, u, "show", id(sd.failed)), "state:            cancelled\n")
		assert.Equal(t, exitUsage, runGosk(t, u, "cancel").code)
	})

	t.Run("purge", func(t *testing.T) {
		assert.Equal(t, exitUsage, runGosk(t, u, "purge").code, "purge needs --older-than")
		assert.Equal(t, exitUsage, runGosk(t, u, "purge", "--older-than", "-1h").code, "a negative age")
		assert.Equal(t, "purged 0 from emails\npurged 0 in all\n", ok(t, u, "purge", "--older-than", "1h", "--queue", "emails"))
		assert.Equal(t, "purged 2 from emails\npurged 0 from reports\npurged 2 in all\n", ok(t, u, "purge", "--older-than", "0s"))
		assert.Equal(t, exitNotFound, runGosk(t, u, "show", id(sd.completed)).code, "a purged task is gone")
		assert.Contains(t, ok(t, u, "stats", "emails"), "emails")
	})

	t.Run("bench", func(t *testing.T) {
		out := ok(t, u, "bench", "-n", "300", "--batch", "100", "--queue", "bench")
		assert.Regexp(t, `^created   300 tasks in \S+: \d+ tasks/s\nprocessed 300 tasks in \S+: \d+ tasks/s\n$`, out)
		assert.Equal(t, "emails\nreports\n", ok(t, u, "queues"), "bench purges its queue")
		r := runGosk(t, u, "bench", "-n", "20", "--progress")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stderr, "20/20", "--progress draws the bar on stderr")
	})
}

// TestMigrateLazy: with lazy=true opening the store migrates nothing,
// and migrate still creates the schema before it reports its version.
func TestMigrateLazy(t *testing.T) {
	base := testenv.PostgresURL(t)
	schema := testenv.NewSchema(t, base)
	parsed, err := url.Parse(base)
	require.NoError(t, err)
	q := parsed.Query()
	q.Set("lazy", "true")
	q.Set("schema", schema)
	parsed.RawQuery = q.Encode()
	u := parsed.String()
	assert.Equal(t, fmt.Sprintf("postgres schema version %d: up to date\n", goskpostgres.LatestVersion()), ok(t, u, "migrate"))
	conn, err := pgx.Connect(context.Background(), base)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'gosk_tasks'", schema).Scan(&n))
	assert.Equal(t, 1, n, "migrate created the tables of a lazy store")
}
