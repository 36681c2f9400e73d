package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/internal/testenv"
)

// The producer creates its batch and one report task in the application's
// transaction; running it again finds the report already queued.
func TestProducer(t *testing.T) {
	url, schema := testenv.PostgresSchema(t)
	ctx := context.Background()
	require.NoError(t, run(ctx, url, schema, "emails", 250, 100))
	require.NoError(t, run(ctx, url, schema, "emails", 10, 100))

	drv, err := postgres.Open(ctx, url, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	defer drv.Close()
	q, err := gosk.NewQueue[Email](drv, "emails", nil)
	require.NoError(t, err)
	counts, err := q.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(250+10+1), counts[gosk.StatePending], "both batches and a single report")
}
