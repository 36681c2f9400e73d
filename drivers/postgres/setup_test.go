package postgres_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivers/postgres"
)

// Many processes starting at once migrate the schema exactly once, and all
// of them come up.
func TestConcurrentMigration(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	schema := testSchema(t, url)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			d, err := postgres.Open(context.Background(), url, &postgres.Options{Schema: schema, MaxConns: 2})
			errs[i] = err
			if err == nil {
				_ = d.Close()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	conn := connect(t, url)
	var rows, version int
	require.NoError(t, conn.QueryRow(context.Background(),
		"SELECT count(*), max(version) FROM "+pgx.Identifier{schema, "gosk_schema_version"}.Sanitize()).Scan(&rows, &version))
	require.Equal(t, postgres.LatestVersion(), rows, "each migration recorded once")
	require.Equal(t, postgres.LatestVersion(), version)
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestSchemaTooNew(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	schema := testSchema(t, url)
	d, err := postgres.Open(context.Background(), url, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, d.Close())
	conn := connect(t, url)
	_, err = conn.Exec(context.Background(), "INSERT INTO "+pgx.Identifier{schema, "gosk_schema_version"}.Sanitize()+" (version) VALUES (999)")
	require.NoError(t, err)

	_, err = postgres.Open(context.Background(), url, &postgres.Options{Schema: schema})
	require.ErrorIs(t, err, postgres.ErrSchemaTooNew)
	require.Contains(t, err.Error(), "999")
}

func TestForeignSchema(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	schema := testSchema(t, url)
	conn := connect(t, url)
	_, err := conn.Exec(context.Background(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()+"; CREATE TABLE "+
		pgx.Identifier{schema, "gosk_tasks"}.Sanitize()+" (x int)")
	require.NoError(t, err)

	_, err = postgres.Open(context.Background(), url, &postgres.Options{Schema: schema})
	require.ErrorIs(t, err, postgres.ErrForeignSchema)
}

// A schema name that tries SQL is refused at Open and New before anything
// runs; a name that needs quoting for its case works and keeps its case.
func TestSchemaInjectionRefused(t *testing.T) {
	t.Parallel()
	url := serverURL(t)
	base := testSchema(t, url)
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	defer pool.Close()
	hostile := []string{
		base + `_Odd "name"; DROP TABLE x --`,
		base + `"; DROP SCHEMA public CASCADE; --`,
		base + "'x'",
		base + " x",
		base + ".x",
		base + `\x`,
		base + "\x00",
		base + "\xff",
		base + "é",
		"1" + base,
		"pg_" + base,
		"",
	}
	for _, schema := range hostile[:len(hostile)-1] {
		_, err := postgres.Open(context.Background(), url, &postgres.Options{Schema: schema})
		require.ErrorIs(t, err, driver.ErrInvalid, "Open with schema %q", schema)
		assert.Contains(t, err.Error(), "Options.Schema", "the error names the option")
		_, err = postgres.New(context.Background(), pool, &postgres.Options{Schema: schema})
		require.ErrorIs(t, err, driver.ErrInvalid, "New with schema %q", schema)
	}
	var n int
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_namespace WHERE strpos(nspname, $1) > 0", base).Scan(&n))
	assert.Zero(t, n, "a refused schema name creates no schema")

	mixed := base + "_Mixed-Case"
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), url)
		if err == nil {
			_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{mixed}.Sanitize()+" CASCADE")
			_ = conn.Close(context.Background())
		}
	})
	d, err := postgres.Open(context.Background(), url, &postgres.Options{Schema: mixed})
	require.NoError(t, err, "a schema name of letters, digits, _ and - in mixed case is valid")
	defer d.Close() //nolint:errcheck
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_namespace WHERE nspname = $1", mixed).Scan(&n))
	assert.Equal(t, 1, n, "the schema keeps its case")
}

func TestOptionsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, o := range map[string]*postgres.Options{
		"Options.Schema":       {Schema: strings.Repeat("s", 64)},
		"Options.MaxConns":     {MaxConns: -1},
		"Options.ReconnectMin": {ReconnectMin: -time.Second},
		"Options.ReconnectMax": {ReconnectMin: time.Minute, ReconnectMax: time.Second},
	} {
		_, err := postgres.Open(ctx, "postgres://nobody@127.0.0.1:1/none", o)
		require.ErrorIs(t, err, driver.ErrInvalid, name)
		require.Contains(t, err.Error(), name)
	}
	_, err := postgres.New(ctx, nil, nil)
	require.ErrorIs(t, err, driver.ErrInvalid)
}

