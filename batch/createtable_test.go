package batch

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

// typedSchema is the schema a Query stores for a MySQL table with one
// column of each type (SourceType as scan.go writes it), plus a field
// from a source without types (serdes).
var typedSchema = &rows.Schema{Fields: []rows.Field{
	{Name: "id", Kind: rows.KindInt, SourceType: "BIGINT"},
	{Name: "name", Kind: rows.KindString, SourceType: "VARCHAR(100)"},
	{Name: "note", Kind: rows.KindString, Nullable: true, SourceType: "TEXT"},
	{Name: "code", Kind: rows.KindString, Nullable: true, SourceType: "CHAR(3)"},
	{Name: "age", Kind: rows.KindInt, Nullable: true, SourceType: "INT"},
	{Name: "tiny", Kind: rows.KindInt, Nullable: true, SourceType: "TINYINT"},
	{Name: "counter", Kind: rows.KindDecimal, Nullable: true, Precision: 20, SourceType: "UNSIGNED BIGINT"},
	{Name: "balance", Kind: rows.KindDecimal, Nullable: true, Precision: 12, Scale: 2, SourceType: "DECIMAL(12,2)"},
	{Name: "score", Kind: rows.KindFloat, Nullable: true, SourceType: "DOUBLE"},
	{Name: "ratio", Kind: rows.KindFloat, Nullable: true, SourceType: "FLOAT"},
	{Name: "single", Kind: rows.KindFloat, Nullable: true, SourceType: "FLOAT4"},
	{Name: "active", Kind: rows.KindBool, Nullable: true, SourceType: "TINYINT"},
	{Name: "birth", Kind: rows.KindDate, Nullable: true, SourceType: "DATE"},
	{Name: "wake", Kind: rows.KindTime, Nullable: true, Precision: 6, SourceType: "TIME(6)"},
	{Name: "created", Kind: rows.KindTimestamp, Nullable: true, Precision: 6, SourceType: "DATETIME(6)"},
	{Name: "updated", Kind: rows.KindTimestampTZ, Nullable: true, Precision: 6, SourceType: "TIMESTAMP(6)"},
	{Name: "avatar", Kind: rows.KindBytes, Nullable: true, SourceType: "VARBINARY(16)"},
	{Name: "payload", Kind: rows.KindBytes, Nullable: true, SourceType: "BLOB"},
	{Name: "prefs", Kind: rows.KindString, Nullable: true, SourceType: "JSON"},
	{Name: "seen", Kind: rows.KindTimestamp, Nullable: true},
	{Name: `we"ird`, Kind: rows.KindString, Nullable: true},
}}

