package template

import (
	"sort"
)

// maxNesting bounds the depth of nested expressions and blocks so that a
// hostile template cannot exhaust the stack.
const maxNesting = 200

type parser struct {
	src   string
	items []item
	it    int

	toks  []token
	i     int
	depth int
}

var knownTags = []string{"if", "elseif", "else", "endif", "for", "endfor", "set", "verbatim", "endverbatim", "raw", "endraw"}

func (p *parser) errAt(off int, format string, args ...any) *Error {
	return newError(p.src, off, nil, format, args...)
}

// parseNodes parses items until one of the end tags (returned) or the end
// of input (nil tag).
func (p *parser) parseNodes(endTags ...string) ([]node, *item, error) {
	var nodes []node
	for p.it < len(p.items) {
		it := &p.items[p.it]
		p.it++
		switch it.kind {
		case iText:
			nodes = append(nodes, &textNode{text: it.text})
		case iPrint:
			p.toks, p.i = it.toks, 0
			if p.peek().kind == tEnd {
				return nil, nil, p.errAt(it.pos, "empty {{ }}: expected an expression")
			}
			x, err := p.parseExpr(0)
			if err != nil {
				return nil, nil, err
			}
			if err := p.expectEnd(); err != nil {
				return nil, nil, err
			}
			nodes = append(nodes, &printNode{x: x})
		case iTag:
			name := it.toks[0]
			if name.kind != tName {
				return nil, nil, p.errAt(name.pos, "expected a tag name (if, for, set, ...), found %s", name.describe())
			}
			for _, e := range endTags {
				if name.s == e {
					return nodes, it, nil
				}
			}
			p.toks, p.i = it.toks, 1
			var n node
			var err error
			switch name.s {
			case "if":
				n, err = p.parseIf(it)
			case "for":
				n, err = p.parseFor(it)
			case "set":
				n, err = p.parseSet(it)
			case "elseif", "elif", "else", "endif", "endfor", "endverbatim", "endraw":
				err = p.errAt(name.pos, "unexpected {%% %s %%}%s", name.s, p.openHint(endTags))
			default:
				msg := "unknown tag %q"
				if s := suggest(name.s, knownTags); s != "" {
					msg += " (did you mean " + `"` + s + `"?)`
				}
				err = p.errAt(name.pos, msg, name.s)
			}
			if err != nil {
				return nil, nil, err
			}
			nodes = append(nodes, n)
		}
	}
	return nodes, nil, nil
}

func (p *parser) openHint(endTags []string) string {
	if len(endTags) == 0 {
		return ": no block is open"
	}
	return ": expected {% " + endTags[len(endTags)-1] + " %}"
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxNesting {
		return p.errAt(pos, "template nested deeper than %d levels", maxNesting)
	}
	return nil
}

func (p *parser) parseIf(open *item) (node, error) {
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &ifNode{}
	cond, err := p.tagExpr()
	if err != nil {
		return nil, err
	}
	for {
		body, end, err := p.parseNodes("elseif", "elif", "else", "endif")
		if err != nil {
			return nil, err
		}
		if end == nil {
			return nil, p.errAt(open.pos, "unclosed {%% if %%}: missing {%% endif %%}")
		}
		n.conds = append(n.conds, cond)
		n.bodies = append(n.bodies, body)
		p.toks, p.i = end.toks, 1
		switch end.toks[0].s {
		case "elseif", "elif":
			if cond, err = p.tagExpr(); err != nil {
				return nil, err
			}
			continue
		case "else":
			if err := p.expectEnd(); err != nil {
				return nil, err
			}
			els, end2, err := p.parseNodes("endif")
			if err != nil {
				return nil, err
			}
			if end2 == nil {
				return nil, p.errAt(open.pos, "unclosed {%% if %%}: missing {%% endif %%}")
			}
			p.toks, p.i = end2.toks, 1
			if els == nil {
				els = []node{}
			}
			n.els = els
		}
		return n, p.expectEnd()
	}
}

