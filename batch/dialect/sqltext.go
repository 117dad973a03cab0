package dialect

import (
	"strings"
)

// scan walks SQL text and calls fn for every '?' that is a placeholder: not
// inside a string literal, a quoted identifier, a comment or a PostgreSQL
// dollar-quoted string.
func (b *Base) scan(sql string, fn func(i int)) {
	n := len(sql)
	for i := 0; i < n; i++ {
		c := sql[i]
		switch {
		case c == '?':
			fn(i)
		case c == '\'':
			i = skipQuoted(sql, i, '\'', b.lex.backslashEscapes)
		case c == '"':
			i = skipQuoted(sql, i, '"', b.lex.backslashEscapes)
		case c == '`' && b.lex.backticks:
			i = skipQuoted(sql, i, '`', false)
		case c == '[' && b.lex.brackets:
			i = skipQuoted(sql, i, ']', false)
		case c == '-' && i+1 < n && sql[i+1] == '-':
			for i < n && sql[i] != '\n' {
				i++
			}
		case c == '#' && b.lex.hashComments:
			for i < n && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				i = n
			} else {
				i += end + 3
			}
		case c == '$' && b.lex.dollarQuotes:
			// $tag$ ... $tag$ (tag may be empty); $1 is a parameter.
			j := i + 1
			for j < n && (sql[j] == '_' || sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= 'A' && sql[j] <= 'Z' || sql[j] >= '0' && sql[j] <= '9' && j > i+1) {
				j++
			}
			if j < n && sql[j] == '$' {
				tag := sql[i : j+1]
				end := strings.Index(sql[j+1:], tag)
				if end < 0 {
					i = n
				} else {
					i = j + 1 + end + len(tag) - 1
				}
			}
		}
	}
}

// skipQuoted returns the index of the closing quote of the literal that
// starts at i (a doubled quote is an escaped one; with backslash, \x too).
func skipQuoted(s string, i int, quote byte, backslash bool) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if backslash {
				j++
			}
		case quote:
			if j+1 < len(s) && s[j+1] == quote && quote != ']' {
				j++
				continue
			}
			if quote == ']' && j+1 < len(s) && s[j+1] == ']' {
				j++
				continue
			}
			return j
		}
	}
	return len(s)
}

// CountParams counts the '?' placeholders of sql.
func (b *Base) CountParams(sql string) int {
	n := 0
	b.scan(sql, func(int) { n++ })
	return n
}

// Rebind rewrites '?' placeholders into the dialect's own ($1, @p1).
func (b *Base) Rebind(sql string) string {
	if b.placeholder(1) == "?" {
		return sql
	}
	var sb strings.Builder
	last, n := 0, 0
	b.scan(sql, func(i int) {
		n++
		sb.WriteString(sql[last:i])
		sb.WriteString(b.placeholder(n))
		last = i + 1
	})
	if n == 0 {
		return sql
	}
	sb.WriteString(sql[last:])
	return sb.String()
}

// PlainInsert is an INSERT whose VALUES list is nothing but placeholders:
// it can be executed by any fast path that writes the same columns.
type PlainInsert struct {
	Table string
	// Columns as written; empty when the statement lists none (all the
	// table's columns, in table order).
	Columns []string
	Params  int
}

// ParsePlainInsert recognises "INSERT INTO t [(a, b)] VALUES (?, ?)[;]".
// Anything else (expressions, defaults, ON CONFLICT, several rows, SELECT)
// returns ok == false and is executed as written.
func (b *Base) ParsePlainInsert(sql string) (PlainInsert, bool) {
	toks, ok := b.tokens(sql)
	if !ok {
		return PlainInsert{}, false
	}
	for len(toks) > 0 && toks[len(toks)-1] == ";" {
		toks = toks[:len(toks)-1]
	}
	p := 0
	next := func() string {
		if p >= len(toks) {
			return ""
		}
		p++
		return toks[p-1]
	}
	if !strings.EqualFold(next(), "INSERT") || !strings.EqualFold(next(), "INTO") {
		return PlainInsert{}, false
	}
	// Table: ident (. ident)*
	var parts []string
	for {
		t := next()
		if !isIdentTok(t) {
			return PlainInsert{}, false
		}
		parts = append(parts, t)
		if p < len(toks) && toks[p] == "." {
			p++
			continue
		}
		break
	}
	ins := PlainInsert{Table: strings.Join(parts, ".")}
	t := next()
	if t == "(" {
		for {
			c := next()
			if !isIdentTok(c) {
				return PlainInsert{}, false
			}
			ins.Columns = append(ins.Columns, Unquote(c))
			sep := next()
			if sep == ")" {
				break
			}
			if sep != "," {
				return PlainInsert{}, false
			}
		}
		t = next()
	}
	if !strings.EqualFold(t, "VALUES") && !strings.EqualFold(t, "VALUE") {
		return PlainInsert{}, false
	}
	if next() != "(" {
		return PlainInsert{}, false
	}
	for {
		if next() != "?" {
			return PlainInsert{}, false
		}
		ins.Params++
		sep := next()
		if sep == ")" {
			break
		}
		if sep != "," {
			return PlainInsert{}, false
		}
	}
	if p != len(toks) {
		return PlainInsert{}, false
	}
	if len(ins.Columns) > 0 && len(ins.Columns) != ins.Params {
		return PlainInsert{}, false
	}
	return ins, true
}

func isIdentTok(t string) bool {
	if t == "" {
		return false
	}
	c := t[0]
	if c == '"' || c == '`' || c == '[' {
		return len(t) >= 2
	}
	if c == '#' { // SQL Server temp tables
		return len(t) > 1
	}
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// tokens splits SQL into identifiers, quoted identifiers and single-byte
// punctuation; string literals or comments make it give up (a plain insert
// has none).
func (b *Base) tokens(sql string) ([]string, bool) {
	var out []string
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || (c == '`' && b.lex.backticks):
			end := skipQuoted(sql, i, c, false)
			if end >= n {
				return nil, false
			}
			out = append(out, sql[i:end+1])
			i = end + 1
		case c == '[' && b.lex.brackets:
			end := skipQuoted(sql, i, ']', false)
			if end >= n {
				return nil, false
			}
			out = append(out, sql[i:end+1])
			i = end + 1
		case c == '_' || c == '#' || c == '@' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80:
			j := i + 1
			for j < n {
				x := sql[j]
				if x == '_' || x == '#' || x == '@' || x == '$' || x >= 'a' && x <= 'z' || x >= 'A' && x <= 'Z' || x >= '0' && x <= '9' || x >= 0x80 {
					j++
					continue
				}
				break
			}
			out = append(out, sql[i:j])
			i = j
		case c == '(' || c == ')' || c == ',' || c == '.' || c == '?' || c == ';':
			out = append(out, string(c))
			i++
		default:
			return nil, false
		}
	}
	return out, true
}