func TestCreateTableSQL(t *testing.T) {
	want := map[string]string{
		dialect.MySQL: "CREATE TABLE `shop`.`users` (\n  `id` BIGINT NOT NULL,\n  `name` VARCHAR(100) NOT NULL,\n  `note` LONGTEXT NULL,\n  `code` CHAR(3) NULL,\n" +
			"  `age` INT NULL,\n  `tiny` TINYINT NULL,\n  `counter` BIGINT UNSIGNED NULL,\n  `balance` DECIMAL(12,2) NULL,\n  `score` DOUBLE NULL,\n  `ratio` DOUBLE NULL,\n  `single` FLOAT NULL,\n" +
			"  `active` BOOLEAN NULL,\n  `birth` DATE NULL,\n  `wake` TIME(6) NULL,\n  `created` DATETIME(6) NULL,\n  `updated` TIMESTAMP(6) NULL,\n  `avatar` VARBINARY(16) NULL,\n" +
			"  `payload` LONGBLOB NULL,\n  `prefs` JSON NULL,\n  `seen` DATETIME(6) NULL,\n  `we\"ird` LONGTEXT NULL,\n  PRIMARY KEY (`id`)\n)",
		dialect.Postgres: "CREATE TABLE \"shop\".\"users\" (\n  \"id\" BIGINT NOT NULL,\n  \"name\" VARCHAR(100) NOT NULL,\n  \"note\" TEXT,\n  \"code\" CHAR(3),\n" +
			"  \"age\" INTEGER,\n  \"tiny\" SMALLINT,\n  \"counter\" NUMERIC(20,0),\n  \"balance\" NUMERIC(12,2),\n  \"score\" DOUBLE PRECISION,\n  \"ratio\" DOUBLE PRECISION,\n  \"single\" REAL,\n" +
			"  \"active\" BOOLEAN,\n  \"birth\" DATE,\n  \"wake\" TIME(6),\n  \"created\" TIMESTAMP(6),\n  \"updated\" TIMESTAMPTZ(6),\n  \"avatar\" BYTEA,\n" +
			"  \"payload\" BYTEA,\n  \"prefs\" JSON,\n  \"seen\" TIMESTAMP(6),\n  \"we\"\"ird\" TEXT,\n  PRIMARY KEY (\"id\")\n)",
		dialect.SQLServer: "CREATE TABLE [shop].[users] (\n  [id] BIGINT NOT NULL,\n  [name] NVARCHAR(100) NOT NULL,\n  [note] NVARCHAR(MAX),\n  [code] NCHAR(3),\n" +
			"  [age] INT,\n  [tiny] SMALLINT,\n  [counter] DECIMAL(20,0),\n  [balance] DECIMAL(12,2),\n  [score] FLOAT,\n  [ratio] FLOAT,\n  [single] REAL,\n" +
			"  [active] BIT,\n  [birth] DATE,\n  [wake] TIME(6),\n  [created] DATETIME2(6),\n  [updated] DATETIMEOFFSET(6),\n  [avatar] VARBINARY(16),\n" +
			"  [payload] VARBINARY(MAX),\n  [prefs] NVARCHAR(MAX),\n  [seen] DATETIME2(6),\n  [we\"ird] NVARCHAR(MAX),\n  PRIMARY KEY ([id])\n)",
		dialect.SQLite: "CREATE TABLE \"shop\".\"users\" (\n  \"id\" INTEGER NOT NULL,\n  \"name\" TEXT NOT NULL,\n  \"note\" TEXT,\n  \"code\" TEXT,\n" +
			"  \"age\" INTEGER,\n  \"tiny\" INTEGER,\n  \"counter\" DECIMAL(20,0),\n  \"balance\" DECIMAL(12,2),\n  \"score\" DOUBLE,\n  \"ratio\" DOUBLE,\n  \"single\" DOUBLE,\n" +
			"  \"active\" BOOLEAN,\n  \"birth\" DATE,\n  \"wake\" TIME,\n  \"created\" TIMESTAMP,\n  \"updated\" TIMESTAMPTZ,\n  \"avatar\" BLOB,\n" +
			"  \"payload\" BLOB,\n  \"prefs\" JSON,\n  \"seen\" TIMESTAMP,\n  \"we\"\"ird\" TEXT,\n  PRIMARY KEY (\"id\")\n)",
		dialect.Vectorwise: "CREATE TABLE \"shop\".\"users\" (\n  \"id\" BIGINT NOT NULL,\n  \"name\" NVARCHAR(100) NOT NULL,\n  \"note\" NVARCHAR(16000),\n  \"code\" NCHAR(3),\n" +
			"  \"age\" INTEGER,\n  \"tiny\" TINYINT,\n  \"counter\" DECIMAL(20,0),\n  \"balance\" DECIMAL(12,2),\n  \"score\" FLOAT8,\n  \"ratio\" FLOAT8,\n  \"single\" FLOAT4,\n" +
			"  \"active\" BOOLEAN,\n  \"birth\" ANSIDATE,\n  \"wake\" TIME(6) WITHOUT TIME ZONE,\n  \"created\" TIMESTAMP(6) WITHOUT TIME ZONE,\n  \"updated\" TIMESTAMP(6) WITH TIME ZONE,\n  \"avatar\" VARBYTE(16),\n" +
			"  \"payload\" VARBYTE(32000),\n  \"prefs\" NVARCHAR(16000),\n  \"seen\" TIMESTAMP(6) WITHOUT TIME ZONE,\n  \"we\"\"ird\" NVARCHAR(16000),\n  PRIMARY KEY (\"id\")\n)",
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			d := dialect.MustGet(name)
			got, err := CreateTableSQL(d, "shop.users", typedSchema, []string{"ID"})
			if err != nil {
				t.Fatal(err)
			}
			if got != w {
				t.Errorf("got\n%s\nwant\n%s", got, w)
			}
			// The dialect reads its own types back as the fields' kinds:
			// the loader converts values to what the created table holds.
			cts, err := createdColumns(d.(dialect.TableCreator), typedSchema, []string{"id"})
			if err != nil {
				t.Fatal(err)
			}
			for i, ct := range cts {
				f := typedSchema.Fields[i]
				k := ct.typ.Kind
				if k == rows.KindAny && name == dialect.SQLite && f.Kind == rows.KindBytes {
					continue // SQLite BLOB: any value as it is
				}
				if k != f.Kind {
					t.Errorf("%s: created %s reads back as %s, field is %s", f.Name, ct.typ, k, f.Kind)
				}
				if f.Kind == rows.KindDecimal && (ct.typ.Precision != f.Precision || ct.typ.Scale != f.Scale) {
					t.Errorf("%s: created %s, field DECIMAL(%d,%d)", f.Name, ct.typ, f.Precision, f.Scale)
				}
			}
		})
	}
}

