package trigger_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows"
	_ "github.com/sluicehq/sluice/flows/core"
	"github.com/sluicehq/sluice/flows/trigger"
)

func parse(t *testing.T, triggers string) (*flows.Flow, error) {
	t.Helper()
	src := "id: f\nnamespace: ns\ntasks:\n  - id: t\n    type: core.Return\n    format: x\ntriggers:\n" + triggers
	return flows.Parse("f.yml", []byte(src))
}

func schedule(t *testing.T, props string) *trigger.Schedule {
	t.Helper()
	f, err := parse(t, "  - id: s\n    type: io.kestra.core.models.triggers.types.Schedule\n"+props)
	if err != nil {
		t.Fatal(err)
	}
	return f.Triggers[0].Props.(*trigger.Schedule)
}

func TestScheduleSlots(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		props     string
		from, now string
		want      []string
	}{
		{"    cron: \"0 3 * * *\"\n", "2024-03-01T03:00:00Z", "2024-03-03T12:00:00Z",
			[]string{"2024-03-01T03:00:00Z", "2024-03-02T03:00:00Z", "2024-03-03T03:00:00Z"}},
		{"    cron: \"*/20 * * * * *\"\n", "2024-03-01T00:00:00Z", "2024-03-01T00:00:59Z",
			[]string{"2024-03-01T00:00:00Z", "2024-03-01T00:00:20Z", "2024-03-01T00:00:40Z"}},
		// 3 AM in Paris is 02:00 UTC in winter, 01:00 UTC in summer.
		{"    cron: \"0 3 * * *\"\n    timezone: Europe/Paris\n", "2024-03-30T02:00:00Z", "2024-04-01T12:00:00Z",
			[]string{"2024-03-30T02:00:00Z", "2024-03-31T01:00:00Z", "2024-04-01T01:00:00Z"}},
		{"    cron: \"@hourly\"\n", "2024-03-01T22:00:00Z", "2024-03-01T23:59:59Z",
			[]string{"2024-03-01T22:00:00Z", "2024-03-01T23:00:00Z"}},
	} {
		s := schedule(t, tc.props)
		var got []string
		for _, slot := range s.Due(at(tc.from), at(tc.now), 100) {
			got = append(got, slot.Format(time.RFC3339))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.props, got, tc.want)
		}
	}
	s := schedule(t, "    cron: \"0 3 * * *\"\n    backfill:\n      start: 2024-03-01T00:00:00Z\n")
	if got := s.First(at("2024-06-01T00:00:00Z")); !got.Equal(at("2024-03-01T03:00:00Z")) {
		t.Errorf("first with backfill: %v", got)
	}
	s = schedule(t, "    cron: \"0 3 * * *\"\n    backfill:\n      start: 2024-03-01T03:00:00Z\n")
	if got := s.First(at("2024-06-01T00:00:00Z")); !got.Equal(at("2024-03-01T03:00:00Z")) {
		t.Errorf("backfill start on a slot includes it: %v", got)
	}
	s = schedule(t, "    cron: \"0 3 * * *\"\n")
	if got := s.First(at("2024-06-01T04:00:00Z")); !got.Equal(at("2024-06-02T03:00:00Z")) {
		t.Errorf("first without backfill: %v", got)
	}
	if due := s.Due(at("2024-03-01T03:00:00Z"), at("2024-06-01T00:00:00Z"), 10); len(due) != 10 {
		t.Errorf("Due not bounded: %d", len(due))
	}
	v := s.Vars(at("2024-03-02T03:00:00Z"))
	if v["date"] != "2024-03-02T03:00:00Z" || v["next"] != "2024-03-03T03:00:00Z" || v["previous"] != "2024-03-01T03:00:00Z" {
		t.Errorf("vars %v", v)
	}
}

