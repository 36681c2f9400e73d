package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	neturl "net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/drivers/postgres"
	"github.com/gosk/gosk/internal/faulttest"
)

// TestPasswordNeverLogged: a worker and a producer on a Lazy driver whose
// URL holds a password, and whose store does not work, log and return
// error after error (the worker's logger and the driver's, one buffer),
// and the password is in none of them. Open's own errors are
// TestOpenErrors's.
func TestPasswordNeverLogged(t *testing.T) {
	t.Parallel()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	secret := "pw" + hex.EncodeToString(b)

	// closedPort is a loopback port that nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedPort := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	server, err := neturl.Parse(serverURL(t))
	require.NoError(t, err)
	cases := map[string]string{
		// Nothing answers: every connection attempt fails to dial.
		"ClosedPort": fmt.Sprintf("postgres://gosk:%s@127.0.0.1:%d/test?sslmode=disable&connect_timeout=2", secret, closedPort),
		// The server answers and refuses the role (the test server
		// trusts every role it has, so a wrong password would pass).
		"UnknownRole": fmt.Sprintf("postgres://gosk_no_such_role_%s:%s@%s%s?sslmode=disable&connect_timeout=2",
			hex.EncodeToString(b[:4]), secret, server.Host, server.Path),
	}
	for name, url := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			log := &faulttest.Log{}
			d, err := postgres.Open(context.Background(), url, &postgres.Options{Lazy: true, Logger: log.Logger(), ReconnectMax: 100e6})
			require.NoError(t, err, "a Lazy Open does not contact the server")
			defer d.Close()
			errs := faulttest.RunUntilLogged(t, d, log, 8)
			require.NotEmpty(t, errs, "the creates failed")
			t.Logf("%d log lines, %d errors; the first of each:\n%s\n%v", len(log.Lines()), len(errs), log.Warnings()[0], errs[0])
			faulttest.NoSecret(t, secret, log, errs)
		})
	}
}
