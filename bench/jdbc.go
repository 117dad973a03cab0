package main

// The JDBC scenarios: copying a generated table between real servers with
// sluice's Query (store: true) and Batch tasks, against the physical limits
// measured in the same run on the same rows.
//
//	go run ./bench jdbc-mysql-to-postgres [--rows 1000000] [--repeat 1]
//	go run ./bench jdbc-mysql-to-mysql    [--rows 1000000] [--repeat 1]
//	go run ./bench jdbc-batch-params      [--rows 100000]
//
// Rows have 10 columns: bigint, varchar, varchar, double, decimal(12,2),
// boolean, date, datetime(6), nullable varchar (30% NULL), varbinary(16).
// Servers come from SLUICE_TEST_MYSQL and SLUICE_TEST_POSTGRES (run
// integration/services/up); the scenario works in a database named
// sluice_bench.
//
// Baselines, each printed as its own line:
//
//	read-only      mariadb --quick --batch --raw: SELECT * to /dev/null
//	load data      LOAD DATA LOCAL INFILE of the same rows as a TSV file (MySQL write limit)
//	copy           COPY FROM STDIN of the same rows as a text file (PostgreSQL write limit)
//
// The sluice line times Query (MariaDB → row file) plus Batch (row file →
// target) and prints ratio = sluice seconds / (read-only + write-limit
// seconds) and peak_rss_mb, the process's peak resident set during the two
// tasks, and sluice_cpu_seconds, the CPU the sluice process spent (user +
// system; the servers' CPU is not counted). Goals: ratio ≤ 1.3,
// peak_rss_mb ≤ 200 whatever --rows.

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/storage"
)

func init() {
	scenarios["jdbc-mysql-to-postgres"] = func(args []string) error { return runJDBCCopy("jdbc-mysql-to-postgres", dialect.Postgres, args) }
	scenarios["jdbc-mysql-to-mysql"] = func(args []string) error { return runJDBCCopy("jdbc-mysql-to-mysql", dialect.MySQL, args) }
	scenarios["jdbc-batch-params"] = runJDBCBatchParams
}

const benchDB = "sluice_bench"

const jdbcMySQLTable = `(id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, email VARCHAR(64) NOT NULL,
	score DOUBLE NOT NULL, amount DECIMAL(12,2) NOT NULL, active BOOLEAN NOT NULL, day DATE NOT NULL,
	ts DATETIME(6) NOT NULL, nickname VARCHAR(32) NULL, tag VARBINARY(16) NOT NULL)`

const jdbcPGTable = `(id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, email VARCHAR(64) NOT NULL,
	score DOUBLE PRECISION NOT NULL, amount NUMERIC(12,2) NOT NULL, active BOOLEAN NOT NULL, day DATE NOT NULL,
	ts TIMESTAMP(6) NOT NULL, nickname VARCHAR(32) NULL, tag BYTEA NOT NULL)`

type jdbcBench struct {
	myURL, pgURL string
	my, pg       *sql.DB
	dir          string
	rows         int
	cpuprofile   string
}

