package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/internal/faulttest"
)

// TestCloseLeavesNoConnection: a worker that has run and stopped, and a
// driver that Open opened and Close closed, leave no connection to the
// server: pg_stat_activity, filtered by an application_name of the
// test's own set in the URL, shows the pool's and the listener's
// connections while the driver is open and none once it is closed.
func TestCloseLeavesNoConnection(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	app := "gosk-handles-" + hex.EncodeToString(b)
	d, err := postgres.Open(context.Background(), withParam(url, "application_name="+app),
		&postgres.Options{Schema: testSchema(t, url), MaxConns: 4})
	require.NoError(t, err)
	faulttest.Exercise(t, d, "handles", 50)

	admin := connect(t, url)
	backends := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var n int
		require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n))
		return n
	}
	require.Positive(t, backends(), "the open driver's connections carry the application_name (else this test sees nothing)")

	require.NoError(t, d.Close())
	var left int
	assert.Eventually(t, func() bool { left = backends(); return left == 0 }, 10*time.Second, 10*time.Millisecond)
	require.Zero(t, left, "connections of the closed driver left on the server")
}
