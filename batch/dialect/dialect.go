// Package dialect holds what differs between the SQL servers sluice reads
// and writes: identifier quoting, placeholders, parameter limits, the SQL
// of multi-row inserts, staging tables, upserts, and how each server names
// its column types. It generates SQL text only; it never talks to a server,
// so every statement it produces is unit-tested here.
package dialect

import (
	"fmt"
	"strconv"
	"strings"
)

// Dialect names.
const (
	MySQL      = "mysql"
	Postgres   = "postgres"
	SQLServer  = "sqlserver"
	SQLite     = "sqlite"
	Vectorwise = "vectorwise"
)

// Dialect describes one server family.
type Dialect struct {
	Name string
	// MaxParams is the largest number of bind parameters one statement may
	// carry: SQL Server 2100 (2098 usable: the RPC call itself takes two),
	// SQLite 32766 (SQLITE_MAX_VARIABLE_NUMBER since 3.32), PostgreSQL and
	// MySQL 65535 (16-bit counts in their protocols).
	MaxParams int
	// MaxRowsPerInsert caps the rows of one multi-row VALUES list (SQL
	// Server's table value constructor takes at most 1000); 0 = no cap.
	MaxRowsPerInsert int
	open, close      byte
	placeholder      func(i int) string
}

var dialects = map[string]*Dialect{
	MySQL:      {Name: MySQL, MaxParams: 65535, open: '`', close: '`', placeholder: question},
	Postgres:   {Name: Postgres, MaxParams: 65535, open: '"', close: '"', placeholder: func(i int) string { return "$" + strconv.Itoa(i) }},
	SQLServer:  {Name: SQLServer, MaxParams: 2098, MaxRowsPerInsert: 1000, open: '[', close: ']', placeholder: func(i int) string { return "@p" + strconv.Itoa(i) }},
	SQLite:     {Name: SQLite, MaxParams: 32766, open: '"', close: '"', placeholder: question},
	Vectorwise: {Name: Vectorwise, MaxParams: 1024, MaxRowsPerInsert: 1, open: '"', close: '"', placeholder: question},
}

func question(int) string { return "?" }

// Get returns the dialect named name (the constants above).
func Get(name string) (*Dialect, error) {
	d, ok := dialects[name]
	if !ok {
		return nil, fmt.Errorf("unknown SQL dialect %q", name)
	}
	return d, nil
}

// MustGet is Get for names known at compile time.
func MustGet(name string) *Dialect {
	d, err := Get(name)
	if err != nil {
		panic(err)
	}
	return d
}

// Placeholder returns the i-th (1-based) bind parameter marker.
func (d *Dialect) Placeholder(i int) string { return d.placeholder(i) }

// QuoteIdent quotes one identifier, doubling the closing quote inside it.
func (d *Dialect) QuoteIdent(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(d.open)
	for i := 0; i < len(s); i++ {
		if s[i] == d.close {
			b.WriteByte(d.close)
		}
		b.WriteByte(s[i])
	}
	b.WriteByte(d.close)
	return b.String()
}

// QuoteTable quotes a possibly qualified name ("schema.table"). Parts the
// user already quoted are kept as written; unquoted parts are quoted
// verbatim, so a table named as in the database is found even when it is
// mixed case or a keyword.
func (d *Dialect) QuoteTable(name string) string {
	parts := SplitQualified(name)
	for i, p := range parts {
		if i == 0 && len(parts) == 2 && d.Name == Vectorwise && strings.EqualFold(p, "session") {
			continue // declared global temporary tables live in the SESSION schema
		}
		if !d.isQuoted(p) {
			parts[i] = d.QuoteIdent(p)
		}
	}
	return strings.Join(parts, ".")
}

func (d *Dialect) isQuoted(p string) bool {
	if len(p) < 2 {
		return false
	}
	f, l := p[0], p[len(p)-1]
	return (f == '"' && l == '"') || (f == '`' && l == '`') || (f == '[' && l == ']')
}

// SplitQualified splits "a.b.c" on dots outside quotes ("a"."b.c" stays two
// parts); sluice's temp table names (#x) pass through.
func SplitQualified(name string) []string {
	var parts []string
	start := 0
	var quote byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '`':
			quote = c
		case c == '[':
			quote = ']'
		case c == '.':
			parts = append(parts, strings.TrimSpace(name[start:i]))
			start = i + 1
		}
	}
	return append(parts, strings.TrimSpace(name[start:]))
}

