package template

import (
	"errors"
	"testing"
	"time"
)

var fuzzSeeds = []string{
	"",
	"plain",
	"{{ outputs.query.uri }}",
	"{{ outputs['task-id'][taskrun.value].value }}",
	"{{ parents[0].taskrun.value }} {{ parent.taskrun.value }}",
	"{% if inputs.count > 2 %}big{% elseif inputs.flag %}f{% else %}s{% endif %}",
	"{% for k, v in ordered %}{{ loop.index }}{{ k }}={{ v }}{% else %}none{% endfor %}",
	"{% for r in outputs.query.rows %}{{ r.name | upper }}{% if not loop.last %},{% endif %}{% endfor %}",
	"{% set x = [1, 2] + [3] %}{{ x | join('-') }}",
	"{{ missing ?? inputs.nothing ??? 'd' }} {{ missing | default({'a': 1}) | json }}",
	"{{ date | dateAdd(-1, 'DAYS') | date(\"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\", 'Europe/Paris') }}",
	"{{ '31/01/2024' | date('iso', existingFormat='dd/MM/yyyy[ HH:mm]') }}",
	"{{ inputs.json | jq('.a[] | select(. != null)') }}",
	"{{ json('{\"a\": [1, 2.5]}').a[-1] * 2 / 3 % 2 }}",
	"{{ 1..3 }} {{ range(5, 1, -2) }} {{ max(1, 2) }}",
	"{{- ' x ' -}} {#- c -#} {%- if true -%} y {%- endif -%}",
	"{% verbatim %}{{ raw }}{% endverbatim %}",
	"{{ x is defined and x.y is not null ? x.y : 'n' }}",
	"{{ 'a' in ['a'] and 2 not in {'1': 2} or 'bc' contains 'c' }}",
	"{{ '\\u00e9\\n' ~ \"\\\"\" | length }}",
	"{{ {'a': {'b': 1}} }}}",
	"{{ (1 }}",
	"{% if %}",
	"{{ x | date(format='HH', timeZone='+05:30') }}",
}

// FuzzParse checks that parsing never panics, that errors carry consistent
// positions, and that rendering, evaluating and listing the references of
// any template that parses never panics either.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	oldLimits, oldNow := limits, Now
	SetLimits(Limits{Output: 1 << 20, Value: 1 << 20, Steps: 20_000, Time: 50 * time.Millisecond})
	Now = func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) }
	f.Cleanup(func() { limits, Now = oldLimits, oldNow })
	vars := fixture()
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Parse(src)
		if err != nil {
			checkError(t, src, err)
			return
		}
		out, err := tpl.Render(vars)
		if err != nil {
			checkError(t, src, err)
		} else if tpl.IsStatic() && out != src {
			t.Fatalf("static template %q rendered %q", src, out)
		}
		if _, err := tpl.Eval(vars); err != nil {
			checkError(t, src, err)
		}
		if _, err := tpl.Render(nil); err != nil {
			checkError(t, src, err)
		}
		for _, r := range tpl.Refs() {
			if r.Offset < 0 || r.Offset+len(r.Text) > len(src) || src[r.Offset:r.Offset+len(r.Text)] != r.Text {
				t.Fatalf("ref %+v does not point at its text in %q", r, src)
			}
			if len(r.Path) == 0 {
				t.Fatalf("ref %+v has no path", r)
			}
		}
	})
}

func checkError(t *testing.T, src string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %T is not *Error: %v", src, err, err)
	}
	if e.Offset < 0 || e.Offset > len(src) {
		t.Fatalf("%q: offset %d out of range", src, e.Offset)
	}
	if line, col := lineCol(src, e.Offset); line != e.Line || col != e.Col {
		t.Fatalf("%q: position %d:%d does not match offset %d", src, e.Line, e.Col, e.Offset)
	}
	if e.Msg == "" {
		t.Fatalf("%q: empty message", src)
	}
}

// FuzzDatePattern checks that any Java pattern either fails to compile or
// formats without panicking, and that parsing a formatted date with the
// same pattern never panics.
func FuzzDatePattern(f *testing.F) {
	for _, s := range []string{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyyMMdd", "HH[:mm[:ss]]", "EEE, d MMM yyyy h:mm a Z", "VV z O", "''", "D w Q e"} {
		f.Add(s, int64(1706695445))
	}
	f.Fuzz(func(t *testing.T, pattern string, sec int64) {
		items, err := compilePattern(pattern)
		if err != nil {
			return
		}
		tm := time.Unix(sec%(1<<36), 0).UTC()
		s := formatPattern(tm, items)
		_, _ = parsePattern(s, items, time.UTC)
	})
}
