package dialect

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/rows"
)

// Base is what most dialects share: standard SQL text driven by a few
// facts about the server. A dialect embeds it, sets its fields, and
// overrides the methods where its server differs.
type Base struct {
	name        string
	info        Info
	parse       func(raw string, o jdbcurl.Options) (*jdbcurl.Config, error)
	open, close byte // identifier quotes
	placeholder func(i int) string
	limits      Limits
	lex         lexical
	// sessionSchema is a schema QuoteTable leaves unquoted and in which
	// staging tables live (Vectorwise's SESSION of declared temporary
	// tables); "" for none.
	sessionSchema string
	binding       Binding
	scanHints     ScanHints
	transient     []string
}

// lexical are the tokens a dialect's SQL has beyond the standard ones
// ('…' strings, "…" identifiers, -- and /* */ comments).
type lexical struct {
	backslashEscapes bool // '\'' inside literals (MySQL)
	backticks        bool // `ident` (MySQL)
	brackets         bool // [ident] (SQL Server)
	hashComments     bool // # to end of line (MySQL)
	dollarQuotes     bool // $tag$ … $tag$ (PostgreSQL)
}

func question(int) string { return "?" }

func (b *Base) Name() string                  { return b.name }
func (b *Base) Info() Info                    { return b.info }
func (b *Base) Limits() Limits                { return b.limits }
func (b *Base) Placeholder(i int) string      { return b.placeholder(i) }
func (b *Base) Binding() Binding              { return b.binding }
func (b *Base) ScanHints() ScanHints          { return b.scanHints }
func (b *Base) TransientCodes() []string      { return b.transient }
func (b *Base) ErrorCodes(error) []string     { return nil }
func (b *Base) SessionSQL(string) []string    { return nil }
func (b *Base) DeleteAllSQL(t string) string  { return deleteAll(b, t) }
func (b *Base) ClearStageSQL(s string) string { return "DELETE FROM " + b.quoteStage(s) }

// ParseURL parses with the dialect's URL syntax and names the dialect and
// driver in the result.
func (b *Base) ParseURL(raw string, o jdbcurl.Options) (*jdbcurl.Config, error) {
	c, err := b.parse(raw, o)
	if err != nil {
		return nil, err
	}
	c.Dialect, c.Driver = b.name, b.info.Driver
	return c, nil
}

// Classify without refinements: the standard meaning of type names.
func (b *Base) Classify(name string, precision, scale, length int64) Type {
	t, _ := classify(name, precision, scale, length)
	return t
}

// QuoteIdent quotes one identifier, doubling the closing quote inside it.
func (b *Base) QuoteIdent(s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + 2)
	sb.WriteByte(b.open)
	for i := 0; i < len(s); i++ {
		if s[i] == b.close {
			sb.WriteByte(b.close)
		}
		sb.WriteByte(s[i])
	}
	sb.WriteByte(b.close)
	return sb.String()
}

// QuoteTable quotes a possibly qualified name ("schema.table"). Parts the
// user already quoted are kept as written; unquoted parts are quoted
// verbatim, so a table named as in the database is found even when it is
// mixed case or a keyword.
func (b *Base) QuoteTable(name string) string {
	parts := SplitQualified(name)
	for i, p := range parts {
		if i == 0 && len(parts) == 2 && b.sessionSchema != "" && strings.EqualFold(p, b.sessionSchema) {
			continue
		}
		if !isQuoted(p) {
			parts[i] = b.QuoteIdent(p)
		}
	}
	return strings.Join(parts, ".")
}

func isQuoted(p string) bool {
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

func (b *Base) quoteList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = b.QuoteIdent(c)
	}
	return strings.Join(q, ", ")
}

// RowsPerInsert is how many rows of ncols columns one parameterised
// multi-row INSERT may carry under the server's limits (at least 1).
func (b *Base) RowsPerInsert(ncols, want int) int {
	if ncols <= 0 {
		return max(want, 1)
	}
	n := b.limits.MaxParams / ncols
	if b.limits.MaxRowsPerInsert > 0 && n > b.limits.MaxRowsPerInsert {
		n = b.limits.MaxRowsPerInsert
	}
	if want > 0 && n > want {
		n = want
	}
	return max(n, 1)
}

