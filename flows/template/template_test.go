package template

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

type namedOutputs map[string]any

type state2 string

// stringerID stands for types such as UUIDs that print through String.
type stringerID int

func (i stringerID) String() string { return "id-" + strconv.Itoa(int(i)) }

type pair struct{ a any }

func fixture() map[string]any {
	ordered := NewOrderedMap(3)
	ordered.Set("zeta", int64(1))
	ordered.Set("alpha", "two")
	ordered.Set("mid", []any{int64(3)})
	return map[string]any{
		"outputs": map[string]any{
			"query": map[string]any{
				"uri":  "sluice:///ns/flow/executions/1/tasks/query/0/result.ion",
				"size": int64(3),
				"rows": []any{
					map[string]any{"id": int64(1), "name": "ann"},
					map[string]any{"id": int64(2), "name": "bob"},
				},
			},
			"task-id": map[string]any{
				"a": map[string]any{"value": "va"},
				"b": map[string]any{"value": "vb"},
			},
			"each": map[string]any{"0": "zero"},
		},
		"taskrun": map[string]any{"value": "b"},
		"parents": []any{map[string]any{"taskrun": map[string]any{"value": "p0"}}, map[string]any{"taskrun": map[string]any{"value": "p1"}}},
		"parent":  map[string]any{"taskrun": map[string]any{"value": "p"}},
		"inputs": map[string]any{
			"name": "World", "count": 3, "flag": true, "off": false, "nothing": nil, "empty": "",
			"f": 2.5, "json": `{"b": 1, "a": [true, null]}`, "csv": "a,b,,c", "padded": "  hi  ",
		},
		"list":    []any{int64(3), int64(1), int64(2)},
		"strs":    []string{"x", "y"},
		"typed":   map[string]int{"one": 1, "two": 2},
		"named":   namedOutputs{"k": "v"},
		"ordered": ordered,
		"num":     json.Number("42"),
		"flt":     json.Number("4.5"),
		"date":    time.Date(2024, 1, 31, 10, 4, 5, 123456789, time.UTC),
		"state":   state2("SUCCESS"),
		"u8":      uint8(7),
		"ptr":     &[]any{"p"},
		"id":      stringerID(7),
		"pair":    pair{a: []int{1}},
	}
}

type renderCase struct {
	name, src, want string
}

func runRender(t *testing.T, cases []renderCase) {
	t.Helper()
	vars := fixture()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Render(c.src, vars)
			if err != nil {
				t.Fatalf("Render(%q): %v", c.src, err)
			}
			if got != c.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", c.src, got, c.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	runRender(t, []renderCase{
		{"plain", "hello", "hello"},
		{"empty", "", ""},
		{"braces", "a { b } {c} }}", "a { b } {c} }}"},
		{"lone brace at end", "x{", "x{"},
		{"print", "Hello {{ inputs.name }}!", "Hello World!"},
		{"no spaces", "{{inputs.name}}", "World"},
		{"comment", "a{# ignored {{ x }} #}b", "ab"},
		{"trim left", "a  \n {{- inputs.name }}", "aWorld"},
		{"trim right", "{{ inputs.name -}} \n\t b", "Worldb"},
		{"trim both tags", "x\n  {%- if true -%}\n  y\n  {%- endif -%}\n z", "xyz"},
		{"trim comment", "a \n{#- c -#}\n b", "ab"},
		{"no trim keeps newlines", "{% if true %}\nx\n{% endif %}\n", "\nx\n\n"},
		{"verbatim", "{% verbatim %}{{ not parsed }}{% endverbatim %}", "{{ not parsed }}"},
		{"raw", "a{% raw %}{% if %}{% endraw %}b", "a{% if %}b"},
		{"verbatim trims", "x {%- verbatim -%} y {%- endverbatim -%} z", "xyz"},
		{"multibyte", "héllo {{ 'wörld' }} ✓", "héllo wörld ✓"},
	})
}

