package jdbc_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/integration/testenv"
	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/rows"
)

// The SQL Server tests run against SLUICE_TEST_MSSQL: Babelfish for
// PostgreSQL in CI (integration/services/lib/mssql.sh), docker-compose's SQL
// Server on a laptop. Where the server is Babelfish, what arrived is read
// back through its PostgreSQL side (babelfishPG), a second client that
// shares nothing with go-mssqldb; against a real SQL Server the same
// queries run over TDS.

// readBack returns a handle for checking what a load left: Babelfish's
// PostgreSQL side with the test database's schema on the search path, or
// the TDS handle against a real SQL Server.
func readBack(t *testing.T, ms *sql.DB) (db *sql.DB, pg bool) {
	t.Helper()
	url := testenv.MSSQLPostgres()
	if url == "" {
		return ms, false
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	mustExec(t, db, "SET search_path = "+testDB+"_dbo, public")
	return db, true
}

// TestSQLServerQueryTypes reads every SQL Server type sluice maps back
// exactly, through store, fetch and fetchOne. DATETIME2(7) and TIME(7)
// carry microseconds in sluice's rows; Babelfish itself stores
// microseconds, rounding the seventh digit (.1234567 is .123457).
func TestSQLServerQueryTypes(t *testing.T) {
	url, ms := server(t, dialect.SQLServer)
	mustExec(t, ms, "IF OBJECT_ID('qtypes') IS NOT NULL DROP TABLE qtypes", `CREATE TABLE qtypes (
  id INT PRIMARY KEY, d38 DECIMAL(38,10), d12 DECIMAL(12,2), n5 NUMERIC(5,0), m MONEY, sm SMALLMONEY,
  ti TINYINT, si SMALLINT, bi BIGINT, r REAL, f FLOAT, b BIT, dt DATE, tm TIME(6), tm7 TIME(7),
  dt2 DATETIME2(6), dt27 DATETIME2(7), dtm DATETIME, dto DATETIMEOFFSET(6), u UNIQUEIDENTIFIER,
  x XML, nv NVARCHAR(MAX), vb VARBINARY(MAX), nc NCHAR(3))`,
		`INSERT INTO qtypes VALUES (1, 1234567890123456789012345678.0123456789, -9999999999.99, 12345, 922337203685477.5807, -214748.3648,
  255, -32768, -9223372036854775808, 0.25, 0.1, 1, '0001-01-01', '23:59:59.999999', '12:34:56.1234567',
  '9999-12-31 23:59:59.999999', '2024-05-06 07:08:09.1234567', '2024-05-06 07:08:09.123', '2024-05-06 07:08:09.123456 +05:30',
  '6F9619FF-8B86-D011-B42D-00C04FC964FF', '<a x="1">é</a>', N'Zoë 😀 tab'+CHAR(9)+'nl'+CHAR(10)+'end', 0x00FF10, 'ab')`,
		`INSERT INTO qtypes VALUES (2, -0.0000000001, 0, -1, 0, 0, 0, 0, 0, -1.5, -1e300, 0, '9999-12-31', '00:00:00', '00:00:00',
  '0001-01-01 00:00:00', '0001-01-01 00:00:00', '1753-01-01 00:00:00', '0001-01-01 00:00:00 -14:00',
  '00000000-0000-0000-0000-000000000000', '<r/>', N'', 0x, 'xyz')`,
		"INSERT INTO qtypes (id) VALUES (3)")
	cols := "id d38 d12 n5 m sm ti si bi r f b dt tm tm7 dt2 dt27 dtm dto u x nv vb nc"
	want := [][]string{
		{"1(int)", "1234567890123456789012345678.0123456789(decimal)", "-9999999999.99(decimal)", "12345(decimal)", "922337203685477.5807(decimal)", "-214748.3648(decimal)",
			"255(int)", "-32768(int)", "-9223372036854775808(int)", "0.25(float)", "0.1(float)", "true(bool)", "0001-01-01(date)", "23:59:59.999999(time)", "12:34:56.123457(time)",
			"9999-12-31T23:59:59.999999(timestamp)", "2024-05-06T07:08:09.123457(timestamp)", "2024-05-06T07:08:09.123(timestamp)", "2024-05-06T07:08:09.123456+05:30(timestamptz)",
			"6F9619FF-8B86-D011-B42D-00C04FC964FF(string)", `<a x="1">é</a>(string)`, "Zoë 😀 tab\tnl\nend(string)", "\x00\xff\x10(bytes)", "ab (string)"},
		{"2(int)", "-0.0000000001(decimal)", "0.00(decimal)", "-1(decimal)", "0.0000(decimal)", "0.0000(decimal)",
			"0(int)", "0(int)", "0(int)", "-1.5(float)", "-1e+300(float)", "false(bool)", "9999-12-31(date)", "00:00:00(time)", "00:00:00(time)",
			"0001-01-01T00:00:00(timestamp)", "0001-01-01T00:00:00(timestamp)", "1753-01-01T00:00:00(timestamp)", "0001-01-01T00:00:00-14:00(timestamptz)",
			"00000000-0000-0000-0000-000000000000(string)", "<r/>(string)", "(string)", "(bytes)", "xyz(string)"},
	}
	env := plugintest.New(t)
	conn := jdbc.Connection{URL: url}
	out, err := env.Run(jdbc.NewQuery(dialect.SQLServer, jdbc.Query{Connection: conn, SQL: "SELECT * FROM qtypes ORDER BY id", Store: true}), "q")
	if err != nil {
		t.Fatal(err)
	}
	schema, got := env.ReadRows(out["uri"].(string))
	if names := strings.Join(schemaNames(schema), " "); names != cols {
		t.Fatalf("columns %s", names)
	}
	if len(got) != 3 {
		t.Fatalf("%d rows", len(got))
	}
	for i, w := range want {
		for j, x := range w {
			v := got[i].Values[j]
			s := v.String()
			if v.Kind() == rows.KindBytes {
				s = string(v.AsBytes())
			}
			if g := s + "(" + v.Kind().String() + ")"; g != x {
				t.Errorf("row %d %s: got %q, want %q", i+1, schema.Fields[j].Name, g, x)
			}
		}
	}
	for j, v := range got[2].Values[1:] {
		if !v.IsNull() {
			t.Errorf("row 3 %s: %v, want null", schema.Fields[j+1].Name, v)
		}
	}
	// Types in the row file's schema: exact decimals keep precision and scale.
	if f := schema.Fields[1]; f.Kind != rows.KindDecimal || f.Precision != 38 || f.Scale != 10 {
		t.Errorf("d38 field %+v", f)
	}
	out, err = env.Run(jdbc.NewQuery(dialect.SQLServer, jdbc.Query{Connection: conn, SQL: "SELECT d38, dto, u FROM qtypes WHERE id = 1", FetchOne: true}), "one")
	if err != nil {
		t.Fatal(err)
	}
	row := out["row"].(*rows.OrderedMap)
	for k, x := range map[string]string{"d38": "1234567890123456789012345678.0123456789", "dto": "2024-05-06T07:08:09.123456+05:30", "u": "6F9619FF-8B86-D011-B42D-00C04FC964FF"} {
		v, _ := row.Get(k)
		if tm, ok := v.(time.Time); ok {
			v = tm.Format(time.RFC3339Nano)
		}
		if fmt.Sprint(v) != x {
			t.Errorf("fetchOne %s = %v (%T), want %s", k, v, v, x)
		}
	}
	out, err = env.Run(jdbc.NewQuery(dialect.SQLServer, jdbc.Query{Connection: conn, SQL: "SELECT id FROM qtypes ORDER BY id", Fetch: true}), "all")
	if err != nil {
		t.Fatal(err)
	}
	if l := out["rows"].([]any); len(l) != 3 || out["size"] != int64(3) {
		t.Errorf("fetch: %v rows, size %v", len(l), out["size"])
	}
}

func schemaNames(s *rows.Schema) []string {
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Name
	}
	return out
}

