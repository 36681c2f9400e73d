package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	neturl "net/url"
	"testing"

	"github.com/stretchr/testify/require"

	goskredis "github.com/gosk/gosk/drivers/redis"
	"github.com/gosk/gosk/internal/faulttest"
)

// TestPasswordNeverLogged: a worker and a producer on a Lazy driver whose
// URL holds a password, and whose store does not work, log and return
// error after error, and the password is in none of them. Open's own
// errors are TestOpenErrors's.
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

	server, err := neturl.Parse(singleURL(t))
	require.NoError(t, err)
	cases := map[string]string{
		// Nothing answers: every connection attempt fails to dial.
		"ClosedPort": fmt.Sprintf("redis://:%s@127.0.0.1:%d/0?dial_timeout=2s", secret, closedPort),
		// The server answers and refuses the credentials: a user it does
		// not have. (A wrong password for the default user would pass:
		// the test server's default user has nopass, which takes any.)
		"UnknownUser": fmt.Sprintf("redis://gosk_no_such_user:%s@%s/0?dial_timeout=2s", secret, server.Host),
	}
	for name, url := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prefix := testPrefix()
			t.Cleanup(func() { _ = deletePrefix(singleClient(t), prefix) })
			d, err := goskredis.Open(context.Background(), url, &goskredis.Options{Lazy: true, Prefix: prefix})
			require.NoError(t, err, "a Lazy Open does not contact the server")
			defer d.Close()
			log := &faulttest.Log{}
			errs := faulttest.RunUntilLogged(t, d, log, 4)
			require.NotEmpty(t, errs, "the creates failed")
			t.Logf("%d log lines, %d errors; the first of each:\n%s\n%v", len(log.Lines()), len(errs), log.Warnings()[0], errs[0])
			faulttest.NoSecret(t, secret, log, errs)
		})
	}
}
