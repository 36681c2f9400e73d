package redis_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// BenchmarkMemoryPerPendingTask reports the server's used_memory (INFO
// memory) per pending task of a 100-byte payload, over 100,000 tasks
// created in batches of 1,000. Run it against a server of its own (set
// GOSK_TEST_REDIS_URL), as other clients' keys count too.
func BenchmarkMemoryPerPendingTask(b *testing.B) {
	client := singleClient(b)
	ctx := b.Context()
	used := func() float64 {
		info, err := client.Info(ctx, "memory").Result()
		require.NoError(b, err)
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				n, err := strconv.ParseFloat(v, 64)
				require.NoError(b, err)
				return n
			}
		}
		b.Fatal("no used_memory in INFO memory")
		return 0
	}
	const n, batch = 100_000, 1000
	payload := bytes.Repeat([]byte("x"), 100)
	for range b.N {
		d := newDriver(b, client, nil)
		tasks := make([]driver.NewTask, batch)
		for i := range tasks {
			tasks[i] = driver.NewTask{Queue: "mem", Payload: payload, MaxAttempts: 3}
		}
		before := used()
		for range n / batch {
			_, err := d.Create(ctx, tasks)
			require.NoError(b, err)
		}
		b.ReportMetric((used()-before)/n, "bytes/task")
		require.NoError(b, d.Close())
	}
}
