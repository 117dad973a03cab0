package dialect

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	mssql "github.com/microsoft/go-mssqldb" // also registers driver "sqlserver"

	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/rows"
)

// SQLServer is Microsoft SQL Server and Azure SQL (and Babelfish for
// PostgreSQL), through go-mssqldb.
const SQLServer = "sqlserver"

type sqlserverDialect struct{ Base }

func init() {
	Register(&sqlserverDialect{Base{
		name: SQLServer,
		info: Info{
			Aliases: []string{"mssql"}, Kestra: "sqlserver", Title: "Microsoft SQL Server or Azure SQL", Driver: "sqlserver",
			QueryExample: "url: jdbc:sqlserver://localhost:1433;databaseName=shop;trustServerCertificate=true\nusername: sa\npassword: \"{{ secret('MSSQL_PASSWORD') }}\"\nsql: select * from users\nstore: true",
			BatchExample: "url: jdbc:sqlserver://localhost:1433;databaseName=shop;trustServerCertificate=true\nusername: sa\npassword: \"{{ secret('MSSQL_PASSWORD') }}\"\nfrom: \"{{ outputs.query.uri }}\"\nsql: insert into users values (?, ?, ?)",
		},
		parse: jdbcurl.ParseSQLServer,
		open:  '[', close: ']',
		placeholder: func(i int) string { return "@p" + strconv.Itoa(i) },
		// 2100 parameters per RPC call, two of which the call itself
		// takes; a table value constructor takes at most 1000 rows.
		limits: Limits{MaxParams: 2098, MaxRowsPerInsert: 1000},
		lex:    lexical{brackets: true},
		// go-mssqldb sends an untyped nil as TDS type NULL (0x1F):
		// Babelfish refuses it ("Data type 0x1F is unknown") and SQL
		// Server reads it as NVARCHAR, which it refuses to convert to
		// VARBINARY.
		binding: Binding{Null: sqlserverNull},
		transient: []string{
			"1205",  // chosen as deadlock victim
			"1222",  // lock request time out period exceeded (SET LOCK_TIMEOUT)
			"40001", // SQLSTATE serialization failure (through ODBC)
			"40613", // Azure SQL: database not currently available
			"40501", // Azure SQL: service busy
			"40197", // Azure SQL: error processing the request (failover)
			"49918", // Azure SQL: not enough resources
			"49919", // Azure SQL: too many create/update operations
			"49920", // Azure SQL: too many operations
			"10928", // Azure SQL: resource limit reached
			"10929", // Azure SQL: resource limit reached
		},
	}})
}

// sqlserverNull is a NULL typed as the column: Babelfish converts neither
// an untyped NULL nor an NVARCHAR one into every type.
func sqlserverNull(k rows.Kind) any {
	switch k {
	case rows.KindBytes:
		return []byte(nil)
	case rows.KindInt:
		return sql.NullInt64{}
	case rows.KindFloat:
		return sql.NullFloat64{}
	case rows.KindBool:
		return sql.NullBool{}
	case rows.KindDate:
		return mssql.NullDate{}
	case rows.KindTime:
		return mssql.NullTime{}
	case rows.KindTimestamp:
		return mssql.NullDateTime{}
	case rows.KindTimestampTZ:
		return sql.NullTime{} // DATETIMEOFFSET
	}
	return sql.NullString{}
}

// Bulk copy (go-mssqldb CopyIn).
var _ BulkCopier = (*sqlserverDialect)(nil)

// BulkCopyRefusal: Babelfish (4.2) reads the bulk-load value of a DECIMAL
// or NUMERIC column of precision below 29 wrongly and stores another
// number without an error (DECIMAL(12,2) 12.5 arrives as
// 46670262506485165600.98): such loads take multi-row INSERTs there. Real
// SQL Server has no such limit; SERVERPROPERTY('Babelfish') is NULL on it.
func (d *sqlserverDialect) BulkCopyRefusal(ctx context.Context, conn *sql.Conn, names []string, types []Type) (string, error) {
	var small []string
	for i, t := range types {
		if (t.Name == "DECIMAL" || t.Name == "NUMERIC") && t.Precision > 0 && t.Precision < 29 {
			small = append(small, names[i]+" "+t.String())
		}
	}
	if len(small) == 0 {
		return "", nil
	}
	var babelfish sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT CAST(SERVERPROPERTY('Babelfish') AS int)").Scan(&babelfish); err != nil {
		return "", err
	}
	if babelfish.Valid && babelfish.Int64 == 1 {
		return "Babelfish misreads bulk-loaded DECIMAL/NUMERIC of precision below 29 (" + strings.Join(small, ", ") + ")", nil
	}
	return "", nil
}

