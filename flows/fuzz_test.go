package flows_test

import (
	"testing"

	"github.com/sluicehq/sluice/flows"
)

// FuzzParse feeds arbitrary text to the flow parser: it must return a flow
// or located errors, never panic.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"id: f\nnamespace: n\ntasks:\n  - id: a\n    type: core.Log\n    message: \"{{ outputs.b.value }}\"\n",
		"id: f\nnamespace: n\ntasks:\n  - id: e\n    type: core.EachSequential\n    value: '[1,2]'\n    tasks:\n      - id: x\n        type: core.Return\n        format: \"{{ taskrun.value }}\"\n",
		"id: f\nnamespace: n\ntaskDefaults:\n  - type: core.Log\n    values: {level: WARN}\ntasks: [{id: a, type: core.Log, message: x}]\n",
		"id: f\nnamespace: n\ninputs: [{name: a, type: INT}]\ntasks:\n  - id: s\n    type: core.Switch\n    value: x\n    cases: {x: [{id: y, type: core.Fail}]}\n",
		"&a [*a]", "tasks: !!binary AAAA",
		"id: f\nnamespace: n\nvariables:\n  a: &a [x,x,x,x]\n  b: &b [*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b]\n  d: {k: *c, l: *c}\ntasks: [{id: a, type: core.Return, format: \"{{ vars.d | json }}\"}]\n", "{{", "id: [\n", "",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		fl, err := flows.Parse("fuzz.yml", []byte(src))
		if err == nil && fl == nil {
			t.Fatal("no flow and no error")
		}
		if err != nil {
			if errs, ok := err.(flows.Errors); ok {
				for _, e := range errs {
					if e.Pos.Line < 1 && e.Pos.Line != 0 {
						t.Fatalf("bad position %v", e.Pos)
					}
				}
			}
		}
	})
}