func TestCreateTableSQLErrors(t *testing.T) {
	d := dialect.MustGet(dialect.Postgres)
	for _, c := range []struct {
		schema *rows.Schema
		keys   []string
		want   string
	}{
		{typedSchema, []string{"nope"}, `key "nope" is not a field`},
		{&rows.Schema{}, nil, "no fields"},
		{&rows.Schema{Fields: []rows.Field{{Name: "l", Kind: rows.KindList}}}, nil, `field "l" (list): no column type`},
		{&rows.Schema{Fields: []rows.Field{{Name: "a", Kind: rows.KindAny}}}, nil, `field "a" (any): no column type`},
	} {
		_, err := CreateTableSQL(d, "t", c.schema, c.keys)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.schema.Names(), err, c.want)
		}
	}
	// Precision beyond the server's.
	big := &rows.Schema{Fields: []rows.Field{{Name: "x", Kind: rows.KindDecimal, Precision: 50, Scale: 2, SourceType: "NUMERIC(50,2)"}}}
	if _, err := CreateTableSQL(dialect.MustGet(dialect.SQLServer), "t", big, nil); err == nil || !strings.Contains(err.Error(), "largest precision 38") {
		t.Errorf("DECIMAL(50,2) on SQL Server: %v", err)
	}
	if got, err := CreateTableSQL(d, "t", big, nil); err != nil || !strings.Contains(got, "NUMERIC(50,2)") {
		t.Errorf("DECIMAL(50,2) on PostgreSQL: %s %v", got, err)
	}
}

