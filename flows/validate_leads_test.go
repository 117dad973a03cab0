package flows_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
)

// storer produces uri only with store: true and row only with fetchOne, as
// the JDBC Query does.
type storer struct {
	Store    bool   `yaml:"store"`
	FetchOne bool   `yaml:"fetchOne"`
	Mode     string `yaml:"mode"`
}

func (s *storer) Run(context.Context, *plugin.RunContext) (plugin.Outputs, error) { return nil, nil }

var outputTasks = sync.OnceValue(func() *plugin.Registry {
	r := plugin.Default.Clone()
	r.Register(plugin.Info{ID: "test.Storer", New: func() any { return &storer{} }, Outputs: []plugin.Output{
		{Name: "uri", When: "store: true"}, {Name: "row", When: "fetchOne: true"}, {Name: "merged", When: "mode: merge"}, {Name: "size"},
	}})
	return r
})

func TestValidationLeadsSomewhere(t *testing.T) {
	tests := []struct {
		name, flow string
		want       []string // one substring per expected error, in order
	}{
		{"output only with store", `
  - id: q
    type: test.Storer
  - id: next
    type: core.Log
    message: "{{ outputs.q.uri }} {{ outputs.q.size }}"`,
			[]string{`f.yml:12:18: task "next": property "message": task "q" (test.Storer) has output "uri" only with store: true`}},
		{"output present with its property", `
  - id: q
    type: test.Storer
    store: true
    fetchOne: true
    mode: merge
  - id: next
    type: core.Log
    message: "{{ outputs.q.uri }} {{ outputs.q.row }} {{ outputs.q.merged }}"`, nil},
		{"string condition", `
  - id: q
    type: test.Storer
    mode: insert
  - id: next
    type: core.Log
    message: "{{ outputs.q.merged }}"`, []string{`has output "merged" only with mode: merge`}},
		{"built-in typo", `
  - id: each
    type: core.EachSequential
    value: [1]
    tasks:
      - id: inner
        type: core.Log
        message: "{{ taskrun.valu }} {{ execution.idd }} {{ flow.namespace }} {{ task.id }}"`,
			[]string{`taskrun has no key "valu"; its keys are id, startDate, attemptsCount, parentId, value (did you mean "taskrun.value"?)`, `(did you mean "execution.id"?)`}},
		{"misspelled type: no follow-on error", `
  - id: typo
    type: core.Retrun
    format: x
  - id: after
    type: core.Log
    message: "{{ outputs.typo.value }}"`, []string{`unknown task type "core.Retrun" (did you mean "core.Return"?)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := flows.ParseWith(outputTasks(), "f.yml", []byte("id: f\nnamespace: t\ninputs:\n  - name: x\n    type: STRING\n    required: false\ntasks:"+tc.flow+"\n"))
			var errs flows.Errors
			if err != nil && !errors.As(err, &errs) {
				t.Fatal(err)
			}
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d:\n got %s\nwant %s", i, errs[i], w)
				}
			}
		})
	}
}

func TestInputDefaultsHaveTheirType(t *testing.T) {
	src := `id: f
namespace: t
inputs:
  - name: n
    type: INT
    defaults: one
  - name: ok
    type: INT
    defaults: 3
  - name: when
    type: DATE
    defaults: "2024-13-45"
  - name: flag
    type: BOOLEAN
    defaults: yes please
tasks:
  - id: l
    type: core.Log
    message: hi
`
	_, err := flows.Parse("f.yml", []byte(src))
	var errs flows.Errors
	if !errors.As(err, &errs) || len(errs) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	for i, w := range []string{`f.yml:4:5: property "inputs": input "n" (INT): defaults: "one" is not an integer`, `input "when" (DATE)`, `input "flag" (BOOLEAN)`} {
		if !strings.Contains(errs[i].Error(), w) {
			t.Errorf("error %d: %s, want %s", i, errs[i], w)
		}
	}
}
