package main

// jdbc-mysql-to-sqlserver: the seed's first flow at scale. MariaDB rows
// (bench_src, loaded by LOAD DATA) are copied into SQL Server
//
//   - by a bare Go loop: go-sql-driver/mysql rows scanned into Go values and
//     handed to go-mssqldb's CopyIn, the least any Go copier must do (the
//     baseline of the ratio);
//   - by sluice: jdbc.mysql.Query (store) then jdbc.sqlserver.Batch, with
//     bulk copy (method auto) and with multi-row INSERTs (method insert);
//
// and, where SLUICE_TEST_MSSQL_PG names Babelfish's PostgreSQL side, the
// same rows are COPYed there into plain PostgreSQL types: the storage
// engine's own write limit, below which no TDS client can go.
//
// The SQL Server table's amount is DECIMAL(30,2): Babelfish stores bulk
// loaded DECIMAL of precision below 29 wrongly, so sluice would not take
// bulk copy into DECIMAL(12,2) there (see docs/jdbc.md).

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/storage"
)

func init() { scenarios["jdbc-mysql-to-sqlserver"] = runJDBCToSQLServer }

const jdbcMSSQLTable = `(id BIGINT NOT NULL PRIMARY KEY, name NVARCHAR(64) NOT NULL, email NVARCHAR(64) NOT NULL,
	score FLOAT NOT NULL, amount DECIMAL(30,2) NOT NULL, active BIT NOT NULL, day DATE NOT NULL,
	ts DATETIME2(6) NOT NULL, nickname NVARCHAR(32) NULL, tag VARBINARY(16) NOT NULL)`

const jdbcPGLimitTable = `(id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, email VARCHAR(64) NOT NULL,
	score DOUBLE PRECISION NOT NULL, amount NUMERIC(30,2) NOT NULL, active BOOLEAN NOT NULL, day DATE NOT NULL,
	ts TIMESTAMP(6) NOT NULL, nickname VARCHAR(32) NULL, tag BYTEA NOT NULL)`

func runJDBCToSQLServer(args []string) error {
	const name = "jdbc-mysql-to-sqlserver"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	n := fs.Int("rows", 1_000_000, "rows to copy (bare loop, bulk copy, PostgreSQL COPY)")
	insertRows := fs.Int("insert-rows", 10_000, "rows for the multi-row INSERT run (slow on Babelfish; rows/s is what is compared)")
	dir := fs.String("dir", os.TempDir(), "folder for the generated files and internal storage")
	if err := fs.Parse(args); err != nil {
		return err
	}
	msBase := os.Getenv("SLUICE_TEST_MSSQL")
	if os.Getenv("SLUICE_TEST_MYSQL") == "" || msBase == "" {
		fmt.Fprintf(os.Stderr, "bench: %s skipped: SLUICE_TEST_MYSQL/SLUICE_TEST_MSSQL not set; run eval \"$(integration/services/up)\"\n", name)
		return nil
	}
	b, err := openJDBCBench(*dir, *n, false)
	if err != nil {
		return err
	}
	defer b.close()
	ms, err := openMSSQL(msBase)
	if err != nil {
		return err
	}
	defer func() {
		ms.Exec("IF OBJECT_ID('bench_dst') IS NOT NULL DROP TABLE bench_dst")
		ms.Close()
	}()
	fmt.Fprintf(os.Stderr, "bench: generating %d rows\n", *n)
	if err := b.generate(); err != nil {
		return err
	}
	loadSecs, err := b.loadData("bench_src")
	if err != nil {
		return err
	}
	emit(map[string]any{"scenario": name, "method": "mysql load data local (source)", "rows": *n, "seconds": round(loadSecs, 3), "rows_per_s": int(float64(*n) / loadSecs)})

	if pgURL := os.Getenv("SLUICE_TEST_MSSQL_PG"); pgURL != "" {
		secs, err := b.babelfishPGCopy(pgURL)
		if err != nil {
			return err
		}
		emit(map[string]any{"scenario": name, "method": "postgres copy text into babelfish's postgresql port (engine write limit)", "rows": *n, "seconds": round(secs, 3), "rows_per_s": int(float64(*n) / secs)})
	}

	bareSecs, err := b.bareCopyIn(ms, *n)
	if err != nil {
		return err
	}
	emit(map[string]any{"scenario": name, "method": "bare go loop: mysql rows → go-mssqldb CopyIn (baseline)", "rows": *n, "seconds": round(bareSecs, 3), "rows_per_s": int(float64(*n) / bareSecs)})

	for _, run := range []struct {
		method, label string
		rows          int
	}{{"auto", "sluice query store + batch, bulk copy", *n}, {"insert", "sluice query store + batch, multi-row insert", min(*insertRows, *n)}} {
		res, err := b.sluiceToSQLServer(ms, msBase, run.method, run.rows)
		if err != nil {
			return err
		}
		res["scenario"], res["method"], res["rows"] = name, run.label, run.rows
		rate := float64(run.rows) / res["seconds"].(float64)
		res["rows_per_s"] = int(rate)
		bareRate := float64(*n) / bareSecs
		// ratio: the bare loop's rows/s over sluice's, end to end (Query
		// store, then Batch); batch_ratio counts the Batch task alone, which
		// is what overlaps reading and writing as the bare loop does.
		res["ratio"] = round(bareRate/rate, 3)
		res["batch_ratio"] = round(bareRate/(float64(run.rows)/res["batch_seconds"].(float64)), 3)
		emit(res)
	}
	return nil
}

