package template

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

type binding struct {
	name string
	val  any
}

// state is one rendering.
type state struct {
	src    string
	vars   map[string]any
	locals []binding
	budget
	// scratch formats non-string values without allocating a string.
	scratch    []byte
	scratchBuf [64]byte
}

func (s *state) lookup(name string) (any, bool) {
	for i := len(s.locals) - 1; i >= 0; i-- {
		if s.locals[i].name == name {
			return s.locals[i].val, true
		}
	}
	v, ok := s.vars[name]
	return v, ok
}

func (s *state) set(name string, v any) {
	for i := len(s.locals) - 1; i >= 0; i-- {
		if s.locals[i].name == name {
			s.locals[i].val = v
			return
		}
	}
	s.locals = append(s.locals, binding{name, v})
}

func (s *state) names() []string {
	names := make([]string, 0, len(s.vars)+len(s.locals))
	for k := range s.vars {
		names = append(names, k)
	}
	for _, b := range s.locals {
		names = append(names, b.name)
	}
	return names
}

// stepAt counts one step of work at byte offset pos of the source.
func (s *state) stepAt(pos int) error {
	if err := s.step(); err != nil {
		return newError(s.src, pos, err, "%v", err)
	}
	return nil
}

func (s *state) render(b *strings.Builder, nodes []node) error {
	for _, n := range nodes {
		if _, text := n.(*textNode); !text {
			if err := s.stepAt(nodePos(n)); err != nil {
				return err
			}
		}
		switch n := n.(type) {
		case *textNode:
			b.WriteString(n.text)
		case *printNode:
			v, err := n.x.eval(s)
			if err != nil {
				return err
			}
			if err := s.write(b, n.x, v); err != nil {
				return err
			}
		case *ifNode:
			done := false
			for i, c := range n.conds {
				v, err := c.eval(s)
				if err != nil {
					return err
				}
				if truthy(v) {
					if err := s.render(b, n.bodies[i]); err != nil {
						return err
					}
					done = true
					break
				}
			}
			if !done && n.els != nil {
				if err := s.render(b, n.els); err != nil {
					return err
				}
			}
		case *forNode:
			if err := s.renderFor(b, n); err != nil {
				return err
			}
		case *setNode:
			v, err := n.x.eval(s)
			if err != nil {
				return err
			}
			s.set(n.name, v)
		}
		if b.Len() > limits.Output {
			return newError(s.src, nodePos(n), limitErr("output"), "%v", limitErr("output"))
		}
	}
	return nil
}

// nodePos is where a node starts in the source, for errors; text has no
// position of its own and reports the start.
func nodePos(n node) int {
	var x expr
	switch n := n.(type) {
	case *printNode:
		x = n.x
	case *ifNode:
		x = n.conds[0]
	case *forNode:
		return n.pos
	case *setNode:
		return n.pos
	}
	if x == nil {
		return 0
	}
	pos, _ := x.span()
	return pos
}

func (s *state) write(b *strings.Builder, x expr, v any) error {
	switch v := v.(type) {
	case string:
		b.WriteString(v)
		return nil
	case nil:
		return nil
	}
	if s.scratch == nil {
		s.scratch = s.scratchBuf[:0]
	}
	buf, err := appendValue(s.scratch[:0], v)
	if err != nil {
		pos, _ := x.span()
		return wrapAt(s.src, pos, err)
	}
	s.scratch = buf
	b.Write(buf)
	return nil
}

