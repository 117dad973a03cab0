package flows_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
)

// Variables are rendered when read, recursively and against the task run's
// context; a cycle fails the task that reads it, naming the variable.
func TestVariablesRenderedWhenRead(t *testing.T) {
	env := flowtest.New(t)
	ex := env.Run(`id: vars
namespace: t
variables:
  who: "{{ task.id }} of {{ flow.id }}"
  greeting: "hello {{ vars.who }}"
  list: [1, 2]
  unused: "{{ var-1 }}"
tasks:
  - id: greet
    type: core.Return
    format: "{{ vars.greeting }} {{ vars.list | join(',') }}"
`, nil)
	env.RequireState(ex, state.Success)
	if got := env.Output(ex, "greet", "value"); got != "hello greet of vars 1,2" {
		t.Errorf("got %q", got)
	}

	ex = env.Run(`id: cycle
namespace: t
variables:
  a: "{{ vars.b }}"
  b: "{{ vars.a }}"
tasks:
  - id: r
    type: core.Return
    format: "{{ vars.a }}"
`, nil)
	env.RequireState(ex, state.Failed)
	if e := env.TaskRun(ex, "r").Error; !strings.Contains(e, "variables refer to each other more than 16 deep") {
		t.Errorf("error %q", e)
	}
}