func TestLiteralsAndPrinting(t *testing.T) {
	runRender(t, []renderCase{
		{"single quoted", `{{ 'it\'s' }}`, "it's"},
		{"double quoted", `{{ "say \"hi\"\n\t\\" }}`, "say \"hi\"\n\t\\"},
		{"unicode escape", `{{ '\u00e9\uD83D\uDE00' }}`, "é😀"},
		{"unknown escape kept", `{{ '\d+' }}`, `\d+`},
		{"int", "{{ 42 }}", "42"},
		{"negative", "{{ -42 }}", "-42"},
		{"float", "{{ 2.50 }}", "2.5"},
		{"whole float", "{{ 2.0 }}", "2"},
		{"big float no exponent", "{{ 100000000000000000000000.0 }}", "100000000000000000000000"},
		{"bools", "{{ true }} {{ false }} {{ TRUE }}", "true false true"},
		{"null prints nothing", "[{{ null }}{{ none }}]", "[]"},
		{"list", "{{ [1, 'a', 2.5, true, null] }}", `[1,"a",2.5,true,null]`},
		{"trailing comma", "{{ [1, 2,] }}", `[1,2]`},
		{"empty list", "{{ [] }}", `[]`},
		{"map keeps order", "{{ {'b': 1, 'a': {'c': [1]}} }}", `{"b":1,"a":{"c":[1]}}`},
		{"map int key", "{{ {1: 'x'} }}", `{"1":"x"}`},
		{"empty map", "{{ {} }}", `{}`},
		{"go map sorted", "{{ outputs['task-id'] }}", `{"a":{"value":"va"},"b":{"value":"vb"}}`},
		{"ordered map", "{{ ordered }}", `{"zeta":1,"alpha":"two","mid":[3]}`},
		{"date", "{{ date }}", "2024-01-31T10:04:05.123456789Z"},
		{"json number", "{{ num + 1 }} {{ flt * 2 }}", "43 9"},
		{"named string type", "{{ state == 'SUCCESS' }} {{ state }}", "true SUCCESS"},
		{"stringer", "{{ id }} {{ id == 'id-7' }} {{ 'id-7' == id }} {{ id == id }} {{ id in ['id-7'] }}", "id-7 true true true true"},
		{"uncomparable struct", "{{ pair == pair }}", "false"},
		{"uint8", "{{ u8 * 2 }}", "14"},
		{"pointer to slice", "{{ ptr[0] }}", "p"},
		{"typed map", "{{ typed.two }} {{ typed }}", `2 {"one":1,"two":2}`},
		{"named map type", "{{ named.k }}", "v"},
		{"string slice", "{{ strs[1] }} {{ strs | join('-') }}", "y x-y"},
		{"json string escapes", `{{ ['<a&b>', "q\"\\", '\n'] }}`, `["<a&b>","q\"\\","\n"]`},
	})
}

