package template

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The lexer cuts the source into text, {{ print }} and {% tag %} items,
// drops {# comments #}, applies whitespace control, and tokenizes the
// expression inside each tag.

type tokKind uint8

const (
	tEnd tokKind = iota // the closing delimiter of the tag
	tName
	tInt
	tFloat
	tString
	tOp
)

type token struct {
	kind     tokKind
	pos, end int // byte offsets in the template source
	s        string
	i        int64
	f        float64
}

func (t token) is(s string) bool { return (t.kind == tOp || t.kind == tName) && t.s == s }

func (t token) describe() string {
	switch t.kind {
	case tEnd:
		return "end of tag"
	case tString:
		return "string " + strconv.Quote(t.s)
	case tName:
		return strconv.Quote(t.s)
	}
	return strconv.Quote(t.s)
}

type itemKind uint8

const (
	iText itemKind = iota
	iPrint
	iTag
)

type item struct {
	kind     itemKind
	pos, end int
	text     string
	toks     []token // ends with a tEnd token
}

// lexer state
type lexer struct {
	src   string
	items []item
	// trimNext is set by a closing -}} / -%} / -#}: the next text loses its
	// leading whitespace.
	trimNext bool
}

func lex(src string) ([]item, error) {
	lx := &lexer{src: src}
	if err := lx.run(); err != nil {
		return nil, err
	}
	return lx.items, nil
}

func (lx *lexer) emitText(pos, end int, trimRight bool) {
	text := lx.src[pos:end]
	if lx.trimNext {
		trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
		pos += len(text) - len(trimmed)
		text = trimmed
		lx.trimNext = false
	}
	if trimRight {
		text = strings.TrimRightFunc(text, unicode.IsSpace)
	}
	if text != "" {
		lx.items = append(lx.items, item{kind: iText, pos: pos, end: pos + len(text), text: text})
	}
}

func (lx *lexer) run() error {
	src := lx.src
	pos := 0
	for pos < len(src) {
		i := nextOpen(src, pos)
		if i < 0 {
			lx.emitText(pos, len(src), false)
			return nil
		}
		j := i + 2
		trimLeft := j < len(src) && src[j] == '-'
		if trimLeft {
			j++
		}
		lx.emitText(pos, i, trimLeft)
		switch src[i+1] {
		case '#':
			k := strings.Index(src[j:], "#}")
			if k < 0 {
				return newError(src, i, nil, "unclosed comment: missing #}")
			}
			k += j
			lx.trimNext = k > j && src[k-1] == '-'
			pos = k + 2
		case '{':
			toks, end, trim, err := lexExpr(src, i, j, "}}")
			if err != nil {
				return err
			}
			lx.items = append(lx.items, item{kind: iPrint, pos: i, end: end, toks: toks})
			lx.trimNext = trim
			pos = end
		case '%':
			toks, end, trim, err := lexExpr(src, i, j, "%}")
			if err != nil {
				return err
			}
			lx.trimNext = trim
			pos = end
			if len(toks) == 2 && toks[0].kind == tName && (toks[0].s == "verbatim" || toks[0].s == "raw") {
				if pos, err = lx.verbatim(i, pos, "end"+toks[0].s); err != nil {
					return err
				}
				continue
			}
			lx.items = append(lx.items, item{kind: iTag, pos: i, end: end, toks: toks})
		}
	}
	return nil
}

// nextOpen finds the next {{, {% or {#.
func nextOpen(src string, pos int) int {
	for {
		i := strings.IndexByte(src[pos:], '{')
		if i < 0 || pos+i+1 >= len(src) {
			return -1
		}
		i += pos
		switch src[i+1] {
		case '{', '%', '#':
			return i
		}
		pos = i + 1
	}
}