func (d *sqlserverDialect) Classify(name string, precision, scale, length int64) Type {
	t, c := classify(name, precision, scale, length)
	switch c.base {
	case "TINYINT":
		t.Unsigned = true // 0..255
	case "FLOAT":
		t.Float32 = c.precision > 0 && c.precision <= 24 // FLOAT(n<=24) is REAL
	case "TIMESTAMP":
		// SQL Server's TIMESTAMP is ROWVERSION, 8 bytes.
		t.Kind, t.Scale = rows.KindBytes, -1
	}
	timeDefault(&t, func(base string) int {
		switch base {
		case "DATETIME":
			return 3
		case "SMALLDATETIME":
			return 0
		}
		return 7 // DATETIME2, TIME, DATETIMEOFFSET
	})
	return t
}

func (d *sqlserverDialect) SelectNoRowsSQL(table string, cols []string) string {
	return "SELECT TOP 0 " + d.selectList(cols) + " FROM " + d.QuoteTable(table)
}

// StageName is a #temp table: private to the session, dropped with it.
func (d *sqlserverDialect) StageName(target string) string {
	return "#" + d.Base.StageName(target)
}

func (d *sqlserverDialect) dropStage(stage string) string {
	return "IF OBJECT_ID('tempdb.." + strings.ReplaceAll(stage, "'", "''") + "') IS NOT NULL DROP TABLE " + d.quoteStage(stage)
}

func (d *sqlserverDialect) CreateStageSQL(stage, target string, cols []string) []string {
	list, s, t := d.quoteList(cols), d.quoteStage(stage), d.QuoteTable(target)
	// SELECT INTO copies the IDENTITY property of a column, which would
	// reject explicit values; a UNION ALL drops it.
	return []string{d.dropStage(stage),
		"SELECT " + list + " INTO " + s + " FROM " + t + " WHERE 1=0 UNION ALL SELECT " + list + " FROM " + t + " WHERE 1=0"}
}

func (d *sqlserverDialect) DropStageSQL(stage string) string { return d.dropStage(stage) }

// ApplyStageSQL merges without MERGE: an UPDATE from the staged rows, then
// an INSERT of the keys still missing, run in the load's transaction. MERGE
// has a long list of concurrency and correctness bugs on SQL Server and
// Babelfish refuses it. UPDLOCK + SERIALIZABLE on the target make the pair
// atomic against concurrent writers: the key ranges read are locked until
// commit, so no other session can insert a key between the UPDATE's and the
// INSERT's look at it (the "upsert race" plain READ COMMITTED allows).
func (d *sqlserverDialect) ApplyStageSQL(mode Mode, target, stage string, cols, keys []string) ([]string, error) {
	p, err := d.plan(mode, target, stage, cols, keys)
	if err != nil {
		return nil, err
	}
	if mode == Replace {
		return p.replace(), nil
	}
	const hints = " WITH (UPDLOCK, SERIALIZABLE)"
	var out []string
	if len(p.rest) > 0 {
		same := func(c string) string { return c }
		out = append(out, "UPDATE t SET "+p.set(same, func(c string) string { return "s." + c })+
			" FROM "+p.target+" AS t"+hints+" INNER JOIN "+p.stage+" AS s ON "+p.on("t", "s"))
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = "s." + d.QuoteIdent(c)
	}
	out = append(out, "INSERT INTO "+p.target+" ("+p.list+") SELECT "+strings.Join(sel, ", ")+" FROM "+p.stage+" AS s"+
		" WHERE NOT EXISTS (SELECT 1 FROM "+p.target+" AS t"+hints+" WHERE "+p.on("t", "s")+")")
	return out, nil
}

