package odbc_test

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestColumnTypes(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, typesDDL(b))
			rows, err := db.Query("SELECT id, i, f, d, s, tx, bin, dt, ts FROM " + tbl)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cts, err := rows.ColumnTypes()
			if err != nil {
				t.Fatal(err)
			}
			type want struct {
				name, dbType string
				nullable     bool
				prec, scale  int64
				decOK        bool
				length       int64
				lenOK        bool
				scan         reflect.Type
			}
			str, byt, i64, f64, tm := reflect.TypeFor[string](), reflect.TypeFor[[]byte](), reflect.TypeFor[int64](), reflect.TypeFor[float64](), reflect.TypeFor[time.Time]()
			wants := map[string][]want{
				"mariadb": {
					{"id", "BIGINT", false, 0, 0, false, 0, false, i64},
					{"i", "INTEGER", true, 0, 0, false, 0, false, i64},
					{"f", "DOUBLE", true, 0, 0, false, 0, false, f64},
					{"d", "DECIMAL", true, 30, 10, true, 0, false, str},
					{"s", "VARCHAR", true, 0, 0, false, 200, true, str},
					{"tx", "TEXT", true, 0, 0, false, 1073741823, true, str},
					{"bin", "VARBINARY", true, 0, 0, false, 200, true, byt},
					{"dt", "DATE", true, 0, 0, false, 0, false, tm},
					{"ts", "DATETIME", true, 0, 0, false, 0, false, tm},
				},
				"postgres": {
					{"id", "INT8", false, 0, 0, false, 0, false, i64},
					{"i", "INT4", true, 0, 0, false, 0, false, i64},
					{"f", "FLOAT8", true, 0, 0, false, 0, false, f64},
					{"d", "NUMERIC", true, 30, 10, true, 0, false, str},
					{"s", "VARCHAR", true, 0, 0, false, 200, true, str},
					{"tx", "TEXT", true, 0, 0, false, 8190, true, str},
					{"bin", "BYTEA", true, 0, 0, false, math.MaxInt64, true, byt},
					{"dt", "DATE", true, 0, 0, false, 0, false, tm},
					{"ts", "TIMESTAMP WITHOUT TIME ZONE", true, 0, 0, false, 0, false, tm},
				},
			}[b.name]
			if len(cts) != len(wants) {
				t.Fatalf("%d columns", len(cts))
			}
			for i, w := range wants {
				ct := cts[i]
				n, nok := ct.Nullable()
				p, s, dok := ct.DecimalSize()
				l, lok := ct.Length()
				if ct.Name() != w.name || ct.DatabaseTypeName() != w.dbType || n != w.nullable || !nok ||
					p != w.prec || s != w.scale || dok != w.decOK || l != w.length || lok != w.lenOK || ct.ScanType() != w.scan {
					t.Errorf("column %d: name %q type %q nullable %v/%v decimal %d,%d/%v length %d/%v scan %v; want %+v",
						i, ct.Name(), ct.DatabaseTypeName(), n, nok, p, s, dok, l, lok, ct.ScanType(), w)
				}
			}
		})
	}
}

// Column names and literals outside ASCII survive the wide-character API.
func TestNonASCIINamesAndLiterals(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			q := `SELECT 'Grüße 😀 日本' AS größe, ? AS "ключ"`
			if b.name == "mariadb" {
				q = "SELECT 'Grüße 😀 日本' AS größe, ? AS `ключ`"
			}
			rows, err := db.Query(q, "παράμετρος")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			if !reflect.DeepEqual(cols, []string{"größe", "ключ"}) {
				t.Errorf("columns %q", cols)
			}
			var a, p string
			if !rows.Next() {
				t.Fatal(rows.Err())
			}
			if err := rows.Scan(&a, &p); err != nil {
				t.Fatal(err)
			}
			if a != "Grüße 😀 日本" || p != "παράμετρος" {
				t.Errorf("got %q %q", a, p)
			}
		})
	}
}