// The Batch tests load into a table whose names need quoting: spaces in
// the table and key names, parentheses in a column name. (A closing
// bracket inside a name, [a]]b], is valid T-SQL that sluice writes, but
// Babelfish's parser refuses it: see docs/jdbc.md.)
const linesTable = `CREATE TABLE [order lines] ([line id] BIGINT PRIMARY KEY, [amount (x)] DECIMAL(30,10), note NVARCHAR(MAX), at DATETIME2(6), raw VARBINARY(MAX))`

// line is one row of the order lines table as the tests build and expect it.
type line struct {
	id   int64
	note string
}

func (l line) amount() string { return fmt.Sprintf("%d.%010d", l.id*7, l.id) }
func (l line) at() time.Time {
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(l.id)*time.Second + time.Duration(l.id)*time.Microsecond)
}

// lines returns ids from..to with note.
func lines(from, to int64, note string) []line {
	var out []line
	for id := from; id <= to; id++ {
		out = append(out, line{id, note})
	}
	return out
}

// writeLines stores ls as a row file with the table's field names; bad > 0
// puts a value that is no decimal into that row.
func writeLines(t *testing.T, env *plugintest.Env, name string, ls []line, bad int) string {
	t.Helper()
	schema := &rows.Schema{Fields: []rows.Field{{Name: "line id", Kind: rows.KindInt}, {Name: "amount (x)", Kind: rows.KindString},
		{Name: "note", Kind: rows.KindString, Nullable: true}, {Name: "at", Kind: rows.KindTimestamp}, {Name: "raw", Kind: rows.KindBytes, Nullable: true}}}
	rs := make([]rows.Row, len(ls))
	for i, l := range ls {
		amount := l.amount()
		if i+1 == bad {
			amount = "twelve"
		}
		note := rows.String(l.note)
		if l.id%10 == 0 {
			note = rows.Null
		}
		rs[i] = rows.Row{Values: []rows.Value{rows.Int(l.id), rows.String(amount), note, rows.TimestampOf(l.at()), rows.Bytes([]byte{byte(l.id), 0, 0xff})}}
	}
	return env.WriteRows(name, schema, rs)
}

