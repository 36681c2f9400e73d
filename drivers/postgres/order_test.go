package postgres_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/internal/adaptertest"
)

// A Lazy driver whose server is down refuses invalid input with
// ErrInvalid before it tries the server, and any input with ErrClosed once
// closed.
func TestChecksClosedThenInputThenStore(t *testing.T) {
	t.Parallel()
	d, err := postgres.Open(t.Context(), "postgres://gosk@"+closedPort(t)+"/gosk?sslmode=disable&connect_timeout=5", &postgres.Options{Lazy: true})
	require.NoError(t, err)
	adaptertest.InputBeforeStore(t, d)
}

// Per-item errors of Ping, Finish, Retry and Cancel name their task.
func TestPerItemErrorsNameTheirTask(t *testing.T) {
	t.Parallel()
	adaptertest.TaskErrors(t, newDriver(t))
}

// A result is in the store: a driver opened later on the schema reads it.
func TestResultSurvivesReopen(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	schema := testSchema(t, url)
	open := func() driver.Driver {
		d, err := postgres.Open(t.Context(), url, &postgres.Options{Schema: schema, MaxConns: 2})
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		return d
	}
	adaptertest.ResultSurvivesReopen(t, open(), open)
}
