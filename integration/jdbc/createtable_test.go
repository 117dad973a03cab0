package jdbc_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
)

// TestBatchCreatesTables: Query store: true, then Batch into a table that
// does not exist, on MariaDB and PostgreSQL: Batch creates it with the
// source's exact types and every value of the fidelity set arrives
// exactly, MariaDB → MariaDB, MariaDB → PostgreSQL and back.
func TestBatchCreatesTables(t *testing.T) {
	myURL, my := server(t, dialect.MySQL)
	pgURL, pg := server(t, dialect.Postgres)
	// Tables of this test only: other tests load users at the same time.
	const src, myDst, pgDst, back = "ct19_src", "ct19_my", "ct19_pg", "ct19_back"
	createUsers(t, my, dialect.MySQL, src)
	seedUsers(t, my, src, 1500)
	mustExec(t, my, "DROP TABLE IF EXISTS "+myDst, "DROP TABLE IF EXISTS "+back)
	mustExec(t, pg, "DROP TABLE IF EXISTS "+pgDst)
	t.Cleanup(func() {
		my.Exec("DROP TABLE IF EXISTS " + src + ", " + myDst + ", " + back)
		pg.Exec("DROP TABLE IF EXISTS " + pgDst)
	})

	env := plugintest.New(t)
	out, err := env.Run(jdbc.NewQuery("mysql", jdbc.Query{Connection: jdbc.Connection{URL: myURL}, SQL: "select * from " + src, Store: true}), "query")
	if err != nil {
		t.Fatal(err)
	}
	from := out["uri"].(string)
	load := func(d, url, table, id string) {
		t.Helper()
		out, err := env.Run(jdbc.NewBatch(d, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: table, Keys: []string{"id"}}), id)
		if err != nil {
			t.Fatal(err)
		}
		if out["rowCount"] != int64(1500) {
			t.Fatalf("%s rowCount = %v", table, out["rowCount"])
		}
	}

	load("mysql", myURL, myDst, "load_my")
	compareTables(t, my, src, my, dialect.MySQL, myDst)
	columnTypes(t, my, "SELECT column_name, column_type, is_nullable FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?", myDst, map[string]string{
		"id": "bigint(20) NO", "name": "longtext NO", "balance": "decimal(12,2) YES", "big_amount": "decimal(38,10) YES",
		"active": "tinyint(1) YES", "flag": "tinyint(1) YES", "created": "datetime(6) YES", "updated": "timestamp(6) YES",
		"wake": "time(6) YES", "avatar": "varbinary(16) YES", "payload": "longblob YES", "counter": "bigint(20) unsigned YES",
		"small": "smallint(6) YES", "tiny": "tinyint(4) YES", "score": "double YES", "birth": "date YES",
	})
	pk(t, my, "SELECT column_name FROM information_schema.key_column_usage WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = 'PRIMARY'", myDst)

	load("postgres", pgURL, pgDst, "load_pg")
	compareTables(t, my, src, pg, dialect.Postgres, pgDst)
	columnTypes(t, pg, "SELECT a.attname, format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0", pgDst, map[string]string{
		"id": "bigint NO", "name": "text NO", "balance": "numeric(12,2) YES", "big_amount": "numeric(38,10) YES",
		"active": "boolean YES", "created": "timestamp(6) without time zone YES", "updated": "timestamp(6) with time zone YES",
		"wake": "time(6) without time zone YES", "avatar": "bytea YES", "counter": "numeric(20,0) YES", "small": "smallint YES",
		"tiny": "smallint YES", "score": "double precision YES", "birth": "date YES",
	})
	pk(t, pg, "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary", pgDst)

	// PostgreSQL's own types back into a new MariaDB table.
	out, err = env.Run(jdbc.NewQuery("postgres", jdbc.Query{Connection: jdbc.Connection{URL: pgURL}, SQL: "select * from " + pgDst, Store: true}), "query_pg")
	if err != nil {
		t.Fatal(err)
	}
	from = out["uri"].(string)
	load("mysql", myURL, back, "load_back")
	compareTables(t, my, src, my, dialect.MySQL, back)
}