// checkLines compares the table with want, read through db (Babelfish's
// PostgreSQL side when pg).
func checkLines(t *testing.T, db *sql.DB, pg bool, want []line) {
	t.Helper()
	q := `SELECT CAST([line id] AS VARCHAR(20)) AS id, CAST([amount (x)] AS VARCHAR(50)), note, CONVERT(VARCHAR(30), at, 126), CONVERT(VARCHAR(20), raw, 2) FROM [order lines] ORDER BY [line id]`
	if pg {
		q = `SELECT "line id"::text AS id, "amount (x)"::text, note::text, to_char(at::timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.US'), upper(encode(raw::bytea, 'hex')) FROM "order lines" ORDER BY "line id"`
	}
	rs, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	i := 0
	for rs.Next() {
		var id, amount, at, raw string
		var note sql.NullString
		if err := rs.Scan(&id, &amount, &note, &at, &raw); err != nil {
			t.Fatal(err)
		}
		if i >= len(want) {
			t.Fatalf("more rows than the %d expected (id %s)", len(want), id)
		}
		w := want[i]
		wantNote := sql.NullString{String: w.note, Valid: true}
		if w.id%10 == 0 {
			wantNote = sql.NullString{}
		}
		wantAt := w.at().Format("2006-01-02T15:04:05.000000")
		wantRaw := fmt.Sprintf("%02X00FF", byte(w.id))
		if id != fmt.Sprint(w.id) || amount != w.amount() || note != wantNote || at != wantAt || raw != wantRaw {
			t.Fatalf("row %d: got %s %s %v %s %s, want %d %s %v %s %s", i+1, id, amount, note, at, raw, w.id, w.amount(), wantNote, wantAt, wantRaw)
		}
		i++
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(want) {
		t.Fatalf("%d rows, want %d", i, len(want))
	}
}

// methodLog records the write path a load reports ("batch done").
type methodLog struct {
	slog.Handler
	method *string
}

func (h methodLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "batch done" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "method" {
				*h.method = a.Value.String()
			}
			return true
		})
	}
	return h.Handler.Handle(ctx, r)
}

func (h methodLog) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	return h
}

// runBatch runs a Batch task through its life cycle and returns the write
// path it took.
func runBatch(t *testing.T, env *plugintest.Env, b jdbc.Batch) (plugin.Outputs, string, error) {
	t.Helper()
	var method string
	rc := plugin.NewRunContext(plugin.RunConfig{
		Namespace: "test", FlowID: "flow", ExecutionID: "exec", TaskID: "load", TaskRunID: "run",
		Store: env.Store, KV: env.KV, Logger: slog.New(methodLog{Handler: slog.NewTextHandler(testLog{t}, nil), method: &method}),
	})
	defer rc.Cleanup()
	out, err := plugin.Execute(context.Background(), jdbc.NewBatch(dialect.SQLServer, b), rc)
	return out, method, err
}

