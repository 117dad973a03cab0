package singer_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/integration/testenv"
	"github.com/sluicehq/sluice/internal/storage"
)

// server is a database from a testenv JDBC URL.
type server struct {
	host, port, db, user string
}

func parseJDBC(t *testing.T, jdbc string) server {
	t.Helper()
	u, err := url.Parse(strings.TrimPrefix(jdbc, "jdbc:"))
	if err != nil {
		t.Fatal(err)
	}
	return server{host: u.Hostname(), port: u.Port(), db: strings.TrimPrefix(u.Path, "/"), user: u.Query().Get("user")}
}

func (s server) open(t *testing.T, driver string) *sql.DB {
	t.Helper()
	var dsn string
	if driver == "pgx" {
		dsn = fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable", s.user, s.host, s.port, s.db)
	} else {
		dsn = fmt.Sprintf("%s@tcp(%s:%s)/%s?parseTime=true", s.user, s.host, s.port, s.db)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func run(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func singerBin(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(testenv.Singer(t), "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is not installed (integration/services/up singer): %v", name, err)
	}
	return p
}

func ids(t *testing.T, env *flowtest.Env, uri string) []int64 {
	t.Helper()
	schema, rs := env.ReadRows(uri)
	col := schema.Index("id")
	if col < 0 {
		t.Fatalf("%s has no id column: %s", uri, schema)
	}
	var out []int64
	for _, r := range rs {
		out = append(out, r.Values[col].AsInt())
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// A PostgreSQL table through pipelinewise-tap-postgres, typed (raw: false):
// INCREMENTAL resumes after the saved bookmark, FULL_TABLE reads all again.
func TestTapPostgresIncrementalAndFullTable(t *testing.T) {
	pg := parseJDBC(t, testenv.Postgres(t))
	tap := singerBin(t, "tap-postgres")
	db := pg.open(t, "pgx")
	run(t, db, `drop table if exists singer_pg`,
		`create table singer_pg (id integer primary key, name text, amount numeric(10,2), at timestamptz, day date)`,
		`insert into singer_pg select i, 'n' || i, i * 1.25, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour 1 microsecond', date '2024-01-01' + i from generate_series(1, 5) i`)
	flow := func(method string) string {
		return fmt.Sprintf(`id: pg-%[6]s
namespace: sluice.tests
tasks:
  - id: tap
    type: io.kestra.plugin.singer.taps.PipelinewisePostgres
    command: %[1]s
    host: %[2]s
    port: %[3]s
    username: %[4]s
    dbName: %[5]s
    filterSchemas: [public]
    raw: false
    streamsConfigurations:
      - selected: false
      - stream: public-singer_pg
        selected: true
        replicationMethod: %[6]s
        replicationKeys: id
`, tap, pg.host, pg.port, pg.user, pg.db, method)
	}
	env := flowtest.New(t)
	ex := env.Run(flow("INCREMENTAL"), nil)
	env.RequireState(ex, state.Success)
	uri := out(t, env, ex, "tap", "streams", "public-singer_pg").(string)
	schema, rs := env.ReadRows(uri)
	if got := fmt.Sprint(ids(t, env, uri)); got != "[1 2 3 4 5]" {
		t.Fatalf("run 1 ids %s", got)
	}
	// Types survive the trip: numeric(10,2) is an exact decimal, timestamptz
	// keeps its microseconds, date is a date.
	if got := schema.String(); !strings.HasPrefix(got, "id int, name string, amount decimal, at timestamptz, day") {
		t.Fatalf("schema %s", got)
	}
	r := rs[0].Values
	if r[2].DecimalString() != "1.25" || r[3].String() != "2024-01-01T01:00:00.000001Z" {
		t.Fatalf("row 1 = %v", r)
	}

	run(t, db, `insert into singer_pg values (6, 'n6', 7.50, now(), current_date), (7, 'n7', 8.75, now(), current_date)`)
	ex = env.Run(flow("INCREMENTAL"), nil)
	env.RequireState(ex, state.Success)
	got := ids(t, env, out(t, env, ex, "tap", "streams", "public-singer_pg").(string))
	// tap-postgres reads replication_key >= bookmark: the last row of run 1
	// comes again, then the new ones.
	if fmt.Sprint(got) != "[5 6 7]" {
		t.Fatalf("run 2 (incremental) ids %v, want [5 6 7]", got)
	}

	ex = env.Run(flow("FULL_TABLE"), nil)
	env.RequireState(ex, state.Success)
	if got := ids(t, env, out(t, env, ex, "tap", "streams", "public-singer_pg").(string)); len(got) != 7 {
		t.Fatalf("full table ids %v", got)
	}
}

// A MariaDB table through pipelinewise-tap-mysql, INCREMENTAL with bookmarks.
func TestTapMysqlIncremental(t *testing.T) {
	my := parseJDBC(t, testenv.MySQL(t))
	tap := singerBin(t, "tap-mysql")
	db := my.open(t, "mysql")
	run(t, db, `drop table if exists singer_my`,
		`create table singer_my (id int primary key, name varchar(20), price decimal(12,3), at datetime(6))`,
		`insert into singer_my values (1,'a',1.001,'2024-01-01 10:00:00.000001'),(2,'b',2.002,'2024-01-02 10:00:00'),(3,'c',NULL,NULL)`)
	flow := fmt.Sprintf(`id: my
namespace: sluice.tests
tasks:
  - id: tap
    type: io.kestra.plugin.singer.taps.PipelinewiseMysql
    command: %[1]s
    host: %[2]s
    port: %[3]s
    username: %[4]s
    filterDbs: [%[5]s]
    raw: false
    streamsConfigurations:
      - selected: false
      - stream: %[5]s-singer_my
        selected: true
        replicationMethod: INCREMENTAL
        replicationKeys: id
`, tap, my.host, my.port, my.user, my.db)
	env := flowtest.New(t)
	ex := env.Run(flow, nil)
	env.RequireState(ex, state.Success)
	stream := my.db + "-singer_my"
	uri := out(t, env, ex, "tap", "streams", stream).(string)
	if got := fmt.Sprint(ids(t, env, uri)); got != "[1 2 3]" {
		t.Fatalf("run 1 ids %s", got)
	}
	schema, rs := env.ReadRows(uri)
	v := rs[0].Values
	if p, at := v[schema.Index("price")], v[schema.Index("at")]; p.DecimalString() != "1.001" || !strings.HasPrefix(at.String(), "2024-01-01T10:00:00.000001") {
		t.Fatalf("row 1 = %v (%s)", v, schema)
	}
	run(t, db, `insert into singer_my values (4,'d',4.004,now())`)
	ex = env.Run(flow, nil)
	env.RequireState(ex, state.Success)
	if got := fmt.Sprint(ids(t, env, out(t, env, ex, "tap", "streams", stream).(string))); got != "[3 4]" {
		t.Fatalf("run 2 ids %s, want [3 4] (tap-mysql reads >= the bookmark)", got)
	}
}

// One tap-postgres run fanned out to target-jsonl, target-csv and
// pipelinewise-target-postgres in a Parallel; the next run sends only the
// new rows to all three, from the state they all acknowledged.
func TestRealFanoutThreeTargets(t *testing.T) {
	pg := parseJDBC(t, testenv.Postgres(t))
	tap := singerBin(t, "tap-postgres")
	jsonl, csv, tpg := singerBin(t, "target-jsonl"), singerBin(t, "target-csv"), singerBin(t, "target-postgres")
	db := pg.open(t, "pgx")
	run(t, db, `drop table if exists singer_fan`, `drop schema if exists singer_out cascade`,
		`create table singer_fan (id integer primary key, name text, amount numeric(10,2))`,
		`insert into singer_fan select i, 'n' || i, i * 0.5 from generate_series(1, 40) i`)
	flow := fmt.Sprintf(`id: pg-fanout
namespace: sluice.tests
tasks:
  - id: tap
    type: io.kestra.plugin.singer.taps.PipelinewisePostgres
    command: %[1]s
    host: %[2]s
    port: %[3]s
    username: %[4]s
    dbName: %[5]s
    filterSchemas: [public]
    streamsConfigurations:
      - selected: false
      - stream: public-singer_fan
        selected: true
        replicationMethod: INCREMENTAL
        replicationKeys: id
  - id: load
    type: io.kestra.core.tasks.flows.Parallel
    tasks:
      - id: jsonl
        type: io.kestra.plugin.singer.targets.Json
        command: %[6]s
        from: "{{ outputs.tap.raw }}"
      - id: csv
        type: io.kestra.plugin.singer.targets.Csv
        command: %[7]s
        from: "{{ outputs.tap.raw }}"
      - id: postgres
        type: io.kestra.plugin.singer.targets.PipelinewisePostgres
        command: %[8]s
        from: "{{ outputs.tap.raw }}"
        host: %[2]s
        port: %[3]s
        username: %[4]s
        dbName: %[5]s
        password: trust-auth-ignores-it   # target-postgres insists on one
        defaultTargetSchema: singer_out
`, tap, pg.host, pg.port, pg.user, pg.db, jsonl, csv, tpg)
	env := flowtest.New(t)
	ex := env.Run(flow, nil)
	env.RequireState(ex, state.Success)

	jl := out(t, env, ex, "jsonl", "uris", "public-singer_fan")
	if jl == nil {
		t.Fatalf("target-jsonl files: %v", out(t, env, ex, "jsonl", "uris"))
	}
	if n := countLines(t, env, jl.(string)); n != 40 {
		t.Fatalf("target-jsonl wrote %d lines, want 40", n)
	}
	cv := out(t, env, ex, "csv", "uris", "public-singer_fan")
	if cv == nil {
		t.Fatalf("target-csv files: %v", out(t, env, ex, "csv", "uris"))
	}
	if n := countLines(t, env, cv.(string)); n != 41 {
		t.Fatalf("target-csv wrote %d lines, want a header and 40 rows", n)
	}
	var n int
	var sum float64 // target-postgres makes numeric columns double precision
	if err := db.QueryRow(`select count(*), sum(amount) from singer_out.singer_fan`).Scan(&n, &sum); err != nil || n != 40 || sum != 410 {
		t.Fatalf("target-postgres loaded %d rows, sum %v (%v)", n, sum, err)
	}
	kv := env.Repo.KV("sluice.tests", "pg-fanout")
	committed, ok, _ := kv.Get(t.Context(), "singer-state")
	if !ok || !strings.Contains(string(committed), `"replication_key_value": 40`) && !strings.Contains(string(committed), `"replication_key_value":40`) {
		t.Fatalf("committed state %s", committed)
	}

	run(t, db, `insert into singer_fan values (41, 'n41', 20.50), (42, 'n42', 21.00)`)
	ex = env.Run(flow, nil)
	env.RequireState(ex, state.Success)
	// tap-postgres re-reads the bookmark row (>=): 40, 41, 42.
	if got := out(t, env, ex, "tap", "records", "public-singer_fan"); got != float64(3) {
		t.Fatalf("run 2 records %v, want 3", got)
	}
	if n := countLines(t, env, out(t, env, ex, "jsonl", "uris", "public-singer_fan").(string)); n != 3 {
		t.Fatalf("run 2 target-jsonl lines %d", n)
	}
	// target-postgres upserts by key: 42 rows, each once.
	if err := db.QueryRow(`select count(*) from singer_out.singer_fan`).Scan(&n); err != nil || n != 42 {
		t.Fatalf("target-postgres holds %d rows (%v)", n, err)
	}
}

func countLines(t *testing.T, env *flowtest.Env, uri string) int {
	t.Helper()
	u, err := storageURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	r, err := env.Store.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func storageURI(s string) (storage.URI, error) { return storage.ParseURI(s) }
