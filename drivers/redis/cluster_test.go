package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/testenv"
)

// cluster is the package's Redis Cluster of three masters, started once
// from the redis-server and redis-cli binaries on loopback ports and
// stopped when the package's tests end.
var cluster = struct {
	once   sync.Once
	client *goredis.ClusterClient
	err    error
	skip   string
}{}

// clusterClient returns a client of the test cluster. Without the binaries
// the test skips, or fails under GOSK_TEST_REQUIRE_SERVICES=1.
func clusterClient(t testing.TB) *goredis.ClusterClient {
	t.Helper()
	cluster.once.Do(func() {
		server, err1 := exec.LookPath("redis-server")
		cli, err2 := exec.LookPath("redis-cli")
		if err := errors.Join(err1, err2); err != nil {
			cluster.skip = fmt.Sprintf("the Redis Cluster tests need redis-server and redis-cli on PATH: %v", err)
			return
		}
		cluster.client, cluster.err = startCluster(server, cli, 3)
	})
	if cluster.skip != "" {
		testenv.Absent(t, cluster.skip)
	}
	if cluster.err != nil {
		t.Fatalf("starting a Redis Cluster: %v", cluster.err)
	}
	return cluster.client
}

// freePort returns a loopback port that is free, as is its cluster bus
// port (the port plus 10000).
func freePort() (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if port+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		_ = bus.Close()
		return port, nil
	}
	return 0, errors.New("no free port pair found")
}

func startCluster(server, cli string, n int) (*goredis.ClusterClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var addrs []string
	var procs []*exec.Cmd
	stop := func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}
	for range n {
		port, err := freePort()
		if err != nil {
			stop()
			return nil, err
		}
		dir, err := os.MkdirTemp("", "gosk-redis-cluster-")
		if err != nil {
			stop()
			return nil, err
		}
		atExit(func() { _ = os.RemoveAll(dir) })
		cmd := exec.Command(server,
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000", "--dir", dir,
			"--save", "", "--appendonly", "no", "--daemonize", "no",
			"--protected-mode", "no", "--logfile", "server.log")
		if err := cmd.Start(); err != nil {
			stop()
			return nil, err
		}
		procs = append(procs, cmd)
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(port))
	}
	// Wait for every node to answer.
	for _, a := range addrs {
		c := goredis.NewClient(&goredis.Options{Addr: a})
		err := waitUntil(ctx, func() bool { return c.Ping(ctx).Err() == nil })
		_ = c.Close()
		if err != nil {
			stop()
			return nil, fmt.Errorf("node %s did not start: %w", a, err)
		}
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %w: %s", err, out)
	}
	// Wait until every node sees the whole cluster as ok.
	for _, a := range addrs {
		c := goredis.NewClient(&goredis.Options{Addr: a})
		err := waitUntil(ctx, func() bool {
			info, err := c.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_slots_ok:16384")
		})
		_ = c.Close()
		if err != nil {
			stop()
			return nil, fmt.Errorf("node %s never saw cluster_state:ok: %w", a, err)
		}
	}
	client := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
	atExit(func() {
		_ = client.Close()
		stop()
	})
	return client, nil
}

// waitUntil polls cond every 50ms until it holds or ctx ends.
func waitUntil(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// TestClusterSpreadsQueuesOverMasters checks the layout on a real cluster:
// queues land on different masters, each task's key is in the slot its ID
// names, and one batch of pings and outcomes spanning masters is served.
func TestClusterSpreadsQueuesOverMasters(t *testing.T) {
	t.Parallel()
	client := clusterClient(t)
	d := newDriver(t, client, nil)
	defer d.Close()
	ctx := t.Context()

	var tasks []driver.NewTask
	for i := range 30 {
		tasks = append(tasks, driver.NewTask{Queue: "q" + strconv.Itoa(i), MaxAttempts: 1})
	}
	res, err := d.Create(ctx, tasks)
	require.NoError(t, err)

	masters := map[string]bool{}
	var leases []driver.Lease
	for i, r := range res {
		require.NoError(t, r.Err)
		slot := r.ID & (16384 - 1)
		masters[slotOwner(t, client, int(slot))] = true
		got, err := d.Claim(ctx, driver.ClaimParams{Queue: tasks[i].Queue, Rule: driver.Fifo, Lease: time.Minute})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, r.ID, got[0].Task.ID)
		leases = append(leases, got[0].Lease)
	}
	require.Len(t, masters, 3, "30 queues should spread over all three masters")

	errs, err := d.Ping(ctx, leases, time.Minute)
	require.NoError(t, err)
	require.NoError(t, errors.Join(errs...))
	outcomes := make([]driver.Outcome, len(leases))
	for i, l := range leases {
		outcomes[i] = driver.Outcome{Lease: l, Kind: driver.Complete}
	}
	errs, err = d.Finish(ctx, outcomes)
	require.NoError(t, err)
	require.NoError(t, errors.Join(errs...))
	for _, r := range res {
		rec, err := d.Get(ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, driver.StateCompleted, rec.State)
	}
}

// slotOwner returns the address of the master serving slot.
func slotOwner(t testing.TB, client *goredis.ClusterClient, slot int) string {
	t.Helper()
	shards, err := client.ClusterShards(t.Context()).Result()
	require.NoError(t, err)
	for _, s := range shards {
		for _, r := range s.Slots {
			if slot >= int(r.Start) && slot <= int(r.End) {
				for _, n := range s.Nodes {
					if n.Role == "master" {
						return n.Endpoint + ":" + strconv.FormatInt(n.Port, 10)
					}
				}
			}
		}
	}
	t.Fatalf("no master serves slot %d", slot)
	return ""
}
