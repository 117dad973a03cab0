package jdbc_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/integration/testenv"
	"github.com/sluicehq/sluice/internal/rows"
)

// TestVectorwiseTasksOverODBC runs the Vectorwise tasks for real through
// unixODBC, pointed at MariaDB's ODBC driver with odbcConnectionString
// (no Vector server exists here). MariaDB is put in ANSI_QUOTES mode so the
// double-quoted identifiers of the Vectorwise dialect mean what they mean
// on Vector. Query reads through the ODBC block cursor; Batch writes with
// ODBC parameter arrays in one transaction.
func TestVectorwiseTasksOverODBC(t *testing.T) {
	conn := testenv.ODBCMariaDB(t)
	_, my := server(t, dialect.MySQL)
	conn = strings.Replace(conn, "Database=test;", "Database="+testDB+";", 1)
	conn = strings.TrimSuffix(conn, ";") + ";InitStmt={SET sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')}"

	mustExec(t, my, "DROP TABLE IF EXISTS odbc_src", "DROP TABLE IF EXISTS odbc_dst")
	const def = "(id BIGINT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2), born DATE, seen DATETIME(6), ratio DOUBLE, big DECIMAL(30,8))"
	mustExec(t, my, "CREATE TABLE odbc_src "+def, "CREATE TABLE odbc_dst "+def)
	var vals []string
	for i := 1; i <= 2500; i++ {
		name := fmt.Sprintf("'nämé %d'", i)
		if i%7 == 0 {
			name = "NULL"
		}
		vals = append(vals, fmt.Sprintf("(%d, %s, %d.%02d, '2024-%02d-%02d', '2024-01-02 03:04:%02d.%06d', %d.25, 1234567890123456789012.%08d)",
			i, name, i*3-4000, i%100, i%12+1, i%28+1, i%60, i*7%1000000, i, i))
	}
	mustExec(t, my, "INSERT INTO odbc_src VALUES "+strings.Join(vals, ","))

	env := plugintest.New(t)
	out, err := env.Run(jdbc.NewQuery("vectorwise", jdbc.Query{SQL: `SELECT * FROM "odbc_src" ORDER BY "id"`, Store: true}, jdbc.ODBC{ODBCConnectionString: conn}), "query")
	if err != nil {
		t.Fatal(err)
	}
	if out["size"] != int64(2500) {
		t.Fatalf("size = %v", out["size"])
	}
	schema, rs := env.ReadRows(out["uri"].(string))
	want := map[string]rows.Kind{"id": rows.KindInt, "name": rows.KindString, "amount": rows.KindDecimal, "born": rows.KindDate, "seen": rows.KindTimestamp, "ratio": rows.KindFloat, "big": rows.KindDecimal}
	for _, f := range schema.Fields {
		if f.Kind != want[f.Name] {
			t.Errorf("field %s (%s): kind %s, want %s", f.Name, f.SourceType, f.Kind, want[f.Name])
		}
	}
	if v := rs[0].Values[schema.Index("seen")]; v.String() != "2024-01-02T03:04:01.000007" {
		t.Errorf("µs lost over ODBC: %v", v)
	}

	out, err = env.Run(jdbc.NewBatch("vectorwise", jdbc.Batch{From: out["uri"].(string), Table: "odbc_dst", Chunk: 1000}, jdbc.ODBC{ODBCConnectionString: conn}), "load")
	if err != nil {
		t.Fatal(err)
	}
	if out["rowCount"] != int64(2500) {
		t.Fatalf("rowCount = %v", out["rowCount"])
	}
	sum := func(table string) string {
		var s string
		q := "SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, COALESCE(name, '<null>'), amount, born, DATE_FORMAT(seen, '%Y-%m-%d %H:%i:%s.%f'), ratio, big) ORDER BY id SEPARATOR '|')) FROM " + table
		if err := my.QueryRow(q).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if a, b := sum("odbc_src"), sum("odbc_dst"); a != b {
		t.Fatalf("ODBC copy differs: %s vs %s", a, b)
	}
}
