package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/internal/testenv"
)

// The worker drains the queue, retrying the tasks it fails on purpose, and
// exits by itself once the queue has been empty for its idle time.
func TestWorker(t *testing.T) {
	url, schema := testenv.PostgresSchema(t)
	ctx := context.Background()
	drv, err := postgres.Open(ctx, url, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	defer drv.Close()
	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	require.NoError(t, err)
	emails := make([]Email, 120)
	for i := range emails {
		emails[i] = Email{To: "someone@example.com", Subject: "hello"}
	}
	_, err = q.CreateMany(ctx, gosk.Items(emails, nil))
	require.NoError(t, err)

	require.NoError(t, run(ctx, settings{
		url: url, schema: schema, queue: "emails", concurrency: 8,
		work: time.Millisecond, idle: 300 * time.Millisecond, limit: time.Minute, failEvery: 10,
	}))
	counts, err := q.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(len(emails)), counts[gosk.StateCompleted])
}