func (p *parser) parseFor(open *item) (node, error) {
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &forNode{pos: open.pos}
	first := p.next()
	if first.kind != tName {
		return nil, p.errAt(first.pos, "expected a loop variable name after for, found %s", first.describe())
	}
	n.val = first.s
	if p.peek().is(",") {
		p.next()
		second := p.next()
		if second.kind != tName {
			return nil, p.errAt(second.pos, "expected a second loop variable name, found %s", second.describe())
		}
		n.key, n.val = first.s, second.s
	}
	if in := p.next(); !in.is("in") || in.kind != tName {
		return nil, p.errAt(in.pos, "expected \"in\" in for tag, found %s", in.describe())
	}
	x, err := p.tagExpr()
	if err != nil {
		return nil, err
	}
	n.x = x
	body, end, err := p.parseNodes("else", "endfor")
	if err != nil {
		return nil, err
	}
	if end == nil {
		return nil, p.errAt(open.pos, "unclosed {%% for %%}: missing {%% endfor %%}")
	}
	n.body = body
	p.toks, p.i = end.toks, 1
	if end.toks[0].s == "else" {
		if err := p.expectEnd(); err != nil {
			return nil, err
		}
		els, end2, err := p.parseNodes("endfor")
		if err != nil {
			return nil, err
		}
		if end2 == nil {
			return nil, p.errAt(open.pos, "unclosed {%% for %%}: missing {%% endfor %%}")
		}
		n.els = els
		p.toks, p.i = end2.toks, 1
	}
	return n, p.expectEnd()
}

func (p *parser) parseSet(open *item) (node, error) {
	name := p.next()
	if name.kind != tName {
		return nil, p.errAt(name.pos, "expected a variable name after set, found %s", name.describe())
	}
	if eq := p.next(); !eq.is("=") || eq.kind != tOp {
		return nil, p.errAt(eq.pos, "expected = after {%% set %s, found %s", name.s, eq.describe())
	}
	x, err := p.tagExpr()
	if err != nil {
		return nil, err
	}
	return &setNode{pos: open.pos, name: name.s, x: x}, nil
}

// tagExpr parses the rest of the current tag as one expression.
func (p *parser) tagExpr() (expr, error) {
	if t := p.peek(); t.kind == tEnd {
		return nil, p.errAt(t.pos, "expected an expression")
	}
	x, err := p.parseExpr(0)
	if err != nil {
		return nil, err
	}
	return x, p.expectEnd()
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEnd {
		p.i++
	}
	return t
}

func (p *parser) expectEnd() error {
	if t := p.peek(); t.kind != tEnd {
		return p.errAt(t.pos, "unexpected %s: expected end of tag", t.describe())
	}
	return nil
}

func (p *parser) expectOp(op string) (token, error) {
	t := p.next()
	if t.kind != tOp || t.s != op {
		return t, p.errAt(t.pos, "expected %q, found %s", op, t.describe())
	}
	return t, nil
}

// Binary operator precedence, loosest first. Pebble's table, except that
// `not` binds looser than comparisons and tests (not a == b is not (a == b),
// not x is defined is not (x is defined)) and `..` looser than + and -.
const (
	precOr       = 10
	precAnd      = 15
	precNotOp    = 16 // operand of unary not
	precTest     = 20 // is, is not, in, not in, contains
	precCompare  = 30
	precRange    = 35
	precAdd      = 40
	precMul      = 60
	precFilter   = 100
	precConcat   = 110
	precCoalesce = 120
	precUnary    = 500
)

