package jdbc_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/rows"
)

// placeholders is Kestra's "values( ?, ?, ... )" for the users table.
var placeholders = "insert into users values( " + strings.TrimSuffix(strings.Repeat("?, ", len(userColumns)), ", ") + " )"

// TestMySQLToPostgresTasks copies every kind of value MariaDB has into
// PostgreSQL through a row file and compares each column by checksum.
func TestMySQLToPostgresTasks(t *testing.T) {
	myURL, my := server(t, dialect.MySQL)
	pgURL, pg := server(t, dialect.Postgres)
	createUsers(t, my, dialect.MySQL, "users")
	seedUsers(t, my, "users", 3000)
	createUsers(t, pg, dialect.Postgres, "users")

	env := plugintest.New(t)
	out, err := env.Run(jdbc.NewQuery("mysql", jdbc.Query{Connection: jdbc.Connection{URL: myURL}, SQL: "select * from users", Store: true}), "query")
	if err != nil {
		t.Fatal(err)
	}
	if out["size"] != int64(3000) {
		t.Fatalf("size = %v", out["size"])
	}
	schema, rs := env.ReadRows(out["uri"].(string))
	kinds := map[string]rows.Kind{
		"id": rows.KindInt, "name": rows.KindString, "score": rows.KindFloat, "balance": rows.KindDecimal,
		"big_amount": rows.KindDecimal, "active": rows.KindBool, "flag": rows.KindBool, "birth": rows.KindDate,
		"created": rows.KindTimestamp, "updated": rows.KindTimestampTZ, "wake": rows.KindTime, "avatar": rows.KindBytes,
		"payload": rows.KindBytes, "prefs": rows.KindString, "counter": rows.KindDecimal, "tiny": rows.KindInt, "ratio": rows.KindFloat,
	}
	for _, f := range schema.Fields {
		if k, ok := kinds[f.Name]; ok && f.Kind != k {
			t.Errorf("field %s (%s) kind %s, want %s", f.Name, f.SourceType, f.Kind, k)
		}
	}
	first := rs[0].Values
	if v := first[schema.Index("counter")]; v.DecimalString() != "18446744073709551615" {
		t.Errorf("unsigned bigint max = %v", v)
	}
	if v := first[schema.Index("big_amount")]; v.DecimalString() != "1234567890123456789012345678.0123456789" {
		t.Errorf("decimal(38,10) = %v", v)
	}
	if v := rs[1].Values[schema.Index("created")]; v.String() != "9999-12-31T23:59:59.999999" {
		t.Errorf("datetime(6) max = %v", v)
	}

	out, err = env.Run(jdbc.NewBatch("postgres", jdbc.Batch{Connection: jdbc.Connection{URL: pgURL}, From: out["uri"].(string), SQL: placeholders}), "load")
	if err != nil {
		t.Fatal(err)
	}
	if out["rowCount"] != int64(3000) {
		t.Fatalf("rowCount = %v", out["rowCount"])
	}
	compareTables(t, my, "users", pg, dialect.Postgres, "users")
}

// TestSeedFlowMySQLToPostgres runs Kestra's example flow, with the dialect
// and connection details changed, through the engine.
func TestSeedFlowMySQLToPostgres(t *testing.T) {
	myURL, my := server(t, dialect.MySQL)
	pgURL, pg := server(t, dialect.Postgres)
	createUsers(t, my, dialect.MySQL, "users")
	seedUsers(t, my, "users", 500)
	createUsers(t, pg, dialect.Postgres, "users")

	flow := `id: mysql-to-postgres
namespace: io.kestra.tests
tasks:
  - id: query
    type: io.kestra.plugin.jdbc.mysql.Query
    url: ` + myURL + `
    username: root
    sql: select * from users
    store: true
  - id: load
    type: io.kestra.plugin.jdbc.postgresql.Batch
    url: ` + strings.Split(pgURL, "?")[0] + `
    username: root
    from: "{{ outputs.query.uri }}"
    sql: "` + placeholders + `"
`
	env := flowtest.New(t)
	ex := env.Run(flow, nil)
	env.RequireState(ex, state.Success)
	if got := env.Output(ex, "load", "rowCount"); fmt.Sprint(got) != "500" {
		t.Fatalf("rowCount = %v", got)
	}
	compareTables(t, my, "users", pg, dialect.Postgres, "users")
}