// verbatim emits everything up to {% endName %} as text, untouched.
func (lx *lexer) verbatim(open, pos int, endName string) (int, error) {
	src := lx.src
	for p := pos; ; {
		k := strings.Index(src[p:], "{%")
		if k < 0 {
			return 0, newError(src, open, nil, "unclosed verbatim block: missing {%% %s %%}", endName)
		}
		k += p
		j := k + 2
		trimLeft := j < len(src) && src[j] == '-'
		if trimLeft {
			j++
		}
		for j < len(src) && isSpace(src[j]) {
			j++
		}
		if !strings.HasPrefix(src[j:], endName) {
			p = k + 2
			continue
		}
		j += len(endName)
		for j < len(src) && isSpace(src[j]) {
			j++
		}
		trimRight := strings.HasPrefix(src[j:], "-%}")
		if trimRight {
			j++
		}
		if !strings.HasPrefix(src[j:], "%}") {
			p = k + 2
			continue
		}
		text := src[pos:k]
		if lx.trimNext {
			text = strings.TrimLeftFunc(text, unicode.IsSpace)
			lx.trimNext = false
		}
		if trimLeft {
			text = strings.TrimRightFunc(text, unicode.IsSpace)
		}
		if text != "" {
			lx.items = append(lx.items, item{kind: iText, pos: pos, end: k, text: text})
		}
		lx.trimNext = trimRight
		return j + 2, nil
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// three- and two-character operators, longest first
var longOps = []string{"???", "??", "==", "!=", "<=", ">=", ".."}

const shortOps = "<>+-*/%~|?:.,()[]{}="

// lexExpr tokenizes from start to the closing delimiter (}} or %}) that is
// not inside a map literal. open is the position of the opening delimiter,
// for error messages. It returns the tokens (ending with tEnd), the offset
// just past the closing delimiter, and whether it was preceded by '-'.
func lexExpr(src string, open, start int, closer string) ([]token, int, bool, error) {
	toks := make([]token, 0, 8)
	var stack []byte // open brackets
	p := start
	for {
		for p < len(src) && isSpace(src[p]) {
			p++
		}
		if p >= len(src) {
			return nil, 0, false, newError(src, open, nil, "unclosed %s: missing %s", src[open:open+2], closer)
		}
		// The closer ends the tag unless a map literal is open: there }}
		// may close two maps. Inside ( or [ it cannot be anything else, so
		// the tag ends and the parser reports the missing bracket.
		if len(stack) == 0 || stack[len(stack)-1] != '{' {
			if src[p] == '-' && strings.HasPrefix(src[p+1:], closer) {
				toks = append(toks, token{kind: tEnd, pos: p, end: p + 3})
				return toks, p + 3, true, nil
			}
			if strings.HasPrefix(src[p:], closer) {
				toks = append(toks, token{kind: tEnd, pos: p, end: p + 2})
				return toks, p + 2, false, nil
			}
		}
		c := src[p]
		switch {
		case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)) || c >= utf8.RuneSelf && startsLetter(src[p:]):
			q := p
			for q < len(src) {
				r, size := utf8.DecodeRuneInString(src[q:])
				if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				q += size
			}
			toks = append(toks, token{kind: tName, pos: p, end: q, s: src[p:q]})
			p = q
		case c >= '0' && c <= '9':
			q := p
			for q < len(src) && src[q] >= '0' && src[q] <= '9' {
				q++
			}
			isFloat := q+1 < len(src) && src[q] == '.' && src[q+1] >= '0' && src[q+1] <= '9'
			if isFloat {
				q++
				for q < len(src) && src[q] >= '0' && src[q] <= '9' {
					q++
				}
				f, err := strconv.ParseFloat(src[p:q], 64)
				if err != nil {
					return nil, 0, false, newError(src, p, nil, "invalid number %s", src[p:q])
				}
				toks = append(toks, token{kind: tFloat, pos: p, end: q, s: src[p:q], f: f})
			} else {
				i, err := strconv.ParseInt(src[p:q], 10, 64)
				if err != nil {
					return nil, 0, false, newError(src, p, nil, "integer %s is out of range", src[p:q])
				}
				toks = append(toks, token{kind: tInt, pos: p, end: q, s: src[p:q], i: i})
			}
			p = q
		case c == '\'' || c == '"':
			s, q, err := lexString(src, p)
			if err != nil {
				return nil, 0, false, err
			}
			toks = append(toks, token{kind: tString, pos: p, end: q, s: s})
			p = q
		default:
			op := ""
			for _, o := range longOps {
				if strings.HasPrefix(src[p:], o) {
					op = o
					break
				}
			}
			if op == "" && strings.IndexByte(shortOps, c) >= 0 {
				op = src[p : p+1]
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(src[p:])
				return nil, 0, false, newError(src, p, nil, "unexpected character %q", r)
			}
			switch op {
			case "(", "[", "{":
				stack = append(stack, op[0])
			case ")", "]", "}":
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			}
			toks = append(toks, token{kind: tOp, pos: p, end: p + len(op), s: op})
			p += len(op)
		}
	}
}

func startsLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

// lexString reads a quoted string starting at p. Escapes: \n \t \r \b \f
// \0 \\ \' \" \/ \uXXXX; any other backslash is kept as written so that
// regular expressions such as '\d+' need no doubling.
func lexString(src string, p int) (string, int, error) {
	quote := src[p]
	var b strings.Builder
	q := p + 1
	start := q
	for q < len(src) {
		c := src[q]
		if c == quote {
			if b.Len() == 0 {
				return src[start:q], q + 1, nil
			}
			b.WriteString(src[start:q])
			return b.String(), q + 1, nil
		}
		if c != '\\' {
			q++
			continue
		}
		b.WriteString(src[start:q])
		if q+1 >= len(src) {
			break
		}
		e := src[q+1]
		q += 2
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '0':
			b.WriteByte(0)
		case '\\', '\'', '"', '/':
			b.WriteByte(e)
		case 'u':
			if q+4 <= len(src) {
				if n, err := strconv.ParseUint(src[q:q+4], 16, 32); err == nil {
					r := rune(n)
					q += 4
					// A surrogate pair written as two escapes is one character.
					if utf16.IsSurrogate(r) && q+6 <= len(src) && src[q] == '\\' && src[q+1] == 'u' {
						if n2, err := strconv.ParseUint(src[q+2:q+6], 16, 32); err == nil {
							if pair := utf16.DecodeRune(r, rune(n2)); pair != utf8.RuneError {
								r = pair
								q += 6
							}
						}
					}
					b.WriteRune(r)
					break
				}
			}
			return "", 0, newError(src, q-2, nil, `invalid \u escape: want 4 hex digits`)
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
		start = q
	}
	return "", 0, newError(src, p, nil, "unclosed string: missing %c", quote)
}
