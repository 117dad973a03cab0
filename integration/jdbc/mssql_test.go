package jdbc_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/rows"
)

// SQL Server runs only where SLUICE_TEST_MSSQL names one (Docker:
// docker-compose.test.yml); these tests skip otherwise.

var mssqlUsers = `CREATE TABLE users (
  id BIGINT NOT NULL PRIMARY KEY, name NVARCHAR(100) NOT NULL, email NVARCHAR(255),
  age INT, score FLOAT, balance DECIMAL(12,2), big_amount DECIMAL(38,10),
  active BIT, flag BIT, birth DATE, created DATETIME2(6), updated DATETIMEOFFSET(6),
  wake TIME(6), avatar VARBINARY(16), payload VARBINARY(MAX), prefs NVARCHAR(MAX),
  counter DECIMAL(20,0), small SMALLINT, tiny SMALLINT, ratio REAL, note NVARCHAR(MAX),
  code NCHAR(3), nullable_col NVARCHAR(20))`

// TestMySQLToSQLServer is Kestra's example: MariaDB users → SQL Server with
// the plain positional INSERT (bulk copy), then every value read back and
// compared with the source.
func TestMySQLToSQLServer(t *testing.T) {
	msURL, ms := server(t, dialect.SQLServer)
	myURL, my := server(t, dialect.MySQL)
	createUsers(t, my, dialect.MySQL, "users")
	seedUsers(t, my, "users", 600)
	mustExec(t, ms, "IF OBJECT_ID('users') IS NOT NULL DROP TABLE users", mssqlUsers)

	env := plugintest.New(t)
	out, err := env.Run(jdbc.NewQuery("mysql", jdbc.Query{Connection: jdbc.Connection{URL: myURL}, SQL: "select * from users order by id", Store: true}), "query")
	if err != nil {
		t.Fatal(err)
	}
	src := out["uri"].(string)
	out, err = env.Run(jdbc.NewBatch("sqlserver", jdbc.Batch{Connection: jdbc.Connection{URL: msURL}, From: src, SQL: placeholders}), "load")
	if err != nil {
		t.Fatal(err)
	}
	if out["rowCount"] != int64(600) {
		t.Fatalf("rowCount = %v", out["rowCount"])
	}
	out, err = env.Run(jdbc.NewQuery("sqlserver", jdbc.Query{Connection: jdbc.Connection{URL: msURL}, SQL: "select * from users order by id", Store: true}), "back")
	if err != nil {
		t.Fatal(err)
	}
	compareRowFiles(t, env, src, out["uri"].(string))

	// merge twice through the #temp staging table (UPDATE + INSERT).
	for i := 0; i < 2; i++ {
		if _, err := env.Run(jdbc.NewBatch("sqlserver", jdbc.Batch{Connection: jdbc.Connection{URL: msURL}, From: src, Table: "users", Mode: "merge"}), "merge"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, ms, "users"); n != 600 {
			t.Fatalf("merge %d: %d rows", i+1, n)
		}
	}
}

// compareRowFiles compares two row files value by value, allowing what
// the two servers' types make differ in form only (NCHAR padding).
func compareRowFiles(t *testing.T, env *plugintest.Env, a, b string) {
	t.Helper()
	sa, ra := env.ReadRows(a)
	sb, rb := env.ReadRows(b)
	if len(ra) != len(rb) {
		t.Fatalf("%d vs %d rows", len(ra), len(rb))
	}
	for i := range ra {
		for j, f := range sa.Fields {
			k := sb.Index(f.Name)
			x, y := ra[i].Values[j], rb[i].Values[k]
			if x.Kind() == rows.KindString && y.Kind() == rows.KindString {
				if strings.TrimRight(x.AsString(), " ") == strings.TrimRight(y.AsString(), " ") {
					continue
				}
			}
			if !x.Equal(y) {
				t.Errorf("row %d %s: %v (%s) vs %v (%s)", i+1, f.Name, x, x.Kind(), y, y.Kind())
				return
			}
		}
	}
}

// TestSQLServerParameterLimit loads a 30-column table with multi-row
// INSERTs (method: insert), sized to stay under SQL Server's 2100
// parameters, and with chunk transactions.
func TestSQLServerParameterLimit(t *testing.T) {
	msURL, ms := server(t, dialect.SQLServer)
	var defs, names []string
	for i := 0; i < 30; i++ {
		defs = append(defs, fmt.Sprintf("c%d BIGINT", i))
		names = append(names, fmt.Sprintf("c%d", i))
	}
	mustExec(t, ms, "IF OBJECT_ID('wide') IS NOT NULL DROP TABLE wide", "CREATE TABLE wide ("+strings.Join(defs, ", ")+")")
	env := plugintest.New(t)
	schema := &rows.Schema{}
	for _, n := range names {
		schema.Fields = append(schema.Fields, rows.Field{Name: n, Kind: rows.KindInt})
	}
	var rs []rows.Row
	for i := 0; i < 1100; i++ {
		r := rows.Row{Values: make([]rows.Value, 30)}
		for j := range r.Values {
			r.Values[j] = rows.Int(int64(i*30 + j))
		}
		rs = append(rs, r)
	}
	from := env.WriteRows("wide", schema, rs)
	for _, tx := range []string{"all", "chunk"} {
		mustExec(t, ms, "DELETE FROM wide")
		out, err := env.Run(jdbc.NewBatch("sqlserver", jdbc.Batch{Connection: jdbc.Connection{URL: msURL}, From: from, Table: "wide", Method: "insert", Transaction: tx, Chunk: 1000}), "load")
		if err != nil {
			t.Fatal(err)
		}
		if out["rowCount"] != int64(1100) || count(t, ms, "wide") != 1100 {
			t.Fatalf("%s: rowCount %v, table %d", tx, out["rowCount"], count(t, ms, "wide"))
		}
	}
}
