package flows_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/core"
	"github.com/sluicehq/sluice/flows/plugin"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string // substrings of the error text, in order of errors
	}{
		{
			name: "seed typo inputs instead of outputs",
			src: `id: mysql-to-sqlserver
namespace: io.kestra.tests
tasks:
  - id: query
    type: core.Return
    format: x
  - id: load
    type: core.Log
    message: "{{ inputs.query.uri }}"
`,
			want: []string{`flow.yml:9:18: task "load": property "message": inputs.query.uri refers to input "query", which is not declared in inputs (did you mean "outputs.query.uri"?)`},
		},
		{
			name: "unknown property with suggestion",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: core.Log\n    mesage: hi\n",
			want: []string{`flow.yml:6:5: task "a": unknown property "mesage" of task type core.Log (did you mean "message"?)`},
		},
		{
			name: "unknown task type",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.core.tasks.debugs.Retrun\n    format: x\n",
			want: []string{`flow.yml:5:11: task "a": property "type": unknown task type "io.kestra.core.tasks.debugs.Retrun" (did you mean "io.kestra.core.tasks.debugs.Return"?)`},
		},
		{
			name: "duplicate id",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: core.Return\n    format: x\n  - id: a\n    type: core.Return\n    format: y\n",
			want: []string{`flow.yml:7:5: task "a": duplicate task id (first defined at 4:5)`},
		},
		{
			name: "missing required and wrong type",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: core.Sleep\n  - id: b\n    type: core.Parallel\n    concurrent: many\n    tasks: []\n",
			want: []string{`flow.yml:4:5: task "a": property "duration": required property is missing`, `flow.yml:8:17: task "b": property "concurrent": expected an integer, got "many"`},
		},
		{
			name: "enum with suggestion",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: core.Log\n    message: x\n    level: WARNN\n",
			want: []string{`flow.yml:7:12: task "a": property "level": "WARNN" is not one of TRACE, DEBUG, INFO, WARN, ERROR (did you mean "WARN"?)`},
		},
		{
			name: "output that the task does not have",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: r\n    type: core.Return\n    format: x\n  - id: l\n    type: core.Log\n    message: \"{{ outputs.r.valeu }}\"\n",
			want: []string{`task "r" (core.Return) has no output "valeu"; its outputs are: value (did you mean "outputs.r.value"?)`},
		},
		{
			name: "unknown task in outputs",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: query\n    type: core.Return\n    format: x\n  - id: l\n    type: core.Log\n    message: \"{{ outputs.qeury.value }}\"\n",
			want: []string{`refers to task "qeury", which does not exist in this flow (did you mean "outputs.query.value"?)`},
		},
		{
			name: "unknown root",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: l\n    type: core.Log\n    message: \"{{ output.x }}\"\n",
			want: []string{`unknown variable "output" in output.x`, `(did you mean "outputs.x"?)`},
		},
		{
			name: "parent outside any flowable",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: l\n    type: core.Log\n    message: \"{{ parent.taskrun.value }}\"\n",
			want: []string{`flow.yml:6:18: task "l": property "message": parent.taskrun.value does not exist here`, `this task has 0`},
		},
		{
			name: "parents index beyond the enclosing task runs",
			src: "id: f\nnamespace: n\ntasks:\n  - id: e\n    type: core.EachSequential\n    value: [a]\n    tasks:\n" +
				"      - id: s\n        type: core.Sequential\n        tasks:\n          - id: l\n            type: core.Log\n" +
				"            message: \"{{ parents[0].taskrun.value }} {{ parents[1].taskrun.value }}\"\n",
			want: []string{`task "l": property "message": parents[1].taskrun.value does not exist here`, `this task has 1`},
		},
		{
			name: "switch without any task",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: sw\n    type: core.Switch\n    value: x\n    cases: {}\n",
			want: []string{`flow.yml:4:5: task "sw": switch.tasks: No task defined`},
		},
		{
			name: "template syntax error located",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: l\n    type: core.Log\n    message: \"a {{ outputs. }}\"\n",
			want: []string{`flow.yml:6:`, `task "l": property "message": template:`},
		},
		{
			name: "bad duration",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: s\n    type: core.Sleep\n    duration: PT5X\n",
			want: []string{`flow.yml:6:15: task "s": property "duration": invalid ISO-8601 duration "PT5X"`},
		},
		{
			name: "missing top-level keys and unknown top key",
			src:  "id: f\ntask:\n  - id: s\n",
			want: []string{`flow.yml:1:1: missing required key "namespace"`, `flow.yml:1:1: missing required key "tasks"`, `flow.yml:2:1: unknown property "task" of flow (did you mean "tasks"?)`},
		},
		{
			name: "yaml syntax",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: [\n",
			want: []string{`flow.yml:`},
		},
		{
			name: "errors branch on a non-flowable task",
			src:  "id: f\nnamespace: n\ntasks:\n  - id: l\n    type: core.Log\n    message: x\n    errors: []\n",
			want: []string{`flow.yml:7:5: task "l": property "errors": only flowable tasks`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := flows.Parse("flow.yml", []byte(tc.src))
			if err == nil {
				t.Fatal("expected an error")
			}
			var errs flows.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("want flows.Errors, got %T: %v", err, err)
			}
			text := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("error text lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestParseAcceptsKestraShapes(t *testing.T) {
	src := `id: everything
namespace: io.kestra.tests
description: all the shapes
labels:
  team: data
inputs:
  - name: day
    type: DATE
  - name: n
    type: INT
    required: false
variables:
  greeting: hello
taskDefaults:
  - type: io.kestra.core.tasks.debugs.Echo
    values:
      level: WARN
tasks:
  - id: par
    type: io.kestra.core.tasks.flows.Parallel
    concurrent: 2
    tasks:
      - id: e1
        type: io.kestra.core.tasks.debugs.Echo
        format: "{{ vars.greeting }} {{ inputs.day }}"
      - id: each
        type: io.kestra.core.tasks.flows.EachParallel
        value: ["a", "b"]
        tasks:
          - id: inner
            type: io.kestra.core.tasks.flows.EachSequential
            value: '[1, 2]'
            tasks:
              - id: leaf
                type: io.kestra.core.tasks.debugs.Return
                format: "{{ parent.taskrun.value }}-{{ taskrun.value }}"
    errors:
      - id: onerr
        type: core.Log
        message: failed
  - id: sw
    type: io.kestra.core.tasks.flows.Switch
    value: "{{ inputs.n ?? 'none' }}"
    cases:
      "1":
        - id: one
          type: core.Log
          message: one
    defaults:
      - id: other
        type: core.Log
        message: other
  - id: retried
    type: core.Log
    message: x
    timeout: PT1M
    retry:
      type: exponential
      interval: PT1S
      maxInterval: PT10S
      maxAttempt: 3
errors:
  - id: alert
    type: core.Log
    message: "execution {{ execution.id }} failed"
`
	f, err := flows.Parse("flow.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	f.Walk(func(_ *plugin.TaskDef, _ []*plugin.TaskDef) { n++ })
	if n != 11 {
		t.Errorf("walked %d tasks, want 11", n)
	}
	e1 := f.Task("e1")
	props, err := e1.NewProps()
	if err != nil {
		t.Fatal(err)
	}
	if lvl := props.(*core.Log).Level; lvl != "WARN" {
		t.Errorf("taskDefaults not applied: level %q, want WARN", lvl)
	}
}

// Kestra reads taskrun.value and parent(s) wherever they may exist at run
// time: they are accepted there, taskrun.value outside an Each with a
// warning (it renders empty).
func TestParseAcceptsKestraParents(t *testing.T) {
	src := `id: f
namespace: n
tasks:
  - id: top
    type: core.Log
    message: "{{ taskrun.value }}"
  - id: each
    type: core.EachSequential
    value: [a, b]
    tasks:
      - id: sw
        type: core.Switch
        value: "{{ taskrun.value }}"
        cases:
          a:
            - id: in-case
              type: core.Log
              message: "{{ parent.taskrun.value }} {{ parents[0].outputs.value }}"
      - id: seq
        type: core.Sequential
        tasks:
          - id: in-seq
            type: core.Log
            message: "{{ taskrun.value }} {{ parents[0].taskrun.value }}"
`
	f, err := flows.Parse("flow.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0].Error(), `flow.yml:6:18: task "top": property "message": taskrun.value is empty here`) {
		t.Errorf("want one warning for taskrun.value outside an Each, got %v", f.Warnings)
	}
}

// Listeners (Kestra 0.4) are decoded strictly: tasks must not be empty,
// their templates are checked, conditions are typed.
func TestParseListeners(t *testing.T) {
	src := `id: f
namespace: n
listeners:
  - description: on failure
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
        in: [FAILED]
    tasks:
      - id: alert
        type: core.Log
        message: "{{ outputs.first.value }} {{ outputs.nope.value }}"
  - conditions: []
tasks:
  - id: first
    type: core.Return
    format: x
`
	_, err := flows.Parse("flow.yml", []byte(src))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`flow.yml:11:48: task "alert": property "message": outputs.nope.value refers to task "nope", which does not exist`,
		`flow.yml:12:5: property "listeners[1].tasks": must not be empty`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "outputs.first") {
		t.Errorf("a listener reading the flow's outputs is rejected:\n%v", err)
	}
	ok := strings.NewReplacer("  - conditions: []\n", "", " {{ outputs.nope.value }}", "").Replace(src)
	f, err := flows.Parse("flow.yml", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Listeners) != 1 || len(f.Listeners[0].Tasks) != 1 || len(f.Listeners[0].Conditions) != 1 || f.Listeners[0].Description != "on failure" {
		t.Errorf("listeners decoded as %+v", f.Listeners)
	}
}

// Kestra 0.4's [[> PATH]] includes a file (relative to the flow's folder)
// into any string; a missing file is an error at the string.
func TestParseIncludes(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sql"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "sql", "q.sql"), []byte("select 1\n[[> sql/where.sql]]"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "sql", "where.sql"), []byte("where x = '{{ inputs.x }}'"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "self.txt"), []byte("[[> self.txt]]"), 0o644))
	flow := filepath.Join(dir, "flow.yml")
	src := "id: f\nnamespace: n\ninputs:\n  - name: x\n    type: STRING\ntasks:\n  - id: r\n    type: core.Return\n    format: \"-- [[> sql/q.sql ]]\"\n"
	must(os.WriteFile(flow, []byte(src), 0o644))
	f, err := flows.ParseFile(flow)
	must(err)
	if got := f.Tasks[0].Props.(*core.Return).Format; got != "-- select 1\nwhere x = '{{ inputs.x }}'" {
		t.Errorf("included format is %q", got)
	}
	must(os.WriteFile(flow, []byte(strings.Replace(src, "sql/q.sql", "self.txt", 1)+"  - id: m\n    type: core.Return\n    format: \"[[> nope.txt]]\"\n"), 0o644))
	_, err = flows.ParseFile(flow)
	for _, want := range []string{`flow.yml:9:13: [[> self.txt]]: includes nested more than 10 deep`, `flow.yml:12:13: [[> nope.txt]]: file not found at`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q: %v", want, err)
		}
	}
}

// core.Template (Kestra's flows.Template) is read from templates/ beside the
// flow or above it when the flow is decoded; its problems are reported in
// the template's file.
func TestParseTemplates(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "flows", "team"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "templates", "ok.yml"), []byte("id: ok\nnamespace: n\ntasks:\n  - id: inner\n    type: core.Log\n    message: \"{{ parent.outputs.args.x }}\"\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "templates", "bad.yml"), []byte("id: bad\nnamespace: n\ntaks: []\ntasks:\n  - id: b\n    type: core.Lg\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "templates", "self.yml"), []byte("id: self\nnamespace: n\ntasks:\n  - id: again\n    type: core.Template\n    namespace: n\n    templateId: self\n"), 0o644))
	flow := filepath.Join(dir, "flows", "team", "flow.yml")
	write := func(body string) error {
		must(os.WriteFile(flow, []byte("id: f\nnamespace: n\ntasks:\n"+body), 0o644))
		_, err := flows.ParseFile(flow)
		return err
	}
	must(write("  - id: t\n    type: io.kestra.core.tasks.flows.Template\n    namespace: n\n    templateId: ok\n    args: {x: \"1\"}\n"))
	for _, tc := range []struct{ body, want string }{
		{"  - id: inner\n    type: core.Return\n    format: x\n  - id: t\n    type: core.Template\n    namespace: n\n    templateId: ok\n",
			`ok.yml:4:5: task "inner": duplicate task id`},
		{"  - id: t\n    type: core.Template\n    namespace: n\n    templateId: nope\n", `template n.nope not found in [` + filepath.Join(dir, "templates") + `]`},
		{"  - id: t\n    type: core.Template\n    namespace: n\n    templateId: bad\n", `bad.yml:3:1: unknown property "taks" of template`},
		{"  - id: t\n    type: core.Template\n    namespace: n\n    templateId: bad\n", `bad.yml:6:11: task "b": property "type": unknown task type "core.Lg"`},
		{"  - id: t\n    type: core.Template\n    namespace: n\n    templateId: self\n", `templates nested more than 10 deep`},
	} {
		if err := write(tc.body); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
}

// A flow given as text (an API request) never reads local files: its
// includes and templates are errors.
func TestParseTextReadsNoFiles(t *testing.T) {
	_, err := flows.Parse("request", []byte("id: f\nnamespace: n\ntasks:\n  - id: r\n    type: core.Return\n    format: \"[[> /etc/passwd]]\"\n"+
		"  - id: t\n    type: core.Template\n    namespace: n\n    templateId: x\n"))
	for _, want := range []string{
		`request:6:13: [[> /etc/passwd]]: includes are read only for flow files`,
		`request:7:5: task "t": property "templateId": templates are read only for flow files`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q, got %v", want, err)
		}
	}
}
