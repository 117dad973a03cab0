package jdbc

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/rows"
)

func sqliteDB(t *testing.T, stmts ...string) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return "jdbc:sqlite:" + path, db
}

func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("select count(*) from " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const srcTable = `create table src (id integer primary key, name varchar(40), amount decimal(12,2), ratio real,
	active boolean, born date, seen datetime, data blob)`

func TestQueryStoreSQLite(t *testing.T) {
	url, _ := sqliteDB(t, srcTable,
		`insert into src values (1, 'Zoë', 12.5, 0.25, 1, '2024-02-29', '2024-01-02 03:04:05.123456', x'00ff')`,
		`insert into src values (2, null, -0.01, null, 0, null, null, null)`)
	env := plugintest.New(t)
	env.Progress = progress.NewHub(nil, nil, time.Hour)
	defer env.Progress.Close()
	out, err := env.Run(NewQuery("sqlite", Query{Connection: Connection{URL: url}, SQL: "select id, name as label, amount, ratio, active, born, seen, data from src order by id", Store: true}), "query")
	// The progress of a stored query counts the bytes it stored.
	if rows, bytes := env.Progress.Totals(); err == nil && (rows == 0 || bytes == 0) {
		t.Errorf("progress counted %d rows, %d bytes", rows, bytes)
	}
	if err != nil {
		t.Fatal(err)
	}
	if out["size"] != int64(2) {
		t.Fatalf("size = %v", out["size"])
	}
	schema, rs := env.ReadRows(out["uri"].(string))
	if got := strings.Join(schema.Names(), ","); got != "id,label,amount,ratio,active,born,seen,data" {
		t.Fatalf("names = %s", got)
	}
	wantKinds := []rows.Kind{rows.KindInt, rows.KindString, rows.KindDecimal, rows.KindFloat, rows.KindBool, rows.KindDate, rows.KindTimestamp, rows.KindAny}
	for i, k := range wantKinds {
		if schema.Fields[i].Kind != k {
			t.Errorf("field %s kind %s, want %s", schema.Fields[i].Name, schema.Fields[i].Kind, k)
		}
	}
	if schema.Fields[2].SourceType != "DECIMAL(12,2)" || schema.Fields[2].Scale != 2 {
		t.Errorf("amount field = %+v", schema.Fields[2])
	}
	want := [][]rows.Value{
		{rows.Int(1), rows.String("Zoë"), rows.Decimal(1250, 2), rows.Float(0.25), rows.Bool(true), rows.Date(rows.DaysFromCivil(2024, 2, 29)),
			rows.TimestampOf(time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)), rows.Bytes([]byte{0, 0xff})},
		{rows.Int(2), rows.Null, rows.Decimal(-1, 2), rows.Null, rows.Bool(false), rows.Null, rows.Null, rows.Null},
	}
	for i := range want {
		for j := range want[i] {
			if !rs[i].Values[j].Equal(want[i][j]) {
				t.Errorf("row %d %s = %v (%s), want %v", i+1, schema.Fields[j].Name, rs[i].Values[j], rs[i].Values[j].Kind(), want[i][j])
			}
		}
	}
}

func TestQueryFetchSQLite(t *testing.T) {
	url, _ := sqliteDB(t, srcTable, `insert into src (id, name) values (1, 'a'), (2, 'b')`)
	env := plugintest.New(t)
	out, err := env.Run(NewQuery("sqlite", Query{Connection: Connection{URL: url}, SQL: "select id, name from src where id > 5", FetchOne: true}), "q")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := out["row"]; !ok || v != nil || out["size"] != int64(0) {
		t.Fatalf("fetchOne on empty = %v, %v", out["row"], out["size"])
	}
	out, err = env.Run(NewQuery("sqlite", Query{Connection: Connection{URL: url}, SQL: "select id, name from src order by id", Fetch: true}), "q")
	if err != nil {
		t.Fatal(err)
	}
	list := out["rows"].([]any)
	if len(list) != 2 {
		t.Fatalf("rows = %v", list)
	}
	m := list[1].(*rows.OrderedMap)
	if v, _ := m.Get("name"); v != "b" {
		t.Fatalf("rows[1].name = %v", v)
	}
	out, err = env.Run(NewQuery("sqlite", Query{Connection: Connection{URL: url}, SQL: "select id from src order by id", FetchOne: true}), "q")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := out["row"].(*rows.OrderedMap).Get("id"); v != int64(1) || out["size"] != int64(1) {
		t.Fatalf("fetchOne = %v", out["row"])
	}
	// A statement without a result set.
	if _, err := env.Run(NewQuery("sqlite", Query{Connection: Connection{URL: url}, SQL: "delete from src where id = 1"}), "q"); err != nil {
		t.Fatal(err)
	}
	if err := NewQuery("sqlite", Query{Connection: Connection{URL: url}, SQL: "x", Fetch: true, Store: true}).(plugin.Validator).Validate(); err == nil {
		t.Fatal("fetch and store together accepted")
	}
}