// binaryOp recognizes the operator at the current token: its canonical
// name, precedence and how many tokens it spans.
func (p *parser) binaryOp() (string, int, int) {
	t := p.peek()
	switch t.kind {
	case tOp:
		switch t.s {
		case "==", "!=", "<", ">", "<=", ">=":
			return t.s, precCompare, 1
		case "+", "-":
			return t.s, precAdd, 1
		case "*", "/", "%":
			return t.s, precMul, 1
		case "|":
			return "|", precFilter, 1
		case "~":
			return "~", precConcat, 1
		case "??", "???":
			return t.s, precCoalesce, 1
		case "..":
			return "..", precRange, 1
		}
	case tName:
		switch t.s {
		case "or":
			return "or", precOr, 1
		case "and":
			return "and", precAnd, 1
		case "is":
			return "is", precTest, 1
		case "in":
			return "in", precTest, 1
		case "contains":
			return "contains", precTest, 1
		case "equals":
			return "==", precCompare, 1
		case "not":
			if n := p.peekAt(1); n.kind == tName && n.s == "in" {
				return "not in", precTest, 2
			}
		}
	}
	return "", -1, 0
}

func (p *parser) parseExpr(minPrec int) (expr, error) {
	start := p.peek().pos
	if err := p.enter(start); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		op, prec, n := p.binaryOp()
		if prec < 0 || prec < minPrec {
			break
		}
		for range n {
			p.next()
		}
		switch op {
		case "|":
			if left, err = p.parseFilter(left); err != nil {
				return nil, err
			}
		case "is":
			if left, err = p.parseTest(left); err != nil {
				return nil, err
			}
		default:
			if p.peek().kind == tEnd {
				return nil, p.errAt(p.peek().pos, "expected an expression after %q", op)
			}
			right, err := p.parseExpr(prec + 1)
			if err != nil {
				return nil, err
			}
			pos, _ := left.span()
			_, end := right.span()
			switch op {
			case "??", "???":
				left = &coalesceExpr{spanned{pos, end}, left, right, op == "???"}
			default:
				left = &binaryExpr{spanned{pos, end}, op, left, right}
			}
		}
	}
	if minPrec == 0 && p.peek().is("?") && p.peek().kind == tOp {
		p.next()
		a, err := p.parseExpr(0)
		if err != nil {
			return nil, err
		}
		if _, err := p.expectOp(":"); err != nil {
			return nil, err
		}
		b, err := p.parseExpr(0)
		if err != nil {
			return nil, err
		}
		pos, _ := left.span()
		_, end := b.span()
		left = &condExpr{spanned{pos, end}, left, a, b}
	}
	return left, nil
}

func (p *parser) parseUnary() (expr, error) {
	t := p.peek()
	switch {
	case t.kind == tName && t.s == "not":
		p.next()
		x, err := p.parseExpr(precNotOp)
		if err != nil {
			return nil, err
		}
		_, end := x.span()
		return &unaryExpr{spanned{t.pos, end}, "not", x}, nil
	case t.kind == tOp && (t.s == "-" || t.s == "+"):
		p.next()
		x, err := p.parseExpr(precUnary)
		if err != nil {
			return nil, err
		}
		_, end := x.span()
		// Fold signed number literals so that [-1] is a literal index.
		if lit, ok := x.(*litExpr); ok {
			switch v := lit.v.(type) {
			case int64:
				if t.s == "-" {
					v = -v
				}
				return &litExpr{spanned{t.pos, end}, v}, nil
			case float64:
				if t.s == "-" {
					v = -v
				}
				return &litExpr{spanned{t.pos, end}, v}, nil
			}
		}
		return &unaryExpr{spanned{t.pos, end}, t.s, x}, nil
	}
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	return p.parsePostfix(x)
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.next()
	sp := spanned{t.pos, t.end}
	switch t.kind {
	case tEnd:
		return nil, p.errAt(t.pos, "expected an expression, found end of tag")
	case tInt:
		return &litExpr{sp, t.i}, nil
	case tFloat:
		return &litExpr{sp, t.f}, nil
	case tString:
		return &litExpr{sp, t.s}, nil
	case tName:
		switch t.s {
		case "true", "TRUE", "True":
			return &litExpr{sp, true}, nil
		case "false", "FALSE", "False":
			return &litExpr{sp, false}, nil
		case "null", "NULL", "none", "NONE", "None", "nil":
			return &litExpr{sp, nil}, nil
		}
		if p.peek().is("(") && p.peek().kind == tOp {
			return p.parseCall(t)
		}
		return &varExpr{sp, t.s}, nil
	case tOp:
		switch t.s {
		case "(":
			x, err := p.parseExpr(0)
			if err != nil {
				return nil, err
			}
			if _, err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return x, nil
		case "[":
			l := &listExpr{spanned: sp}
			for !p.peek().is("]") || p.peek().kind != tOp {
				x, err := p.parseExpr(0)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, x)
				if !p.peek().is(",") || p.peek().kind != tOp {
					break
				}
				p.next()
			}
			end, err := p.expectOp("]")
			if err != nil {
				return nil, err
			}
			l.end = end.end
			return l, nil
		case "{":
			m := &mapExpr{spanned: sp}
			for !p.peek().is("}") || p.peek().kind != tOp {
				k, err := p.parseExpr(0)
				if err != nil {
					return nil, err
				}
				if _, err := p.expectOp(":"); err != nil {
					return nil, err
				}
				v, err := p.parseExpr(0)
				if err != nil {
					return nil, err
				}
				m.keys = append(m.keys, k)
				m.vals = append(m.vals, v)
				if !p.peek().is(",") || p.peek().kind != tOp {
					break
				}
				p.next()
			}
			end, err := p.expectOp("}")
			if err != nil {
				return nil, err
			}
			m.end = end.end
			return m, nil
		}
	}
	return nil, p.errAt(t.pos, "unexpected %s: expected an expression", t.describe())
}

