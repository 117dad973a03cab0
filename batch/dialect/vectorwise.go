package dialect

import (
	"github.com/sluicehq/sluice/internal/jdbcurl"
	_ "github.com/sluicehq/sluice/internal/odbc" // registers driver "odbc" (unixODBC, loaded at run time)
	"github.com/sluicehq/sluice/internal/rows"
)

// Vectorwise is Actian Vectorwise (Vector, Ingres), through the system's
// ODBC driver manager and Actian's ODBC driver.
const Vectorwise = "vectorwise"

type vectorwiseDialect struct{ Base }

func init() {
	Register(&vectorwiseDialect{Base{
		name: Vectorwise,
		info: Info{
			Aliases: []string{"ingres", "actian"}, Kestra: "vectorwise", Title: "Actian Vectorwise (Vector) through ODBC", Driver: "odbc",
			QueryExample: "url: jdbc:vectorwise://vw.example.com:VW7/sales\nusername: actian\npassword: \"{{ secret('VW_PASSWORD') }}\"\nsql: select * from orders\nstore: true",
			BatchExample: "url: jdbc:vectorwise://vw.example.com:VW7/sales\nusername: actian\npassword: \"{{ secret('VW_PASSWORD') }}\"\nfrom: \"{{ outputs.query.uri }}\"\ntable: orders",
		},
		parse: jdbcurl.ParseVectorwise,
		open:  '"', close: '"', placeholder: question,
		// One row per INSERT; parameter arrays carry the rows instead.
		limits: Limits{MaxParams: 1024, MaxRowsPerInsert: 1},
		// Declared global temporary tables live in the SESSION schema.
		sessionSchema: "session",
		transient:     []string{"40001"},
	}})
}

// Connects through ODBC: ODBC task properties, parameter-array loads.
var _ ODBC = (*vectorwiseDialect)(nil)

func (d *vectorwiseDialect) ODBC() {}

func (d *vectorwiseDialect) Classify(name string, precision, scale, length int64) Type {
	t, c := classify(name, precision, scale, length)
	if c.base == "FLOAT" {
		t.Float32 = c.precision > 0 && c.precision <= 24 // FLOAT(n<=24) is FLOAT4
	}
	return t
}

func (d *vectorwiseDialect) CreateStageSQL(stage, target string, cols []string) []string {
	return []string{"DECLARE GLOBAL TEMPORARY TABLE " + d.quoteStage(stage) + " AS SELECT " + d.quoteList(cols) + " FROM " + d.QuoteTable(target) +
		" WHERE 1=0 ON COMMIT PRESERVE ROWS WITH NORECOVERY"}
}

func (d *vectorwiseDialect) DropStageSQL(stage string) string {
	return "DROP TABLE " + d.quoteStage(stage)
}

// ApplyStageSQL: Vectorwise has UPDATE … FROM but no upsert statement.
func (d *vectorwiseDialect) ApplyStageSQL(mode Mode, target, stage string, cols, keys []string) ([]string, error) {
	p, err := d.plan(mode, target, stage, cols, keys)
	if err != nil {
		return nil, err
	}
	if mode == Replace {
		return p.replace(), nil
	}
	var out []string
	if len(p.rest) > 0 {
		same := func(c string) string { return c }
		out = append(out, "UPDATE "+p.target+" FROM "+p.stage+" s SET "+
			p.set(same, func(c string) string { return "s." + c })+" WHERE "+p.on(p.target, "s"))
	}
	return append(out, p.insertAll()+" s WHERE NOT EXISTS (SELECT 1 FROM "+p.target+" WHERE "+p.on(p.target, "s")+")"), nil
}

func (d *vectorwiseDialect) PrimaryKeySQL(table string) (string, []any) {
	name, _ := splitTable(table)
	return "SELECT column_name FROM iicolumns WHERE table_name = ? AND key_sequence > 0 ORDER BY key_sequence", []any{name}
}

// Creating tables (batch/createtable.go). Vectorwise (Ingres) runs DDL
// inside transactions, but sluice has not tested a rollback of it there:
// the table is created and committed before the load.
var _ TableCreator = (*vectorwiseDialect)(nil)

func (d *vectorwiseDialect) TransactionalDDL() bool { return false }

func (d *vectorwiseDialect) TableExistsSQL(table string) (string, []any) {
	name, _ := splitTable(table)
	return "SELECT count(*) FROM iitables WHERE table_name = ?", []any{name}
}

// ColumnType: Vector tables have no LONG NVARCHAR or LONG BYTE, so text
// and binary of unknown length take the largest NVARCHAR (16000
// characters) and VARBYTE (32000 bytes); ANSIDATE is the standard DATE (Ingres' DATE may be INGRESDATE).
func (d *vectorwiseDialect) ColumnType(t Type) (string, error) {
	switch t.Kind {
	case rows.KindBool:
		return "BOOLEAN", nil
	case rows.KindInt:
		return signedIntType(t, intFit{8, "TINYINT"}, intFit{16, "SMALLINT"}, intFit{32, "INTEGER"}), nil
	case rows.KindDecimal:
		return decimalType("DECIMAL", t, 38, "", 18)
	case rows.KindFloat:
		if t.Float32 {
			return "FLOAT4", nil
		}
		return "FLOAT8", nil
	case rows.KindString:
		switch {
		case fixedLength(t) && t.Length <= 32000:
			return sized("NCHAR", t.Length), nil
		case t.Length > 0 && t.Length <= 16000:
			return sized("NVARCHAR", t.Length), nil
		}
		return "NVARCHAR(16000)", nil
	case rows.KindBytes:
		switch {
		case fixedLength(t) && t.Length <= 32000:
			return sized("BYTE", t.Length), nil
		case t.Length > 0 && t.Length <= 32000:
			return sized("VARBYTE", t.Length), nil
		}
		return "VARBYTE(32000)", nil
	case rows.KindDate:
		return "ANSIDATE", nil
	case rows.KindTime:
		return sized("TIME", t.Scale) + " WITHOUT TIME ZONE", nil
	case rows.KindTimestamp:
		return sized("TIMESTAMP", t.Scale) + " WITHOUT TIME ZONE", nil
	case rows.KindTimestampTZ:
		return sized("TIMESTAMP", t.Scale) + " WITH TIME ZONE", nil
	}
	return "", unsupportedKind(t)
}