// TestSQLServerBatchModes loads with bulk copy (method auto) and with
// multi-row INSERTs under the 2100-parameter limit (method insert), each in
// one transaction and per chunk, in every mode: insert, merge (twice, the
// same result), replace and truncate_insert, into quoted names.
func TestSQLServerBatchModes(t *testing.T) {
	url, ms := server(t, dialect.SQLServer)
	check, pg := readBack(t, ms)
	env := plugintest.New(t)
	a, b := lines(1, 300, "first"), lines(201, 400, "second")
	fromA, fromB := writeLines(t, env, "a", a, 0), writeLines(t, env, "b", b, 0)
	merged := append(append([]line{}, a[:200]...), b...)
	replaced := append(append([]line{}, a...), b[100:]...)
	for _, method := range []struct{ name, reported string }{{"auto", "bulk copy"}, {"insert", "multi-row insert"}} {
		for _, tx := range []string{"all", "chunk"} {
			t.Run(method.name+" "+tx, func(t *testing.T) {
				mustExec(t, ms, "IF OBJECT_ID('[order lines]') IS NOT NULL DROP TABLE [order lines]", linesTable)
				load := func(from, mode string, want []line) {
					t.Helper()
					out, used, err := runBatch(t, env, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: "order lines",
						Mode: mode, Method: method.name, Transaction: tx, Chunk: 128})
					if err != nil {
						t.Fatalf("%s: %v", mode, err)
					}
					if used != method.reported {
						t.Fatalf("%s: loaded by %q, want %q", mode, used, method.reported)
					}
					if out["rowCount"] != int64(rowsIn(from, fromA, a, b)) {
						t.Fatalf("%s: rowCount %v", mode, out["rowCount"])
					}
					checkLines(t, check, pg, want)
				}
				load(fromA, "insert", a)
				load(fromB, "merge", merged)
				load(fromB, "merge", merged)
				load(fromA, "replace", replaced)
				load(fromB, "truncate_insert", b)
			})
		}
	}
}

func rowsIn(from, fromA string, a, b []line) int {
	if from == fromA {
		return len(a)
	}
	return len(b)
}

// TestSQLServerIdentity loads into a table whose key is an IDENTITY
// column: the server numbers the rows, by both write paths.
func TestSQLServerIdentity(t *testing.T) {
	url, ms := server(t, dialect.SQLServer)
	env := plugintest.New(t)
	schema := &rows.Schema{Fields: []rows.Field{{Name: "code", Kind: rows.KindString}, {Name: "amount", Kind: rows.KindDecimal, Precision: 30, Scale: 10}}}
	var in []rows.Row
	for i := 1; i <= 50; i++ {
		in = append(in, rows.Row{Values: []rows.Value{rows.String(fmt.Sprint(i)), rows.Decimal(int64(i)*1e10+int64(i), 10)}})
	}
	from := env.WriteRows("ident", schema, in)
	for _, method := range []string{"auto", "insert"} {
		mustExec(t, ms, "IF OBJECT_ID('ident') IS NOT NULL DROP TABLE ident",
			"CREATE TABLE ident (id INT IDENTITY(1,1) PRIMARY KEY, code NVARCHAR(10), amount DECIMAL(30,10))")
		if _, _, err := runBatch(t, env, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: "ident",
			Columns: []string{"code", "amount"}, Method: method}); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		var n, minID, maxID int
		var sum string
		if err := ms.QueryRow("SELECT count(*), min(id), max(id), CAST(sum(amount) AS VARCHAR(50)) FROM ident").Scan(&n, &minID, &maxID, &sum); err != nil {
			t.Fatal(err)
		}
		var code string
		ms.QueryRow("SELECT code FROM ident WHERE id = 7").Scan(&code)
		if n != 50 || minID != 1 || maxID != 50 || sum != "1275.0000001275" || code != "7" {
			t.Errorf("%s: %d rows, ids %d..%d, sum %s, code of id 7 %q", method, n, minID, maxID, sum, code)
		}
	}
}

// TestSQLServerConversionError: a value that is no decimal in row 150
// fails the load naming the row, column and value, and the table keeps
// what it had, by both paths.
func TestSQLServerConversionError(t *testing.T) {
	url, ms := server(t, dialect.SQLServer)
	check, pg := readBack(t, ms)
	env := plugintest.New(t)
	a := lines(1, 100, "kept")
	fromA := writeLines(t, env, "a", a, 0)
	bad := writeLines(t, env, "bad", lines(101, 400, "never"), 150)
	for _, method := range []string{"auto", "insert"} {
		mustExec(t, ms, "IF OBJECT_ID('[order lines]') IS NOT NULL DROP TABLE [order lines]", linesTable)
		if _, _, err := runBatch(t, env, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: fromA, Table: "order lines"}); err != nil {
			t.Fatal(err)
		}
		_, _, err := runBatch(t, env, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: bad, Table: "order lines", Method: method, Chunk: 64})
		if err == nil {
			t.Fatalf("%s: a load with %q in a decimal column succeeded", method, "twelve")
		}
		for _, s := range []string{"row 150", "amount (x)", "twelve"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error does not name %s: %v", method, s, err)
			}
		}
		checkLines(t, check, pg, a)
	}
}