func (p *parser) parsePostfix(x expr) (expr, error) {
	for {
		t := p.peek()
		if t.kind != tOp {
			return x, nil
		}
		pos, _ := x.span()
		switch t.s {
		case ".":
			p.next()
			n := p.next()
			a := &attrExpr{spanned: spanned{pos, n.end}, x: x, dot: true}
			switch n.kind {
			case tName:
				a.kind, a.name = keyName, n.s
			case tInt:
				a.kind, a.idx = keyIndex, n.i
			default:
				return nil, p.errAt(n.pos, "expected a name after '.', found %s", n.describe())
			}
			x = a
		case "[":
			p.next()
			if p.peek().is("]") {
				return nil, p.errAt(p.peek().pos, "expected a key or index inside []")
			}
			k, err := p.parseExpr(0)
			if err != nil {
				return nil, err
			}
			end, err := p.expectOp("]")
			if err != nil {
				return nil, err
			}
			a := &attrExpr{spanned: spanned{pos, end.end}, x: x, kind: keyExpr, key: k}
			if lit, ok := k.(*litExpr); ok {
				switch v := lit.v.(type) {
				case string:
					a.kind, a.name = keyName, v
				case int64:
					a.kind, a.idx = keyIndex, v
				}
			}
			x = a
		default:
			return x, nil
		}
	}
}