func TestOperators(t *testing.T) {
	runRender(t, []renderCase{
		{"add ints", "{{ 1 + 2 }}", "3"},
		{"add mixed", "{{ 1 + 2.5 }}", "3.5"},
		{"sub", "{{ 10 - 2 - 3 }}", "5"},
		{"mul", "{{ 3 * 4 }}", "12"},
		{"div exact stays int", "{{ 6 / 3 }}", "2"},
		{"div inexact float", "{{ 7 / 2 }}", "3.5"},
		{"div floats", "{{ 1.5 / 0.5 }}", "3"},
		{"mod", "{{ 7 % 3 }} {{ -7 % 3 }} {{ 7.5 % 2 }}", "1 -1 1.5"},
		{"precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }}", "7 9"},
		{"unary minus var", "{{ -inputs.count }} {{ -inputs.f }}", "-3 -2.5"},
		{"unary plus", "{{ +3 }}", "3"},
		{"int overflow to float", "{{ 9223372036854775807 + 1 }}", "9223372036854776000"},
		{"concat", "{{ 'a' ~ 1 ~ true ~ null }}", "a1true"},
		{"plus with string concatenates", "{{ 'n' + 1 }}", "n1"},
		{"list plus", "{{ [1] + [2, 3] }} {{ [1] + 2 }}", "[1,2,3] [1,2]"},
		{"list minus", "{{ [1, 2, 3, 2] - 2 }}", "[1,3]"},
		{"compare numbers", "{{ 1 < 2 }} {{ 2 <= 2.0 }} {{ 3 > 2.5 }} {{ 1 >= 2 }}", "true true true false"},
		{"compare strings", "{{ 'a' < 'b' }}", "true"},
		{"compare dates", "{{ date > ('2024-01-01T00:00:00Z' | dateAdd(0, 'DAYS')) }}", "true"},
		{"equality across types", "{{ 1 == 1.0 }} {{ '1' == 1 }} {{ null == null }} {{ [1, 2] == [1, 2.0] }}", "true false true true"},
		{"not equal", "{{ 1 != 2 }} {{ 'a' != 'a' }}", "true false"},
		{"equals keyword", "{{ 1 equals 1 }}", "true"},
		{"map equality", "{{ {'a': 1} == {'a': 1.0} }} {{ {'a': 1} == {'b': 1} }}", "true false"},
		{"and or", "{{ true and false }} {{ true or false }} {{ false or false }}", "false true false"},
		{"truthiness", "{{ 0 or '' or [] or null }} {{ 'x' and 1 }}", "false true"},
		{"short circuit", "{{ false and missing.x }} {{ true or missing.x }}", "false true"},
		{"not", "{{ not true }} {{ not inputs.off }} {{ not 0 }}", "false true true"},
		{"not binds looser than ==", "{{ not 1 == 2 }}", "true"},
		{"not binds tighter than and", "{{ not false and false }}", "false"},
		{"in list", "{{ 2 in [1, 2] }} {{ 3 in [1, 2] }} {{ 2.0 in [1, 2] }}", "true false true"},
		{"not in", "{{ 3 not in [1, 2] }} {{ 'a' not in 'abc' }}", "true false"},
		{"in string", "{{ 'ell' in 'hello' }}", "true"},
		{"in map keys", "{{ 'query' in outputs }} {{ 'nope' in outputs }}", "true false"},
		{"in null", "{{ 1 in null }}", "false"},
		{"contains", "{{ [1, 2] contains 2 }} {{ 'abc' contains 'd' }}", "true false"},
		{"range operator", "{{ 1..4 }} {{ 3..1 }}", "[1,2,3,4] []"},
		{"range with arithmetic", "{{ 0..inputs.count - 1 }}", "[0,1,2]"},
		{"ternary", "{{ inputs.flag ? 'yes' : 'no' }} {{ inputs.off ? 'yes' : 'no' }}", "yes no"},
		{"nested ternary", "{{ false ? 1 : true ? 2 : 3 }}", "2"},
		{"ternary with comparison", "{{ inputs.count > 2 ? 'big' : 'small' }}", "big"},
		{"coalesce undefined", "{{ missing ?? 'd' }}", "d"},
		{"coalesce null", "{{ inputs.nothing ?? 'd' }}", "d"},
		{"coalesce defined", "{{ inputs.name ?? 'd' }}", "World"},
		{"coalesce empty string kept", "[{{ inputs.empty ?? 'd' }}]", "[]"},
		{"coalesce deep missing", "{{ outputs.nope.uri ?? outputs.query.size }}", "3"},
		{"coalesce through null parent", "{{ inputs.nothing.x ?? 'd' }}", "d"},
		{"coalesce chain", "{{ a ?? b ?? 'c' }}", "c"},
		{"undefined coalesce keeps null", "[{{ inputs.nothing ??? 'd' }}] {{ missing ??? 'd' }}", "[] d"},
		{"coalesce binds tighter than concat", "{{ missing ?? 'a' ~ 'b' }} {{ inputs.name ?? 'a' ~ 'b' }}", "ab Worldb"},
		{"not over test with defined value", "{{ not inputs.name is defined }}", "false"},
		{"interpolation syntax is literal", `{{ "#{inputs.name}" }}`, "#{inputs.name}"},
		{"concat binds tighter than filter", "{{ 'a' ~ 'b' | upper }}", "AB"},
		{"filter binds tighter than plus", "{{ 1 + -2 | abs }}", "3"},
		{"test defined", "{{ inputs.name is defined }} {{ inputs.zzz is defined }} {{ zzz is not defined }}", "true false true"},
		{"test defined null", "{{ inputs.nothing is defined }} {{ inputs.nothing is not defined }}", "false true"},
		{"test null", "{{ inputs.nothing is null }} {{ inputs.name is not null }} {{ null is none }}", "true true true"},
		{"test empty", "{{ inputs.empty is empty }} {{ [] is empty }} {{ {} is empty }} {{ inputs.name is empty }} {{ 0 is empty }}", "true true true false false"},
		{"test json", "{{ inputs.json is json }} {{ 'nope{' is json }} {{ 3 is json }}", "true false false"},
		{"test even odd", "{{ 2 is even }} {{ 3 is odd }} {{ -3 is odd }} {{ 3 is even }} {{ 4.0 is even }}", "true true true false true"},
		{"test iterable map", "{{ list is iterable }} {{ outputs is map }} {{ 'x' is iterable }} {{ ordered is map }}", "true true false true"},
		{"not is defined", "{{ not missing is defined }}", "true"},
		{"test in condition", "{{ inputs.count is odd and inputs.count > 1 }}", "true"},
	})
}