// TestSQLServerRetryLockTimeout: another transaction holds the lock on a
// key the load inserts; with lockTimeout=300 (a JDBC URL property that
// becomes SET LOCK_TIMEOUT) the load times out, is retried, and succeeds
// once the lock is gone, by both paths and transaction modes.
func TestSQLServerRetryLockTimeout(t *testing.T) {
	url, ms := server(t, dialect.SQLServer)
	env := plugintest.New(t)
	ls := lines(1, 300, "locked")
	from := writeLines(t, env, "locked", ls, 0)
	jdbcURL := jdbcForm(t, url) + ";lockTimeout=300"
	for _, method := range []string{"auto", "insert"} {
		for _, tx := range []string{"all", "chunk"} {
			t.Run(method+" "+tx, func(t *testing.T) {
				mustExec(t, ms, "IF OBJECT_ID('[order lines]') IS NOT NULL DROP TABLE [order lines]", linesTable)
				holder, err := ms.Begin()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := holder.Exec("INSERT INTO [order lines] ([line id]) VALUES (250)"); err != nil {
					t.Fatal(err)
				}
				var once sync.Once
				retried := false
				rc := plugin.NewRunContext(plugin.RunConfig{
					Namespace: "test", FlowID: "flow", ExecutionID: "exec", TaskID: "load", TaskRunID: "run",
					Store: env.Store, KV: env.KV,
					Logger: slog.New(releaseOnRetry{Handler: slog.NewTextHandler(testLog{t}, nil), once: &once, release: func() { holder.Rollback() }, retried: &retried}),
				})
				defer rc.Cleanup()
				out, err := plugin.Execute(context.Background(), jdbc.NewBatch(dialect.SQLServer, jdbc.Batch{Connection: jdbc.Connection{URL: jdbcURL},
					From: from, Table: "order lines", Method: method, Transaction: tx, Chunk: 128, RetryInterval: plugin.Duration(50e6)}), rc)
				once.Do(func() { holder.Rollback() })
				if err != nil {
					t.Fatal(err)
				}
				if !retried {
					t.Fatal("the load never timed out on the lock")
				}
				if out["rowCount"] != int64(300) || count(t, ms, "[order lines]") != 300 {
					t.Fatalf("rowCount = %v, table has %d", out["rowCount"], count(t, ms, "[order lines]"))
				}
			})
		}
	}
}