// TestMySQLToMySQL copies users into a second MariaDB table with LOAD DATA
// LOCAL and with literal multi-row INSERTs.
func TestMySQLToMySQL(t *testing.T) {
	myURL, my := server(t, dialect.MySQL)
	createUsers(t, my, dialect.MySQL, "users")
	seedUsers(t, my, "users", 2000)
	env := plugintest.New(t)
	out, err := env.Run(jdbc.NewQuery("mysql", jdbc.Query{Connection: jdbc.Connection{URL: myURL}, SQL: "select * from users", Store: true}), "query")
	if err != nil {
		t.Fatal(err)
	}
	uri := out["uri"].(string)
	for _, method := range []string{"auto", "insert", "row"} {
		t.Run(method, func(t *testing.T) {
			createUsers(t, my, dialect.MySQL, "users_copy")
			out, err := env.Run(jdbc.NewBatch("mysql", jdbc.Batch{Connection: jdbc.Connection{URL: myURL}, From: uri, Table: "users_copy", Method: method, Chunk: 700}), "load")
			if err != nil {
				t.Fatal(err)
			}
			if out["rowCount"] != int64(2000) {
				t.Fatalf("rowCount = %v", out["rowCount"])
			}
			compareTables(t, my, "users", my, dialect.MySQL, "users_copy")
		})
	}
}

// TestPostgresToMySQL goes the other way, through COPY-less reads of
// PostgreSQL's binary results.
func TestPostgresToMySQL(t *testing.T) {
	myURL, my := server(t, dialect.MySQL)
	pgURL, pg := server(t, dialect.Postgres)
	createUsers(t, my, dialect.MySQL, "users")
	seedUsers(t, my, "users", 1000)
	createUsers(t, pg, dialect.Postgres, "users")
	env := plugintest.New(t)
	out, err := env.Run(jdbc.NewQuery("mysql", jdbc.Query{Connection: jdbc.Connection{URL: myURL}, SQL: "select * from users", Store: true}), "q1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Run(jdbc.NewBatch("postgres", jdbc.Batch{Connection: jdbc.Connection{URL: pgURL}, From: out["uri"].(string), Table: "users"}), "l1"); err != nil {
		t.Fatal(err)
	}
	out, err = env.Run(jdbc.NewQuery("postgres", jdbc.Query{Connection: jdbc.Connection{URL: pgURL}, SQL: "select * from users", Store: true}), "q2")
	if err != nil {
		t.Fatal(err)
	}
	createUsers(t, my, dialect.MySQL, "users_back")
	if _, err := env.Run(jdbc.NewBatch("mysql", jdbc.Batch{Connection: jdbc.Connection{URL: myURL}, From: out["uri"].(string), Table: "users_back"}), "l2"); err != nil {
		t.Fatal(err)
	}
	compareTables(t, my, "users", my, dialect.MySQL, "users_back")
}

// TestExampleFlows parses both example flows and runs the PostgreSQL one
// (pointed at the test database).
func TestExampleFlows(t *testing.T) {
	sqlserver, err := os.ReadFile("../../examples/mysql-to-sqlserver/flow.yml")
	if err != nil {
		t.Fatal(err)
	}
	env := flowtest.New(t)
	env.Parse(string(sqlserver))
	// The text as Kestra published it: validation points at the typo.
	typo := strings.Replace(string(sqlserver), `from: "{{ outputs.query.uri }}"`, `from: "{{ inputs.query.uri }}"`, 1)
	_, err = flows.Parse("flow.yml", []byte(typo))
	if err == nil || !strings.Contains(err.Error(), `did you mean "outputs.query.uri"`) || !strings.Contains(err.Error(), "flow.yml:23:") {
		t.Errorf("the published typo: validation error = %v", err)
	}

	src, err := os.ReadFile("../../examples/mysql-to-postgres/flow.yml")
	if err != nil {
		t.Fatal(err)
	}
	env.Parse(string(src))
	_, my := server(t, dialect.MySQL)
	_, pg := server(t, dialect.Postgres)
	createUsers(t, my, dialect.MySQL, "users")
	seedUsers(t, my, "users", 200)
	createUsers(t, pg, dialect.Postgres, "users")
	flow := strings.ReplaceAll(string(src), ":3306/test", ":3306/"+testDB)
	flow = strings.ReplaceAll(flow, ":5432/test", ":5432/"+testDB)
	ex := env.Run(flow, nil)
	env.RequireState(ex, state.Success)
	compareTables(t, my, "users", pg, dialect.Postgres, "users")
}
