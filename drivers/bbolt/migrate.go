package bbolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout version this code writes and reads. It is
// stored in the top-level bucket's meta bucket under "version".
const SchemaVersion = 4

// ErrNewerSchema means the store was written by a newer version of this
// package; upgrade gosk to use it.
var ErrNewerSchema = errors.New("gosk/bbolt: store has a newer layout version than this code")

// ErrForeignLayout means the configured top-level bucket exists but was
// not made by this package: choose another Options.Bucket.
var ErrForeignLayout = errors.New("gosk/bbolt: bucket holds data that is not a gosk task store")

// migrations are the steps that bring a store up to SchemaVersion:
// migrations[v-1] takes a store from version v-1 to v. Each runs inside
// the one write transaction of migrate, so a store is never left half-way.
var migrations = []func(top *bolt.Bucket) error{
	// Version 1: the tasks, payloads and queues buckets. A queue's own
	// buckets are made when it gets its first task.
	func(top *bolt.Bucket) error {
		for _, name := range [][]byte{bucketTasks, bucketPayloads, bucketQueues} {
			if _, err := top.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	},
	// Version 2: the results, paused and schedules buckets (see the
	// package doc).
	func(top *bolt.Bucket) error {
		for _, name := range [][]byte{bucketResults, bucketPaused, bucketSchedules} {
			if _, err := top.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	},
	// Version 3: the origins bucket of Import (see import.go).
	migrateOrigins,
	// Version 4: each queue's buckets of delayed tasks (see pending.go).
	migrateDelayed,
}

// migrate creates or upgrades the driver's top-level bucket in one write
// transaction. bbolt allows one writer per file, so concurrent migrations
// (from several drivers of one process; other processes cannot open the
// file while it is locked) run one after the other and the later ones find
// the work done.
func migrate(tx *bolt.Tx, name []byte) error {
	top := tx.Bucket(name)
	if top == nil {
		var err error
		if top, err = tx.CreateBucket(name); err != nil {
			return err
		}
		meta, err := top.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := meta.Put(keyLayout, layoutName); err != nil {
			return err
		}
		if err := putVersion(meta, 0); err != nil {
			return err
		}
	}
	meta := top.Bucket(bucketMeta)
	if meta == nil || !bytes.Equal(meta.Get(keyLayout), layoutName) {
		return fmt.Errorf("%w: bucket %q has no %q marker", ErrForeignLayout, name, layoutName)
	}
	raw := meta.Get(keyVersion)
	if len(raw) != 8 {
		return fmt.Errorf("%w: bucket %q has a malformed version", ErrForeignLayout, name)
	}
	v := int(binary.BigEndian.Uint64(raw))
	if v > SchemaVersion {
		return fmt.Errorf("%w: bucket %q is at version %d, this code knows up to %d", ErrNewerSchema, name, v, SchemaVersion)
	}
	for v < SchemaVersion {
		v++
		if err := migrations[v-1](top); err != nil {
			return errorf("migrate bucket %q to version %d: %w", name, v, err)
		}
		if err := putVersion(meta, v); err != nil {
			return err
		}
	}
	return nil
}

func putVersion(meta *bolt.Bucket, v int) error {
	return meta.Put(keyVersion, binary.BigEndian.AppendUint64(nil, uint64(v)))
}
