package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/internal/faulttest"
)

// withQuery adds a query parameter to a URL.
func withQuery(url, kv string) string {
	if strings.Contains(url, "?") {
		return url + "&" + kv
	}
	return url + "?" + kv
}

// clientsNamed counts the server's connections whose name (CLIENT
// SETNAME) is name, from CLIENT LIST.
func clientsNamed(t testing.TB, name string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := singleClient(t).ClientList(ctx).Result()
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(list, "\n") {
		for _, field := range strings.Fields(line) {
			if field == "name="+name {
				n++
			}
		}
	}
	return n
}

// TestCloseLeavesNoConnection: a worker that has run and stopped, and a
// driver that Open opened and Close closed, leave no connection to the
// server: CLIENT LIST, filtered by a client name of the test's own set in
// the URL (client_name), shows the driver's connections (its pool's and
// its pub/sub's) while it is open and none once it is closed.
func TestCloseLeavesNoConnection(t *testing.T) {
	t.Parallel()
	url := singleURL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "gosk-handles-" + hex.EncodeToString(b)
	prefix := testPrefix()
	t.Cleanup(func() { _ = deletePrefix(singleClient(t), prefix) })
	d, err := goskredis.Open(context.Background(), withQuery(url, "client_name="+name), &goskredis.Options{Prefix: prefix})
	require.NoError(t, err)
	faulttest.Exercise(t, d, "handles", 50)
	require.Positive(t, clientsNamed(t, name), "the open driver's connections carry the client name (else this test sees nothing)")

	require.NoError(t, d.Close())
	var left int
	assert.Eventually(t, func() bool { left = clientsNamed(t, name); return left == 0 }, 10*time.Second, 10*time.Millisecond)
	require.Zero(t, left, "connections of the closed driver left on the server")
}
