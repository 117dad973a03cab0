package condition_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/condition"
	_ "github.com/sluicehq/sluice/flows/core"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/template"
)

// conditionsOf decodes a Flow trigger's conditions through the flow
// decoder, as a user's flow is decoded.
func conditionsOf(t *testing.T, conds string) []*plugin.ConditionDef {
	t.Helper()
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(conds), &node); err != nil {
		t.Fatal(err)
	}
	indented := "    " + strings.ReplaceAll(strings.TrimSpace(conds), "\n", "\n    ")
	src := "id: f\nnamespace: ns\ntasks:\n  - id: t\n    type: core.Return\n    format: x\ntriggers:\n  - id: tr\n    type: io.kestra.core.models.triggers.types.Flow\n    conditions:\n" + indented + "\n"
	f, err := flows.Parse("f.yml", []byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return f.Triggers[0].Conditions
}

type memKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (k *memKV) Get(_ context.Context, key string) ([]byte, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	return v, ok, nil
}
func (k *memKV) Put(_ context.Context, key string, v []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = v
	return nil
}
func (k *memKV) Delete(_ context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

func render(vars map[string]any) func(string) (string, error) {
	return func(s string) (string, error) { return template.Render(s, vars) }
}

func TestConditions(t *testing.T) {
	exec := func(ns, flow, state string) *plugin.ExecutionView {
		return &plugin.ExecutionView{ID: "e1", Namespace: ns, FlowID: flow, State: state}
	}
	// 2024-03-04 is the first Monday of March 2024; 2024-03-25 the last.
	vars := func(date string) map[string]any { return map[string]any{"trigger": map[string]any{"date": date}} }
	for _, tc := range []struct {
		name  string
		conds string
		cc    plugin.ConditionContext
		want  bool
		err   string
	}{
		{"flow match", "- type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n  namespace: a.b\n  flowId: up",
			plugin.ConditionContext{Execution: exec("a.b", "up", "SUCCESS")}, true, ""},
		{"flow other", "- type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n  namespace: a.b\n  flowId: up",
			plugin.ConditionContext{Execution: exec("a.b", "down", "SUCCESS")}, false, ""},
		{"flow no execution", "- type: condition.ExecutionFlowCondition\n  namespace: a.b\n  flowId: up",
			plugin.ConditionContext{}, false, "execution null"},
		{"status in", "- type: io.kestra.core.models.conditions.types.ExecutionStatusCondition\n  in: [SUCCESS, WARNING]",
			plugin.ConditionContext{Execution: exec("a", "b", "WARNING")}, true, ""},
		{"status not in", "- type: io.kestra.core.models.conditions.types.ExecutionStatusCondition\n  in: [SUCCESS]",
			plugin.ConditionContext{Execution: exec("a", "b", "FAILED")}, false, ""},
		{"status notIn", "- type: io.kestra.core.models.conditions.types.ExecutionStatusCondition\n  notIn: [FAILED]",
			plugin.ConditionContext{Execution: exec("a", "b", "FAILED")}, false, ""},
		{"namespace exact", "- type: io.kestra.core.models.conditions.types.ExecutionNamespaceCondition\n  namespace: a.b",
			plugin.ConditionContext{Execution: exec("a.b.c", "f", "SUCCESS")}, false, ""},
		{"namespace prefix", "- type: io.kestra.core.models.conditions.types.ExecutionNamespaceCondition\n  namespace: a.b\n  prefix: true",
			plugin.ConditionContext{Execution: exec("a.b.c", "f", "SUCCESS")}, true, ""},
		{"flow condition", "- type: io.kestra.core.models.conditions.types.FlowCondition\n  namespace: n\n  flowId: me",
			plugin.ConditionContext{Namespace: "n", FlowID: "me"}, true, ""},
		{"flow namespace prefix", "- type: io.kestra.core.models.conditions.types.FlowNamespaceCondition\n  namespace: n.\n  prefix: true",
			plugin.ConditionContext{Namespace: "n.x", FlowID: "me"}, true, ""},
		{"flow namespace exact", "- type: io.kestra.core.models.conditions.types.FlowNamespaceCondition\n  namespace: n",
			plugin.ConditionContext{Namespace: "n.x", FlowID: "me"}, false, ""},
		{"day of week", "- type: io.kestra.core.models.conditions.types.DayWeekCondition\n  date: \"{{ trigger.date }}\"\n  dayOfWeek: MONDAY",
			plugin.ConditionContext{Render: render(vars("2024-03-04T10:00:00Z"))}, true, ""},
		{"day of week other", "- type: io.kestra.core.models.conditions.types.DayWeekCondition\n  date: \"{{ trigger.date }}\"\n  dayOfWeek: SUNDAY",
			plugin.ConditionContext{Render: render(vars("2024-03-04"))}, false, ""},
		{"first monday", "- type: io.kestra.core.models.conditions.types.DayWeekInMonthCondition\n  date: \"{{ trigger.date }}\"\n  dayOfWeek: MONDAY\n  dayInMonth: FIRST",
			plugin.ConditionContext{Render: render(vars("2024-03-04"))}, true, ""},
		{"second monday", "- type: io.kestra.core.models.conditions.types.DayWeekInMonthCondition\n  date: \"{{ trigger.date }}\"\n  dayOfWeek: MONDAY\n  dayInMonth: SECOND",
			plugin.ConditionContext{Render: render(vars("2024-03-11"))}, true, ""},
		{"last monday", "- type: io.kestra.core.models.conditions.types.DayWeekInMonthCondition\n  date: \"{{ trigger.date }}\"\n  dayOfWeek: MONDAY\n  dayInMonth: LAST",
			plugin.ConditionContext{Render: render(vars("2024-03-25"))}, true, ""},
		{"not last monday", "- type: io.kestra.core.models.conditions.types.DayWeekInMonthCondition\n  date: \"{{ trigger.date }}\"\n  dayOfWeek: MONDAY\n  dayInMonth: LAST",
			plugin.ConditionContext{Render: render(vars("2024-03-18"))}, false, ""},
		{"between", "- type: io.kestra.core.models.conditions.types.DateTimeBetweenCondition\n  date: \"{{ trigger.date }}\"\n  after: 2024-01-01T00:00:00Z\n  before: \"2024-12-31T00:00:00+02:00\"",
			plugin.ConditionContext{Render: render(vars("2024-03-04T10:00:00Z"))}, true, ""},
		{"after only, false", "- type: io.kestra.core.models.conditions.types.DateTimeBetweenCondition\n  date: \"{{ trigger.date }}\"\n  after: 2025-01-01T00:00:00Z",
			plugin.ConditionContext{Render: render(vars("2024-03-04T10:00:00Z"))}, false, ""},
		{"weekend", "- type: io.kestra.core.models.conditions.types.WeekendCondition\n  date: \"{{ trigger.date }}\"",
			plugin.ConditionContext{Render: render(vars("2024-03-09"))}, true, ""},
		{"weekday", "- type: io.kestra.core.models.conditions.types.WeekendCondition\n  date: \"{{ trigger.date }}\"",
			plugin.ConditionContext{Render: render(vars("2024-03-08"))}, false, ""},
		{"bad date", "- type: io.kestra.core.models.conditions.types.WeekendCondition\n  date: \"{{ trigger.date }}\"",
			plugin.ConditionContext{Render: render(vars("not a date"))}, false, "not an ISO-8601 date"},
		{"variable true", "- type: io.kestra.core.models.conditions.types.VariableCondition\n  expression: \"{{ trigger.date == '2024-03-09' }}\"",
			plugin.ConditionContext{Render: render(vars("2024-03-09"))}, true, ""},
		{"variable false", "- type: io.kestra.core.models.conditions.types.VariableCondition\n  expression: \"{{ trigger.date == '2024-03-10' }}\"",
			plugin.ConditionContext{Render: render(vars("2024-03-09"))}, false, ""},
		{"variable blank", "- type: io.kestra.core.models.conditions.types.VariableCondition\n  expression: \"  \"",
			plugin.ConditionContext{Render: render(nil)}, false, ""},
		{"not", "- type: io.kestra.core.models.conditions.types.NotCondition\n  conditions:\n    - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition\n      in: [FAILED]",
			plugin.ConditionContext{Execution: exec("a", "b", "SUCCESS")}, true, ""},
		{"or", "- type: io.kestra.core.models.conditions.types.OrCondition\n  conditions:\n    - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition\n      in: [FAILED]\n    - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n      namespace: a\n      flowId: b",
			plugin.ConditionContext{Execution: exec("a", "b", "SUCCESS")}, true, ""},
		{"all of two, second fails", "- type: io.kestra.core.models.conditions.types.ExecutionStatusCondition\n  in: [SUCCESS]\n- type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n  namespace: a\n  flowId: other",
			plugin.ConditionContext{Execution: exec("a", "b", "SUCCESS")}, false, ""},
		{"retried", "- type: io.kestra.core.models.conditions.types.HasRetryAttemptCondition\n  in: [FAILED]",
			plugin.ConditionContext{Execution: &plugin.ExecutionView{RetriedStates: []string{"FAILED", "SUCCESS"}}}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defs := conditionsOf(t, tc.conds)
			got, err := plugin.AllConditions(defs, &tc.cc)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v %v, want %v", got, err, tc.want)
			}
		})
	}
}