// Unquote removes identifier quotes from one part.
func Unquote(p string) string {
	if len(p) >= 2 {
		f, l := p[0], p[len(p)-1]
		switch {
		case f == '"' && l == '"':
			return strings.ReplaceAll(p[1:len(p)-1], `""`, `"`)
		case f == '`' && l == '`':
			return strings.ReplaceAll(p[1:len(p)-1], "``", "`")
		case f == '[' && l == ']':
			return strings.ReplaceAll(p[1:len(p)-1], "]]", "]")
		}
	}
	return p
}

func (d *Dialect) quoteList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = d.QuoteIdent(c)
	}
	return strings.Join(q, ", ")
}

// RowsPerInsert is how many rows of ncols columns one parameterised
// multi-row INSERT may carry under the server's limits (at least 1).
func (d *Dialect) RowsPerInsert(ncols, want int) int {
	if ncols <= 0 {
		return max(want, 1)
	}
	n := d.MaxParams / ncols
	if d.MaxRowsPerInsert > 0 && n > d.MaxRowsPerInsert {
		n = d.MaxRowsPerInsert
	}
	if want > 0 && n > want {
		n = want
	}
	return max(n, 1)
}

// InsertSQL is "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)" for nrows rows
// with the dialect's placeholders numbered from 1.
func (d *Dialect) InsertSQL(table string, cols []string, nrows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(d.QuoteTable(table))
	b.WriteString(" (")
	b.WriteString(d.quoteList(cols))
	b.WriteString(") VALUES ")
	n := 1
	for r := 0; r < nrows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.placeholder(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// InsertPrefix is "INSERT INTO t (a, b) VALUES " for literal multi-row
// inserts built by the caller.
func (d *Dialect) InsertPrefix(table string, cols []string) string {
	return "INSERT INTO " + d.QuoteTable(table) + " (" + d.quoteList(cols) + ") VALUES "
}

// SelectNoRowsSQL selects the columns of table without reading a row; its
// result metadata gives the column types.
func (d *Dialect) SelectNoRowsSQL(table string, cols []string) string {
	list := "*"
	if len(cols) > 0 {
		list = d.quoteList(cols)
	}
	if d.Name == SQLServer {
		return "SELECT TOP 0 " + list + " FROM " + d.QuoteTable(table)
	}
	return "SELECT " + list + " FROM " + d.QuoteTable(table) + " WHERE 1=0"
}

// DeleteAllSQL empties a table inside the current transaction. DELETE, not
// TRUNCATE: MySQL's TRUNCATE commits implicitly and SQL Server's and
// PostgreSQL's fail on tables referenced by foreign keys, while a failed
// load must leave the table as it was.
func (d *Dialect) DeleteAllSQL(table string) string {
	return "DELETE FROM " + d.QuoteTable(table)
}

// StageName is the name of the staging table for target.
func (d *Dialect) StageName(target string) string {
	parts := SplitQualified(target)
	base := Unquote(parts[len(parts)-1])
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, base)
	if len(clean) > 40 {
		clean = clean[:40]
	}
	name := "sluice_stage_" + clean
	switch d.Name {
	case SQLServer:
		return "#" + name
	case Vectorwise:
		return "session." + name
	}
	return name
}

// quoteStage quotes a staging table name (SQL Server's #temp names are
// quoted too: [#x] is a valid temp table reference).
func (d *Dialect) quoteStage(stage string) string {
	if d.Name == Vectorwise {
		return d.QuoteTable(stage)
	}
	return d.QuoteIdent(stage)
}

// CreateStageSQL creates a session-private, empty table with the target's
// column types for cols and no keys or constraints, so that loading into it
// cannot fail on the target's constraints before the merge statement runs.
func (d *Dialect) CreateStageSQL(stage, target string, cols []string) []string {
	list := d.quoteList(cols)
	t := d.QuoteTable(target)
	s := d.quoteStage(stage)
	switch d.Name {
	case MySQL:
		return []string{"DROP TEMPORARY TABLE IF EXISTS " + s,
			"CREATE TEMPORARY TABLE " + s + " AS SELECT " + list + " FROM " + t + " WHERE 1=0"}
	case Postgres:
		return []string{"DROP TABLE IF EXISTS pg_temp." + s,
			"CREATE TEMPORARY TABLE " + s + " AS SELECT " + list + " FROM " + t + " WITH NO DATA"}
	case SQLServer:
		// SELECT INTO copies the IDENTITY property of a column, which would
		// reject explicit values; a UNION ALL drops it.
		return []string{"IF OBJECT_ID('tempdb.." + strings.ReplaceAll(stage, "'", "''") + "') IS NOT NULL DROP TABLE " + s,
			"SELECT " + list + " INTO " + s + " FROM " + t + " WHERE 1=0 UNION ALL SELECT " + list + " FROM " + t + " WHERE 1=0"}
	case SQLite:
		return []string{"DROP TABLE IF EXISTS temp." + s,
			"CREATE TEMP TABLE " + s + " AS SELECT " + list + " FROM " + t + " WHERE 0"}
	case Vectorwise:
		return []string{"DECLARE GLOBAL TEMPORARY TABLE " + s + " AS SELECT " + list + " FROM " + t +
			" WHERE 1=0 ON COMMIT PRESERVE ROWS WITH NORECOVERY"}
	}
	return nil
}

// ClearStageSQL empties the staging table between units of work.
func (d *Dialect) ClearStageSQL(stage string) string {
	return "DELETE FROM " + d.quoteStage(stage)
}

// DropStageSQL drops the staging table.
func (d *Dialect) DropStageSQL(stage string) string {
	s := d.quoteStage(stage)
	switch d.Name {
	case MySQL:
		return "DROP TEMPORARY TABLE IF EXISTS " + s
	case SQLServer:
		return "IF OBJECT_ID('tempdb.." + strings.ReplaceAll(stage, "'", "''") + "') IS NOT NULL DROP TABLE " + s
	case Vectorwise:
		return "DROP TABLE " + s
	}
	return "DROP TABLE IF EXISTS " + s
}

// Mode is how loaded rows meet existing ones.
type Mode string

// Load modes.
const (
	Insert         Mode = "insert"
	TruncateInsert Mode = "truncate_insert"
	// Replace deletes the target rows whose keys match an input row, then
	// inserts every input row.
	Replace Mode = "replace"
	// Merge updates the non-key columns of matching rows and inserts the
	// others (an upsert).
	Merge Mode = "merge"
)

// ApplyStageSQL returns the statements that move the staged rows into the
// target for mode merge or replace, keyed on keys.
func (d *Dialect) ApplyStageSQL(mode Mode, target, stage string, cols, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("mode %s needs key columns", mode)
	}
	isKey := map[string]bool{}
	for _, k := range keys {
		isKey[k] = true
	}
	var nonKeys []string
	for _, c := range cols {
		if !isKey[c] {
			nonKeys = append(nonKeys, c)
		}
	}
	for _, k := range keys {
		if !contains(cols, k) {
			return nil, fmt.Errorf("key column %q is not among the loaded columns %v", k, cols)
		}
	}
	t := d.QuoteTable(target)
	s := d.quoteStage(stage)
	list := d.quoteList(cols)
	on := func(l, r string) string {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = l + "." + d.QuoteIdent(k) + " = " + r + "." + d.QuoteIdent(k)
		}
		return strings.Join(parts, " AND ")
	}
	insertAll := "INSERT INTO " + t + " (" + list + ") SELECT " + list + " FROM " + s
	if mode == Replace {
		var del string
		switch d.Name {
		case MySQL:
			// MySQL cannot name the target in a correlated subquery of its
			// own DELETE; the multi-table form does the same.
			del = "DELETE t FROM " + t + " t JOIN " + s + " s ON " + on("t", "s")
		default:
			del = "DELETE FROM " + t + " WHERE EXISTS (SELECT 1 FROM " + s + " s WHERE " + on(t, "s") + ")"
		}
		return []string{del, insertAll}, nil
	}
	if mode != Merge {
		return nil, fmt.Errorf("mode %s does not use a staging table", mode)
	}
	set := func(lhs func(string) string, rhs func(string) string) string {
		parts := make([]string, len(nonKeys))
		for i, c := range nonKeys {
			parts[i] = lhs(c) + " = " + rhs(c)
		}
		return strings.Join(parts, ", ")
	}
	q := d.QuoteIdent
	switch d.Name {
	case MySQL:
		if len(nonKeys) == 0 {
			return []string{"INSERT IGNORE INTO " + t + " (" + list + ") SELECT " + list + " FROM " + s}, nil
		}
		// VALUES(col) works on MariaDB and MySQL (deprecated but kept in
		// 8.x); the row-alias form is MySQL-only.
		return []string{insertAll + " ON DUPLICATE KEY UPDATE " +
			set(q, func(c string) string { return "VALUES(" + q(c) + ")" })}, nil
	case Postgres, SQLite:
		keyList := d.quoteList(keys)
		// "WHERE true" keeps SQLite's parser from reading ON CONFLICT as a
		// join constraint of the SELECT.
		base := insertAll + " WHERE true ON CONFLICT (" + keyList + ") DO "
		if len(nonKeys) == 0 {
			return []string{base + "NOTHING"}, nil
		}
		return []string{base + "UPDATE SET " + set(q, func(c string) string { return "excluded." + q(c) })}, nil
	case SQLServer:
		var b strings.Builder
		b.WriteString("MERGE INTO " + t + " WITH (HOLDLOCK) AS t USING " + s + " AS s ON " + on("t", "s"))
		if len(nonKeys) > 0 {
			b.WriteString(" WHEN MATCHED THEN UPDATE SET " + set(func(c string) string { return "t." + q(c) }, func(c string) string { return "s." + q(c) }))
		}
		sl := make([]string, len(cols))
		for i, c := range cols {
			sl[i] = "s." + q(c)
		}
		b.WriteString(" WHEN NOT MATCHED BY TARGET THEN INSERT (" + list + ") VALUES (" + strings.Join(sl, ", ") + ");")
		return []string{b.String()}, nil
	case Vectorwise:
		var out []string
		if len(nonKeys) > 0 {
			out = append(out, "UPDATE "+t+" FROM "+s+" s SET "+
				set(q, func(c string) string { return "s." + q(c) })+" WHERE "+on(t, "s"))
		}
		out = append(out, insertAll+" s WHERE NOT EXISTS (SELECT 1 FROM "+t+" WHERE "+on(t, "s")+")")
		return out, nil
	}
	return nil, fmt.Errorf("dialect %s: no merge statement", d.Name)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PrimaryKeySQL returns a query listing the primary-key columns of table in