func TestPaths(t *testing.T) {
	runRender(t, []renderCase{
		{"dotted", "{{ outputs.query.uri }}", "sluice:///ns/flow/executions/1/tasks/query/0/result.ion"},
		{"bracket string", "{{ outputs['query'][\"size\"] }}", "3"},
		{"dashed task id", "{{ outputs['task-id'].a.value }}", "va"},
		{"dynamic key", "{{ outputs['task-id'][taskrun.value].value }}", "vb"},
		{"index", "{{ outputs.query.rows[1].name }}", "bob"},
		{"negative index", "{{ list[-1] }} {{ outputs.query.rows[-2].id }}", "2 1"},
		{"dot index", "{{ list.0 }}", "3"},
		{"computed index", "{{ list[inputs.count - 2] }}", "1"},
		{"float index", "{{ list[1.0] }}", "1"},
		{"int key on map", "{{ outputs.each[0] }} {{ outputs.each.0 }}", "zero zero"},
		{"numeric string on list", "{{ list['2'] }}", "2"},
		{"parents", "{{ parents[0].taskrun.value }} {{ parents[-1].taskrun.value }}", "p0 p1"},
		{"parent", "{{ parent.taskrun.value }}", "p"},
		{"keyword as attribute", "{{ {'in': 1, 'is': 2}.in }}", "1"},
		{"postfix on call", "{{ json('{\"a\": [5]}').a[0] }}", "5"},
		{"postfix on parens", "{{ (outputs.query).size }}", "3"},
		{"ordered map get", "{{ ordered.alpha }} {{ ordered['mid'][0] }}", "two 3"},
	})
}

func TestControlFlow(t *testing.T) {
	runRender(t, []renderCase{
		{"if true", "{% if inputs.flag %}y{% endif %}", "y"},
		{"if false", "{% if inputs.off %}y{% endif %}", ""},
		{"else", "{% if inputs.off %}y{% else %}n{% endif %}", "n"},
		{"elseif", "{% if inputs.count == 1 %}one{% elseif inputs.count == 3 %}three{% else %}other{% endif %}", "three"},
		{"elif alias", "{% if false %}a{% elif true %}b{% endif %}", "b"},
		{"nested if", "{% if true %}{% if false %}a{% else %}b{% endif %}{% endif %}", "b"},
		{"if defined guard", "{% if outputs.nope is defined %}{{ outputs.nope.uri }}{% else %}none{% endif %}", "none"},
		{"for list", "{% for x in list %}{{ x }};{% endfor %}", "3;1;2;"},
		{"for loop vars", "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ x }}{{ loop.first ? 'F' : '' }}{{ loop.last ? 'L' : '' }}/{{ loop.length }}/{{ loop.revindex }} {% endfor %}",
			"0aF/3/2 1b/3/1 2cL/3/0 "},
		{"for else", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", "empty"},
		{"for null is empty", "{% for x in inputs.nothing %}{{ x }}{% else %}empty{% endfor %}", "empty"},
		{"for map entries sorted", "{% for e in outputs['task-id'] %}{{ e.key }}={{ e.value.value }} {% endfor %}", "a=va b=vb "},
		{"for map key value", "{% for k, v in ordered %}{{ k }}:{{ v }} {% endfor %}", "zeta:1 alpha:two mid:[3] "},
		{"for list index value", "{% for i, v in ['a', 'b'] %}{{ i }}{{ v }}{% endfor %}", "0a1b"},
		{"for rows", "{% for r in outputs.query.rows %}{{ r.id }}:{{ r.name }}{% if not loop.last %},{% endif %}{% endfor %}", "1:ann,2:bob"},
		{"nested loops", "{% for a in [1, 2] %}{% for b in ['x', 'y'] %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}", "1x0 1y1 0|2x0 2y1 1|"},
		{"loop var shadows", "{% for inputs in [1] %}{{ inputs }}{% endfor %}{{ inputs.name }}", "1World"},
		{"set", "{% set x = inputs.count * 2 %}{{ x }}", "6"},
		{"set reassign", "{% set x = 1 %}{% set x = x + 1 %}{{ x }}", "2"},
		{"set in loop updates outer", "{% set total = 0 %}{% for v in list %}{% set total = total + v %}{% endfor %}{{ total }}", "6"},
		{"set in loop scoped", "{% for v in [1] %}{% set inner = v %}{% endfor %}{{ inner is defined }}", "false"},
		{"set map then read", "{% set m = {'a': {'b': 'c'}} %}{{ m.a.b }}", "c"},
		{"for over range", "{% for i in range(1, 3) %}{{ i }}{% endfor %}", "123"},
		{"string in if", "{% if inputs.name %}named{% endif %}", "named"},
	})
}

// Outside a for tag, loop is an ordinary variable.
func TestLoopOutsideFor(t *testing.T) {
	_, err := Render("{{ loop.index }}", fixture())
	var u *UndefinedError
	if !errors.As(err, &u) || u.Path != "loop" {
		t.Fatalf("got %v, want undefined variable loop", err)
	}
}

func TestEval(t *testing.T) {
	vars := fixture()
	cases := []struct {
		src  string
		want any
	}{
		{"{{ 42 }}", int64(42)},
		{"  {{ inputs.count }}\n", int64(3)},
		{"{{ 2.5 }}", 2.5},
		{"{{ true }}", true},
		{"{{ null }}", nil},
		{"{{ [1, 'a'] }}", []any{int64(1), "a"}},
		{"{{ outputs.query.rows[0] }}", map[string]any{"id": int64(1), "name": "ann"}},
		{"{{ date }}", time.Date(2024, 1, 31, 10, 4, 5, 123456789, time.UTC)},
		{"{{ {'a': 1} }}", map[string]any{"a": int64(1)}},
		{"{{ inputs.json | jq('.a') }}", []any{[]any{true, nil}}},
		{"x {{ 42 }}", "x 42"},
		{"{{ 1 }}{{ 2 }}", "12"},
		{"plain", "plain"},
		{"{# c #}{{ 5 }}", int64(5)},
		{"{% if true %}{{ 1 }}{% endif %}", "1"},
	}
	for _, c := range cases {
		tpl, err := Parse(c.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.src, err)
		}
		got, err := tpl.Eval(vars)
		if err != nil {
			t.Fatalf("Eval(%q): %v", c.src, err)
		}
		if !equal(got, c.want) || kindName(got) != kindName(c.want) {
			t.Errorf("Eval(%q) = %#v (%s), want %#v", c.src, got, kindName(got), c.want)
		}
	}
	// Map literals are ordered; Plain turns them into Go maps.
	got, _ := MustParse("{{ {'b': 1, 'a': [{'c': 2}]} }}").Eval(nil)
	m, ok := got.(*OrderedMap)
	if !ok || strings.Join(m.Keys(), ",") != "b,a" {
		t.Fatalf("map literal: got %#v", got)
	}
	plain := Plain(got).(map[string]any)
	if inner := plain["a"].([]any)[0].(map[string]any); inner["c"] != int64(2) {
		t.Errorf("Plain: got %#v", plain)
	}
}

