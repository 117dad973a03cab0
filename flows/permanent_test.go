package flows_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/mask"
	"github.com/sluicehq/sluice/internal/rows"
)

// A template that cannot render fails the same way on every attempt: it
// is not retried, whatever the retry policy says.
func TestDeterministicErrorsAreNotRetried(t *testing.T) {
	env := flowtest.New(t, testTasks())
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: first
    type: core.Return
    format: not-a-number
  - id: r
    type: core.Log
    message: "{{ outputs.first.value | number + 1 }}"
    retry:
      type: constant
      interval: 10ms
      maxAttempt: 5
`, nil)
	env.RequireState(ex, state.Failed)
	if tr := env.TaskRun(ex, "r"); len(tr.Attempts) != 1 {
		t.Errorf("a render error was tried %d times: %+v", len(tr.Attempts), tr.Attempts)
	}
	// A transient failure still is (test.Flaky fails twice then succeeds).
	ex = env.Run(`id: f
namespace: t
tasks:
  - id: r
    type: test.Flaky
    key: permanent-test
    failures: 1
    retry: {type: constant, interval: 10ms, maxAttempt: 3}
`, nil)
	env.RequireState(ex, state.Success)
}

func TestIsPermanent(t *testing.T) {
	m := mask.New()
	m.Add("hunter2-secret")
	rowErr := &rows.RowError{Row: 3, Column: "d", Value: "hunter2-secret", Err: fmt.Errorf("cannot convert string to a date")}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"plain", fmt.Errorf("connection reset"), false},
		{"marked", plugin.Permanent(fmt.Errorf("template")), true},
		{"wrapped mark", fmt.Errorf("task x: %w", plugin.Permanent(fmt.Errorf("template"))), true},
		{"row error", fmt.Errorf("load: %w", rowErr), true},
		{"masked row error", m.Error(fmt.Errorf("load: %w", rowErr)), true},
		{"masked transient", m.Error(fmt.Errorf("reset by hunter2-secret")), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := plugin.IsPermanent(tc.err); got != tc.want {
			t.Errorf("%s: IsPermanent = %v", tc.name, got)
		}
		if tc.err != nil && strings.Contains(tc.err.Error(), "hunter2") && strings.HasPrefix(tc.name, "masked") {
			t.Errorf("%s: not masked: %v", tc.name, tc.err)
		}
	}
}
