package redis_test

import (
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	goskredis "github.com/gosk/gosk/drivers/redis"
)

// A batch over several queues (slots) of which one queue's script fails
// while the others apply: on a single server (MULTI/EXEC, which Redis
// does not roll back) and on a cluster (one pipeline) the call returns no
// error, the failed queue's tasks carry the failure in their results and
// none of them is stored, and the others are stored. A batch whose every
// queue failed returns the call's error and stores nothing. Created again
// once the fault is gone, the failed tasks are stored once.
func TestCreateWithOneQueueFailing(t *testing.T) {
	t.Parallel()
	for name, client := range map[string]func(testing.TB) goredis.UniversalClient{
		"Single":  func(t testing.TB) goredis.UniversalClient { return singleClient(t) },
		"Cluster": func(t testing.TB) goredis.UniversalClient { return clusterClient(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := client(t)
			d := newDriver(t, c, nil)
			defer d.Close()
			ctx := t.Context()
			seq := map[string]string{}
			slots := map[string]bool{}
			for _, q := range []string{"a", "b", "c", "d"} {
				seq[q] = goskredis.SeqKey(d, q)
				slots[seq[q]] = true
			}
			require.Len(t, slots, 4, "the queues are in four slots")
			// The fault: queue b's sequence key holds a hash, so b's
			// script fails at its first command, before it writes.
			require.NoError(t, c.HSet(ctx, seq["b"], "broken", "1").Err())
			stored := func(q string) map[string]int {
				recs, err := d.List(ctx, driver.ListParams{Queue: q})
				require.NoError(t, err)
				n := map[string]int{}
				for _, r := range recs {
					n[string(r.Payload)]++
				}
				return n
			}
			nt := func(q, payload, key string) driver.NewTask {
				return driver.NewTask{Queue: q, Payload: []byte(payload), MaxAttempts: 1, UniqueKey: key}
			}
			batch := []driver.NewTask{nt("a", "a1", ""), nt("b", "b1", ""), nt("c", "c1", "k"), nt("b", "b2", "k"), nt("a", "a2", "k")}

			res, err := d.Create(ctx, batch)
			require.NoError(t, err, "some queues of the batch were stored: the call's own error would say none was")
			require.Len(t, res, len(batch))
			for _, i := range []int{0, 2, 4} {
				require.NoError(t, res[i].Err, "task %d, of a queue that was stored", i)
				require.Positive(t, res[i].ID)
			}
			for _, i := range []int{1, 3} {
				require.Error(t, res[i].Err, "task %d, of the queue whose script failed", i)
				require.NotErrorIs(t, res[i].Err, driver.ErrDuplicate)
			}
			require.Equal(t, map[string]int{"a1": 1, "a2": 1}, stored("a"))
			require.Equal(t, map[string]int{"c1": 1}, stored("c"))
			require.Empty(t, stored("b"), "nothing of the failed queue is stored")

			_, err = d.Create(ctx, []driver.NewTask{batch[1], batch[3]})
			require.Error(t, err, "a batch of the failed queue alone")
			require.NoError(t, c.HSet(ctx, seq["d"], "broken", "1").Err())
			_, err = d.Create(ctx, []driver.NewTask{batch[1], nt("d", "d1", ""), batch[3]})
			require.Error(t, err, "a batch whose every queue failed")
			require.Empty(t, stored("b"), "a call that returned an error stored nothing")
			require.Empty(t, stored("d"), "a call that returned an error stored nothing")

			require.NoError(t, c.Del(ctx, seq["b"]).Err())
			res, err = d.Create(ctx, []driver.NewTask{batch[1], batch[3]})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
			require.NoError(t, res[1].Err)
			require.Equal(t, map[string]int{"b1": 1, "b2": 1}, stored("b"), "the failed tasks created again are stored once")
		})
	}
}
