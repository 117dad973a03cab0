package template

import (
	"slices"
	"sort"
	"strconv"
)

// refWalker collects the variable paths of a template statically. It tracks
// the names the template defines itself (loop variables, loop, set) so that
// they are not reported, and the paths guarded by {% if x is defined %}.
type refWalker struct {
	src     string
	refs    []Ref
	secrets []SecretRef
	scopes  [][]string
	guards  [][]string
}

func collectRefs(src string, nodes []node) ([]Ref, []SecretRef) {
	w := &refWalker{src: src, scopes: [][]string{nil}}
	w.nodes(nodes)
	sort.SliceStable(w.refs, func(i, j int) bool { return w.refs[i].Offset < w.refs[j].Offset })
	sort.SliceStable(w.secrets, func(i, j int) bool { return w.secrets[i].Offset < w.secrets[j].Offset })
	return w.refs, w.secrets
}

func (w *refWalker) isLocal(name string) bool {
	for _, sc := range w.scopes {
		if slices.Contains(sc, name) {
			return true
		}
	}
	return false
}

func (w *refWalker) define(name string) {
	top := len(w.scopes) - 1
	w.scopes[top] = append(w.scopes[top], name)
}

func (w *refWalker) guarded(path []string) bool {
	for _, g := range w.guards {
		if len(g) <= len(path) && slices.Equal(g, path[:len(g)]) {
			return true
		}
	}
	return false
}

// withGuards walks f with extra guarded paths.
func (w *refWalker) withGuards(gs [][]string, f func()) {
	n := len(w.guards)
	w.guards = append(w.guards, gs...)
	f()
	w.guards = w.guards[:n]
}

func (w *refWalker) nodes(nodes []node) {
	for _, n := range nodes {
		switch n := n.(type) {
		case *printNode:
			w.expr(n.x, false)
		case *ifNode:
			var negated [][]string // paths known defined because earlier `is not defined` conditions failed
			for i, c := range n.conds {
				w.withGuards(negated, func() { w.expr(c, false) })
				pos, neg := definedPaths(c)
				w.withGuards(append(pos, negated...), func() { w.nodes(n.bodies[i]) })
				negated = append(negated, neg...)
			}
			if n.els != nil {
				w.withGuards(negated, func() { w.nodes(n.els) })
			}
		case *forNode:
			w.expr(n.x, false)
			w.scopes = append(w.scopes, []string{"loop", n.val})
			if n.key != "" {
				w.define(n.key)
			}
			w.nodes(n.body)
			w.scopes = w.scopes[:len(w.scopes)-1]
			w.nodes(n.els)
		case *setNode:
			w.expr(n.x, false)
			w.define(n.name)
		}
	}
}

// definedPaths returns the static paths a condition proves defined when it
// is true (x is defined, joined by and) and those it proves defined when it
// is false (a lone x is not defined).
func definedPaths(c expr) (whenTrue, whenFalse [][]string) {
	switch c := c.(type) {
	case *testExpr:
		if c.fn != nil {
			return nil, nil
		}
		path, dynamic, _, ok := staticPath(c.x)
		if !ok || dynamic {
			return nil, nil
		}
		if c.negate {
			return nil, [][]string{path}
		}
		return [][]string{path}, nil
	case *binaryExpr:
		if c.op == "and" {
			l, _ := definedPaths(c.l)
			r, _ := definedPaths(c.r)
			return append(l, r...), nil
		}
	}
	return nil, nil
}

// staticPath returns the static prefix of a variable path expression, with
// its root variable; ok is false when x is not rooted in a variable.
func staticPath(x expr) (path []string, dynamic bool, root *varExpr, ok bool) {
	var steps []*attrExpr
	for {
		switch e := x.(type) {
		case *attrExpr:
			steps = append(steps, e)
			x = e.x
			continue
		case *varExpr:
			root = e
		default:
			return nil, false, nil, false
		}
		break
	}
	path = []string{root.name}
	for i := len(steps) - 1; i >= 0; i-- {
		switch st := steps[i]; st.kind {
		case keyName:
			path = append(path, st.name)
		case keyIndex:
			path = append(path, strconv.FormatInt(st.idx, 10))
		default:
			return path, true, root, true
		}
	}
	return path, false, root, true
}

func (w *refWalker) expr(x expr, optional bool) {
	switch e := x.(type) {
	case nil, *litExpr:
	case *varExpr, *attrExpr:
		path, dynamic, root, ok := staticPath(e)
		if !ok {
			a := e.(*attrExpr)
			w.expr(a.x, optional)
			if a.key != nil {
				w.expr(a.key, optional)
			}
			return
		}
		if !w.isLocal(root.name) {
			pos, end := e.span()
			line, col := lineCol(w.src, pos)
			w.refs = append(w.refs, Ref{
				Path: path, Dynamic: dynamic, Optional: optional || w.guarded(path),
				Offset: pos, Line: line, Col: col, Text: w.src[pos:end],
			})
		}
		// Computed keys read variables of their own.
		for a, ok := e.(*attrExpr); ok; a, ok = a.x.(*attrExpr) {
			if a.kind == keyExpr {
				w.expr(a.key, optional)
			}
		}
	case *listExpr:
		for _, i := range e.items {
			w.expr(i, optional)
		}
	case *mapExpr:
		for i := range e.keys {
			w.expr(e.keys[i], optional)
			w.expr(e.vals[i], optional)
		}
	case *callExpr:
		if e.name == "secret" && len(e.args) > 0 {
			if l, ok := e.args[0].(*litExpr); ok {
				if name, ok := l.v.(string); ok {
					pos, _ := e.span()
					line, col := lineCol(w.src, pos)
					w.secrets = append(w.secrets, SecretRef{Name: name, Offset: pos, Line: line, Col: col})
				}
			}
		}
		for _, a := range e.args {
			w.expr(a, optional)
		}
	case *filterExpr:
		w.expr(e.x, optional || e.name == "default")
		for _, a := range e.args {
			w.expr(a, optional)
		}
	case *testExpr:
		w.expr(e.x, optional || e.fn == nil)
	case *coalesceExpr:
		w.expr(e.l, true)
		w.expr(e.r, optional)
	case *condExpr:
		w.expr(e.c, optional)
		pos, neg := definedPaths(e.c)
		w.withGuards(pos, func() { w.expr(e.a, optional) })
		w.withGuards(neg, func() { w.expr(e.b, optional) })
	case *unaryExpr:
		w.expr(e.x, optional)
	case *binaryExpr:
		w.expr(e.l, optional)
		if e.op == "and" {
			// In `x is defined and x.y == 1` the right side only runs when
			// the left side held.
			pos, _ := definedPaths(e.l)
			w.withGuards(pos, func() { w.expr(e.r, optional) })
			return
		}
		w.expr(e.r, optional)
	}
}
