package bbolt

import (
	"context"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/internal/storeunit"
	"github.com/gosk/gosk/internal/wakeup"
)

var _ driver.Importer = (*Driver)(nil)

// bucketOrigins maps each task that Import copied from another store (its
// queue, the store and its ID there; see originKey) to the task it became
// and when (originLen bytes). It is a top-level bucket of the store, not
// one of the queue's, and nothing but Import writes it, so that the record
// outlives the task: purges and a queue's removal leave it alone.
var bucketOrigins = []byte("origins")

// originLen is the length of an origin's record: the ID of the task it
// became, then when it was imported (Unix ns, sign bit flipped), 8 bytes
// each.
const originLen = 16

// migrateOrigins is the step to layout version 3: the origins bucket.
func migrateOrigins(top *bolt.Bucket) error {
	_, err := top.CreateBucketIfNotExists(bucketOrigins)
	return err
}

// originKey is the key of an origin task in the origins bucket: its
// queue and its store, each followed by a NUL byte (which neither holds),
// then its ID there (8 bytes, big-endian).
func originKey(queue, origin string, id int64) []byte {
	k := make([]byte, 0, len(queue)+len(origin)+10)
	k = append(k, queue...)
	k = append(k, 0)
	k = append(k, origin...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(id))
}

// Import stores tasks copied from another store, in one write transaction
// (shared with other calls as Options.Commit says); see driver.Importer.
// Each origin task is looked up and recorded in the origins bucket (see
// the package doc) in the transaction that stores it, and bbolt has one
// writer per file, so concurrent imports of one origin store it once.
//
// Times are kept to the microsecond (driver.ValidateImports keeps them
// before driver.MaxImportTime, which the Unix nanoseconds hold).
func (d *Driver) Import(ctx context.Context, tasks []driver.ImportTask) ([]driver.ImportResult, error) {
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := driver.ValidateImports(tasks, d.maxPayload); err != nil {
		return nil, err
	}
	res := make([]driver.ImportResult, len(tasks))
	if len(tasks) == 0 {
		return res, nil
	}
	err = d.updateAndWake(ctx, func(s *store, wake wakeup.Queues) error {
		return importTasks(s, d.now(), tasks, res, wake)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// importTasks stores tasks in s, filling res and noting in wake the
// queues that got a task available at once. It overwrites every item of
// res, so it can run again after a rollback.
func importTasks(s *store, now int64, tasks []driver.ImportTask, res []driver.ImportResult, wake wakeup.Queues) error {
	origins := s.top.Bucket(bucketOrigins)
	if origins == nil {
		return errorf("bucket %q is missing; was it deleted while the driver was open?", bucketOrigins)
	}
	for i, it := range tasks {
		r := it.Task
		key := originKey(r.Queue, it.Origin, r.ID)
		if v := origins.Get(key); v != nil {
			if len(v) != originLen {
				return errorf("origin record of %q task %d in queue %q is %d bytes, not %d", it.Origin, r.ID, r.Queue, len(v), originLen)
			}
			res[i] = driver.ImportResult{ID: int64(binary.BigEndian.Uint64(v))}
			continue
		}
		q, err := s.queue(r.Queue, true)
		if err != nil {
			return err
		}
		if r.State == driver.StatePending && r.UniqueKey != "" {
			if id := uniqueHolder(q, r.UniqueKey); id != 0 {
				res[i] = driver.ImportResult{ID: id, Err: driver.ErrDuplicate}
				continue
			}
		}
		id, err := s.nextID()
		if err != nil {
			return err
		}
		t := &task{
			id:          id,
			queue:       r.Queue,
			payload:     r.Payload,
			priority:    r.Priority,
			uniqueKey:   r.UniqueKey,
			state:       r.State,
			attempt:     r.Attempt,
			maxAttempts: r.MaxAttempts,
			lastError:   r.LastError,
			createdAt:   storeunit.Nanos(r.CreatedAt),
			runAt:       storeunit.Nanos(r.RunAt),
			finalizedAt: storeunit.Nanos(r.FinalizedAt),
		}
		if err := s.savePayload(t); err != nil {
			return err
		}
		if len(r.Result) > 0 {
			if err := s.results.Put(idKey(t.id), r.Result); err != nil {
				return err
			}
		}
		if err := s.move(q, nil, t, now); err != nil {
			return err
		}
		v := binary.BigEndian.AppendUint64(make([]byte, 0, originLen), uint64(t.id))
		if err := origins.Put(key, appendTime(v, now)); err != nil {
			return err
		}
		res[i] = driver.ImportResult{ID: t.id, Imported: true}
		if t.state == driver.StatePending && t.runAt <= now {
			wake.Add(t.queue)
		}
	}
	return nil
}