// parseArgs parses (a, b, name=c) into one expression per parameter.
func (p *parser) parseArgs(kind, name string, params []string, required int, variadic bool, namePos int) ([]expr, int, error) {
	if _, err := p.expectOp("("); err != nil {
		return nil, 0, err
	}
	var args []expr
	if !variadic {
		args = make([]expr, len(params))
	}
	positional := 0
	seenNamed := false
	for !(p.peek().is(")") && p.peek().kind == tOp) {
		t := p.peek()
		if t.kind == tName && p.peekAt(1).kind == tOp && p.peekAt(1).s == "=" {
			if variadic {
				return nil, 0, p.errAt(t.pos, "%s %q takes no named arguments", kind, name)
			}
			p.next()
			p.next()
			idx := -1
			for i, pn := range params {
				if pn == t.s {
					idx = i
				}
			}
			if idx < 0 {
				msg := "%s %q has no argument %q"
				if s := suggest(t.s, params); s != "" {
					msg += ` (did you mean "` + s + `"?)`
				}
				return nil, 0, p.errAt(t.pos, msg, kind, name, t.s)
			}
			if args[idx] != nil {
				return nil, 0, p.errAt(t.pos, "%s %q: argument %q given twice", kind, name, t.s)
			}
			x, err := p.parseExpr(0)
			if err != nil {
				return nil, 0, err
			}
			args[idx] = x
			seenNamed = true
		} else {
			if seenNamed {
				return nil, 0, p.errAt(t.pos, "%s %q: positional argument after a named one", kind, name)
			}
			x, err := p.parseExpr(0)
			if err != nil {
				return nil, 0, err
			}
			if variadic {
				args = append(args, x)
			} else {
				if positional >= len(params) {
					return nil, 0, p.errAt(t.pos, "%s %q takes at most %d argument(s)", kind, name, len(params))
				}
				args[positional] = x
			}
			positional++
		}
		if !(p.peek().is(",") && p.peek().kind == tOp) {
			break
		}
		p.next()
	}
	end, err := p.expectOp(")")
	if err != nil {
		return nil, 0, err
	}
	if variadic {
		if len(args) < required {
			return nil, 0, p.errAt(namePos, "%s %q needs at least %d argument(s)", kind, name, required)
		}
		return args, end.end, nil
	}
	for i := 0; i < required; i++ {
		if args[i] == nil {
			return nil, 0, p.errAt(namePos, "%s %q: missing argument %q", kind, name, params[i])
		}
	}
	return args, end.end, nil
}

func (p *parser) parseCall(name token) (expr, error) {
	def, ok := functions[name.s]
	if !ok {
		msg := "unknown function %q"
		if s := suggest(name.s, sortedKeys(functions)); s != "" {
			msg += ` (did you mean "` + s + `"?)`
		}
		return nil, p.errAt(name.pos, msg, name.s)
	}
	args, end, err := p.parseArgs("function", name.s, def.params, def.required, def.variadic, name.pos)
	if err != nil {
		return nil, err
	}
	c := &callExpr{spanned{name.pos, end}, name.s, def, args}
	return p.parsePostfix(c)
}

func (p *parser) parseFilter(input expr) (expr, error) {
	name := p.next()
	if name.kind != tName {
		return nil, p.errAt(name.pos, "expected a filter name after |, found %s", name.describe())
	}
	def, ok := filters[name.s]
	if !ok {
		msg := "unknown filter %q"
		if s := suggest(name.s, sortedKeys(filters)); s != "" {
			msg += ` (did you mean "` + s + `"?)`
		}
		return nil, p.errAt(name.pos, msg, name.s)
	}
	pos, _ := input.span()
	f := &filterExpr{spanned: spanned{pos, name.end}, x: input, name: name.s, namePos: name.pos, def: def}
	if p.peek().is("(") && p.peek().kind == tOp {
		args, end, err := p.parseArgs("filter", name.s, def.params, def.required, false, name.pos)
		if err != nil {
			return nil, err
		}
		f.args, f.end = args, end
	} else {
		if def.required > 0 {
			return nil, p.errAt(name.pos, "filter %q: missing argument %q", name.s, def.params[0])
		}
		f.args = make([]expr, len(def.params))
	}
	return f, nil
}

func (p *parser) parseTest(x expr) (expr, error) {
	negate := false
	if t := p.peek(); t.kind == tName && t.s == "not" {
		p.next()
		negate = true
	}
	name := p.next()
	if name.kind != tName {
		return nil, p.errAt(name.pos, "expected a test name after is (defined, null, empty, ...), found %s", name.describe())
	}
	pos, _ := x.span()
	t := &testExpr{spanned: spanned{pos, name.end}, x: x, name: name.s, negate: negate}
	switch name.s {
	case "defined":
	case "none":
		t.fn = tests["null"]
	default:
		fn, ok := tests[name.s]
		if !ok {
			msg := "unknown test %q"
			if s := suggest(name.s, append(sortedKeys(tests), "defined")); s != "" {
				msg += ` (did you mean "` + s + `"?)`
			}
			return nil, p.errAt(name.pos, msg, name.s)
		}
		t.fn = fn
	}
	return t, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