func columnTypes(t *testing.T, db *sql.DB, q, table string, want map[string]string) {
	t.Helper()
	rs, err := db.Query(q, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]string{}
	for rs.Next() {
		var name, typ, null string
		if err := rs.Scan(&name, &typ, &null); err != nil {
			t.Fatal(err)
		}
		got[name] = strings.ToLower(typ) + " " + null
	}
	for c, w := range want {
		if got[c] != w {
			t.Errorf("%s.%s is %q, want %q", table, c, got[c], w)
		}
	}
}

func pk(t *testing.T, db *sql.DB, q, table string) {
	t.Helper()
	var cols []string
	rs, err := db.Query(q, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for rs.Next() {
		var c string
		rs.Scan(&c)
		cols = append(cols, c)
	}
	if strings.Join(cols, ",") != "id" {
		t.Errorf("primary key of %s = %v, want id", table, cols)
	}
}

// TestBatchRecreateOnServers: mode recreate drops and creates the table;
// on PostgreSQL (transactional DDL) a failed load leaves the old table and
// its rows, on MariaDB (DDL commits) the new, empty table.
func TestBatchRecreateOnServers(t *testing.T) {
	for _, name := range []string{dialect.MySQL, dialect.Postgres} {
		t.Run(name, func(t *testing.T) {
			url, db := server(t, name)
			const table = "ct19_recreate"
			mustExec(t, db, "DROP TABLE IF EXISTS "+table, "CREATE TABLE "+table+" (id INT, old_col VARCHAR(10))", "INSERT INTO "+table+" VALUES (1, 'old')")
			t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + table) })
			env := plugintest.New(t)
			out, err := env.Run(jdbc.NewQuery(name, jdbc.Query{Connection: jdbc.Connection{URL: url}, SQL: "select 7 as id, 'x' as label union all select 7, 'dup'", Store: true}), "query")
			if err != nil {
				t.Fatal(err)
			}
			from := out["uri"].(string)
			// ddlOnly: the statements, and nothing changes.
			out, err = env.Run(jdbc.NewBatch(name, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: table, Mode: "recreate", DDLOnly: true}), "ddl")
			if err != nil {
				t.Fatal(err)
			}
			if ddl := out["ddl"].(string); !strings.HasPrefix(ddl, "DROP TABLE ") || !strings.Contains(ddl, "CREATE TABLE ") {
				t.Fatalf("ddl = %q", ddl)
			}
			if n := count(t, db, table); n != 1 {
				t.Fatalf("ddlOnly changed the table: %d rows", n)
			}
			// A duplicate key fails the load after the recreate.
			_, err = env.Run(jdbc.NewBatch(name, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: table, Mode: "recreate", Keys: []string{"id"}}), "fail")
			if err == nil {
				t.Fatal("duplicate key accepted")
			}
			var cols int
			db.QueryRow("SELECT count(*) FROM information_schema.columns WHERE table_name = '" + table + "' AND column_name = 'old_col'").Scan(&cols)
			if name == dialect.Postgres {
				if cols != 1 || count(t, db, table) != 1 {
					t.Fatalf("PostgreSQL: the failed recreate did not roll back (old_col %d, rows %d)", cols, count(t, db, table))
				}
			} else if cols != 0 || count(t, db, table) != 0 {
				t.Fatalf("MariaDB: the recreated table should be there, empty (old_col %d, rows %d)", cols, count(t, db, table))
			}
			// Without the duplicate it loads.
			out, err = env.Run(jdbc.NewQuery(name, jdbc.Query{Connection: jdbc.Connection{URL: url}, SQL: "select 7 as id, 'x' as label", Store: true}), "query2")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := env.Run(jdbc.NewBatch(name, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: out["uri"].(string), Table: table, Mode: "recreate"}), "ok"); err != nil {
				t.Fatal(err)
			}
			var label string
			if err := db.QueryRow("SELECT label FROM " + table).Scan(&label); err != nil || label != "x" {
				t.Fatalf("label = %q, %v", label, err)
			}
		})
	}
}