func TestDecodingIsStrict(t *testing.T) {
	for _, tc := range []struct{ conds, want string }{
		{"- type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n  namespace: a\n  flowid: b", `unknown property "flowid"`},
		{"- type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n  namespace: a", `"flowId": required property is missing`},
		{"- type: io.kestra.core.models.conditions.types.ExecutionFlowConditon\n  namespace: a", `did you mean "io.kestra.core.models.conditions.types.ExecutionFlowCondition"`},
		{"- type: io.kestra.core.models.conditions.types.ExecutionStatusCondition\n  in: [SUCCES]", `"SUCCES" is not a state`},
		{"- namespace: a", "condition without type"},
		{"- type: io.kestra.core.models.conditions.types.DateTimeBetweenCondition", "no before nor after"},
		{"- type: io.kestra.core.models.conditions.types.MultipleCondition\n  id: m\n  window: P1D\n  windowAdvance: P0D\n  conditions:\n    a:\n      type: io.kestra.core.models.conditions.types.Nope", `unknown condition type "io.kestra.core.models.conditions.types.Nope"`},
		{"- type: io.kestra.core.models.conditions.types.DayWeekCondition\n  dayOfWeek: MONDAI", `"MONDAI" is not one of`},
	} {
		indented := "    " + strings.ReplaceAll(tc.conds, "\n", "\n    ")
		src := "id: f\nnamespace: ns\ntasks:\n  - id: t\n    type: core.Return\n    format: x\ntriggers:\n  - id: tr\n    type: io.kestra.core.models.triggers.types.Flow\n    conditions:\n" + indented + "\n"
		_, err := flows.Parse("f.yml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.conds, err, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "f.yml:1") {
			t.Errorf("error not located: %v", err)
		}
	}
}