func runJDBCCopy(name, target string, args []string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	n := fs.Int("rows", 1_000_000, "rows to copy")
	repeat := fs.Int("repeat", 1, "runs (the summary line has the medians)")
	dir := fs.String("dir", os.TempDir(), "folder for the generated files and internal storage")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the sluice tasks (last run) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if os.Getenv("SLUICE_TEST_MYSQL") == "" || target == dialect.Postgres && os.Getenv("SLUICE_TEST_POSTGRES") == "" {
		// "bench all" on a machine without the servers: say so, do not fail.
		fmt.Fprintf(os.Stderr, "bench: %s skipped: SLUICE_TEST_MYSQL/SLUICE_TEST_POSTGRES not set; run eval \"$(integration/services/up)\"\n", name)
		return nil
	}
	b, err := openJDBCBench(*dir, *n, target == dialect.Postgres)
	if err != nil {
		return err
	}
	b.cpuprofile = *cpuprofile
	defer b.close()
	fmt.Fprintf(os.Stderr, "bench: generating %d rows\n", *n)
	if err := b.generate(); err != nil {
		return err
	}
	var ratios, sluices, rss []float64
	for r := 0; r < *repeat; r++ {
		// Source table, loaded by LOAD DATA: the MySQL write limit.
		loadSecs, err := b.loadData("bench_src")
		if err != nil {
			return err
		}
		emit(map[string]any{"scenario": name, "method": "mysql load data local (write limit)", "rows": *n, "seconds": round(loadSecs, 3), "rows_per_s": int(float64(*n) / loadSecs)})
		readSecs, err := b.readOnly()
		if err != nil {
			return err
		}
		emit(map[string]any{"scenario": name, "method": "mariadb --quick select (read limit)", "rows": *n, "seconds": round(readSecs, 3), "rows_per_s": int(float64(*n) / readSecs)})
		writeSecs := loadSecs
		if target == dialect.Postgres {
			if writeSecs, err = b.pgCopy(); err != nil {
				return err
			}
			emit(map[string]any{"scenario": name, "method": "postgres copy text from file (write limit)", "rows": *n, "seconds": round(writeSecs, 3), "rows_per_s": int(float64(*n) / writeSecs)})
		}
		res, err := b.sluice(target)
		if err != nil {
			return err
		}
		base := readSecs + writeSecs
		res["scenario"], res["rows"] = name, *n
		res["baseline_seconds"] = round(base, 3)
		res["ratio"] = round(res["seconds"].(float64)/base, 3)
		res["rows_per_s"] = int(float64(*n) / res["seconds"].(float64))
		emit(res)
		ratios = append(ratios, res["ratio"].(float64))
		sluices = append(sluices, res["seconds"].(float64))
		rss = append(rss, res["peak_rss_mb"].(float64))
	}
	if *repeat > 1 {
		emit(map[string]any{"scenario": name, "method": "summary (medians)", "rows": *n, "runs": *repeat,
			"seconds": median(sluices), "ratio": median(ratios), "peak_rss_mb": median(rss)})
	}
	return nil
}