// TestAddColumnSQL: T-SQL has no COLUMN keyword.
func TestAddColumnSQL(t *testing.T) {
	for name, want := range map[string]string{
		dialect.MySQL:      "ALTER TABLE `t` ADD COLUMN `c` INT",
		dialect.Postgres:   `ALTER TABLE "t" ADD COLUMN "c" INT`,
		dialect.SQLServer:  "ALTER TABLE [t] ADD [c] INT",
		dialect.SQLite:     `ALTER TABLE "t" ADD COLUMN "c" INT`,
		dialect.Vectorwise: `ALTER TABLE "t" ADD COLUMN "c" INT`,
	} {
		d := dialect.MustGet(name).(dialect.TableCreator)
		if got := d.AddColumnSQL("t", d.QuoteIdent("c")+" INT"); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

// TestKeyColumnTypes: text and binary keys get indexable types on MySQL
// and SQL Server.
func TestKeyColumnTypes(t *testing.T) {
	in := &rows.Schema{Fields: []rows.Field{
		{Name: "k", Kind: rows.KindString, SourceType: "TEXT"},
		{Name: "b", Kind: rows.KindBytes, SourceType: "BLOB"},
		{Name: "v", Kind: rows.KindString, SourceType: "TEXT", Nullable: true},
	}}
	for name, want := range map[string]string{
		dialect.MySQL:     "CREATE TABLE `t` (\n  `k` VARCHAR(255) NOT NULL,\n  `b` VARBINARY(255) NOT NULL,\n  `v` LONGTEXT NULL,\n  PRIMARY KEY (`k`, `b`)\n)",
		dialect.SQLServer: "CREATE TABLE [t] (\n  [k] NVARCHAR(450) NOT NULL,\n  [b] VARBINARY(900) NOT NULL,\n  [v] NVARCHAR(MAX),\n  PRIMARY KEY ([k], [b])\n)",
		dialect.Postgres:  "CREATE TABLE \"t\" (\n  \"k\" TEXT NOT NULL,\n  \"b\" BYTEA NOT NULL,\n  \"v\" TEXT,\n  PRIMARY KEY (\"k\", \"b\")\n)",
	} {
		got, err := CreateTableSQL(dialect.MustGet(name), "t", in, []string{"k", "b"})
		if err != nil || got != want {
			t.Errorf("%s: %v\n%s\nwant\n%s", name, err, got, want)
		}
		cts, err := createdColumns(dialect.MustGet(name).(dialect.TableCreator), in, []string{"k", "b"})
		if err != nil || cts[0].typ.Kind != rows.KindString || cts[1].typ.Kind != rows.KindBytes {
			t.Errorf("%s: created columns %v %v", name, cts, err)
		}
	}
}

// FuzzFieldType: any source type name a row file carries maps, on every
// dialect, to a column type that the dialect reads back as the field's
// kind (or an error), never a panic.
func FuzzFieldType(f *testing.F) {
	for _, fl := range typedSchema.Fields {
		f.Add(fl.SourceType, uint8(fl.Kind), fl.Precision, fl.Scale)
	}
	f.Add("DECIMAL(1000000,3)", uint8(rows.KindDecimal), 0, 0)
	f.Add("VARCHAR(-5) UNSIGNED", uint8(rows.KindString), 0, 0)
	f.Add("TIMESTAMP(99", uint8(rows.KindTimestampTZ), 99, 0)
	f.Fuzz(func(t *testing.T, src string, kind uint8, precision, scale int) {
		k := rows.Kind(kind % 11)
		if k == rows.KindNull {
			k = rows.KindAny
		}
		field := rows.Field{Name: "c", Kind: k, SourceType: src, Precision: precision, Scale: scale}
		for _, d := range dialect.All() {
			tc := d.(dialect.TableCreator)
			ft := dialect.FieldType(field)
			typ, err := tc.ColumnType(ft)
			if err != nil {
				continue
			}
			back := d.Classify(typ, -1, -1, -1)
			if back.Kind != ft.Kind && !(back.Kind == rows.KindAny && d.Name() == dialect.SQLite) {
				t.Errorf("%s: field %+v → %s reads back as %s, field type is %s", d.Name(), field, typ, back.Kind, ft.Kind)
			}
			if ft.Kind == rows.KindDecimal && ft.Precision > 0 && (back.Precision != ft.Precision || back.Scale != max(ft.Scale, 0)) {
				t.Errorf("%s: field %+v → %s reads back as %s", d.Name(), field, typ, back)
			}
			timeKind := ft.Kind == rows.KindTime || ft.Kind == rows.KindTimestamp || ft.Kind == rows.KindTimestampTZ
			if timeKind && d.Name() != dialect.SQLite && back.Scale != ft.Scale {
				t.Errorf("%s: field %+v → %s has %d fractional digits, want %d", d.Name(), field, typ, back.Scale, ft.Scale)
			}
		}
	})
}
