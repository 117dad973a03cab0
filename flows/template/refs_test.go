package template

import (
	"fmt"
	"strings"
	"testing"
)

// refString is a compact form of a Ref for comparison:
// path[/dyn][/opt]@line:col "text".
func refString(r Ref) string {
	s := strings.Join(r.Path, ".")
	if r.Dynamic {
		s += "/dyn"
	}
	if r.Optional {
		s += "/opt"
	}
	return fmt.Sprintf("%s@%d:%d %q", s, r.Line, r.Col, r.Text)
}

func TestRefs(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"none", "plain {# {{ x }} #}", nil},
		{"simple", "{{ outputs.query.uri }}", []string{`outputs.query.uri@1:4 "outputs.query.uri"`}},
		{"root only", "{{ x }}", []string{`x@1:4 "x"`}},
		{"dynamic", "{{ outputs['task-id'][taskrun.value].value }}", []string{
			`outputs.task-id/dyn@1:4 "outputs['task-id'][taskrun.value].value"`,
			`taskrun.value@1:23 "taskrun.value"`,
		}},
		{"literal index", "{{ parents[0].taskrun.value }} {{ list[-1] }}", []string{
			`parents.0.taskrun.value@1:4 "parents[0].taskrun.value"`,
			`list.-1@1:35 "list[-1]"`,
		}},
		{"each style", "{{ parent.taskrun.value }}", []string{`parent.taskrun.value@1:4 "parent.taskrun.value"`}},
		{"multi-line", "from: {{ inputs.file }}\nsql: |\n  select {{ vars.cols | join(',') }}\n    from {{ outputs['q'].table }}", []string{
			`inputs.file@1:10 "inputs.file"`,
			`vars.cols@3:13 "vars.cols"`,
			`outputs.q.table@4:13 "outputs['q'].table"`,
		}},
		{"columns count characters", "é ✓ {{ a.b }}", []string{`a.b@1:8 "a.b"`}},
		{"optional forms", "{{ a ?? b }} {{ c is defined }} {{ d is not defined }} {{ e | upper | default('') }} {{ f is null }} {{ g ??? h }}", []string{
			`a/opt@1:4 "a"`, `b@1:9 "b"`, `c/opt@1:17 "c"`, `d/opt@1:36 "d"`, `e/opt@1:59 "e"`, `f@1:89 "f"`, `g/opt@1:105 "g"`, `h@1:111 "h"`,
		}},
		{"optional covers computed keys", "{{ outputs[inputs.id].uri ?? 'x' }}", []string{
			`outputs/dyn/opt@1:4 "outputs[inputs.id].uri"`, `inputs.id/opt@1:12 "inputs.id"`,
		}},
		{"default argument is not optional", "{{ a | default(b) }}", []string{`a/opt@1:4 "a"`, `b@1:16 "b"`}},
		{"if guard", "{% if x is defined and y.z is defined %}{{ x.a }}{{ y.z.w }}{{ y.q }}{% else %}{{ x.b }}{% endif %}{{ x.c }}", []string{
			`x/opt@1:7`, `y.z/opt@1:24`, `x.a/opt@1:44`, `y.z.w/opt@1:53`, `y.q@1:64`, `x.b@1:83`, `x.c@1:103`,
		}},
		{"not defined guards else", "{% if x is not defined %}none{% elseif x.kind == 'a' %}{{ x.a }}{% else %}{{ x.v }}{% endif %}", []string{
			`x/opt@1:7`, `x.kind/opt@1:40`, `x.a/opt@1:59`, `x.v/opt@1:78`,
		}},
		{"ternary guard", "{{ x.y is defined ? x.y.z : x.w }}", []string{`x.y/opt@1:4`, `x.y.z/opt@1:21`, `x.w@1:29`}},
		{"and guard", "{{ x is defined and x.ok }}", []string{`x/opt@1:4`, `x.ok/opt@1:21`}},
		{"locals excluded", "{% for row in outputs.q.rows %}{{ row.id }}{{ loop.index }}{% endfor %}{% set n = 1 %}{{ n }}{{ row }}", []string{
			`outputs.q.rows@1:15`, `row@1:97`,
		}},
		{"key value loop", "{% for k, v in m %}{{ k }}{{ v.x }}{% else %}{{ k }}{% endfor %}", []string{`m@1:16`, `k@1:49`}},
		{"set uses before defining", "{% set x = x + 1 %}{{ x }}", []string{`x@1:12`}},
		{"loop expression sees outer scope", "{% for x in x %}{% endfor %}", []string{`x@1:13`}},
		{"function and filter args", "{{ json(inputs.body).a[vars.k] }} {{ date | date(inputs.fmt, timeZone=vars.tz) }}", []string{
			`inputs.body@1:9`, `vars.k@1:24`, `date@1:38`, `inputs.fmt@1:50`, `vars.tz@1:71`,
		}},
		{"literals and operators", "{% if [a, {'k': b}] contains c or not d %}{{ -e + f ~ (g ? h : i) }}{% endif %}", []string{
			`a@1:8`, `b@1:17`, `c@1:30`, `d@1:39`, `e@1:47`, `f@1:51`, `g@1:56`, `h@1:60`, `i@1:64`,
		}},
		{"comment and verbatim ignored", "{# {{ a }} #}{% verbatim %}{{ b }}{% endverbatim %}{{ c }}", []string{`c@1:55`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tpl, err := Parse(c.src)
			if err != nil {
				t.Fatal(err)
			}
			refs := tpl.Refs()
			var got []string
			for _, r := range refs {
				s := refString(r)
				if r.Offset < 0 || r.Offset+len(r.Text) > len(c.src) || c.src[r.Offset:r.Offset+len(r.Text)] != r.Text {
					t.Errorf("ref %s: Offset %d does not point at its Text", s, r.Offset)
				}
				got = append(got, s)
			}
			if len(got) != len(c.want) {
				t.Fatalf("Refs(%q):\n got %q\nwant %q", c.src, got, c.want)
			}
			for i := range got {
				// Wanted entries may leave out the quoted text.
				if got[i] != c.want[i] && !strings.HasPrefix(got[i], c.want[i]+" ") {
					t.Errorf("ref %d of %q:\n got %s\nwant %s", i, c.src, got[i], c.want[i])
				}
			}
		})
	}
}

// Refs returns copies: callers may modify them.
func TestRefsAreCopies(t *testing.T) {
	tpl := MustParse("{{ a.b }}")
	r := tpl.Refs()
	r[0].Path[0] = "changed"
	if got := tpl.Refs()[0].Path[0]; got != "a" {
		t.Errorf("Refs shares its slices: got %q", got)
	}
}

// Every reference a template reports is one the renderer reads: rendering
// with all of them absent fails on the first non-optional one, and
// succeeds when only optional ones are absent.
func TestRefsMatchRendering(t *testing.T) {
	tpl := MustParse("{{ a ?? 'x' }}{{ b | default('y') }}{% if c is defined %}{{ c.d }}{% endif %}")
	for _, r := range tpl.Refs() {
		if !r.Optional {
			t.Errorf("ref %s should be optional", refString(r))
		}
	}
	if out, err := tpl.Render(map[string]any{}); err != nil || out != "xy" {
		t.Errorf("got %q, %v", out, err)
	}
}
