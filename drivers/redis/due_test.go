package redis_test

import (
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// Due over more queues than one script call reads on a single server, and
// over many slots of a cluster, answers each queue in order: a queue with
// a task ready is due now, one with a delayed task later, a paused one and
// an empty one never.
func TestDueManyQueues(t *testing.T) {
	t.Parallel()
	for name, client := range map[string]func(testing.TB) goredis.UniversalClient{
		"Single":  func(t testing.TB) goredis.UniversalClient { return singleClient(t) },
		"Cluster": func(t testing.TB) goredis.UniversalClient { return clusterClient(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDriver(t, client(t), nil)
			defer d.Close()
			ctx := t.Context()
			queues := make([]string, 1200)
			for i := range queues {
				queues[i] = fmt.Sprintf("q%d", i)
			}
			all, err := d.Due(ctx, queues)
			require.NoError(t, err)
			for i, v := range all {
				require.Equal(t, driver.NotDue, v, "queue %d of an empty store", i)
			}
			ready, delayed, paused := []int{3, 700, 1199}, []int{5, 1000}, 900
			for _, i := range ready {
				_, err := d.Create(ctx, []driver.NewTask{{Queue: queues[i], MaxAttempts: 1}})
				require.NoError(t, err)
			}
			for _, i := range delayed {
				_, err := d.Create(ctx, []driver.NewTask{{Queue: queues[i], MaxAttempts: 1, Delay: time.Hour}})
				require.NoError(t, err)
			}
			_, err = d.Create(ctx, []driver.NewTask{{Queue: queues[paused], MaxAttempts: 1}})
			require.NoError(t, err)
			require.NoError(t, d.Pause(ctx, []string{queues[paused]}))
			got, err := d.Due(ctx, queues)
			require.NoError(t, err)
			want := make([]string, len(queues))
			for i := range want {
				want[i] = "never"
			}
			for _, i := range ready {
				want[i] = "now"
			}
			for _, i := range delayed {
				want[i] = "later"
			}
			for i, v := range got {
				kind := "never"
				switch {
				case v == 0:
					kind = "now"
				case v > 50*time.Minute && v <= time.Hour:
					kind = "later"
				case v != driver.NotDue:
					kind = fmt.Sprint(v)
				}
				require.Equal(t, want[i], kind, "queue %d", i)
			}
		})
	}
}
