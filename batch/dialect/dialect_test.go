package dialect

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		d, in, ident, table string
	}{
		{MySQL, "we`ird", "`we``ird`", "`we``ird`"},
		{MySQL, "db.users", "`db.users`", "`db`.`users`"},
		{Postgres, `a"b`, `"a""b"`, `"a""b"`},
		{Postgres, `public."Mixed.Case"`, `"public.""Mixed.Case"""`, `"public"."Mixed.Case"`},
		{SQLServer, "dbo.order]s", "[dbo.order]]s]", "[dbo].[order]]s]"},
		{SQLServer, "[my schema].[t]", "[[my schema]].[t]]]", "[my schema].[t]"},
		{SQLite, "main.t", `"main.t"`, `"main"."t"`},
		{Vectorwise, "actian.sales", `"actian.sales"`, `"actian"."sales"`},
	}
	for _, tt := range tests {
		d := MustGet(tt.d)
		if got := d.QuoteIdent(tt.in); got != tt.ident {
			t.Errorf("%s QuoteIdent(%q) = %s, want %s", tt.d, tt.in, got, tt.ident)
		}
		if got := d.QuoteTable(tt.in); got != tt.table {
			t.Errorf("%s QuoteTable(%q) = %s, want %s", tt.d, tt.in, got, tt.table)
		}
	}
}

func TestRebindAndCount(t *testing.T) {
	tests := []struct {
		d, in, out string
		n          int
	}{
		{Postgres, "insert into t values (?, '?', \"?\", ?) -- ?\n", "insert into t values ($1, '?', \"?\", $2) -- ?\n", 2},
		{Postgres, "select $$ ? $$, $tag$ ?$tag$, ? /* ? */", "select $$ ? $$, $tag$ ?$tag$, $1 /* ? */", 1},
		{Postgres, "select 'it''s ?', ?", "select 'it''s ?', $1", 1},
		{SQLServer, "insert into [a?] values (?,?)", "insert into [a?] values (@p1,@p2)", 2},
		{MySQL, "insert into `?` values (?, 'a\\'?', ?) # ?", "insert into `?` values (?, 'a\\'?', ?) # ?", 2},
		{SQLite, "select ?", "select ?", 1},
	}
	for _, tt := range tests {
		d := MustGet(tt.d)
		if got := d.Rebind(tt.in); got != tt.out {
			t.Errorf("%s Rebind(%q) = %q, want %q", tt.d, tt.in, got, tt.out)
		}
		if got := d.CountParams(tt.in); got != tt.n {
			t.Errorf("%s CountParams(%q) = %d, want %d", tt.d, tt.in, got, tt.n)
		}
	}
}