// key order (one column per row), with its arguments.
func (d *Dialect) PrimaryKeySQL(table string) (string, []any) {
	parts := SplitQualified(table)
	name := Unquote(parts[len(parts)-1])
	schema := ""
	if len(parts) > 1 {
		schema = Unquote(parts[len(parts)-2])
	}
	switch d.Name {
	case MySQL:
		q := "SELECT column_name FROM information_schema.key_column_usage WHERE constraint_name = 'PRIMARY' AND table_name = ?"
		if schema != "" {
			return q + " AND table_schema = ? ORDER BY ordinal_position", []any{name, schema}
		}
		return q + " AND table_schema = DATABASE() ORDER BY ordinal_position", []any{name}
	case Postgres:
		return "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) " +
			"WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)", []any{d.QuoteTable(table)}
	case SQLServer:
		return "SELECT c.name FROM sys.indexes i JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id " +
			"JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id " +
			"WHERE i.is_primary_key = 1 AND i.object_id = OBJECT_ID(@p1) ORDER BY ic.key_ordinal", []any{d.QuoteTable(table)}
	case SQLite:
		return "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", []any{name}
	case Vectorwise:
		return "SELECT column_name FROM iicolumns WHERE table_name = ? AND key_sequence > 0 ORDER BY key_sequence", []any{name}
	}
	return "", nil
}

// BeginSQL is not used: transactions go through database/sql. SessionSQL
// returns statements that put a fresh connection in the state sluice's
// value conversions assume.
func (d *Dialect) SessionSQL(timeZone string) []string {
	switch d.Name {
	case MySQL:
		tz := timeZone
		if tz == "" {
			tz = "+00:00"
		}
		return []string{"SET time_zone = '" + strings.ReplaceAll(tz, "'", "''") + "'"}
	case Postgres:
		tz := timeZone
		if tz == "" {
			tz = "UTC"
		}
		return []string{"SET TIME ZONE '" + strings.ReplaceAll(tz, "'", "''") + "'"}
	}
	return nil
}
