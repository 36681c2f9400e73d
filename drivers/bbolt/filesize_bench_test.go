package bbolt_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gosk/gosk/driver"
	goskbbolt "github.com/gosk/gosk/drivers/bbolt"
	"github.com/gosk/gosk/drivers/sqlite"
)

// fileSizeTasks is how many tasks BenchmarkFileSize stores.
const fileSizeTasks = 100_000

// BenchmarkFileSize measures the disk space a store takes per task, for
// bbolt and, as the yardstick, SQLite (both with their defaults): the
// size of the store's files, closed, divided by fileSizeTasks, once the
// tasks are stored pending (100-byte payloads, created in batches of
// 1,000), once they are all completed, and once they are purged. Each run
// starts from a fresh file. The -B/task metrics are the files' sizes; the
// -disk-B/task ones the blocks the file system gave them (bbolt grows its
// file ahead of its data, in steps of up to 16 MiB, leaving a hole that
// takes no blocks until pages are written there), where the file system
// says. Run it once:
//
//	go test -run '^$' -bench BenchmarkFileSize -benchtime 1x ./drivers/bbolt/
//
// Neither store gives space back to the file system: bbolt never shrinks
// its file, and SQLite (auto_vacuum off) keeps the freed pages for reuse,
// so "purged" is what the store keeps after the tasks are gone.
func BenchmarkFileSize(b *testing.B) {
	stores := []struct {
		name string
		open func(ctx context.Context, path string) (fileSizeDriver, error)
	}{
		{"bbolt", func(ctx context.Context, path string) (fileSizeDriver, error) {
			return goskbbolt.Open(ctx, path, nil)
		}},
		{"sqlite", func(ctx context.Context, path string) (fileSizeDriver, error) {
			return sqlite.Open(ctx, path, nil)
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			for range b.N {
				path := filepath.Join(b.TempDir(), "gosk.db")
				sizes := fileSizes(b, path, func(path string) fileSizeDriver {
					d, err := s.open(context.Background(), path)
					if err != nil {
						b.Fatal(err)
					}
					return d
				})
				for _, m := range []struct {
					name string
					size storeSize
				}{{"pending", sizes.pending}, {"completed", sizes.completed}, {"purged", sizes.purged}} {
					b.ReportMetric(float64(m.size.apparent)/fileSizeTasks, m.name+"-B/task")
					if m.size.disk >= 0 {
						b.ReportMetric(float64(m.size.disk)/fileSizeTasks, m.name+"-disk-B/task")
					}
				}
			}
		})
	}
}

// fileSizeDriver is what BenchmarkFileSize needs of a driver.
type fileSizeDriver interface {
	driver.Driver
	driver.Admin
}

// storeSizes are the sizes of a store's files after each step of
// BenchmarkFileSize.
type storeSizes struct{ pending, completed, purged storeSize }

// storeSize is the size of a store's files, and the space the file system
// gave them (-1 if it does not say).
type storeSize struct{ apparent, disk int64 }

// fileSizes runs the steps of BenchmarkFileSize on a store at path,
// opening it afresh for each step with open, and returns the size of its
// files after each.
func fileSizes(b *testing.B, path string, open func(path string) fileSizeDriver) storeSizes {
	ctx := context.Background()
	const queue, batch = "bench", 1000
	payload := make([]byte, 100)
	for i := range payload {
		payload[i] = 'x'
	}
	var s storeSizes
	step := func(do func(d fileSizeDriver)) storeSize {
		d := open(path)
		do(d)
		if err := d.Close(); err != nil {
			b.Fatal(err)
		}
		return filesSize(b, path)
	}
	s.pending = step(func(d fileSizeDriver) {
		tasks := make([]driver.NewTask, batch)
		for i := range tasks {
			tasks[i] = driver.NewTask{Queue: queue, Payload: payload, MaxAttempts: 3}
		}
		for range fileSizeTasks / batch {
			if _, err := d.Create(ctx, tasks); err != nil {
				b.Fatal(err)
			}
		}
	})
	s.completed = step(func(d fileSizeDriver) {
		for done := 0; done < fileSizeTasks; {
			got, err := d.Claim(ctx, driver.ClaimParams{Queue: queue, Limit: batch, Rule: driver.Fifo, Lease: time.Minute})
			if err != nil || len(got) == 0 {
				b.Fatalf("claim after %d tasks: %d tasks, %v", done, len(got), err)
			}
			outs := make([]driver.Outcome, len(got))
			for i, c := range got {
				outs[i] = driver.Outcome{Lease: c.Lease, Kind: driver.Complete}
			}
			errs, err := d.Finish(ctx, outs)
			if err != nil {
				b.Fatal(err)
			}
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
			done += len(got)
		}
	})
	s.purged = step(func(d fileSizeDriver) {
		purged := 0
		for purged < fileSizeTasks {
			n, err := d.Purge(ctx, driver.PurgeParams{Queue: queue})
			if err != nil || n == 0 {
				b.Fatalf("purge after %d tasks: %d, %v", purged, n, err)
			}
			purged += n
		}
	})
	return s
}

// filesSize returns the size of the file at path plus those of its
// SQLite companions (-wal, -shm), if any, and the space they take on disk.
func filesSize(b *testing.B, path string) storeSize {
	var total storeSize
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		total.apparent += st.Size()
		// Where the file system says, Sys is a *syscall.Stat_t with the
		// 512-byte blocks allocated to the file (on Unix).
		blocks := reflect.Indirect(reflect.ValueOf(st.Sys()))
		if total.disk >= 0 && blocks.Kind() == reflect.Struct && blocks.FieldByName("Blocks").CanInt() {
			total.disk += blocks.FieldByName("Blocks").Int() * 512
		} else {
			total.disk = -1
		}
	}
	return total
}