func TestParsePlainInsert(t *testing.T) {
	seed := "insert into users values( ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? )"
	tests := []struct {
		d, sql string
		ok     bool
		want   PlainInsert
	}{
		{SQLServer, seed, true, PlainInsert{Table: "users", Params: 23}},
		{MySQL, "INSERT INTO `db`.`t` (`a`, b) VALUES (?, ?);", true, PlainInsert{Table: "`db`.`t`", Columns: []string{"a", "b"}, Params: 2}},
		{Postgres, `insert into "S"."T" ("x y") values (?)`, true, PlainInsert{Table: `"S"."T"`, Columns: []string{"x y"}, Params: 1}},
		{SQLServer, "insert into [dbo].[t] ([a]) values (?)", true, PlainInsert{Table: "[dbo].[t]", Columns: []string{"a"}, Params: 1}},
		{Postgres, "insert into t values (?, now())", false, PlainInsert{}},
		{Postgres, "insert into t values (?, ?) on conflict do nothing", false, PlainInsert{}},
		{Postgres, "insert into t (a, b) values (?)", false, PlainInsert{}},
		{Postgres, "insert into t values (?), (?)", false, PlainInsert{}},
		{Postgres, "update t set a = ?", false, PlainInsert{}},
		{Postgres, "insert into t select ?", false, PlainInsert{}},
		{Postgres, "insert into t values ('x', ?)", false, PlainInsert{}},
	}
	for _, tt := range tests {
		got, ok := MustGet(tt.d).ParsePlainInsert(tt.sql)
		if ok != tt.ok || (ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("%s ParsePlainInsert(%q) = %+v, %v; want %+v, %v", tt.d, tt.sql, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRowsPerInsert(t *testing.T) {
	tests := []struct {
		d           string
		ncols, want int
		rows        int
	}{
		// SQL Server: 2100 parameters per RPC (2098 usable), 1000 rows per VALUES.
		{SQLServer, 30, 1000, 69},
		{SQLServer, 10, 1000, 209},
		{SQLServer, 1, 5000, 1000},
		{SQLServer, 23, 1000, 91},
		{SQLServer, 2100, 1000, 1},
		{SQLServer, 3000, 1000, 1},
		{SQLite, 10, 5000, 3276},
		{SQLite, 30, 1000, 1000},
		{Postgres, 10, 100000, 6553},
		{MySQL, 7, 100000, 9362},
		{Vectorwise, 10, 1000, 1},
	}
	for _, tt := range tests {
		d := MustGet(tt.d)
		got := d.RowsPerInsert(tt.ncols, tt.want)
		if got != tt.rows {
			t.Errorf("%s RowsPerInsert(%d cols, %d) = %d, want %d", tt.d, tt.ncols, tt.want, got, tt.rows)
		}
		if tt.ncols <= d.Limits().MaxParams && got*tt.ncols > d.Limits().MaxParams {
			t.Errorf("%s: %d rows × %d cols exceeds %d parameters", tt.d, got, tt.ncols, d.Limits().MaxParams)
		}
	}
}

func TestInsertSQL(t *testing.T) {
	got := MustGet(SQLServer).InsertSQL("dbo.t", []string{"a", "b"}, 2)
	if want := "INSERT INTO [dbo].[t] ([a], [b]) VALUES (@p1, @p2), (@p3, @p4)"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	got = MustGet(Postgres).InsertSQL("t", []string{"a"}, 3)
	if want := `INSERT INTO "t" ("a") VALUES ($1), ($2), ($3)`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	// 30 columns × 69 rows = 2070 parameters, the last one @p2070.
	cols := make([]string, 30)
	for i := range cols {
		cols[i] = "c" + string(rune('a'+i%26)) + string(rune('0'+i/26))
	}
	d := MustGet(SQLServer)
	n := d.RowsPerInsert(len(cols), 1000)
	sql := d.InsertSQL("wide", cols, n)
	if !strings.HasSuffix(sql, "@p2070)") || strings.Contains(sql, "@p2071") {
		t.Errorf("30-column insert ends %q", sql[len(sql)-20:])
	}
}

func TestStageAndMergeSQL(t *testing.T) {
	cols, keys := []string{"id", "name", "amount"}, []string{"id"}
	tests := []struct {
		d      string
		mode   Mode
		create []string
		apply  []string
	}{
		{SQLServer, Merge,
			[]string{"IF OBJECT_ID('tempdb..#sluice_stage_users') IS NOT NULL DROP TABLE [#sluice_stage_users]",
				"SELECT [id], [name], [amount] INTO [#sluice_stage_users] FROM [dbo].[users] WHERE 1=0 UNION ALL SELECT [id], [name], [amount] FROM [dbo].[users] WHERE 1=0"},
			[]string{"UPDATE t SET [name] = s.[name], [amount] = s.[amount] FROM [dbo].[users] AS t WITH (UPDLOCK, SERIALIZABLE) INNER JOIN [#sluice_stage_users] AS s ON t.[id] = s.[id]",
				"INSERT INTO [dbo].[users] ([id], [name], [amount]) SELECT s.[id], s.[name], s.[amount] FROM [#sluice_stage_users] AS s WHERE NOT EXISTS (SELECT 1 FROM [dbo].[users] AS t WITH (UPDLOCK, SERIALIZABLE) WHERE t.[id] = s.[id])"}},
		{MySQL, Merge,
			[]string{"DROP TEMPORARY TABLE IF EXISTS `sluice_stage_users`",
				"CREATE TEMPORARY TABLE `sluice_stage_users` AS SELECT `id`, `name`, `amount` FROM `dbo`.`users` WHERE 1=0"},
			[]string{"INSERT INTO `dbo`.`users` (`id`, `name`, `amount`) SELECT `id`, `name`, `amount` FROM `sluice_stage_users` ON DUPLICATE KEY UPDATE `name` = VALUES(`name`), `amount` = VALUES(`amount`)"}},
		{Postgres, Merge,
			[]string{`DROP TABLE IF EXISTS pg_temp."sluice_stage_users"`,
				`CREATE TEMPORARY TABLE "sluice_stage_users" AS SELECT "id", "name", "amount" FROM "dbo"."users" WITH NO DATA`},
			[]string{`INSERT INTO "dbo"."users" ("id", "name", "amount") SELECT "id", "name", "amount" FROM "sluice_stage_users" WHERE true ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name", "amount" = excluded."amount"`}},
		{SQLite, Replace,
			[]string{`DROP TABLE IF EXISTS temp."sluice_stage_users"`,
				`CREATE TEMP TABLE "sluice_stage_users" AS SELECT "id", "name", "amount" FROM "dbo"."users" WHERE 0`},
			[]string{`DELETE FROM "dbo"."users" WHERE EXISTS (SELECT 1 FROM "sluice_stage_users" s WHERE "dbo"."users"."id" = s."id")`,
				`INSERT INTO "dbo"."users" ("id", "name", "amount") SELECT "id", "name", "amount" FROM "sluice_stage_users"`}},
		{Vectorwise, Merge,
			[]string{`DECLARE GLOBAL TEMPORARY TABLE session."sluice_stage_users" AS SELECT "id", "name", "amount" FROM "dbo"."users" WHERE 1=0 ON COMMIT PRESERVE ROWS WITH NORECOVERY`},
			[]string{`UPDATE "dbo"."users" FROM session."sluice_stage_users" s SET "name" = s."name", "amount" = s."amount" WHERE "dbo"."users"."id" = s."id"`,
				`INSERT INTO "dbo"."users" ("id", "name", "amount") SELECT "id", "name", "amount" FROM session."sluice_stage_users" s WHERE NOT EXISTS (SELECT 1 FROM "dbo"."users" WHERE "dbo"."users"."id" = s."id")`}},
		{MySQL, Replace, nil,
			[]string{"DELETE t FROM `dbo`.`users` t JOIN `sluice_stage_users` s ON t.`id` = s.`id`",
				"INSERT INTO `dbo`.`users` (`id`, `name`, `amount`) SELECT `id`, `name`, `amount` FROM `sluice_stage_users`"}},
	}
	for _, tt := range tests {
		d := MustGet(tt.d)
		stage := d.StageName("dbo.users")
		if tt.create != nil {
			if got := d.CreateStageSQL(stage, "dbo.users", cols); !reflect.DeepEqual(got, tt.create) {
				t.Errorf("%s create:\n got %q\nwant %q", tt.d, got, tt.create)
			}
		}
		got, err := d.ApplyStageSQL(tt.mode, "dbo.users", stage, cols, keys)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.apply) {
			t.Errorf("%s %s:\n got %q\nwant %q", tt.d, tt.mode, got, tt.apply)
		}
	}
	if _, err := MustGet(Postgres).ApplyStageSQL(Merge, "t", "s", cols, []string{"nope"}); err == nil {
		t.Error("unknown key column accepted")
	}
	if _, err := MustGet(Postgres).ApplyStageSQL(Merge, "t", "s", cols, nil); err == nil {
		t.Error("merge without keys accepted")
	}
	// Only keys: nothing to update.
	got, _ := MustGet(Postgres).ApplyStageSQL(Merge, "t", "s", []string{"id"}, keys)
	if !strings.HasSuffix(got[0], "DO NOTHING") {
		t.Errorf("keys-only merge: %s", got[0])
	}
}

func TestClassify(t *testing.T) {
	type c struct {
		d, name     string
		p, s, l     int64
		kind        rows.Kind
		str         string
		bits, scale int
	}
	tests := []c{
		{MySQL, "DECIMAL", 12, 2, -1, rows.KindDecimal, "DECIMAL(12,2)", 0, 2},
		{MySQL, "DATETIME", 6, 6, -1, rows.KindTimestamp, "DATETIME(6)", 0, 6},
		{MySQL, "DATETIME", 0, 0, -1, rows.KindTimestamp, "DATETIME", 0, 0},
		{MySQL, "TIMESTAMP", 0, 0, -1, rows.KindTimestampTZ, "TIMESTAMP", 0, 0},
		{MySQL, "UNSIGNED BIGINT", -1, -1, -1, rows.KindDecimal, "UNSIGNED BIGINT", 64, 0},
		{MySQL, "UNSIGNED INT", -1, -1, -1, rows.KindInt, "UNSIGNED INT", 32, -1},
		{MySQL, "TINYINT", -1, -1, 1, rows.KindBool, "TINYINT", 0, -1},
		{MySQL, "TINYINT", -1, -1, 4, rows.KindInt, "TINYINT", 8, -1},
		{MySQL, "BIT", -1, -1, 1, rows.KindBool, "BIT", 0, -1},
		{MySQL, "BIT", -1, -1, 12, rows.KindInt, "BIT", 12, -1},
		{MySQL, "VARBINARY", -1, -1, 16, rows.KindBytes, "VARBINARY(16)", 0, -1},
		{MySQL, "JSON", -1, -1, -1, rows.KindString, "JSON", 0, -1},
		{MySQL, "bigint(20) unsigned", -1, -1, -1, rows.KindDecimal, "UNSIGNED BIGINT", 64, 0},
		// MySQL information_schema COLUMN_TYPE spellings.
		{MySQL, "datetime(6)", -1, -1, -1, rows.KindTimestamp, "DATETIME(6)", 0, 6},
		{MySQL, "timestamp(3)", -1, -1, -1, rows.KindTimestampTZ, "TIMESTAMP(3)", 0, 3},
		{MySQL, "tinyint(1)", -1, -1, -1, rows.KindBool, "TINYINT", 0, -1},
		{MySQL, "tinyint(3) unsigned", -1, -1, -1, rows.KindInt, "UNSIGNED TINYINT", 8, -1},
		{MySQL, "bit(8)", -1, -1, -1, rows.KindInt, "BIT", 8, -1},
		{MySQL, "decimal(12,2)", -1, -1, -1, rows.KindDecimal, "DECIMAL(12,2)", 0, 2},
		{MySQL, "varchar(40)", -1, -1, -1, rows.KindString, "VARCHAR(40)", 0, -1},
		{MySQL, "enum('a','b')", -1, -1, -1, rows.KindString, "ENUM", 0, -1},
		{SQLServer, "DATETIME2", 27, 7, -1, rows.KindTimestamp, "DATETIME2(7)", 0, 7},
		{SQLServer, "DATETIMEOFFSET", 34, 7, -1, rows.KindTimestampTZ, "DATETIMEOFFSET(7)", 0, 7},
		{SQLServer, "BIT", -1, -1, -1, rows.KindBool, "BIT", 0, -1},
		{SQLServer, "DECIMAL", 38, 10, -1, rows.KindDecimal, "DECIMAL(38,10)", 0, 10},
		{SQLServer, "NVARCHAR", -1, -1, 0, rows.KindString, "NVARCHAR", 0, -1},
		{SQLServer, "NVARCHAR(MAX)", -1, -1, -1, rows.KindString, "NVARCHAR", 0, -1},
		{SQLServer, "VARBINARY", -1, -1, 16, rows.KindBytes, "VARBINARY(16)", 0, -1},
		{SQLServer, "TINYINT", -1, -1, -1, rows.KindInt, "TINYINT", 8, -1},
		{SQLServer, "TIMESTAMP", -1, -1, -1, rows.KindBytes, "TIMESTAMP", 0, -1},
		{SQLServer, "DATETIME", -1, -1, -1, rows.KindTimestamp, "DATETIME(3)", 0, 3},
		{SQLServer, "MONEY", -1, -1, -1, rows.KindDecimal, "MONEY(19,4)", 0, 4},
		{SQLServer, "UNIQUEIDENTIFIER", -1, -1, -1, rows.KindString, "UNIQUEIDENTIFIER", 0, -1},
		{Postgres, "TIMESTAMPTZ", -1, -1, -1, rows.KindTimestampTZ, "TIMESTAMPTZ(6)", 0, 6},
		{Postgres, "NUMERIC", 1 << 62, 1 << 62, -1, rows.KindDecimal, "NUMERIC", 0, -1},
		{Postgres, "INT8", -1, -1, -1, rows.KindInt, "INT8", 64, -1},
		{Postgres, "BOOL", -1, -1, -1, rows.KindBool, "BOOL", 0, -1},
		{Postgres, "JSONB", -1, -1, -1, rows.KindString, "JSONB", 0, -1},
		{Postgres, "BYTEA", -1, -1, -1, rows.KindBytes, "BYTEA", 0, -1},
		{Postgres, "FLOAT4", -1, -1, -1, rows.KindFloat, "FLOAT4", 0, -1},
		{SQLite, "DECIMAL(12,2)", -1, -1, -1, rows.KindDecimal, "DECIMAL(12,2)", 0, 2},
		{SQLite, "VARCHAR(40)", -1, -1, -1, rows.KindString, "VARCHAR(40)", 0, -1},
		{SQLite, "UNSIGNED BIG INT", -1, -1, -1, rows.KindInt, "UNSIGNED BIG INT", 64, -1},
		{SQLite, "NVARCHAR2 STUFF", -1, -1, -1, rows.KindString, "NVARCHAR2 STUFF", 0, -1},
		{SQLite, "", -1, -1, -1, rows.KindAny, "", 0, -1},
		{SQLite, "INT", -1, -1, -1, rows.KindInt, "INT", 64, -1},
		{Vectorwise, "INTEGER8", -1, -1, -1, rows.KindInt, "INTEGER8", 64, -1},
		{Vectorwise, "ANSIDATE", -1, -1, -1, rows.KindDate, "ANSIDATE", 0, -1},
		{Vectorwise, "TIMESTAMP WITH TIME ZONE", -1, 6, -1, rows.KindTimestampTZ, "TIMESTAMP WITH TIME ZONE(6)", 0, 6},
		{Vectorwise, "FLOAT4", -1, -1, -1, rows.KindFloat, "FLOAT4", 0, -1},
		{Vectorwise, "BOOLEAN", -1, -1, -1, rows.KindBool, "BOOLEAN", 0, -1},
		{Vectorwise, "MONEY", -1, -1, -1, rows.KindDecimal, "MONEY(19,4)", 0, 4},
	}
	for _, tt := range tests {
		got := MustGet(tt.d).Classify(tt.name, tt.p, tt.s, tt.l)
		if got.Kind != tt.kind || got.String() != tt.str || got.Bits != tt.bits || got.Scale != tt.scale {
			t.Errorf("%s Classify(%q, %d, %d, %d) = %+v (%s), want kind %s %s bits %d scale %d",
				tt.d, tt.name, tt.p, tt.s, tt.l, got, got, tt.kind, tt.str, tt.bits, tt.scale)
		}
	}
}
