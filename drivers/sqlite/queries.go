package sqlite

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed queries/*.sql
var queryFiles embed.FS

//go:embed migrations/*.sql
var migrationFiles embed.FS

// queries holds the driver's SQL, read from the embedded queries/ folder
// with the table prefix placed in.
type queries struct {
	metaCreate, metaGet, metaSet, tableExists       string
	insert, findUnique                              string
	failLapsed, lease                               string
	availableFifo, availableLifo, availablePriority string
	fences, extend, finalize, release               string
	get, list, count, retry, cancel, purge          string
	pause, resume, pausedList, isPaused, due        string
	slotGet, slotSet                                string
	queueList                                       string
	originGet, originSet, importInsert              string
	payloadInsert, payloadsGet                      string
}

// loadQueries reads every query file, placing prefix (already validated
// to be letters, digits and underscores) inside the quoted identifiers. A
// file without a field, or a field without a file, is a programming error
// that the package's tests catch.
func loadQueries(prefix string) (*queries, error) {
	q := &queries{}
	fields := map[string]*string{
		"meta_create":        &q.metaCreate,
		"meta_get":           &q.metaGet,
		"meta_set":           &q.metaSet,
		"table_exists":       &q.tableExists,
		"insert":             &q.insert,
		"find_unique":        &q.findUnique,
		"fail_lapsed":        &q.failLapsed,
		"lease":              &q.lease,
		"available_fifo":     &q.availableFifo,
		"available_lifo":     &q.availableLifo,
		"available_priority": &q.availablePriority,
		"fences":             &q.fences,
		"extend":             &q.extend,
		"finalize":           &q.finalize,
		"release":            &q.release,
		"get":                &q.get,
		"list":               &q.list,
		"count":              &q.count,
		"retry":              &q.retry,
		"cancel":             &q.cancel,
		"purge":              &q.purge,
		"pause":              &q.pause,
		"resume":             &q.resume,
		"paused_list":        &q.pausedList,
		"is_paused":          &q.isPaused,
		"due":                &q.due,
		"slot_get":           &q.slotGet,
		"slot_set":           &q.slotSet,
		"queue_list":         &q.queueList,
		"origin_get":         &q.originGet,
		"origin_set":         &q.originSet,
		"import_insert":      &q.importInsert,
		"payload_insert":     &q.payloadInsert,
		"payloads_get":       &q.payloadsGet,
	}
	files, err := fs.Glob(queryFiles, "queries/*.sql")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".sql")
		dst, ok := fields[name]
		if !ok {
			return nil, fmt.Errorf("gosk/sqlite: query file %s has no use", f)
		}
		text, err := queryFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		// One statement with nothing after it: modernc.org/sqlite keeps a
		// prepared statement only when the text has no tail, not even a
		// newline after the semicolon.
		*dst = strings.TrimSuffix(strings.TrimSpace(withPrefix(string(text), prefix)), ";")
		delete(fields, name)
	}
	if len(fields) > 0 {
		missing := make([]string, 0, len(fields))
		for name := range fields {
			missing = append(missing, name)
		}
		slices.Sort(missing)
		return nil, fmt.Errorf("gosk/sqlite: query files missing: %v", missing)
	}
	return q, nil
}

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the numbered migration files (NNNN_name.sql) in
// version order, with prefix placed in.
func loadMigrations(prefix string) ([]migration, error) {
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	out := make([]migration, 0, len(files))
	for i, f := range files {
		base := path.Base(f)
		var v int
		if _, err := fmt.Sscanf(base, "%04d_", &v); err != nil || v != i+1 {
			return nil, fmt.Errorf("gosk/sqlite: migration %s is out of sequence (want %04d_*.sql)", base, i+1)
		}
		text, err := migrationFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: withPrefix(string(text), prefix)})
	}
	return out, nil
}

func withPrefix(text, prefix string) string {
	return strings.ReplaceAll(text, "{{prefix}}", prefix)
}