func openMSSQL(base string) (*sql.DB, error) {
	cfg, err := dialect.MustGet(dialect.SQLServer).ParseURL(base, jdbcurl.Options{})
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(cfg.Driver, cfg.DSN)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	return db, db.Ping()
}

func recreateMSSQL(ms *sql.DB) error {
	_, err := ms.Exec("IF OBJECT_ID('bench_dst') IS NOT NULL DROP TABLE bench_dst; CREATE TABLE bench_dst " + jdbcMSSQLTable)
	return err
}

// bareCopyIn is the baseline: read bench_src with go-sql-driver/mysql and
// stream every row into go-mssqldb's bulk copy in one transaction.
func (b *jdbcBench) bareCopyIn(ms *sql.DB, n int) (float64, error) {
	if err := recreateMSSQL(ms); err != nil {
		return 0, err
	}
	cfg, err := dialect.MustGet(dialect.MySQL).ParseURL(b.myURL, jdbcurl.Options{})
	if err != nil {
		return 0, err
	}
	sep := "?"
	if strings.Contains(cfg.DSN, "?") {
		sep = "&"
	}
	src, err := sql.Open("mysql", cfg.DSN+sep+"parseTime=true")
	if err != nil {
		return 0, err
	}
	defer src.Close()
	debug.FreeOSMemory()
	start := time.Now()
	rs, err := src.Query("SELECT * FROM bench_src")
	if err != nil {
		return 0, err
	}
	defer rs.Close()
	tx, err := ms.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	st, err := tx.Prepare(mssql.CopyIn("bench_dst", mssql.BulkOptions{KeepNulls: true},
		"id", "name", "email", "score", "amount", "active", "day", "ts", "nickname", "tag"))
	if err != nil {
		return 0, err
	}
	var (
		id                int64
		nameV, email, amt string
		score             float64
		active            bool
		day, ts           time.Time
		nick              sql.NullString
		tag               []byte
		count             int
	)
	for rs.Next() {
		if err := rs.Scan(&id, &nameV, &email, &score, &amt, &active, &day, &ts, &nick, &tag); err != nil {
			return 0, err
		}
		var nk any
		if nick.Valid {
			nk = nick.String
		}
		if _, err := st.Exec(id, nameV, email, score, amt, active, day, ts, nk, tag); err != nil {
			return 0, err
		}
		count++
	}
	if err := rs.Err(); err != nil {
		return 0, err
	}
	if _, err := st.Exec(); err != nil {
		return 0, err
	}
	if err := st.Close(); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	secs := time.Since(start).Seconds()
	if count != n {
		return 0, fmt.Errorf("bare loop copied %d rows, want %d", count, n)
	}
	return secs, b.verifyMSSQL(ms, n)
}