// Neither a bad connection string nor a failed connection prints the
// password.
func TestPasswordNotPrinted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, url := range []string{
		"postgres://user:s3cretpw@127.0.0.1:badport/db",
		"postgres://user:s3cretpw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"host=127.0.0.1 port=1 user=u password=s3cretpw dbname=x sslmode=disable connect_timeout=2",
	} {
		_, err := postgres.Open(ctx, url, nil)
		require.Error(t, err)
		require.NotContains(t, err.Error(), "s3cretpw", url)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	sub, err := d.Subscribe(ctx, "q")
	require.NoError(t, err)
	require.NoError(t, d.Close())
	require.NoError(t, d.Close(), "Close twice")
	sub.Stop()
	_, err = d.Create(ctx, []driver.NewTask{task("q")})
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Claim(ctx, driver.ClaimParams{Queue: "q", Rule: driver.Fifo, Lease: time.Second})
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Subscribe(ctx, "q")
	require.ErrorIs(t, err, driver.ErrClosed)
	_, err = d.Count(ctx, "q")
	require.ErrorIs(t, err, driver.ErrClosed)
}

// Creates in a *sql.Tx of pgx's stdlib driver appear on commit only, and
// wake subscribers then.
func TestSQLTx(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	ctx := context.Background()
	db := stdlib.OpenDB(*mustParse(t, serverURL(t)))
	defer db.Close() //nolint:errcheck
	sub, err := d.Subscribe(ctx, "tx")
	require.NoError(t, err)
	defer sub.Stop()

	create := func(commit bool) int64 {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{})
		require.NoError(t, err)
		n := task("tx")
		n.UniqueKey = "k"
		res, err := d.SQLTx(tx).Create(ctx, []driver.NewTask{n, n})
		require.NoError(t, err)
		require.ErrorIs(t, res[1].Err, driver.ErrDuplicate)
		if commit {
			require.NoError(t, tx.Commit())
		} else {
			require.NoError(t, tx.Rollback())
		}
		return res[0].ID
	}
	rolledBack := create(false)
	_, err = d.Get(ctx, rolledBack)
	require.ErrorIs(t, err, driver.ErrTaskNotFound)
	id := create(true)
	rec, err := d.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, driver.StatePending, rec.State)
	select {
	case <-sub.Wake:
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up after commit")
	}
}

func mustParse(t *testing.T, url string) *pgx.ConnConfig {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	return cfg
}

// The claim of each rule reads a partial index of pending tasks and one of
// running tasks by lease expiry, and never scans finished tasks or live
// leases, with the generic plan that prepared statements end up using.
func TestClaimPlanSkipsFinishedTasks(t *testing.T) {
	t.Parallel()
	d := newDriver(t)
	url := serverURL(t)
	conn := connect(t, url)
	ctx := context.Background()
	fillForPlans(t, d, conn)

	raw, err := os.ReadFile("queries/claim.sql")
	require.NoError(t, err)
	for order, index := range map[string]string{
		"run_at, id":                "gosk_tasks_pending_fifo",
		"run_at DESC, id DESC":      "gosk_tasks_pending_fifo",
		"priority DESC, run_at, id": "gosk_tasks_pending_priority",
	} {
		q := strings.NewReplacer("{{schema}}", pgx.Identifier{d.Schema()}.Sanitize(), "{{order}}", order).Replace(string(raw))
		tx, err := conn.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_generic_plan")
		require.NoError(t, err)
		_, err = tx.Prepare(ctx, "claim", q)
		require.NoError(t, err)
		rows, err := tx.Query(ctx, "EXPLAIN EXECUTE claim('q', 16, 30000000, 'lease expired')")
		require.NoError(t, err)
		var plan strings.Builder
		for rows.Next() {
			var line string
			require.NoError(t, rows.Scan(&line))
			plan.WriteString(line + "\n")
		}
		require.NoError(t, rows.Err())
		_, err = tx.Exec(ctx, "DEALLOCATE claim")
		require.NoError(t, err)
		require.NoError(t, tx.Rollback(ctx))
		require.Contains(t, plan.String(), index, "order %s:\n%s", order, plan.String())
		require.Contains(t, plan.String(), "gosk_tasks_running_lease", "order %s:\n%s", order, plan.String())
		require.NotContains(t, plan.String(), "Seq Scan", "order %s:\n%s", order, plan.String())
		require.NotContains(t, plan.String(), "Bitmap", "order %s:\n%s", order, plan.String())
	}
}

// fillForPlans fills queue q of d's schema as a busy store looks to the
// planner, for the tests that check which indexes a query reads: 20,000
// completed tasks, 5,000 running ones under live leases and 200 pending,
// then ANALYZE.
func fillForPlans(t *testing.T, d *postgres.Driver, conn *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	table := pgx.Identifier{d.Schema(), "gosk_tasks"}.Sanitize()
	_, err := conn.Exec(ctx, "INSERT INTO "+table+` (queue, max_attempts, state, attempt, finalized_at)
		SELECT 'q', 3, 'completed', 1, now() FROM generate_series(1, 20000)`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "INSERT INTO "+table+` (queue, max_attempts, state, attempt, lease_token, lease_expires_at)
		SELECT 'q', 3, 'running', 1, 1, now() + interval '1 hour' FROM generate_series(1, 5000)`)
	require.NoError(t, err)
	in := make([]driver.NewTask, 200)
	for i := range in {
		in[i] = task("q")
	}
	_, err = d.Create(ctx, in)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "ANALYZE "+table)
	require.NoError(t, err)
}
