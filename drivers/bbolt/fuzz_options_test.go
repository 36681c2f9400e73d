package bbolt_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
)

// FuzzOptions gives Open arbitrary options on a new file: each that
// breaks its rule is refused with ErrInvalid, naming the field, and any
// other opens a driver that stores and reads back a task in the bucket.
func FuzzOptions(f *testing.F) {
	f.Add("", 0, int64(0))
	f.Add("gosk", int(goskbbolt.CommitEach), int64(time.Second))
	f.Add("a:b/c.d-e_f", int(goskbbolt.CommitBoltBatch), int64(1))
	f.Add("x\x00", -1, int64(-1))
	f.Add("{bucket}", 3, int64(0))
	f.Add("b u c k e t", 0, int64(0))
	f.Add("\xff", 0, int64(0))
	f.Add(strings.Repeat("b", goskbbolt.MaxBucketNameLen+1), 0, int64(0))
	f.Fuzz(func(t *testing.T, bucket string, commit int, lock int64) {
		o := &goskbbolt.Options{Bucket: bucket, Commit: goskbbolt.CommitMode(commit), LockTimeout: time.Duration(lock)}
		valid := len(bucket) <= goskbbolt.MaxBucketNameLen && commit >= int(goskbbolt.CommitGrouped) && commit <= int(goskbbolt.CommitBoltBatch) && lock >= 0
		for i := 0; i < len(bucket); i++ {
			c := bucket[i]
			valid = valid && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.:/", c) >= 0)
		}
		d, err := goskbbolt.Open(context.Background(), filepath.Join(t.TempDir(), "tasks.db"), o)
		if !valid {
			if !errors.Is(err, driver.ErrInvalid) || !strings.Contains(err.Error(), "Options.") {
				t.Fatalf("Open(%+v) = %v; want ErrInvalid naming the option", o, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Open(%+v): %v", o, err)
		}
		defer d.Close()
		ctx := context.Background()
		res, err := d.Create(ctx, []driver.NewTask{{Queue: "q", Payload: []byte("p"), MaxAttempts: 1}})
		if err != nil || len(res) != 1 || res[0].Err != nil {
			t.Fatalf("Create with %+v = %+v, %v", o, res, err)
		}
		rec, err := d.Get(ctx, res[0].ID)
		if err != nil || string(rec.Payload) != "p" {
			t.Fatalf("Get with %+v = %+v, %v", o, rec, err)
		}
	})
}