// inputRows is the shape a JSON or CSV reader produces: strings for dates
// and decimals.
func inputRows(n int, bad map[int]string) (*rows.Schema, []rows.Row) {
	schema := &rows.Schema{Fields: []rows.Field{
		{Name: "id", Kind: rows.KindInt}, {Name: "name", Kind: rows.KindString}, {Name: "amount", Kind: rows.KindString},
		{Name: "born", Kind: rows.KindString}, {Name: "active", Kind: rows.KindBool},
	}}
	out := make([]rows.Row, n)
	for i := range out {
		amount := fmt.Sprintf("%d.%02d", i, i%100)
		if b, ok := bad[i+1]; ok {
			amount = b
		}
		out[i] = rows.Row{Values: []rows.Value{
			rows.Int(int64(i + 1)), rows.String(fmt.Sprintf("name %d", i+1)), rows.String(amount),
			rows.String(fmt.Sprintf("2024-01-%02d", i%28+1)), rows.Bool(i%2 == 0),
		}}
	}
	return schema, out
}

const dstTable = `create table dst (id integer primary key, name varchar(40) not null, amount decimal(12,2), born date, active boolean)`

func TestBatchSQLite(t *testing.T) {
	url, db := sqliteDB(t, dstTable)
	env := plugintest.New(t)
	schema, rs := inputRows(2500, nil)
	from := env.WriteRows("in", schema, rs)
	out, err := env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "dst", Chunk: 1000}), "load")
	if err != nil {
		t.Fatal(err)
	}
	if out["rowCount"] != int64(2500) || out["updatedCount"] != int64(2500) {
		t.Fatalf("outputs = %v", out)
	}
	var name, born string
	var amount float64
	var active int
	if err := db.QueryRow("select name, amount, cast(born as text), active from dst where id = 1234").Scan(&name, &amount, &born, &active); err != nil {
		t.Fatal(err)
	}
	if name != "name 1234" || amount != 1233.33 || born != "2024-01-02" || active != 0 {
		t.Fatalf("row 1234 = %q %v %q %v", name, amount, born, active)
	}
}