func TestTriggerDecoding(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"  - id: s\n    type: io.kestra.core.models.triggers.types.Schedule\n    cron: \"61 * * * *\"\n", "end of range (61) above maximum (59)"},
		{"  - id: s\n    type: io.kestra.core.models.triggers.types.Schedule\n    cron: \"* * * * *\"\n    timezone: Mars/Olympus\n", `timezone "Mars/Olympus"`},
		{"  - id: s\n    type: io.kestra.core.models.triggers.types.Schedule\n", `"cron": required property is missing`},
		{"  - id: s\n    type: io.kestra.core.models.triggers.types.Schedule\n    cron: \"* * * * *\"\n    crn: x\n", `unknown property "crn"`},
		{"  - id: s\n    type: io.kestra.core.models.triggers.types.Shedule\n", `did you mean "io.kestra.core.models.triggers.types.Schedule"`},
		{"  - id: w\n    type: io.kestra.core.models.triggers.types.Webhook\n    key: short\n", "16 to 256 characters"},
		{"  - id: w\n    type: trigger.Webhook\n  - id: w\n    type: trigger.Webhook\n", `duplicate trigger id "w"`},
		{"  - type: trigger.Webhook\n", "a trigger needs id and type"},
		{"  - id: s\n    type: io.kestra.core.models.triggers.types.Schedule\n    cron: \"* * * * *\"\n    backfill:\n      start: yesterday\n", `property "start": parsing time "yesterday"`},
	} {
		_, err := parse(t, tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s\n got %v\nwant %q", tc.src, err, tc.want)
		}
	}
	f, err := parse(t, "  - id: listen\n    type: io.kestra.core.models.triggers.types.Flow\n    inputs:\n      a: \"{{ outputs.only.value }}\"\n    conditions:\n      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n        namespace: up\n        flowId: one\n")
	if err != nil {
		t.Fatal(err)
	}
	tr := f.Triggers[0]
	if tr.Info.ID != "trigger.Flow" || len(tr.Conditions) != 1 || tr.Props.(*trigger.Flow).Inputs["a"] != "{{ outputs.only.value }}" {
		t.Fatalf("decoded %+v", tr)
	}
}

func TestIndex(t *testing.T) {
	f, err := parse(t, `  - id: by-flow
    type: trigger.Flow
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
        in: [SUCCESS]
      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
        namespace: a
        flowId: up
  - id: by-namespace
    type: trigger.Flow
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionNamespaceCondition
        namespace: a
  - id: by-prefix
    type: trigger.Flow
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionNamespaceCondition
        namespace: b.
        prefix: true
  - id: multiple
    type: trigger.Flow
    conditions:
      - id: m
        type: io.kestra.core.models.conditions.types.MultipleCondition
        window: P1D
        windowAdvance: P0D
        conditions:
          ok:
            type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
            in: [SUCCESS]
          x:
            type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
            namespace: c
            flowId: x
          y:
            type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
            namespace: c
            flowId: "y"
  - id: any
    type: trigger.Flow
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
        in: [FAILED]
`)
	if err != nil {
		t.Fatal(err)
	}
	x := trigger.NewIndex[string]()
	for _, tr := range f.Triggers {
		x.Add(tr.ID, tr.Conditions)
	}
	for _, tc := range []struct {
		ns, flow string
		want     string
	}{
		{"a", "up", "[by-flow by-namespace any]"},
		{"a", "other", "[by-namespace any]"},
		{"b.c", "z", "[by-prefix any]"},
		{"c", "x", "[multiple any]"},
		{"c", "y", "[multiple any]"},
		{"d", "up", "[any]"},
	} {
		if got := fmt.Sprint(x.Lookup(tc.ns, tc.flow)); got != tc.want {
			t.Errorf("%s.%s: %s, want %s", tc.ns, tc.flow, got, tc.want)
		}
	}
	for _, tr := range f.Triggers {
		x.Remove(tr.ID, tr.Conditions)
	}
	if got := x.Lookup("a", "up"); len(got) != 0 {
		t.Errorf("after remove: %v", got)
	}
}
