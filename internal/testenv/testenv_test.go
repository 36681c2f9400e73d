package testenv

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestProbeRedis: the look-up of a default address takes a server only if
// it answers PING as Redis does.
func TestProbeRedis(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if err := probeRedis(ctx, net.JoinHostPort("127.0.0.1", itoa(port))); err == nil {
		t.Error("a closed port was taken for a Redis server")
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	}()
	err = probeRedis(ctx, l.Addr().String())
	<-done
	if err == nil || !strings.Contains(err.Error(), "not +PONG") {
		t.Errorf("a server that is not Redis: probe returned %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
