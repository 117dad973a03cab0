// Package template renders the Pebble-like templates of Kestra flows:
// {{ outputs.query.uri }}, {% if %}, {% for %}, filters such as
// | date('yyyy-MM-dd') and | jq('.a'). Parse a template once and render it
// many times; Refs lists the variables it reads so that a flow can be
// validated before it runs. docs/templates.md describes the language.
//
// Undefined variables are errors, never empty strings, and say which key is
// missing and which one was probably meant. Rendering reads nothing but the
// variables it is given: no files, no environment.
package template

import (
	"context"
	"strings"
	"sync"
)

// Template is a parsed template. It is safe for concurrent use.
type Template struct {
	src    string
	nodes  []node
	static bool
	// single is the expression when the source is exactly one {{ expr }}
	// with only whitespace around it.
	single expr
	// bare is true when single has no whitespace around it either.
	bare bool

	refsOnce sync.Once
	refs     []Ref
	secrets  []SecretRef
}

// SecretRef is a secret('NAME') call with a literal name.
type SecretRef struct {
	Name string
	// Offset (bytes), Line and Col (1-based) of the call in the source.
	Offset, Line, Col int
}

// Ref is a variable path the template reads.
type Ref struct {
	// Path is the static prefix of the path: names and literal keys, up to
	// the first key computed at render time. outputs['task-id'][taskrun.value].value
	// gives ["outputs", "task-id"] with Dynamic set. Literal integer indexes
	// appear as their decimal text: parents[0].taskrun.value gives
	// ["parents", "0", "taskrun", "value"].
	Path []string
	// Dynamic is true when the path continues past Path with a computed key.
	Dynamic bool
	// Optional is true when the template copes with the path being absent:
	// it is tested with `is defined` / `is not defined`, is left of ?? or ???,
	// is piped into default(...), or is read inside
	// {% if path is defined %} (or the else branch of `is not defined`).
	Optional bool
	// Offset (bytes), Line and Col (1-based, characters) of the path's
	// first character in the source.
	Offset, Line, Col int
	// Text is the source text of the whole path.
	Text string
}

// Parse parses src. Syntax errors are *Error values with the position.
func Parse(src string) (*Template, error) {
	t := &Template{src: src}
	if nextOpen(src, 0) < 0 {
		t.static = true
		t.nodes = []node{&textNode{text: src}}
		return t, nil
	}
	items, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, items: items}
	nodes, _, err := p.parseNodes()
	if err != nil {
		return nil, err
	}
	t.nodes = nodes
	t.static = true
	for _, it := range items {
		if it.kind != iText {
			t.static = false
		}
	}
	if t.static {
		// Only comments: render the text that remains.
		return t, nil
	}
	var single expr
	count := 0
	for _, n := range nodes {
		switch n := n.(type) {
		case *printNode:
			single = n.x
			count++
		case *textNode:
			if strings.TrimSpace(n.text) != "" {
				count = 2
			}
		default:
			count = 2
		}
	}
	if count == 1 {
		t.single = single
		t.bare = len(nodes) == 1
	}
	return t, nil
}

// MustParse is Parse for templates known to be valid; it panics on error.
func MustParse(src string) *Template {
	t, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return t
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// IsStatic reports whether the template has no tags: Render returns the
// source unchanged (comments aside).
func (t *Template) IsStatic() bool {
	return t.static && len(t.nodes) == 1 && t.nodes[0].(*textNode).text == t.src
}

// Render renders the template with vars. Errors are *Error values with the
// position of the failing expression; undefined variables wrap an
// *UndefinedError, exceeded limits a *LimitError.
func (t *Template) Render(vars map[string]any) (string, error) {
	return t.RenderContext(context.Background(), vars)
}

// RenderContext is Render that stops, with an error wrapping the context's
// cause, soon after ctx is done.
func (t *Template) RenderContext(ctx context.Context, vars map[string]any) (string, error) {
	if t.static {
		return t.staticText(), nil
	}
	s := &state{src: t.src, vars: vars, budget: newBudget(ctx)}
	if t.bare {
		v, err := t.single.eval(s)
		if err != nil {
			return "", err
		}
		pos, _ := t.single.span()
		str, ok := v.(string)
		if !ok {
			b, err := appendValue(nil, v)
			if err != nil {
				return "", wrapAt(t.src, pos, err)
			}
			str = string(b)
		}
		if len(str) > limits.Output {
			return "", wrapAt(t.src, pos, limitErr("output"))
		}
		return str, nil
	}
	var b strings.Builder
	b.Grow(len(t.src))
	if err := s.render(&b, t.nodes); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (t *Template) staticText() string {
	var b strings.Builder
	for _, n := range t.nodes {
		b.WriteString(n.(*textNode).text)
	}
	return b.String()
}

// Eval renders the template, except that a source that is exactly one
// {{ expr }} (whitespace around it allowed) returns the expression's value
// with its type: a list, a map, an int64, a bool, a time.Time, nil, ...
// Map literals and json() values are *OrderedMap; see Plain.
func (t *Template) Eval(vars map[string]any) (any, error) {
	return t.EvalContext(context.Background(), vars)
}

// EvalContext is Eval that stops soon after ctx is done. A value bigger
// than the Value limit (a list holding itself many times over) is an
// error, so that the caller never expands it.
func (t *Template) EvalContext(ctx context.Context, vars map[string]any) (any, error) {
	if t.single == nil {
		return t.RenderContext(ctx, vars)
	}
	s := &state{src: t.src, vars: vars, budget: newBudget(ctx)}
	v, err := t.single.eval(s)
	if err != nil {
		return nil, err
	}
	if err := checkSize(v); err != nil {
		pos, _ := t.single.span()
		return nil, wrapAt(t.src, pos, err)
	}
	return v, nil
}

// Refs returns every variable path the template reads (loop variables and
// names assigned with set excluded), in source order.
func (t *Template) Refs() []Ref {
	t.refsOnce.Do(t.collect)
	out := make([]Ref, len(t.refs))
	for i, r := range t.refs {
		r.Path = append([]string(nil), r.Path...)
		out[i] = r
	}
	return out
}

// Secrets returns the secret('NAME') calls whose name is a string literal,
// in source order, so that a flow can be checked for missing secrets
// before it runs.
func (t *Template) Secrets() []SecretRef {
	t.refsOnce.Do(t.collect)
	return append([]SecretRef(nil), t.secrets...)
}

func (t *Template) collect() { t.refs, t.secrets = collectRefs(t.src, t.nodes) }

// Render parses and renders src.
func Render(src string, vars map[string]any) (string, error) {
	t, err := Parse(src)
	if err != nil {
		return "", err
	}
	return t.Render(vars)
}