// jdbcForm rewrites the test server's go-mssqldb URL as a JDBC URL of the
// test database (credentials as properties).
func jdbcForm(t *testing.T, url string) string {
	t.Helper()
	c, err := dialect.MustGet(dialect.SQLServer).ParseURL(url, jdbcurl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Babelfish speaks no TLS: encrypt=false lets the driver go without it.
	return fmt.Sprintf("jdbc:sqlserver://%s:%s;databaseName=%s;user=%s;password={%s};encrypt=false;trustServerCertificate=true",
		c.Host, c.Port, c.Database, c.User, strings.ReplaceAll(c.Password, "}", "}}"))
}

// TestSQLServerURLForms connects with the JDBC URL forms Kestra flows use
// and refuses integrated security with a message that says what to do.
func TestSQLServerURLForms(t *testing.T) {
	url, _ := server(t, dialect.SQLServer)
	base := jdbcForm(t, url)
	c, _ := dialect.MustGet(dialect.SQLServer).ParseURL(url, jdbcurl.Options{})
	hostPort := c.Host + ":" + c.Port
	env := plugintest.New(t)
	for _, u := range []string{
		base,
		// databaseName as a property, credentials as task properties.
		"jdbc:sqlserver://" + hostPort + ";databaseName=" + testDB + ";encrypt=false",
		// an instance name with an explicit port: the port wins, as in
		// Microsoft's driver.
		"jdbc:sqlserver://" + c.Host + "\\SQLEXPRESS:" + c.Port + ";databaseName=" + testDB + ";encrypt=false",
		"jdbc:sqlserver://" + hostPort + ";instanceName=SQLEXPRESS;databaseName=" + testDB + ";encrypt=false;trustServerCertificate=true",
	} {
		conn := jdbc.Connection{URL: u}
		if !strings.Contains(u, "user=") {
			conn.Username, conn.Password = c.User, c.Password
		}
		out, err := env.Run(jdbc.NewQuery(dialect.SQLServer, jdbc.Query{Connection: conn, SQL: "SELECT DB_NAME() AS db", FetchOne: true}), "q")
		if err != nil {
			t.Errorf("%s: %v", strings.ReplaceAll(u, c.Password, "***"), err)
			continue
		}
		if db, _ := out["row"].(*rows.OrderedMap).Get("db"); db != testDB {
			t.Errorf("%s: connected to %v", strings.ReplaceAll(u, c.Password, "***"), db)
		}
	}
	_, err := env.Run(jdbc.NewQuery(dialect.SQLServer, jdbc.Query{Connection: jdbc.Connection{URL: "jdbc:sqlserver://" + hostPort + ";integratedSecurity=true"}, SQL: "SELECT 1"}), "q")
	if err == nil || !strings.Contains(err.Error(), "integrated security is not supported; use username and password") {
		t.Errorf("integrated security: %v", err)
	}
}

// TestSeedFlowMySQLToSQLServer is the seed's first example flow (Kestra
// 0.4's mysql-to-sqlserver, with `outputs.query.uri` as it should read and
// this machine's connection details), run by the engine: the target table
// is created with T-SQL through jdbc.sqlserver.Query, MariaDB's users are
// stored and loaded with the positional INSERT of 23 placeholders, then
// read back exact through TDS and summed through Babelfish's PostgreSQL
// side.
func TestSeedFlowMySQLToSQLServer(t *testing.T) {
	msURL, ms := server(t, dialect.SQLServer)
	myURL, my := server(t, dialect.MySQL)
	createUsers(t, my, dialect.MySQL, "users")
	seedUsers(t, my, "users", 500)
	mustExec(t, ms, "IF OBJECT_ID('users') IS NOT NULL DROP TABLE users")
	ddl := strings.ReplaceAll(strings.TrimSpace(mssqlUsers), "\n", " ")
	flow := `id: mysql-to-sqlserver
namespace: io.kestra.tests
tasks:
  - id: create
    type: io.kestra.plugin.jdbc.sqlserver.Query
    url: "` + msURL + `"
    sql: "` + ddl + `"
  - id: query
    type: io.kestra.plugin.jdbc.mysql.Query
    url: ` + myURL + `
    username: root
    sql: select * from users
    store: true
  - id: load
    type: io.kestra.plugin.jdbc.sqlserver.Batch
    url: "` + msURL + `"
    from: "{{ outputs.query.uri }}"
    sql: "` + placeholders + `"
`
	env := flowtest.New(t)
	ex := env.Run(flow, nil)
	env.RequireState(ex, state.Success)
	if got := env.Output(ex, "load", "rowCount"); fmt.Sprint(got) != "500" {
		t.Fatalf("rowCount = %v", got)
	}
	// Every value, through TDS, against the stored source rows.
	src := env.Output(ex, "query", "uri").(string)
	tasks := plugintest.New(t)
	tasks.Store = env.Store
	out, err := tasks.Run(jdbc.NewQuery(dialect.SQLServer, jdbc.Query{Connection: jdbc.Connection{URL: msURL}, SQL: "select * from users order by id", Store: true}), "back")
	if err != nil {
		t.Fatal(err)
	}
	compareRowFiles(t, tasks, src, out["uri"].(string))
	// Aggregates through the second client, against MariaDB's own.
	check, pg := readBack(t, ms)
	if !pg {
		return
	}
	const agg = "SELECT count(*), CAST(sum(balance) AS CHAR), CAST(sum(big_amount) AS CHAR), CAST(sum(counter) AS CHAR), count(DISTINCT name), sum(CHAR_LENGTH(note)) FROM users"
	var want, got [6]sql.NullString
	if err := my.QueryRow(agg).Scan(&want[0], &want[1], &want[2], &want[3], &want[4], &want[5]); err != nil {
		t.Fatal(err)
	}
	if err := check.QueryRow("SELECT count(*)::text, sum(balance)::text, sum(big_amount)::text, sum(counter)::text, count(DISTINCT name)::text, sum(char_length(note))::text FROM users").
		Scan(&got[0], &got[1], &got[2], &got[3], &got[4], &got[5]); err != nil {
		t.Fatal(err)
	}
	if want != got {
		t.Errorf("aggregates: SQL Server (PostgreSQL side) %v, MariaDB %v", got, want)
	}
}