func (s *state) renderFor(b *strings.Builder, n *forNode) error {
	v, err := n.x.eval(s)
	if err != nil {
		return err
	}
	v = norm(v)
	var keys []string
	var items []any
	isMap := false
	if l, ok := asList(v); ok {
		items = l
	} else if k, ok := mapKeys(v); ok {
		keys, isMap = k, true
	} else if v == nil {
		// Looping over null renders the else branch, like an empty list.
	} else if str, ok := v.(string); ok && str == "" {
	} else {
		pos, _ := n.x.span()
		return newError(s.src, pos, nil, "cannot loop over %s: need a list or a map", kindName(v))
	}
	count := len(items)
	if isMap {
		count = len(keys)
	}
	if count == 0 {
		if n.els != nil {
			return s.render(b, n.els)
		}
		return nil
	}
	base := len(s.locals)
	info := &loopInfo{length: count}
	s.locals = append(s.locals, binding{"loop", info}, binding{n.val, nil})
	if n.key != "" {
		s.locals = append(s.locals, binding{n.key, nil})
	}
	defer func() { s.locals = s.locals[:base] }()
	for i := 0; i < count; i++ {
		if err := s.stepAt(n.pos); err != nil {
			return err
		}
		info.index = i
		var key, val any
		switch {
		case isMap:
			e, _ := getKey(v, keys[i])
			if n.key != "" {
				key, val = keys[i], e
			} else {
				entry := NewOrderedMap(2)
				entry.Set("key", keys[i])
				entry.Set("value", e)
				val = entry
			}
		default:
			key, val = int64(i), items[i]
		}
		s.locals[base+1].val = val
		if n.key != "" {
			s.locals[base+2].val = key
		}
		if err := s.render(b, n.body); err != nil {
			return err
		}
	}
	return nil
}

// Expression evaluation.

func (e *litExpr) eval(*state) (any, error) { return e.v, nil }

