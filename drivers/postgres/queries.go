package postgres

import (
	"embed"
	"strings"

	"github.com/gosk/gosk/driver"
)

//go:embed queries/*.sql
var queryFiles embed.FS

//go:embed migrations/*.sql
var migrationFiles embed.FS

// queries holds the driver's SQL with the schema in place.
type queries struct {
	create, createExisting string
	createHolder           string
	claim                  map[driver.PriorityRule]string
	ping, finish           string
	leaseState             string
	get, list, count       string
	retry, cancel, purge   string
	pause, resume          string
	pausedList, due        string
	queueList              string
	imp                    importQueries

	slotTake, slotTakeAfter, slotTakeFirst string
	slotLatest, slotTask                   string

	migrateLock, migrateInspect, migrateBootstrap string
	migrateVersion, migrateRecord                 string
	migrateEncoding                               string
}

// ruleOrder is the ORDER BY list of each priority rule, over the columns
// id, priority and run_at. It is the only text other than the quoted schema
// that is placed into a query.
var ruleOrder = map[driver.PriorityRule]string{
	driver.Fifo:     "run_at, id",
	driver.Lifo:     "run_at DESC, id DESC",
	driver.Priority: "priority DESC, run_at, id",
}

// renderQueries reads the embedded queries and puts the quoted schema name
// in place of {{schema}}.
func renderQueries(quotedSchema string) queries {
	r := func(name string) string {
		b, err := queryFiles.ReadFile("queries/" + name + ".sql")
		if err != nil {
			panic("gosk/postgres: embedded query missing: " + name) // a build defect, caught by every test
		}
		return strings.ReplaceAll(string(b), "{{schema}}", quotedSchema)
	}
	q := queries{
		create:           r("create"),
		createExisting:   r("create_existing"),
		createHolder:     r("create_holder"),
		claim:            make(map[driver.PriorityRule]string, len(ruleOrder)),
		ping:             r("ping"),
		finish:           r("finish"),
		leaseState:       r("lease_state"),
		get:              r("get"),
		list:             r("list"),
		count:            r("count"),
		retry:            r("retry"),
		cancel:           r("cancel"),
		purge:            r("purge"),
		pause:            r("pause"),
		resume:           r("resume"),
		pausedList:       r("paused_list"),
		queueList:        r("queue_list"),
		due:              r("due"),
		imp:              renderImportQueries(r),
		slotTake:         r("slot_take"),
		slotTakeAfter:    r("slot_take_after"),
		slotTakeFirst:    r("slot_take_first"),
		slotLatest:       r("slot_latest"),
		slotTask:         r("slot_task"),
		migrateLock:      r("migrate_lock"),
		migrateInspect:   r("migrate_inspect"),
		migrateBootstrap: r("migrate_bootstrap"),
		migrateVersion:   r("migrate_version"),
		migrateRecord:    r("migrate_record"),
		migrateEncoding:  r("migrate_encoding"),
	}
	claim := r("claim")
	for rule, order := range ruleOrder {
		q.claim[rule] = strings.ReplaceAll(claim, "{{order}}", order)
	}
	return q
}
