package odbc_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/internal/odbc"
)

// Throughput of the ODBC path, reported as rows/s:
//
//	go test ./integration/odbc -run '^$' -bench . -benchtime 3x
//
// Insert: ExecBatch of N rows (bigint, varchar, double, decimal, timestamp,
// varbinary). Select: a full scan of the same table through database/sql.
func BenchmarkExecBatch(b *testing.B) {
	for _, be := range backends(b) {
		for _, mode := range []string{"autocommit", "tx"} {
			b.Run(be.name+"/"+mode, func(b *testing.B) {
				c, err := odbc.NewConnector(be.dsn(b))
				if err != nil {
					b.Fatal(err)
				}
				db := sql.OpenDB(c)
				defer db.Close()
				tbl := be.table(b, db, batchDDL(be))
				rows := batchRows(20_000)
				ctx := context.Background()
				conn, err := db.Conn(ctx)
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close()
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					if _, err := db.Exec("DELETE FROM " + tbl); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					var tx *sql.Tx
					if mode == "tx" {
						if tx, err = conn.BeginTx(ctx, nil); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := odbc.ExecBatch(ctx, conn, "INSERT INTO "+tbl+" (id, s, f, d, ts, bin) VALUES (?, ?, ?, ?, ?, ?)", rows); err != nil {
						b.Fatal(err)
					}
					if tx != nil {
						if err := tx.Commit(); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

func BenchmarkSelect(b *testing.B) {
	for _, be := range backends(b) {
		for _, v := range []struct {
			fetch     int // 0: SQLGetData for every column
			streaming bool
		}{{0, false}, {1, false}, {1024, false}, {0, true}, {1, true}, {1024, true}} {
			mode := "buffered"
			cs := be.dsn(b)
			if v.streaming {
				mode, cs = "streaming", be.streamingDSN(b)
			}
			name := fmt.Sprintf("bound-rows=%d", v.fetch)
			if v.fetch == 0 {
				name = "getdata"
			}
			b.Run(be.name+"/"+mode+"/"+name, func(b *testing.B) {
				c, err := odbc.NewConnector(cs)
				if err != nil {
					b.Fatal(err)
				}
				c.FetchRows = v.fetch
				c.FetchWithGetData = v.fetch == 0
				db := sql.OpenDB(c)
				defer db.Close()
				tbl := be.table(b, db, batchDDL(be))
				const n = 100_000
				ctx := context.Background()
				conn, err := db.Conn(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := odbc.ExecBatch(ctx, conn, "INSERT INTO "+tbl+" (id, s, f, d, ts, bin) VALUES (?, ?, ?, ?, ?, ?)", batchRows(n)); err != nil {
					b.Fatal(err)
				}
				conn.Close()
				b.ResetTimer()
				for range b.N {
					rows, err := db.Query("SELECT id, s, f, d, ts, bin FROM " + tbl)
					if err != nil {
						b.Fatal(err)
					}
					var (
						id  int64
						s   sql.NullString
						f   sql.NullFloat64
						d   string
						ts  sql.NullTime
						bin []byte
					)
					got := 0
					for rows.Next() {
						if err := rows.Scan(&id, &s, &f, &d, &ts, &bin); err != nil {
							b.Fatal(err)
						}
						got++
					}
					if err := rows.Err(); err != nil || got != n {
						b.Fatalf("%d rows, %v", got, err)
					}
					rows.Close()
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
