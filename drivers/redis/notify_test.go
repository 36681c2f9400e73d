package redis_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
)

// All of a driver's subscriptions share one pub/sub connection: twenty
// queues' subscriptions hold one connection subscribed to twenty channels,
// each wakes on a create in its queue (on a cluster too, where the queues'
// slots are on other nodes than the connection), a stopped one no longer
// holds its channel, and the connection closes with the last one.
func TestSubscriptionsShareOneConnection(t *testing.T) {
	t.Parallel()
	for name, client := range map[string]func(t testing.TB, clientName string) goredis.UniversalClient{
		"Single": func(t testing.TB, clientName string) goredis.UniversalClient {
			opts := *singleClient(t).Options()
			opts.ClientName = clientName
			return goredis.NewClient(&opts)
		},
		"Cluster": func(t testing.TB, clientName string) goredis.UniversalClient {
			opts := *clusterClient(t).Options()
			opts.ClientName = clientName
			return goredis.NewClusterClient(&opts)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clientName := "gosktest-notify-" + strings.ReplaceAll(testPrefix(), ":", "-")
			c := client(t, clientName)
			t.Cleanup(func() { _ = c.Close() }) // after newDriver's cleanup, which uses c
			d := newDriver(t, c, nil)
			defer d.Close()
			ctx := t.Context()
			// subscribed returns the number of channels each of the
			// client's pub/sub connections holds, over every node.
			subscribed := func() []int {
				var out []int
				nodes := []*goredis.Client{}
				if cc, ok := c.(*goredis.ClusterClient); ok {
					var mu sync.Mutex
					require.NoError(t, cc.ForEachShard(ctx, func(ctx context.Context, n *goredis.Client) error {
						mu.Lock()
						defer mu.Unlock()
						nodes = append(nodes, n)
						return nil
					}))
				} else {
					nodes = append(nodes, c.(*goredis.Client))
				}
				for _, n := range nodes {
					list, err := n.ClientList(ctx).Result()
					require.NoError(t, err)
					for _, line := range strings.Split(list, "\n") {
						if !strings.Contains(line, " name="+clientName+" ") {
							continue
						}
						var subs int
						for _, f := range strings.Fields(line) {
							if v, ok := strings.CutPrefix(f, "sub="); ok {
								_, _ = fmt.Sscan(v, &subs)
							}
						}
						if subs > 0 {
							out = append(out, subs)
						}
					}
				}
				return out
			}
			const n = 20
			subs := make([]*driver.Subscription, n)
			for i := range n {
				var err error
				subs[i], err = d.Subscribe(ctx, fmt.Sprintf("q%d", i))
				require.NoError(t, err)
			}
			require.Equal(t, []int{n}, subscribed(), "one connection holds every channel")
			for i := range n {
				_, err := d.Create(ctx, []driver.NewTask{{Queue: fmt.Sprintf("q%d", i), MaxAttempts: 1}})
				require.NoError(t, err)
			}
			for i, s := range subs {
				select {
				case <-s.Wake:
				case <-ctx.Done():
					t.Fatalf("subscription %d not woken", i)
				}
			}
			for _, s := range subs[:n/2] {
				s.Stop()
				<-s.Done
			}
			require.Eventually(t, func() bool {
				got := subscribed()
				return len(got) == 1 && got[0] == n/2
			}, 10*time.Second, 10*time.Millisecond, "stopped subscriptions unsubscribe their channels")
			for _, s := range subs[n/2:] {
				s.Stop()
			}
			require.Eventually(t, func() bool { return len(subscribed()) == 0 },
				10*time.Second, 10*time.Millisecond, "the connection closes with the last subscription")
		})
	}
}

// A Subscribe whose context is already done returns the context's error
// as it is, not the error of the dial it would have cut short ("dial tcp
// ...: operation was canceled"), and holds nothing.
func TestSubscribeWithDoneContextSaysSo(t *testing.T) {
	t.Parallel()
	d := newDriver(t, singleClient(t), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sub, err := d.Subscribe(ctx, "q")
	require.Nil(t, sub)
	require.Equal(t, context.Canceled, err, "the context's error as it is")
}