// sluiceToSQLServer runs Query (store) then Batch with method into a fresh
// bench_dst, the first rows rows of bench_src.
func (b *jdbcBench) sluiceToSQLServer(ms *sql.DB, msURL, method string, rows int) (map[string]any, error) {
	if err := recreateMSSQL(ms); err != nil {
		return nil, err
	}
	store, err := storage.NewLocal(filepath.Join(b.dir, "storage-"+method))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	debug.FreeOSMemory()
	resetPeakRSS()
	start, cpu0 := time.Now(), cpuTime()
	q := jdbc.NewQuery(dialect.MySQL, jdbc.Query{Connection: jdbc.Connection{URL: b.myURL}, SQL: fmt.Sprintf("SELECT * FROM bench_src ORDER BY id LIMIT %d", rows), Store: true})
	rc := benchRunContext(store, "query")
	out, err := q.Run(ctx, rc)
	rc.Cleanup()
	if err != nil {
		return nil, err
	}
	querySecs := time.Since(start).Seconds()
	bstart := time.Now()
	rc = benchRunContext(store, "load")
	bout, err := jdbc.NewBatch(dialect.SQLServer, jdbc.Batch{Connection: jdbc.Connection{URL: msURL}, From: out["uri"].(string), Table: "bench_dst", Chunk: 10000, Method: method}).Run(ctx, rc)
	rc.Cleanup()
	if err != nil {
		return nil, err
	}
	batchSecs := time.Since(bstart).Seconds()
	total := time.Since(start).Seconds()
	cpu := (cpuTime() - cpu0).Seconds()
	if got := bout["rowCount"].(int64); got != int64(rows) {
		return nil, fmt.Errorf("batch wrote %d rows, want %d", got, rows)
	}
	if err := b.verifyMSSQL(ms, rows); err != nil {
		return nil, err
	}
	return map[string]any{"seconds": round(total, 3), "query_seconds": round(querySecs, 3), "batch_seconds": round(batchSecs, 3),
		"peak_rss_mb": peakRSSMB(), "sluice_cpu_seconds": round(cpu, 2)}, nil
}

// verifyMSSQL compares aggregates of bench_dst with the first rows rows of
// the source.
func (b *jdbcBench) verifyMSSQL(ms *sql.DB, rows int) error {
	var want, got [5]sql.NullString
	err := b.my.QueryRow(fmt.Sprintf(`SELECT count(*), sum(id), CAST(sum(amount) AS CHAR), sum(length(tag)), count(nickname)
		FROM (SELECT * FROM bench_src ORDER BY id LIMIT %d) s`, rows)).Scan(&want[0], &want[1], &want[2], &want[3], &want[4])
	if err != nil {
		return err
	}
	err = ms.QueryRow(`SELECT CAST(count(*) AS VARCHAR(20)), CAST(sum(id) AS VARCHAR(30)), CAST(sum(amount) AS VARCHAR(40)),
		CAST(sum(DATALENGTH(tag)) AS VARCHAR(30)), CAST(count(nickname) AS VARCHAR(20)) FROM bench_dst`).Scan(&got[0], &got[1], &got[2], &got[3], &got[4])
	if err != nil {
		return err
	}
	if want != got {
		return fmt.Errorf("SQL Server copy differs from the source: source %v, target %v", want, got)
	}
	return nil
}

// babelfishPGCopy COPYs the generated text file into a plain PostgreSQL
// table on Babelfish's PostgreSQL side.
func (b *jdbcBench) babelfishPGCopy(url string) (float64, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("DROP TABLE IF EXISTS public.sluice_bench_limit"); err != nil {
		return 0, err
	}
	if _, err := db.Exec("CREATE TABLE public.sluice_bench_limit " + jdbcPGLimitTable); err != nil {
		return 0, err
	}
	defer db.Exec("DROP TABLE IF EXISTS public.sluice_bench_limit")
	return b.copyPGFile(db, "public.sluice_bench_limit")
}
