package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	res, err := d.Create(ctx, []driver.NewTask{{Queue: "q", Payload: []byte("a"), MaxAttempts: 2, UniqueKey: "k"}, {Queue: "q", MaxAttempts: 1, UniqueKey: "k"}, {Queue: "q", MaxAttempts: 1}})
	t.Log(res, err)
	cl, err := d.Claim(ctx, driver.ClaimParams{Queue: "q", Limit: 5, Rule: driver.Fifo, Lease: time.Minute})
	t.Logf("%+v %v", cl, err)
	errs, err := d.Ping(ctx, []driver.Lease{cl[0].Lease, {TaskID: 99, Token: 1}}, time.Minute)
	t.Log(errs, err)
	errs, err = d.Finish(ctx, []driver.Outcome{{Lease: cl[0].Lease, Kind: driver.Complete}, {Lease: cl[1].Lease, Kind: driver.Release, Message: "x"}})
	t.Log(errs, err)
	n, err := d.Count(ctx, "q")
	t.Log(n, err)
	l, err := d.List(ctx, driver.ListParams{Queue: "q", States: []driver.State{driver.StatePending}})
	t.Logf("%+v %v", l, err)
	_, err = d.Get(ctx, 77)
	t.Log(err)
}
