package jdbc

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/rows"
)

var (
	yes = true
	no  = false
)

// TestBatchCreatesTableSQLite: a Query's row file loaded into a missing
// table creates it with the source's types, and a Query of the created
// table returns every value and kind exactly.
func TestBatchCreatesTableSQLite(t *testing.T) {
	url, db := sqliteDB(t, srcTable,
		`insert into src values (1, 'Zoë', 12.5, 0.25, 1, '2024-02-29', '2024-01-02 03:04:05.123456', x'00ff')`,
		`insert into src values (2, null, -0.01, null, 0, null, null, null)`,
		`insert into src values (3, '', 9999999999.99, -1e300, 1, '0001-01-01', '9999-12-31 23:59:59.999999', x'')`)
	env := plugintest.New(t)
	const sel = "select id, name, amount, ratio, active, born, seen, data from %s order by id"
	out, err := env.Run(NewQuery("sqlite", Query{Connection: Connection{URL: url}, SQL: strings.ReplaceAll(sel, "%s", "src"), Store: true}), "query")
	if err != nil {
		t.Fatal(err)
	}
	from := out["uri"].(string)
	wantSchema, want := env.ReadRows(from)

	// ddlOnly prints and changes nothing.
	out, err = env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "created", Keys: []string{"id"}, DDLOnly: true}), "ddl")
	if err != nil {
		t.Fatal(err)
	}
	ddl := out["ddl"].(string)
	const wantDDL = "CREATE TABLE \"created\" (\n  \"id\" INTEGER NOT NULL,\n  \"name\" TEXT,\n  \"amount\" DECIMAL(12,2),\n  \"ratio\" DOUBLE,\n" +
		"  \"active\" BOOLEAN,\n  \"born\" DATE,\n  \"seen\" TIMESTAMP,\n  \"data\" BLOB,\n  PRIMARY KEY (\"id\")\n);"
	if ddl != wantDDL {
		t.Fatalf("ddl =\n%s\nwant\n%s", ddl, wantDDL)
	}
	var n int
	db.QueryRow("select count(*) from sqlite_master where name = 'created'").Scan(&n)
	if n != 0 || out["rowCount"] != int64(0) {
		t.Fatalf("ddlOnly created the table (%d) or loaded %v rows", n, out["rowCount"])
	}

	// createTable: false needs the table.
	if _, err := env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "created", CreateTable: &no}), "load"); err == nil || !strings.Contains(err.Error(), "created") {
		t.Fatalf("createTable false on a missing table: %v", err)
	}

	out, err = env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "created", Keys: []string{"id"}}), "load")
	if err != nil {
		t.Fatal(err)
	}
	if out["rowCount"] != int64(3) {
		t.Fatalf("rowCount = %v", out["rowCount"])
	}
	var pk string
	db.QueryRow("select name from pragma_table_info('created') where pk = 1").Scan(&pk)
	if pk != "id" {
		t.Errorf("primary key = %q", pk)
	}
	back, err := env.Run(NewQuery("sqlite", Query{Connection: Connection{URL: url}, SQL: strings.ReplaceAll(sel, "%s", "created"), Store: true}), "back")
	if err != nil {
		t.Fatal(err)
	}
	gotSchema, got := env.ReadRows(back["uri"].(string))
	for i, f := range gotSchema.Fields {
		if w := wantSchema.Fields[i]; f.Kind != w.Kind || f.Precision != w.Precision || f.Scale != w.Scale {
			t.Errorf("field %s: %+v, source %+v", f.Name, f, w)
		}
	}
	sameRows(t, got, want)

	// A second load into the existing table appends; recreate starts over.
	if _, err := env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "created", Mode: "merge"}), "again"); err != nil {
		t.Fatal(err)
	}
	db.Exec("insert into created (id) values (99)")
	if _, err := env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "created", Mode: "recreate"}), "recreate"); err != nil {
		t.Fatal(err)
	}
	if c := count(t, db, "created"); c != 3 {
		t.Fatalf("after recreate %d rows, want 3", c)
	}
	db.QueryRow("select count(*) from pragma_table_info('created') where pk = 1").Scan(&n)
	if n != 0 {
		t.Errorf("recreate without keys kept a primary key")
	}
}

func sameRows(t *testing.T, got, want []rows.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for j := range want[i].Values {
			if !got[i].Values[j].Equal(want[i].Values[j]) {
				t.Errorf("row %d field %d = %v (%s), want %v (%s)", i+1, j, got[i].Values[j], got[i].Values[j].Kind(), want[i].Values[j], want[i].Values[j].Kind())
			}
		}
	}
}