func median(xs []float64) float64 {
	s := append([]float64{}, xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func openJDBCBench(dir string, n int, needPG bool) (*jdbcBench, error) {
	work, err := os.MkdirTemp(dir, "sluice-bench-jdbc-")
	if err != nil {
		return nil, err
	}
	b := &jdbcBench{dir: work, rows: n}
	base := os.Getenv("SLUICE_TEST_MYSQL")
	if base == "" {
		return nil, fmt.Errorf("SLUICE_TEST_MYSQL is not set: run eval \"$(integration/services/up)\"")
	}
	if b.myURL, b.my, err = openBenchDB(dialect.MySQL, base); err != nil {
		return nil, err
	}
	if needPG {
		base := os.Getenv("SLUICE_TEST_POSTGRES")
		if base == "" {
			return nil, fmt.Errorf("SLUICE_TEST_POSTGRES is not set: run eval \"$(integration/services/up)\"")
		}
		if b.pgURL, b.pg, err = openBenchDB(dialect.Postgres, base); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// openBenchDB creates benchDB on the server of base and opens it.
func openBenchDB(d, base string) (string, *sql.DB, error) {
	cfg, err := dialect.MustGet(d).ParseURL(base, jdbcurl.Options{})
	if err != nil {
		return "", nil, err
	}
	db, err := sql.Open(cfg.Driver, cfg.DSN)
	if err != nil {
		return "", nil, err
	}
	switch d {
	case dialect.MySQL:
		_, err = db.Exec("CREATE DATABASE IF NOT EXISTS " + benchDB)
	case dialect.Postgres:
		var k int
		db.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", benchDB).Scan(&k)
		if k == 0 {
			_, err = db.Exec("CREATE DATABASE " + benchDB)
		}
	}
	db.Close()
	if err != nil {
		return "", nil, err
	}
	u, q, _ := strings.Cut(base, "?")
	url := u[:strings.LastIndexByte(u, '/')+1] + benchDB
	if q != "" {
		url += "?" + q
	}
	if cfg, err = dialect.MustGet(d).ParseURL(url, jdbcurl.Options{}); err != nil {
		return "", nil, err
	}
	db, err = sql.Open(cfg.Driver, cfg.DSN)
	if err != nil {
		return "", nil, err
	}
	db.SetMaxOpenConns(1)
	return url, db, db.Ping()
}

func (b *jdbcBench) close() {
	if b.my != nil {
		b.my.Exec("DROP TABLE IF EXISTS bench_src")
		b.my.Exec("DROP TABLE IF EXISTS bench_dst")
		b.my.Close()
	}
	if b.pg != nil {
		b.pg.Exec("DROP TABLE IF EXISTS bench_dst")
		b.pg.Close()
	}
	os.RemoveAll(b.dir)
}

// generate writes the rows twice: as a LOAD DATA file and as a COPY text
// file (booleans and bytes are spelled differently).
func (b *jdbcBench) generate() error {
	mf, err := os.Create(filepath.Join(b.dir, "rows.mysql.tsv"))
	if err != nil {
		return err
	}
	defer mf.Close()
	pf, err := os.Create(filepath.Join(b.dir, "rows.pg.tsv"))
	if err != nil {
		return err
	}
	defer pf.Close()
	mw, pw := bufio.NewWriterSize(mf, 1<<20), bufio.NewWriterSize(pf, 1<<20)
	r := rand.New(rand.NewPCG(7, 11))
	var line, tag []byte
	tag = make([]byte, 16)
	const hexd = "0123456789abcdef"
	for i := 1; i <= b.rows; i++ {
		for k := range tag {
			tag[k] = byte(r.Uint32())
		}
		line = line[:0]
		line = strconv.AppendInt(line, int64(i), 10)
		line = fmt.Appendf(line, "\tuser %d\tuser%d@example.com\t", r.Int64N(1e9), i)
		line = strconv.AppendFloat(line, r.Float64()*1e6, 'g', -1, 64)
		line = fmt.Appendf(line, "\t%d.%02d\t", r.Int64N(1e9)-5e8, r.IntN(100))
		common := len(line)
		active := r.IntN(2) == 1
		day := fmt.Sprintf("%04d-%02d-%02d", 1970+r.IntN(60), 1+r.IntN(12), 1+r.IntN(28))
		ts := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d.%06d", 2000+r.IntN(30), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e6))
		nick := ""
		if r.IntN(10) >= 3 {
			nick = "nick" + strconv.Itoa(r.IntN(1e6))
		}
		// MySQL flavour.
		ml := append([]byte{}, line[:common]...)
		if active {
			ml = append(ml, '1')
		} else {
			ml = append(ml, '0')
		}
		ml = append(ml, '\t')
		ml = append(ml, day...)
		ml = append(ml, '\t')
		ml = append(ml, ts...)
		ml = append(ml, '\t')
		if nick == "" {
			ml = append(ml, `\N`...)
		} else {
			ml = append(ml, nick...)
		}
		ml = append(ml, '\t')
		for _, c := range tag {
			switch c {
			case '\\':
				ml = append(ml, '\\', '\\')
			case '\t':
				ml = append(ml, '\\', 't')
			case '\n':
				ml = append(ml, '\\', 'n')
			case '\r':
				ml = append(ml, '\\', 'r')
			case 0:
				ml = append(ml, '\\', '0')
			default:
				ml = append(ml, c)
			}
		}
		ml = append(ml, '\n')
		if _, err := mw.Write(ml); err != nil {
			return err
		}
		// PostgreSQL flavour.
		pl := line[:common]
		if active {
			pl = append(pl, 't')
		} else {
			pl = append(pl, 'f')
		}
		pl = append(pl, '\t')
		pl = append(pl, day...)
		pl = append(pl, '\t')
		pl = append(pl, ts...)
		pl = append(pl, '\t')
		if nick == "" {
			pl = append(pl, `\N`...)
		} else {
			pl = append(pl, nick...)
		}
		pl = append(pl, "\t\\\\x"...)
		for _, c := range tag {
			pl = append(pl, hexd[c>>4], hexd[c&15])
		}
		pl = append(pl, '\n')
		line = pl
		if _, err := pw.Write(pl); err != nil {
			return err
		}
	}
	if err := mw.Flush(); err != nil {
		return err
	}
	return pw.Flush()
}

// loadData recreates table in MariaDB and loads the TSV file into it.
func (b *jdbcBench) loadData(table string) (float64, error) {
	if _, err := b.my.Exec("DROP TABLE IF EXISTS " + table); err != nil {
		return 0, err
	}
	if _, err := b.my.Exec("CREATE TABLE " + table + " " + jdbcMySQLTable); err != nil {
		return 0, err
	}
	path := filepath.Join(b.dir, "rows.mysql.tsv")
	mysql.RegisterLocalFile(path)
	defer mysql.DeregisterLocalFile(path)
	start := time.Now()
	if _, err := b.my.Exec("LOAD DATA LOCAL INFILE '" + path + "' INTO TABLE " + table); err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

// readOnly times the MariaDB client reading the whole table to /dev/null.
func (b *jdbcBench) readOnly() (float64, error) {
	cfg, err := dialect.MustGet(dialect.MySQL).ParseURL(b.myURL, jdbcurl.Options{})
	if err != nil {
		return 0, err
	}
	args := []string{"--no-defaults", "--quick", "--batch", "--raw", "-N", "-h", cfg.Host, "-P", cfg.Port, "-u", cfg.User}
	cmd := exec.Command("mariadb", append(args, "-e", "SELECT * FROM bench_src", benchDB)...)
	if cfg.Password != "" {
		cmd.Env = append(os.Environ(), "MYSQL_PWD="+cfg.Password)
	}
	cmd.Stdout = io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("mariadb client: %w", err)
	}
	return time.Since(start).Seconds(), nil
}

// pgCopy recreates bench_dst in PostgreSQL and copies the text file in.
func (b *jdbcBench) pgCopy() (float64, error) {
	if err := b.recreatePG(); err != nil {
		return 0, err
	}
	return b.copyPGFile(b.pg, "bench_dst")
}

// copyPGFile COPYs the generated text file into table over db (a pgx
// pool) and returns the seconds the COPY took.
func (b *jdbcBench) copyPGFile(db *sql.DB, table string) (float64, error) {
	f, err := os.Open(filepath.Join(b.dir, "rows.pg.tsv"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	start := time.Now()
	err = conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(context.Background(), bufio.NewReaderSize(f, 1<<20), "COPY "+table+" FROM STDIN")
		return err
	})
	return time.Since(start).Seconds(), err
}

func (b *jdbcBench) recreatePG() error {
	if _, err := b.pg.Exec("DROP TABLE IF EXISTS bench_dst"); err != nil {
		return err
	}
	_, err := b.pg.Exec("CREATE TABLE bench_dst " + jdbcPGTable)
	return err
}

func benchRunContext(store storage.Store, task string) *plugin.RunContext {
	return plugin.NewRunContext(plugin.RunConfig{
		Namespace: "bench", FlowID: "jdbc", ExecutionID: "run", TaskID: task, TaskRunID: "1",
		Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

// sluice runs Query (store) then Batch into a fresh target table.
func (b *jdbcBench) sluice(target string) (map[string]any, error) {
	switch target {
	case dialect.Postgres:
		if err := b.recreatePG(); err != nil {
			return nil, err
		}
	case dialect.MySQL:
		if _, err := b.my.Exec("DROP TABLE IF EXISTS bench_dst"); err != nil {
			return nil, err
		}
		if _, err := b.my.Exec("CREATE TABLE bench_dst " + jdbcMySQLTable); err != nil {
			return nil, err
		}
	}
	store, err := storage.NewLocal(filepath.Join(b.dir, "storage"))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	debug.FreeOSMemory()
	resetPeakRSS()
	stop, err := startCPUProfile(b.cpuprofile)
	if err != nil {
		return nil, err
	}
	defer stop()
	start, cpu0 := time.Now(), cpuTime()
	q := jdbc.NewQuery("mysql", jdbc.Query{Connection: jdbc.Connection{URL: b.myURL}, SQL: "SELECT * FROM bench_src", Store: true})
	rc := benchRunContext(store, "query")
	out, err := q.Run(ctx, rc)
	rc.Cleanup()
	if err != nil {
		return nil, err
	}
	querySecs := time.Since(start).Seconds()
	uri := out["uri"].(string)
	var task plugin.Task
	switch target {
	case dialect.Postgres:
		task = jdbc.NewBatch("postgres", jdbc.Batch{Connection: jdbc.Connection{URL: b.pgURL}, From: uri, Table: "bench_dst", Chunk: 10000})
	default:
		task = jdbc.NewBatch("mysql", jdbc.Batch{Connection: jdbc.Connection{URL: b.myURL}, From: uri, Table: "bench_dst", Chunk: 10000})
	}
	bstart := time.Now()
	rc = benchRunContext(store, "load")
	bout, err := task.Run(ctx, rc)
	rc.Cleanup()
	if err != nil {
		return nil, err
	}
	batchSecs := time.Since(bstart).Seconds()
	total := time.Since(start).Seconds()
	cpu := (cpuTime() - cpu0).Seconds()
	peak := peakRSSMB()
	if got := bout["rowCount"].(int64); got != int64(b.rows) {
		return nil, fmt.Errorf("batch wrote %d rows, want %d", got, b.rows)
	}
	if err := b.verify(target); err != nil {
		return nil, err
	}
	return map[string]any{
		"method": "sluice query store + batch", "seconds": round(total, 3), "query_seconds": round(querySecs, 3),
		"batch_seconds": round(batchSecs, 3), "peak_rss_mb": peak, "sluice_cpu_seconds": round(cpu, 2),
	}, nil
}

// verify compares aggregates of every column between source and target.
func (b *jdbcBench) verify(target string) error {
	q := "SELECT count(*), sum(id), sum(amount), sum(length(name)), count(nickname), sum(length(tag)), min(ts), max(day), sum(CASE WHEN active THEN 1 ELSE 0 END) FROM "
	row := func(db *sql.DB, table string) (string, error) {
		var vals [9]sql.NullString
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := db.QueryRow(q + table).Scan(ptrs...); err != nil {
			return "", err
		}
		var parts []string
		for i, v := range vals {
			s := v.String
			if i == 6 || i == 7 {
				s = strings.Replace(strings.TrimSuffix(strings.TrimSuffix(s, "Z"), "T00:00:00"), "T", " ", 1)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "|"), nil
	}
	a, err := row(b.my, "bench_src")
	if err != nil {
		return err
	}
	db := b.my
	if target == dialect.Postgres {
		db = b.pg
	}
	c, err := row(db, "bench_dst")
	if err != nil {
		return err
	}
	if a != c {
		return fmt.Errorf("copy differs from the source:\n  source %s\n  target %s", a, c)
	}
	return nil
}

// runJDBCBatchParams shows how Batch sizes multi-row INSERTs under each
// server's parameter limit (SQL Server's 2100 on a 30-column table), then
// measures what the sizing is worth: a 30-column load into PostgreSQL
// (when SLUICE_TEST_POSTGRES is set) and SQLite with multi-row INSERTs
// (method insert), one INSERT per row (method row) and the bulk path (auto).
func runJDBCBatchParams(args []string) error {
	fs := flag.NewFlagSet("jdbc-batch-params", flag.ContinueOnError)
	n := fs.Int("rows", 100_000, "rows loaded per method")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, name := range []string{dialect.SQLServer, dialect.SQLite, dialect.Postgres, dialect.MySQL} {
		d := dialect.MustGet(name)
		for _, cols := range []int{1, 10, 23, 30, 100} {
			per := d.RowsPerInsert(cols, 1000)
			emit(map[string]any{"scenario": "jdbc-batch-params", "dialect": name, "columns": cols, "chunk": 1000,
				"rows_per_statement": per, "params_per_statement": per * cols, "param_limit": d.Limits().MaxParams,
				"statements_per_chunk": (1000 + per - 1) / per})
		}
	}
	dir, err := os.MkdirTemp("", "sluice-bench-params-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := storage.NewLocal(filepath.Join(dir, "storage"))
	if err != nil {
		return err
	}
	const ncols = 30
	var cols, defs []string
	for i := 0; i < ncols; i++ {
		cols = append(cols, "c"+strconv.Itoa(i))
		defs = append(defs, "c"+strconv.Itoa(i)+" BIGINT")
	}
	uri, err := writeWideRows(store, *n, cols)
	if err != nil {
		return err
	}
	type target struct {
		name  string
		url   string
		db    *sql.DB
		task  func(jdbc.Batch) plugin.Task
		reset string
	}
	var targets []target
	if base := os.Getenv("SLUICE_TEST_POSTGRES"); base != "" {
		url, db, err := openBenchDB(dialect.Postgres, base)
		if err != nil {
			return err
		}
		defer db.Close()
		defer db.Exec("DROP TABLE IF EXISTS wide")
		targets = append(targets, target{"postgres", url, db, func(b jdbc.Batch) plugin.Task { return jdbc.NewBatch("postgres", b) }, "DROP TABLE IF EXISTS wide"})
	}
	path := filepath.Join(dir, "wide.db")
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer sdb.Close()
	targets = append(targets, target{"sqlite", "jdbc:sqlite:" + path, sdb, func(b jdbc.Batch) plugin.Task { return jdbc.NewBatch("sqlite", b) }, "DROP TABLE IF EXISTS wide"})
	for _, tg := range targets {
		for _, method := range []string{"auto", "insert", "row"} {
			if _, err := tg.db.Exec(tg.reset); err != nil {
				return err
			}
			if _, err := tg.db.Exec("CREATE TABLE wide (" + strings.Join(defs, ", ") + ")"); err != nil {
				return err
			}
			task := tg.task(jdbc.Batch{Connection: jdbc.Connection{URL: tg.url}, From: uri, Table: "wide", Method: method, Chunk: 1000})
			rc := benchRunContext(store, "load-"+method)
			start := time.Now()
			out, err := task.Run(context.Background(), rc)
			rc.Cleanup()
			if err != nil {
				return err
			}
			secs := time.Since(start).Seconds()
			var per any = 1
			d := dialect.MustGet(map[string]string{"postgres": dialect.Postgres, "sqlite": dialect.SQLite}[tg.name])
			switch {
			case method == "auto" && tg.name == "postgres":
				per = "copy (one stream)"
			case method != "row":
				per = d.RowsPerInsert(ncols, 1000)
			}
			emit(map[string]any{"scenario": "jdbc-batch-params", "dialect": tg.name, "columns": ncols, "method": method,
				"rows": out["rowCount"], "seconds": round(secs, 3), "rows_per_s": int(float64(*n) / secs), "rows_per_statement": per})
		}
	}
	return nil
}

// writeWideRows stores n rows of len(cols) integer columns.
func writeWideRows(store storage.Store, n int, cols []string) (string, error) {
	rc := benchRunContext(store, "gen-wide")
	schema := &rows.Schema{}
	for _, c := range cols {
		schema.Fields = append(schema.Fields, rows.Field{Name: c, Kind: rows.KindInt})
	}
	w, err := rc.CreateRows(context.Background(), "wide", schema)
	if err != nil {
		return "", err
	}
	defer w.Abort()
	row := rows.Row{Values: make([]rows.Value, len(cols))}
	for i := 0; i < n; i++ {
		for j := range row.Values {
			row.Values[j] = rows.Int(int64(i*len(cols) + j))
		}
		if err := w.Write(&row); err != nil {
			return "", err
		}
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return w.URI().String(), nil
}