func (d *sqlserverDialect) PrimaryKeySQL(table string) (string, []any) {
	return "SELECT c.name FROM sys.indexes i JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id " +
		"JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id " +
		"WHERE i.is_primary_key = 1 AND i.object_id = OBJECT_ID(@p1) ORDER BY ic.key_ordinal", []any{d.QuoteTable(table)}
}

func (d *sqlserverDialect) ErrorCodes(err error) []string {
	var ms interface{ SQLErrorNumber() int32 }
	if errors.As(err, &ms) {
		return []string{strconv.Itoa(int(ms.SQLErrorNumber()))}
	}
	return nil
}

// Creating tables (batch/createtable.go): SQL Server's DDL is
// transactional, so the table is created (and with recreate dropped) in
// the load's own transaction.
var _ TableCreator = (*sqlserverDialect)(nil)

func (d *sqlserverDialect) TransactionalDDL() bool { return true }

func (d *sqlserverDialect) TableExistsSQL(table string) (string, []any) {
	return "SELECT CASE WHEN OBJECT_ID(@p1) IS NULL THEN 0 ELSE 1 END", []any{d.QuoteTable(table)}
}

// AddColumnSQL: T-SQL's ALTER TABLE … ADD has no COLUMN keyword.
func (d *sqlserverDialect) AddColumnSQL(table, def string) string {
	return "ALTER TABLE " + d.QuoteTable(table) + " ADD " + def
}

// ColumnType: NVARCHAR for text (Unicode whatever the collation), MAX
// beyond 4000 characters or when the length is unknown; DATETIME2 and
// DATETIMEOFFSET with the source's fractional digits; unsigned integers
// widen (TINYINT is 0..255 already).
func (d *sqlserverDialect) ColumnType(t Type) (string, error) {
	switch t.Kind {
	case rows.KindBool:
		return "BIT", nil
	case rows.KindInt:
		switch {
		case t.Bits == 8 && t.Unsigned:
			return "TINYINT", nil
		case t.Bits == 8 || t.Bits == 16 && !t.Unsigned:
			return "SMALLINT", nil
		case t.Bits > 0 && t.Bits <= 32 && !(t.Bits == 32 && t.Unsigned):
			return "INT", nil
		}
		return "BIGINT", nil
	case rows.KindDecimal:
		return decimalType("DECIMAL", t, 38, "", 18)
	case rows.KindFloat:
		if t.Float32 {
			return "REAL", nil
		}
		return "FLOAT", nil
	case rows.KindString:
		switch {
		case fixedLength(t) && t.Length <= 4000:
			return sized("NCHAR", t.Length), nil
		case !t.JSON && t.Length > 0 && t.Length <= 4000:
			return sized("NVARCHAR", t.Length), nil
		}
		return "NVARCHAR(MAX)", nil
	case rows.KindBytes:
		switch {
		case fixedLength(t) && t.Length <= 8000:
			return sized("BINARY", t.Length), nil
		case t.Length > 0 && t.Length <= 8000:
			return sized("VARBINARY", t.Length), nil
		}
		return "VARBINARY(MAX)", nil
	case rows.KindDate:
		return "DATE", nil
	case rows.KindTime:
		return sized("TIME", t.Scale), nil
	case rows.KindTimestamp:
		return sized("DATETIME2", t.Scale), nil
	case rows.KindTimestampTZ:
		return sized("DATETIMEOFFSET", t.Scale), nil
	}
	return "", unsupportedKind(t)
}

var _ KeyTypes = (*sqlserverDialect)(nil)

// KeyColumnType: an index key is at most 900 bytes, and (MAX) types are
// not indexable: key text is NVARCHAR(450) at most, binary VARBINARY(900).
func (d *sqlserverDialect) KeyColumnType(t Type) (string, error) {
	switch {
	case t.Kind == rows.KindString && (t.JSON || t.Length <= 0 || t.Length > 450):
		return "NVARCHAR(450)", nil
	case t.Kind == rows.KindBytes && (t.Length <= 0 || t.Length > 900):
		return "VARBINARY(900)", nil
	}
	return d.ColumnType(t)
}