// TestBatchOnNewColumnOnServers: onNewColumn add widens an existing table
// with the new field's exact type (ALTER TABLE … ADD); ignore loads the
// other fields; fail (the default) names the field and loads nothing.
func TestBatchOnNewColumnOnServers(t *testing.T) {
	for _, name := range []string{dialect.MySQL, dialect.Postgres} {
		t.Run(name, func(t *testing.T) {
			url, db := server(t, name)
			const table = "ct19_newcol"
			t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + table) })
			env := plugintest.New(t)
			out, err := env.Run(jdbc.NewQuery(name, jdbc.Query{Connection: jdbc.Connection{URL: url}, SQL: "select 1 as id, cast(12.345 as decimal(9,3)) as amount", Store: true}), "query")
			if err != nil {
				t.Fatal(err)
			}
			from := out["uri"].(string)
			for _, c := range []struct{ policy, wantErr, wantAmount string }{
				{"", "no column for the input fields amount", ""},
				{"ignore", "", ""},
				{"add", "", "12.345"},
			} {
				mustExec(t, db, "DROP TABLE IF EXISTS "+table, "CREATE TABLE "+table+" (id INT)")
				_, err := env.Run(jdbc.NewBatch(name, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: table, OnNewColumn: c.policy}), "load")
				if c.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), c.wantErr) {
						t.Fatalf("%q: error %v, want %q", c.policy, err, c.wantErr)
					}
					if n := count(t, db, table); n != 0 {
						t.Fatalf("%q: %d rows loaded", c.policy, n)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%q: %v", c.policy, err)
				}
				if n := count(t, db, table); n != 1 {
					t.Fatalf("%q: %d rows", c.policy, n)
				}
				var typ string
				db.QueryRow("SELECT data_type FROM information_schema.columns WHERE table_name = '" + table + "' AND column_name = 'amount'").Scan(&typ)
				if c.wantAmount == "" {
					if typ != "" {
						t.Fatalf("ignore added a column %s", typ)
					}
					continue
				}
				var amount string
				if err := db.QueryRow("SELECT CAST(amount AS CHAR(20)) FROM " + table).Scan(&amount); err != nil || strings.TrimSpace(amount) != c.wantAmount {
					t.Fatalf("added amount = %q (%s), %v", amount, typ, err)
				}
			}
		})
	}
}

// TestBatchCreatesTextKeyOnServers: a text key of unknown length gets an
// indexable type (MariaDB cannot index LONGTEXT).
func TestBatchCreatesTextKeyOnServers(t *testing.T) {
	for _, name := range []string{dialect.MySQL, dialect.Postgres} {
		t.Run(name, func(t *testing.T) {
			url, db := server(t, name)
			const table = "ct19_textkey"
			mustExec(t, db, "DROP TABLE IF EXISTS "+table)
			t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + table) })
			env := plugintest.New(t)
			out, err := env.Run(jdbc.NewQuery(name, jdbc.Query{Connection: jdbc.Connection{URL: url}, SQL: "select 'Zoë 😀' as k, 1 as v union all select 'b', 2", Store: true}), "query")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := env.Run(jdbc.NewBatch(name, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: out["uri"].(string), Table: table, Keys: []string{"k"}}), "load"); err != nil {
				t.Fatal(err)
			}
			var v int
			if err := db.QueryRow("SELECT v FROM " + table + " WHERE k = 'Zoë 😀'").Scan(&v); err != nil || v != 1 {
				t.Fatalf("v = %d, %v", v, err)
			}
		})
	}
}
