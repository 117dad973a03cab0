package template

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"{{ x ", 1, 1, "unclosed {{: missing }}"},
		{"ab\n{% if x ", 2, 1, "unclosed {%: missing %}"},
		{"{% if x %}yes", 1, 1, "unclosed {% if %}: missing {% endif %}"},
		{"{% for x in y %}", 1, 1, "unclosed {% for %}: missing {% endfor %}"},
		{"{% if a %}{% else %}", 1, 1, "unclosed {% if %}: missing {% endif %}"},
		{"a\n  {% endfor %}", 2, 6, "unexpected {% endfor %}: no block is open"},
		{"{% if x %}{% endfor %}", 1, 14, "unexpected {% endfor %}: expected {% endif %}"},
		{"{% if x %}{% endif y %}", 1, 20, `unexpected "y": expected end of tag`},
		{"{{ x | uper }}", 1, 8, `unknown filter "uper" (did you mean "upper"?)`},
		{"{{ x | datAdd(1, 'DAYS') }}", 1, 8, `unknown filter "datAdd" (did you mean "dateAdd"?)`},
		{"{{ x | zzzzzz }}", 1, 8, `unknown filter "zzzzzz"`},
		{"{{ nwo() }}", 1, 4, `unknown function "nwo" (did you mean "now"?)`},
		{"{{ x is defind }}", 1, 9, `unknown test "defind" (did you mean "defined"?)`},
		{"{% iff x %}", 1, 4, `unknown tag "iff" (did you mean "if"?)`},
		{"{% 'x' %}", 1, 4, `expected a tag name`},
		{"{{ }}", 1, 1, "empty {{ }}: expected an expression"},
		{"{{ 1 + }}", 1, 8, `expected an expression after "+"`},
		{"{{ 'abc }}", 1, 4, "unclosed string: missing '"},
		{`{{ "a\u12 }}`, 1, 6, `invalid \u escape`},
		{"{{ a b }}", 1, 6, `unexpected "b": expected end of tag`},
		{"{{ x | date(fromat='x') }}", 1, 13, `filter "date" has no argument "fromat" (did you mean "format"?)`},
		{"{{ x | date(format='x', format='y') }}", 1, 25, `argument "format" given twice`},
		{"{{ x | date(format='x', 'y') }}", 1, 25, `positional argument after a named one`},
		{"{{ x | replace }}", 1, 8, `filter "replace": missing argument "replace_pairs"`},
		{"{{ x | slice(1, 2, 3) }}", 1, 20, `filter "slice" takes at most 2 argument(s)`},
		{"{{ range(1) }}", 1, 4, `function "range": missing argument "end"`},
		{"{{ max() }}", 1, 4, `function "max" needs at least 1 argument(s)`},
		{"{{ max(a=1) }}", 1, 8, `function "max" takes no named arguments`},
		{"{{ a[] }}", 1, 6, "expected a key or index inside []"},
		{"{{ a. }}", 1, 7, "expected a name after '.'"},
		{"{# never closed", 1, 1, "unclosed comment: missing #}"},
		{"x{% verbatim %}y", 1, 2, "unclosed verbatim block: missing {% endverbatim %}"},
		{"{{ 99999999999999999999 }}", 1, 4, "integer 99999999999999999999 is out of range"},
		{"{{ a ? b }}", 1, 10, `expected ":", found end of tag`},
		{"{{ (1 }}", 1, 7, `expected ")", found end of tag`},
		{"{{ [1, 2 }}", 1, 10, `expected "]"`},
		{"{{ {'a' 1} }}", 1, 9, `expected ":"`},
		{"{% for in x %}{% endfor %}", 1, 11, `expected "in" in for tag, found "x"`},
		{"{% for 1 in x %}{% endfor %}", 1, 8, `expected a loop variable name`},
		{"{% set = 1 %}", 1, 8, "expected a variable name after set"},
		{"{% set x 1 %}", 1, 10, "expected = after {% set x"},
		{"{% set x = %}", 1, 12, "expected an expression"},
		{"{% if %}{% endif %}", 1, 7, "expected an expression"},
		{"{{ x @ y }}", 1, 6, "unexpected character '@'"},
		{"{{ x | 1 }}", 1, 8, "expected a filter name after |"},
		{"{{ x is 1 }}", 1, 9, "expected a test name after is"},
		{"{{ ) }}", 1, 4, `unexpected ")": expected an expression`},
		{"{% else %}", 1, 4, "unexpected {% else %}: no block is open"},
		{"line1\nline2 {{ x |\n  nope }}", 3, 3, `unknown filter "nope"`},
		{"é {{ x | nope }}", 1, 10, `unknown filter "nope"`},
		{"{{ " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + " }}", 1, 0, "nested deeper than 200 levels"},
		{strings.Repeat("{% if x %}", 300), 1, 0, "nested deeper than 200 levels"},
	}
	for _, c := range cases {
		_, err := Parse(c.src)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q): got %v, want *Error", c.src, err)
			continue
		}
		if !strings.Contains(e.Msg, c.msg) {
			t.Errorf("Parse(%q): message %q, want it to contain %q", c.src, e.Msg, c.msg)
		}
		if c.col > 0 && (e.Line != c.line || e.Col != c.col) {
			t.Errorf("Parse(%q) (%s): at %d:%d, want %d:%d", c.src, e.Msg, e.Line, e.Col, c.line, c.col)
		}
		if wantLine, _ := lineCol(c.src, e.Offset); wantLine != e.Line {
			t.Errorf("Parse(%q): Offset %d does not match line %d", c.src, e.Offset, e.Line)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	cases := []struct {
		src        string
		line, col  int
		msg        string
		path, sugg string // UndefinedError fields when path != ""
	}{
		{"{{ outputs.quer.uri }}", 1, 4,
			`undefined variable "outputs.quer": outputs has no key "quer" (did you mean "query"?)`, "outputs.quer", "query"},
		{"{{ inptus.name }}", 1, 4, `undefined variable "inptus" (did you mean "inputs"?)`, "inptus", "inputs"},
		{"{{ zzz }}", 1, 4, `undefined variable "zzz"`, "zzz", ""},
		{"{{ outputs.query.URI }}", 1, 4, `outputs.query has no key "URI" (did you mean "uri"?)`, "outputs.query.URI", "uri"},
		{"{{ outputs.query.ur }}", 1, 4, `(did you mean "uri"?)`, "outputs.query.ur", "uri"},
		{"{{ outputs.query.rowsCount }}", 1, 4, `(did you mean "rows"?)`, "outputs.query.rowsCount", "rows"},
		{"{{ outputs['task-id'][taskrun.value].vale }}", 1, 4,
			`undefined variable "outputs['task-id'][taskrun.value].vale": outputs['task-id'][taskrun.value] has no key "vale" (did you mean "value"?)`,
			"outputs['task-id'][taskrun.value].vale", "value"},
		{"{{ outputs['task-id'][inputs.name] }}", 1, 4, `outputs['task-id'] has no key "World"`, "outputs['task-id'].World", ""},
		{"{{ outputs['task'] }}", 1, 4, `outputs has no key "task" (did you mean "task-id"?)`, "outputs.task", "task-id"},
		{"{{ parents[5].taskrun.value }}", 1, 4, `undefined variable "parents[5]": index 5 is out of range: parents has 2 element(s)`, "parents[5]", ""},
		{"{{ parents[-3] }}", 1, 4, `index -3 is out of range`, "parents[-3]", ""},
		{"{{ inputs.nothing.x }}", 1, 4, `undefined variable "inputs.nothing.x": inputs.nothing is null`, "inputs.nothing.x", ""},
		{"{{ inputs.name.x }}", 1, 4, `inputs.name is a string, not a map`, "inputs.name.x", ""},
		{"{{ inputs.name[0] }}", 1, 4, `inputs.name is a string, not a list`, "inputs.name[0]", ""},
		{"{{ list.x }}", 1, 4, `list is a list, not a map`, "list.x", ""},
		{"a\n  b {{ x.y }}", 2, 8, `undefined variable "x"`, "x", ""},
		{"{% set total = 1 %}{{ totl }}", 1, 23, `(did you mean "total"?)`, "totl", "total"},
		{"{% for row in list %}{{ rwo }}{% endfor %}", 1, 25, `(did you mean "row"?)`, "rwo", "row"},
		{"{{ x is even }}", 1, 4, `undefined variable "x"`, "x", ""},
		{"{{ missing | upper }}", 1, 4, `undefined variable "missing"`, "missing", ""},
		{"{{ 'a' ~ missing.x }}", 1, 10, `undefined variable "missing"`, "missing", ""},
		{"{{ 1 / 0 }}", 1, 4, "division by zero", "", ""},
		{"{{ 1 % 0 }}", 1, 4, "modulo by zero", "", ""},
		{"{{ (1 / 0) ?? 'x' }}", 1, 5, "division by zero", "", ""},
		{"{{ (1 / 0) is defined }}", 1, 5, "division by zero", "", ""},
		{"{{ 'a' < 1 }}", 1, 4, "cannot compare string with integer", "", ""},
		{"{{ 'a' * 2 }}", 1, 4, "cannot apply * to string and integer", "", ""},
		{"{{ -'a' }}", 1, 4, "unary - needs a number, got string", "", ""},
		{"{{ 1 in 5 }}", 1, 4, "cannot look inside integer", "", ""},
		{"x\n{% for x in 5 %}{% endfor %}", 2, 13, "cannot loop over integer: need a list or a map", "", ""},
		{"{{ {[1]: 2} }}", 1, 5, "map key must be a string or a number, got list", "", ""},
		{"{{ list[{}] }}", 1, 9, "cannot use map as a key", "", ""},
		{"{{ list[1.5] }}", 1, 9, "index 1.5 is not a whole number", "", ""},
		{"{{ 1 | date('yyyy', 'Nowhere/Land') }}", 1, 8, `filter date: unknown time zone "Nowhere/Land"`, "", ""},
		{"{{ range(1, 'a') }}", 1, 4, "function range: range needs integers", "", ""},
		{"{{ [1.0 / 0.0] }}", 1, 5, "division by zero", "", ""},
	}
	vars := fixture()
	for _, c := range cases {
		_, err := Render(c.src, vars)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Render(%q): got %v, want *Error", c.src, err)
			continue
		}
		if !strings.Contains(e.Msg, c.msg) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Render(%q): message %q, want it to contain %q", c.src, e.Msg, c.msg)
		}
		if e.Line != c.line || e.Col != c.col {
			t.Errorf("Render(%q) (%s): at %d:%d, want %d:%d", c.src, e.Msg, e.Line, e.Col, c.line, c.col)
		}
		var u *UndefinedError
		isUndef := errors.As(err, &u)
		if isUndef != (c.path != "") {
			t.Errorf("Render(%q): UndefinedError = %v, want %v", c.src, isUndef, c.path != "")
			continue
		}
		if isUndef && (u.Path != c.path || u.Suggestion != c.sugg) {
			t.Errorf("Render(%q): UndefinedError{Path: %q, Suggestion: %q}, want {%q, %q}", c.src, u.Path, u.Suggestion, c.path, c.sugg)
		}
	}
}

func TestErrorString(t *testing.T) {
	_, err := Render("x: {{ outputs.quer.uri }}", fixture())
	want := `1:7: undefined variable "outputs.quer": outputs has no key "quer" (did you mean "query"?)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestSuggest(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		want string
	}{
		{"quer", []string{"each", "query"}, "query"},
		{"URI", []string{"uri", "url"}, "uri"},
		{"a", []string{"b"}, ""},
		{"ab", []string{"abc", "xyz"}, "abc"},
		{"rowsCount", []string{"rows"}, "rows"},
		{"values", []string{"value", "valued"}, "value"},
		{"x", []string{"x"}, ""},
		{"completely", []string{"different"}, ""},
		{"", []string{"a"}, ""},
	}
	for _, c := range cases {
		if got := suggest(c.name, c.keys); got != c.want {
			t.Errorf("suggest(%q, %v) = %q, want %q", c.name, c.keys, got, c.want)
		}
	}
}