func TestIsStatic(t *testing.T) {
	for src, want := range map[string]bool{
		"":                      true,
		"plain text":            true,
		"json {\"a\": 1}":       true,
		"{{ x }}":               false,
		"{% if x %}{% endif %}": false,
		"a {# c #} b":           false,
	} {
		tpl, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if tpl.IsStatic() != want {
			t.Errorf("IsStatic(%q) = %v, want %v", src, !want, want)
		}
		if want {
			if out, _ := tpl.Render(nil); out != src {
				t.Errorf("static Render(%q) = %q", src, out)
			}
		}
	}
	if out, _ := Render("a {# c #} b", nil); out != "a  b" {
		t.Errorf("comment only: %q", out)
	}
}

// A template is parsed once and rendered concurrently.
func TestConcurrentRender(t *testing.T) {
	tpl := MustParse("{% for r in outputs.query.rows %}{{ r.name | upper }}{% endfor %}{{ outputs['task-id'][taskrun.value].value }}")
	vars := fixture()
	done := make(chan string)
	for range 8 {
		go func() {
			out, err := tpl.Render(vars)
			if err != nil {
				out = err.Error()
			}
			done <- out
		}()
	}
	for range 8 {
		if out := <-done; out != "ANNBOBvb" {
			t.Errorf("got %q", out)
		}
	}
}

func TestRenderAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	vars := fixture()
	tpl := MustParse("{{ outputs.query.uri }}")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := tpl.Render(vars); err != nil {
			t.Fatal(err)
		}
	})
	// The evaluation state is the only allocation: the string is the
	// variable's own.
	if allocs > 1 {
		t.Errorf("plain path: %v allocations per render, want <= 1", allocs)
	}
	tpl = MustParse("from: {{ outputs.query.uri }} size={{ outputs.query.size }}")
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := tpl.Render(vars); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 3 {
		t.Errorf("text and paths: %v allocations per render, want <= 3", allocs)
	}
}

func BenchmarkRenderPath(b *testing.B) {
	vars := fixture()
	tpl := MustParse("{{ outputs.query.uri }}")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(vars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderLoop(b *testing.B) {
	vars := fixture()
	tpl := MustParse("{% for r in outputs.query.rows %}{{ r.id }}:{{ r.name | upper }}{% if not loop.last %},{% endif %}{% endfor %}")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(vars); err != nil {
			b.Fatal(err)
		}
	}
}