// The Kestra test flow trigger-multiplecondition-listener: flow-a then
// flow-b within the day fires once; the window is then reset.
func TestMultipleCondition(t *testing.T) {
	defs := conditionsOf(t, `
- id: multiple
  type: io.kestra.core.models.conditions.types.MultipleCondition
  window: P1D
  windowAdvance: P0D
  conditions:
    success:
      type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
      in:
        - SUCCESS
    flow-a:
      type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
      namespace: io.kestra.tests
      flowId: trigger-multiplecondition-flow-a
    flow-b:
      type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
      namespace: io.kestra.tests
      flowId: trigger-multiplecondition-flow-b`)
	kv := &memKV{m: map[string][]byte{}}
	now := time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)
	test := func(flow, state string, at time.Time) bool {
		t.Helper()
		ok, err := plugin.AllConditions(defs, &plugin.ConditionContext{
			Namespace: "io.kestra.tests", FlowID: "trigger-multiplecondition-listener",
			Execution: &plugin.ExecutionView{Namespace: "io.kestra.tests", FlowID: flow, State: state},
			Now:       at, KV: kv,
		})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if test("trigger-multiplecondition-flow-a", "SUCCESS", now) {
		t.Fatal("fired after flow-a alone")
	}
	if _, ok := kv.m[condition.WindowKey("multiple")]; !ok {
		t.Fatal("window not persisted")
	}
	if !test("trigger-multiplecondition-flow-b", "SUCCESS", now.Add(time.Hour)) {
		t.Fatal("did not fire after flow-a and flow-b")
	}
	if len(kv.m) != 0 {
		t.Fatal("window not reset after firing")
	}
	// flow-b alone again: a new count.
	if test("trigger-multiplecondition-flow-b", "SUCCESS", now.Add(2*time.Hour)) {
		t.Fatal("fired again on flow-b alone")
	}
	// The next day the window has moved on: flow-a from yesterday is forgotten.
	if test("trigger-multiplecondition-flow-a", "SUCCESS", now.Add(24*time.Hour)) {
		t.Fatal("fired across windows")
	}
}