// InsertSQL is "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)" for nrows rows
// with the dialect's placeholders numbered from 1.
func (b *Base) InsertSQL(table string, cols []string, nrows int) string {
	var sb strings.Builder
	sb.WriteString(b.InsertPrefix(table, cols))
	n := 1
	for r := 0; r < nrows; r++ {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range cols {
			if c > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(b.placeholder(n))
			n++
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// InsertPrefix is "INSERT INTO t (a, b) VALUES " for literal multi-row
// inserts built by the caller.
func (b *Base) InsertPrefix(table string, cols []string) string {
	return "INSERT INTO " + b.QuoteTable(table) + " (" + b.quoteList(cols) + ") VALUES "
}

// SelectNoRowsSQL selects the columns of table without reading a row; its
// result metadata gives the column types.
func (b *Base) SelectNoRowsSQL(table string, cols []string) string {
	return "SELECT " + b.selectList(cols) + " FROM " + b.QuoteTable(table) + " WHERE 1=0"
}

func (b *Base) selectList(cols []string) string {
	if len(cols) == 0 {
		return "*"
	}
	return b.quoteList(cols)
}

// deleteAll empties a table inside the current transaction. DELETE, not
// TRUNCATE: MySQL's TRUNCATE commits implicitly and SQL Server's and
// PostgreSQL's fail on tables referenced by foreign keys, while a failed
// load must leave the table as it was.
func deleteAll(b *Base, table string) string {
	return "DELETE FROM " + b.QuoteTable(table)
}

// StageName is the name of the staging table for target.
func (b *Base) StageName(target string) string {
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
	if b.sessionSchema != "" {
		return b.sessionSchema + "." + name
	}
	return name
}

// quoteStage quotes a staging table name (SQL Server's #temp names are
// quoted too: [#x] is a valid temp table reference).
func (b *Base) quoteStage(stage string) string {
	if b.sessionSchema != "" {
		return b.QuoteTable(stage)
	}
	return b.QuoteIdent(stage)
}

// CreateStageSQL creates a session-private, empty table with the target's
// column types for cols and no keys or constraints, so that loading into it
// cannot fail on the target's constraints before the merge statement runs.
func (b *Base) CreateStageSQL(stage, target string, cols []string) []string {
	s := b.quoteStage(stage)
	return []string{"DROP TABLE IF EXISTS " + s,
		"CREATE TEMPORARY TABLE " + s + " AS SELECT " + b.quoteList(cols) + " FROM " + b.QuoteTable(target) + " WHERE 1=0"}
}

// DropStageSQL drops the staging table.
func (b *Base) DropStageSQL(stage string) string {
	return "DROP TABLE IF EXISTS " + b.quoteStage(stage)
}

// stagePlan holds the pieces every dialect's ApplyStageSQL assembles.
type stagePlan struct {
	b                *Base
	target, stage    string // quoted
	list             string // quoted column list
	cols, keys, rest []string
}

// plan checks keys and splits the columns into keys and the rest.
func (b *Base) plan(mode Mode, target, stage string, cols, keys []string) (*stagePlan, error) {
	if mode != Merge && mode != Replace {
		return nil, fmt.Errorf("mode %s does not use a staging table", mode)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("mode %s needs key columns", mode)
	}
	isKey := map[string]bool{}
	for _, k := range keys {
		isKey[k] = true
	}
	p := &stagePlan{b: b, target: b.QuoteTable(target), stage: b.quoteStage(stage), list: b.quoteList(cols), cols: cols, keys: keys}
	for _, c := range cols {
		if !isKey[c] {
			p.rest = append(p.rest, c)
		}
	}
	for _, k := range keys {
		if !contains(cols, k) {
			return nil, fmt.Errorf("key column %q is not among the loaded columns %v", k, cols)
		}
	}
	return p, nil
}

// on is "l.k1 = r.k1 AND l.k2 = r.k2".
func (p *stagePlan) on(l, r string) string {
	parts := make([]string, len(p.keys))
	for i, k := range p.keys {
		parts[i] = l + "." + p.b.QuoteIdent(k) + " = " + r + "." + p.b.QuoteIdent(k)
	}
	return strings.Join(parts, " AND ")
}

// set is "lhs(c) = rhs(c), …" over the non-key columns.
func (p *stagePlan) set(lhs, rhs func(string) string) string {
	parts := make([]string, len(p.rest))
	for i, c := range p.rest {
		parts[i] = lhs(p.b.QuoteIdent(c)) + " = " + rhs(p.b.QuoteIdent(c))
	}
	return strings.Join(parts, ", ")
}

func (p *stagePlan) insertAll() string {
	return "INSERT INTO " + p.target + " (" + p.list + ") SELECT " + p.list + " FROM " + p.stage
}

// replace is the standard DELETE of matching keys, then the insert.
func (p *stagePlan) replace() []string {
	return []string{"DELETE FROM " + p.target + " WHERE EXISTS (SELECT 1 FROM " + p.stage + " s WHERE " + p.on(p.target, "s") + ")", p.insertAll()}
}

// ApplyStageSQL for dialects with INSERT … ON CONFLICT (PostgreSQL,
// SQLite): replace deletes and inserts, merge upserts.
func (b *Base) ApplyStageSQL(mode Mode, target, stage string, cols, keys []string) ([]string, error) {
	p, err := b.plan(mode, target, stage, cols, keys)
	if err != nil {
		return nil, err
	}
	if mode == Replace {
		return p.replace(), nil
	}
	// "WHERE true" keeps SQLite's parser from reading ON CONFLICT as a
	// join constraint of the SELECT.
	base := p.insertAll() + " WHERE true ON CONFLICT (" + b.quoteList(keys) + ") DO "
	if len(p.rest) == 0 {
		return []string{base + "NOTHING"}, nil
	}
	same := func(c string) string { return c }
	return []string{base + "UPDATE SET " + p.set(same, func(c string) string { return "excluded." + c })}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// splitTable returns the unquoted table name and schema ("" if none).
func splitTable(table string) (name, schema string) {
	parts := SplitQualified(table)
	name = Unquote(parts[len(parts)-1])
	if len(parts) > 1 {
		schema = Unquote(parts[len(parts)-2])
	}
	return name, schema
}

// timeDefault sets the fractional digits of a time type whose scale the
// driver did not report.
func timeDefault(t *Type, def func(base string) int) {
	if t.Scale < 0 && (t.Kind == rows.KindTime || t.Kind == rows.KindTimestamp || t.Kind == rows.KindTimestampTZ) {
		t.Scale = def(t.Name)
	}
}