func (e *listExpr) eval(s *state) (any, error) {
	out := make([]any, len(e.items))
	for i, x := range e.items {
		v, err := x.eval(s)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (e *mapExpr) eval(s *state) (any, error) {
	m := NewOrderedMap(len(e.keys))
	for i, kx := range e.keys {
		k, err := kx.eval(s)
		if err != nil {
			return nil, err
		}
		ks, ok := keyString(k)
		if !ok {
			pos, _ := kx.span()
			return nil, newError(s.src, pos, nil, "map key must be a string or a number, got %s", kindName(k))
		}
		v, err := e.vals[i].eval(s)
		if err != nil {
			return nil, err
		}
		m.Set(ks, v)
	}
	return m, nil
}

func keyString(k any) (string, bool) {
	switch k := norm(k).(type) {
	case string:
		return k, true
	case int64:
		return strconv.FormatInt(k, 10), true
	case bool:
		return strconv.FormatBool(k), true
	}
	return "", false
}

func (e *varExpr) eval(s *state) (any, error) {
	if v, ok := s.lookup(e.name); ok {
		return v, nil
	}
	return nil, wrapAt(s.src, e.pos, &UndefinedError{Path: e.name, Suggestion: suggest(e.name, s.names())})
}

// describePath renders a path expression for messages: outputs.query,
// outputs['task-id'][taskrun.value].
func describePath(src string, x expr) string {
	switch x := x.(type) {
	case *varExpr:
		return x.name
	case *attrExpr:
		base := describePath(src, x.x)
		switch x.kind {
		case keyName:
			return base + describeKey(x.name)
		case keyIndex:
			return base + "[" + strconv.FormatInt(x.idx, 10) + "]"
		default:
			pos, end := x.key.span()
			return base + "[" + src[pos:end] + "]"
		}
	}
	pos, end := x.span()
	return src[pos:end]
}

func describeKey(k string) string {
	if isIdent(k) {
		return "." + k
	}
	return "['" + strings.ReplaceAll(strings.ReplaceAll(k, `\`, `\\`), "'", `\'`) + "']"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}

func (e *attrExpr) eval(s *state) (any, error) {
	base, err := e.x.eval(s)
	if err != nil {
		return nil, err
	}
	kind, name, idx := e.kind, e.name, e.idx
	if kind == keyExpr {
		k, err := e.key.eval(s)
		if err != nil {
			return nil, err
		}
		switch k := norm(k).(type) {
		case string:
			kind, name = keyName, k
		case int64:
			kind, idx = keyIndex, k
		case float64:
			if k != math.Trunc(k) {
				pos, _ := e.key.span()
				return nil, newError(s.src, pos, nil, "index %v is not a whole number", k)
			}
			kind, idx = keyIndex, int64(k)
		case bool:
			kind, name = keyName, strconv.FormatBool(k)
		default:
			pos, _ := e.key.span()
			return nil, newError(s.src, pos, nil, "cannot use %s as a key", kindName(k))
		}
	}
	if kind == keyName {
		if lm, ok := base.(LookupMap); ok {
			v, ok, err := lm.Lookup(name)
			if err != nil {
				return nil, wrapAt(s.src, e.pos, err)
			}
			if ok {
				return v, nil
			}
			return nil, s.undefinedKey(e, base, name, missing)
		}
		v, st := getKey(base, name)
		switch st {
		case found:
			return v, nil
		case notContainer:
			// A numeric key on a list reads an element: list['0'].
			if i, err := strconv.ParseInt(name, 10, 64); err == nil {
				if _, ok := asList(base); ok {
					kind, idx = keyIndex, i
					break
				}
			}
			fallthrough
		default:
			return nil, s.undefinedKey(e, base, name, st)
		}
	}
	v, st, n := getIndex(base, idx)
	switch st {
	case found:
		return v, nil
	case notContainer:
		// An integer key on a map reads the key written in decimal.
		if _, ok := mapKeys(base); ok {
			key := strconv.FormatInt(idx, 10)
			if v, st := getKey(base, key); st == found {
				return v, nil
			}
			return nil, s.undefinedKey(e, base, key, missing)
		}
	}
	path := describePath(s.src, e.x) + "[" + strconv.FormatInt(idx, 10) + "]"
	u := &UndefinedError{Path: path}
	basePath := describePath(s.src, e.x)
	switch st {
	case outOfRange:
		u.Reason = fmt.Sprintf("index %d is out of range: %s has %d element(s)", idx, basePath, n)
	case isNull:
		u.Reason = basePath + " is null"
	default:
		u.Reason = fmt.Sprintf("%s is a %s, not a list", basePath, kindName(base))
	}
	return nil, wrapAt(s.src, e.pos, u)
}

func (s *state) undefinedKey(e *attrExpr, base any, key string, st status) error {
	basePath := describePath(s.src, e.x)
	u := &UndefinedError{Path: basePath + describeKey(key)}
	switch st {
	case missing:
		keys, _ := mapKeys(base)
		u.Reason = fmt.Sprintf("%s has no key %q", basePath, key)
		u.Suggestion = suggest(key, keys)
	case isNull:
		u.Reason = basePath + " is null"
	default:
		u.Reason = fmt.Sprintf("%s is a %s, not a map", basePath, kindName(base))
	}
	return wrapAt(s.src, e.pos, u)
}

// isUndefined reports whether err is (or wraps) an undefined variable.
func isUndefined(err error) bool {
	var u *UndefinedError
	return errors.As(err, &u)
}

func (e *callExpr) eval(s *state) (any, error) {
	if err := s.stepAt(e.pos); err != nil {
		return nil, err
	}
	args, err := evalArgs(s, e.args)
	if err != nil {
		return nil, err
	}
	v, err := e.def.fn(&call{s: s, name: e.name, params: e.def.params, args: args})
	if err != nil {
		return nil, wrapAt(s.src, e.pos, fmt.Errorf("function %s: %w", e.name, err))
	}
	return v, nil
}

// absentArg marks an optional argument that was not given.
type absentArg struct{}

func evalArgs(s *state, xs []expr) ([]any, error) {
	if len(xs) == 0 {
		return nil, nil
	}
	args := make([]any, len(xs))
	for i, x := range xs {
		if x == nil {
			args[i] = absentArg{}
			continue
		}
		v, err := x.eval(s)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return args, nil
}

func (e *filterExpr) eval(s *state) (any, error) {
	if err := s.stepAt(e.namePos); err != nil {
		return nil, err
	}
	in, err := e.x.eval(s)
	undefined := false
	if err != nil {
		if e.name != "default" || !isUndefined(err) {
			return nil, err
		}
		undefined = true
	}
	args, err := evalArgs(s, e.args)
	if err != nil {
		return nil, err
	}
	c := &call{s: s, name: e.name, params: e.def.params, args: args, undefined: undefined}
	v, err := e.def.fn(c, in)
	if err != nil {
		return nil, wrapAt(s.src, e.namePos, fmt.Errorf("filter %s: %w", e.name, err))
	}
	return v, nil
}

func (e *testExpr) eval(s *state) (any, error) {
	v, err := e.x.eval(s)
	var ok bool
	if e.fn == nil { // defined
		if err != nil && !isUndefined(err) {
			return nil, err
		}
		// Pebble's `defined` is the inverse of `null`: a null value (an
		// optional input that was not given) is not defined.
		ok = err == nil && v != nil
	} else {
		if err != nil {
			return nil, err
		}
		if ok, err = e.fn(v); err != nil {
			pos, _ := e.x.span()
			return nil, wrapAt(s.src, pos, fmt.Errorf("test %s: %w", e.name, err))
		}
	}
	return ok != e.negate, nil
}

func (e *coalesceExpr) eval(s *state) (any, error) {
	v, err := e.l.eval(s)
	if err == nil && (v != nil || e.undefinedOnly) {
		return v, nil
	}
	if err != nil && !isUndefined(err) {
		return nil, err
	}
	return e.r.eval(s)
}

func (e *condExpr) eval(s *state) (any, error) {
	c, err := e.c.eval(s)
	if err != nil {
		return nil, err
	}
	if truthy(c) {
		return e.a.eval(s)
	}
	return e.b.eval(s)
}

func (e *unaryExpr) eval(s *state) (any, error) {
	v, err := e.x.eval(s)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "not":
		return !truthy(v), nil
	case "+":
		if v = norm(v); isNumber(v) {
			return v, nil
		}
	case "-":
		switch x := norm(v).(type) {
		case int64:
			if x == math.MinInt64 {
				return -float64(x), nil
			}
			return -x, nil
		case float64:
			return -x, nil
		}
	}
	return nil, newError(s.src, e.pos, nil, "unary %s needs a number, got %s", e.op, kindName(v))
}

func (e *binaryExpr) eval(s *state) (any, error) {
	if err := s.stepAt(e.pos); err != nil {
		return nil, err
	}
	l, err := e.l.eval(s)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "and":
		if !truthy(l) {
			return false, nil
		}
		r, err := e.r.eval(s)
		if err != nil {
			return nil, err
		}
		return truthy(r), nil
	case "or":
		if truthy(l) {
			return true, nil
		}
		r, err := e.r.eval(s)
		if err != nil {
			return nil, err
		}
		return truthy(r), nil
	}
	r, err := e.r.eval(s)
	if err != nil {
		return nil, err
	}
	v, err := binary(e.op, l, r)
	if err != nil {
		return nil, wrapAt(s.src, e.pos, err)
	}
	return v, nil
}

func binary(op string, l, r any) (any, error) {
	switch op {
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "<", ">", "<=", ">=":
		c, err := compare(l, r)
		if err != nil {
			return nil, err
		}
		switch op {
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		}
		return c >= 0, nil
	case "~":
		ls, err := toString(l)
		if err != nil {
			return nil, err
		}
		rs, err := toString(r)
		if err != nil {
			return nil, err
		}
		if err := checkString(len(ls) + len(rs)); err != nil {
			return nil, err
		}
		return ls + rs, nil
	case "in", "not in":
		ok, err := contains(r, l)
		return ok == (op == "in"), err
	case "contains":
		return contains(l, r)
	case "..":
		return rangeList(l, r, int64(1))
	}
	return arith(op, l, r)
}

// contains reports whether container holds item: an element of a list, a
// key of a map, a substring of a string. A null container holds nothing.
func contains(container, item any) (bool, error) {
	container = norm(container)
	switch c := container.(type) {
	case nil:
		return false, nil
	case string:
		sub, err := toString(item)
		if err != nil {
			return false, err
		}
		return strings.Contains(c, sub), nil
	}
	if l, ok := asList(container); ok {
		for _, e := range l {
			if equal(e, item) {
				return true, nil
			}
		}
		return false, nil
	}
	if _, ok := mapKeys(container); ok {
		k, ok := keyString(item)
		if !ok {
			return false, nil
		}
		_, st := getKey(container, k)
		return st == found, nil
	}
	return false, fmt.Errorf("cannot look inside %s: need a list, a map or a string", kindName(container))
}

func arith(op string, l, r any) (any, error) {
	l, r = norm(l), norm(r)
	if op == "+" {
		// Pebble: a string on either side concatenates, a list appends.
		if _, ok := l.(string); ok {
			return binary("~", l, r)
		}
		if _, ok := r.(string); ok {
			return binary("~", l, r)
		}
		if ll, ok := asList(l); ok {
			var add []any
			if rl, ok := asList(r); ok {
				add = rl
			} else {
				add = []any{r}
			}
			if err := checkList(len(ll) + len(add)); err != nil {
				return nil, err
			}
			out := make([]any, 0, len(ll)+len(add))
			return append(append(out, ll...), add...), nil
		}
	}
	if op == "-" {
		if ll, ok := asList(l); ok {
			remove, ok := asList(r)
			if !ok {
				remove = []any{r}
			}
			out := make([]any, 0, len(ll))
		next:
			for _, e := range ll {
				for _, x := range remove {
					if equal(e, x) {
						continue next
					}
				}
				out = append(out, e)
			}
			return out, nil
		}
	}
	li, lInt := l.(int64)
	ri, rInt := r.(int64)
	if lInt && rInt {
		switch op {
		case "+":
			if s := li + ri; (s > li) == (ri > 0) {
				return s, nil
			}
			return float64(li) + float64(ri), nil
		case "-":
			if d := li - ri; (d < li) == (ri > 0) {
				return d, nil
			}
			return float64(li) - float64(ri), nil
		case "*":
			if li == 0 || ri == 0 {
				return int64(0), nil
			}
			if p := li * ri; p/ri == li && !(li == -1 && ri == math.MinInt64) && !(ri == -1 && li == math.MinInt64) {
				return p, nil
			}
			return float64(li) * float64(ri), nil
		case "/":
			if ri == 0 {
				return nil, errors.New("division by zero")
			}
			if li%ri == 0 && !(li == math.MinInt64 && ri == -1) {
				return li / ri, nil
			}
			return float64(li) / float64(ri), nil
		case "%":
			if ri == 0 {
				return nil, errors.New("modulo by zero")
			}
			if ri == -1 {
				return int64(0), nil
			}
			return li % ri, nil
		}
	}
	lf, lok := toFloat(l)
	rf, rok := toFloat(r)
	if !lok || !rok {
		return nil, fmt.Errorf("cannot apply %s to %s and %s", op, kindName(l), kindName(r))
	}
	switch op {
	case "+":
		return lf + rf, nil
	case "-":
		return lf - rf, nil
	case "*":
		return lf * rf, nil
	case "/":
		if rf == 0 {
			return nil, errors.New("division by zero")
		}
		return lf / rf, nil
	case "%":
		if rf == 0 {
			return nil, errors.New("modulo by zero")
		}
		return math.Mod(lf, rf), nil
	}
	return nil, fmt.Errorf("unknown operator %s", op)
}

// rangeList is from..to inclusive by step; empty when step points away from to.
func rangeList(from, to, step any) ([]any, error) {
	a, ok1 := norm(from).(int64)
	b, ok2 := norm(to).(int64)
	st, ok3 := norm(step).(int64)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("range needs integers, got %s and %s", kindName(from), kindName(to))
	}
	if st == 0 {
		return nil, errors.New("range step must not be 0")
	}
	var n float64
	if (st > 0 && a <= b) || (st < 0 && a >= b) {
		n = math.Floor((float64(b)-float64(a))/float64(st)) + 1
	}
	if n > float64(maxElements()) {
		return nil, fmt.Errorf("range of %.0f elements: %w", n, limitErr("value"))
	}
	out := make([]any, 0, int(n))
	for i, v := 0, a; i < int(n); i, v = i+1, v+st {
		out = append(out, v)
	}
	return out, nil
}