func TestBatchConversionErrorLeavesTableEmpty(t *testing.T) {
	url, db := sqliteDB(t, dstTable)
	env := plugintest.New(t)
	schema, rs := inputRows(3000, map[int]string{2501: "12,50"})
	from := env.WriteRows("in", schema, rs)
	_, err := env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "dst", Chunk: 1000}), "load")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"row 2501", `column "amount"`, `value "12,50"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %s", err, want)
		}
	}
	if n := count(t, db, "dst"); n != 0 {
		t.Fatalf("transaction all left %d rows", n)
	}
	// transaction: chunk keeps the chunks before the failing one.
	_, err = env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "dst", Chunk: 1000, Transaction: "chunk"}), "load")
	if err == nil || !strings.Contains(err.Error(), "2000 rows were committed") {
		t.Fatalf("chunk error = %v", err)
	}
	if n := count(t, db, "dst"); n != 2000 {
		t.Fatalf("transaction chunk committed %d rows, want 2000", n)
	}
}

func TestBatchSQLAndModes(t *testing.T) {
	url, db := sqliteDB(t, dstTable, `insert into dst values (1, 'old', 1, null, 0), (9999, 'keep', 2, null, 1)`)
	env := plugintest.New(t)
	schema, rs := inputRows(10, nil)
	from := env.WriteRows("in", schema, rs)
	run := func(b Batch) plugin.Outputs {
		t.Helper()
		b.Connection = Connection{URL: url}
		b.From = from
		out, err := env.Run(NewBatch("sqlite", b), "load")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Plain positional INSERT, as in Kestra's example: conflicts with id 1.
	_, err := env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, SQL: "insert into dst values (?, ?, ?, ?, ?)"}), "load")
	if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("duplicate key error = %v", err)
	}
	if n := count(t, db, "dst"); n != 2 {
		t.Fatalf("failed load changed the table: %d rows", n)
	}
	// merge twice: same table.
	for i := 0; i < 2; i++ {
		out := run(Batch{Table: "dst", Mode: "merge"})
		if out["rowCount"] != int64(10) {
			t.Fatalf("merge rowCount = %v", out["rowCount"])
		}
		if n := count(t, db, "dst"); n != 11 {
			t.Fatalf("after merge %d: %d rows, want 11", i+1, n)
		}
	}
	var name string
	db.QueryRow("select name from dst where id = 1").Scan(&name)
	if name != "name 1" {
		t.Fatalf("merge did not update id 1: %q", name)
	}
	// replace with explicit keys.
	run(Batch{Table: "dst", Mode: "replace", Keys: []string{"id"}})
	if n := count(t, db, "dst"); n != 11 {
		t.Fatalf("after replace: %d rows", n)
	}
	// truncate_insert.
	run(Batch{Table: "dst", Mode: "truncate_insert"})
	if n := count(t, db, "dst"); n != 10 {
		t.Fatalf("after truncate_insert: %d rows", n)
	}
	// A statement that is not a plain insert runs per row.
	if _, err := db.Exec("delete from dst"); err != nil {
		t.Fatal(err)
	}
	out := run(Batch{SQL: "insert into dst (id, name, amount, born, active) select ?, upper(?), ?, ?, ? where 1"})
	if out["rowCount"] != int64(10) {
		t.Fatalf("statement rowCount = %v", out["rowCount"])
	}
	db.QueryRow("select name from dst where id = 3").Scan(&name)
	if name != "NAME 3" {
		t.Fatalf("statement per row: %q", name)
	}
	// Columns chosen by name, in another order.
	if _, err := db.Exec("delete from dst"); err != nil {
		t.Fatal(err)
	}
	run(Batch{Table: "dst", Columns: []string{"name", "id"}})
	var amount sql.NullFloat64
	db.QueryRow("select name, amount from dst where id = 4").Scan(&name, &amount)
	if name != "name 4" || amount.Valid {
		t.Fatalf("columns by name: %q %v", name, amount)
	}
}

func TestBatchValidation(t *testing.T) {
	tests := []struct {
		b    Batch
		want string
	}{
		{Batch{Connection: Connection{URL: "jdbc:sqlite:x.db"}, From: "f"}, "set sql"},
		{Batch{Connection: Connection{URL: "jdbc:sqlite:x.db"}, From: "f", SQL: "x", Table: "t"}, "not both"},
		{Batch{Connection: Connection{URL: "jdbc:sqlite:x.db"}, From: "f", SQL: "x", Columns: []string{"a"}}, "columns needs table"},
		// keys with insert: the primary key of a created table, unless createTable is off.
		{Batch{Connection: Connection{URL: "jdbc:sqlite:x.db"}, From: "f", Table: "t", Keys: []string{"a"}, Mode: "insert", CreateTable: &no}, "keys is only used"},
		{Batch{Connection: Connection{URL: "jdbc:sqlite:x.db"}, From: "f", SQL: "x", Keys: []string{"a"}, Mode: "insert"}, "keys is only used"},
		{Batch{Connection: Connection{URL: "jdbc:mysql://h:x/db"}, From: "f", Table: "t"}, "port"},
		{Batch{Connection: Connection{URL: "jdbc:sqlite:x.db", TimeZoneID: "Mars/Base"}, From: "f", Table: "t"}, "timeZoneId"},
	}
	for _, tt := range tests {
		d := "sqlite"
		if strings.HasPrefix(tt.b.URL, "jdbc:mysql") {
			d = "mysql"
		}
		err := NewBatch(d, tt.b).(plugin.Validator).Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("validate(%+v) = %v, want %q", tt.b, err, tt.want)
		}
	}
	// Templates are not checked before rendering.
	ok := Batch{Connection: Connection{URL: "{{ vars.url }}"}, From: "f", Table: "t"}
	if err := NewBatch("mysql", ok).(plugin.Validator).Validate(); err != nil {
		t.Errorf("templated url rejected: %v", err)
	}
}

func TestPasswordNotInErrors(t *testing.T) {
	env := plugintest.New(t)
	const pw = "Sup3r-S3cret!"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tasks := []plugin.Task{
		NewQuery("postgres", Query{Connection: Connection{URL: "jdbc:postgresql://127.0.0.1:1/db", Username: "u", Password: pw}, SQL: "select 1"}),
		NewQuery("mysql", Query{Connection: Connection{URL: "jdbc:mysql://u:" + pw + "@127.0.0.1:1/db"}, SQL: "select 1"}),
		NewBatch("sqlserver", Batch{Connection: Connection{URL: "jdbc:sqlserver://127.0.0.1:1;loginTimeout=2", Username: "sa", Password: pw}, From: "x", Table: "t"}),
		NewQuery("mysql", Query{Connection: Connection{URL: "jdbc:mysql://127.0.0.1:bad/db", Password: pw}, SQL: "select 1"}),
	}
	for _, task := range tasks {
		rc := env.RunContext("t")
		_, err := task.Run(ctx, rc)
		if err == nil {
			t.Fatalf("%T: no error", task)
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("%T: error shows the password: %v", task, err)
		}
	}
}