// TestBatchRecreateRollsBackSQLite: SQLite's DDL is transactional, so a
// recreate whose load fails leaves the old table and rows.
func TestBatchRecreateRollsBackSQLite(t *testing.T) {
	url, db := sqliteDB(t, dstTable, "insert into dst (id, name) values (1, 'kept')")
	env := plugintest.New(t)
	schema := &rows.Schema{Fields: []rows.Field{{Name: "id", Kind: rows.KindInt}, {Name: "name", Kind: rows.KindString}}}
	from := env.WriteRows("in", schema, []rows.Row{
		{Values: []rows.Value{rows.Int(1), rows.String("a")}},
		{Values: []rows.Value{rows.Int(1), rows.String("duplicate key")}},
	})
	_, err := env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "dst", Mode: "recreate", Keys: []string{"id"}}), "load")
	if err == nil {
		t.Fatal("duplicate primary key accepted")
	}
	var name string
	var amount any
	if err := db.QueryRow("select name, amount from dst").Scan(&name, &amount); err != nil || name != "kept" {
		t.Fatalf("after the failed recreate: %q, %v (the old table with its row should be there)", name, err)
	}
}

// TestBatchOnNewColumnSQLite: fail (the default), add and ignore when
// the input has a field the table lacks.
func TestBatchOnNewColumnSQLite(t *testing.T) {
	schema := &rows.Schema{Fields: []rows.Field{
		{Name: "id", Kind: rows.KindInt}, {Name: "name", Kind: rows.KindString},
		{Name: "extra", Kind: rows.KindDecimal, Precision: 10, Scale: 3, Nullable: true, SourceType: "DECIMAL(10,3)"},
	}}
	in := []rows.Row{{Values: []rows.Value{rows.Int(7), rows.String("x"), rows.Decimal(1500, 3)}}}
	for _, c := range []struct {
		policy, wantErr string
		wantCols        int
		wantDDL         string
	}{
		{"", "no column for the input fields extra", 2, ""},
		{"fail", "onNewColumn: add", 2, ""},
		{"ignore", "", 2, ""},
		{"add", "", 3, `ALTER TABLE "t" ADD COLUMN "extra" DECIMAL(10,3);`},
	} {
		t.Run("policy="+c.policy, func(t *testing.T) {
			url, db := sqliteDB(t, "create table t (id integer, name text not null)")
			env := plugintest.New(t)
			from := env.WriteRows("in", schema, in)
			// ddlOnly shows the ALTER and changes nothing.
			out, err := env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "t", OnNewColumn: c.policy, DDLOnly: true}), "ddl")
			if c.wantErr == "" && (err != nil || out["ddl"] != c.wantDDL) {
				t.Fatalf("ddlOnly: %v, %q, want %q", err, out["ddl"], c.wantDDL)
			}
			_, err = env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "t", OnNewColumn: c.policy}), "load")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			var cols int
			db.QueryRow("select count(*) from pragma_table_info('t')").Scan(&cols)
			if cols != c.wantCols {
				t.Fatalf("%d columns, want %d", cols, c.wantCols)
			}
			wantRows := 1
			if c.wantErr != "" {
				wantRows = 0
			}
			if n := count(t, db, "t"); n != wantRows {
				t.Fatalf("%d rows, want %d", n, wantRows)
			}
			if c.policy == "add" {
				var extra string
				db.QueryRow("select cast(extra as text) from t").Scan(&extra)
				if extra != "1.5" {
					t.Errorf("extra = %q", extra)
				}
			}
		})
	}
}

// TestBatchCreateTableValidation: statements never create tables.
func TestBatchCreateTableValidation(t *testing.T) {
	for _, b := range []Batch{
		{From: "x", SQL: "insert into t values (?)", CreateTable: &yes},
		{From: "x", SQL: "insert into t values (?)", Mode: "recreate"},
		{From: "x", SQL: "insert into t values (?)", DDLOnly: true},
	} {
		b.URL = "jdbc:sqlite:/tmp/x.db"
		task := NewBatch("sqlite", b).(*Batch)
		if err := task.validate(nil); err == nil {
			t.Errorf("%+v accepted", b)
		}
	}
}

// TestBatchCreatesTableModesSQLite: with transaction: chunk, and with
// merge (whose staging table is made from the target), the table is
// created before the load and the rows arrive.
func TestBatchCreatesTableModesSQLite(t *testing.T) {
	url, db := sqliteDB(t)
	env := plugintest.New(t)
	schema, rs := inputRows(2500, nil)
	from := env.WriteRows("in", schema, rs)
	for _, b := range []Batch{
		{Table: "chunked", Transaction: "chunk", Chunk: 1000},
		{Table: "merged", Mode: "merge", Keys: []string{"id"}},
		{Table: "truncated", Mode: "truncate_insert"},
	} {
		b.Connection, b.From = Connection{URL: url}, from
		out, err := env.Run(NewBatch("sqlite", b), "load")
		if err != nil {
			t.Fatalf("%s: %v", b.Table, err)
		}
		if out["rowCount"] != int64(2500) || count(t, db, b.Table) != 2500 {
			t.Fatalf("%s: rowCount %v, %d rows", b.Table, out["rowCount"], count(t, db, b.Table))
		}
	}
	// merge again: the created primary key makes it an upsert.
	if _, err := env.Run(NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "merged", Mode: "merge"}), "again"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "merged"); n != 2500 {
		t.Fatalf("merge twice: %d rows", n)
	}
}
