// Package trigger holds Kestra 0.4's trigger types (Schedule, Flow,
// Webhook) and what can be computed about them without running anything:
// the slots a schedule fires at, the index of flows listening to others'
// executions, a webhook request turned into trigger variables. The server
// (package server) runs them; `sluice run` ignores them.
package trigger

import (
	"github.com/sluicehq/sluice/flows/plugin"
)

const kestra = "io.kestra.core.models.triggers.types."

func init() {
	plugin.RegisterTrigger(plugin.Info{
		ID:      "trigger.Schedule",
		Aliases: []string{kestra + "Schedule"},
		Title:   "Start the flow on a cron schedule.",
		Doc: "`cron` has five fields (minute hour day month weekday) or six with seconds first, " +
			"and accepts descriptors (`@daily`, `@hourly`, `@every 90s`). Slots are computed in " +
			"`timezone` (UTC by default). The last fired slot is persisted: after a restart every " +
			"slot missed while the server was down fires once, in order, and none fires twice. " +
			"Without `backfill`, a schedule seen for the first time starts with the next slot; " +
			"with `backfill.start` it first fires every slot since that date.\n\n" +
			"The execution sees `{{ trigger.date }}` (the slot), `{{ trigger.next }}` and " +
			"`{{ trigger.previous }}`; `scheduleConditions` (DayWeekCondition, WeekendCondition, " +
			"VariableCondition, ...) are rendered with them and a slot whose conditions do not hold " +
			"is skipped.",
		New: func() any { return &Schedule{} },
		Outputs: []plugin.Output{
			{Name: "date", Doc: "the slot fired (ISO-8601)"},
			{Name: "next", Doc: "the slot after it"},
			{Name: "previous", Doc: "the slot before it"},
		},
		Examples: []plugin.Example{{Title: "every day at 3 AM, with the last week backfilled", YAML: `
triggers:
  - id: nightly
    type: io.kestra.core.models.triggers.types.Schedule
    cron: "0 3 * * *"
    timezone: Europe/Paris
    backfill:
      start: 2024-01-01T00:00:00Z`}},
	})
	plugin.RegisterTrigger(plugin.Info{
		ID:      "trigger.Flow",
		Aliases: []string{kestra + "Flow"},
		Title:   "Start the flow when another flow's execution ends.",
		Doc: "Every execution end is tested against the flows with a Flow trigger, found through an " +
			"index keyed by the (namespace, flow id) their conditions name, so the cost is that of " +
			"the listeners of the flow that ended. Without an ExecutionFlowCondition the trigger " +
			"listens to its namespace (ExecutionNamespaceCondition) or to every flow. A flow never " +
			"triggers itself.\n\n`inputs` are rendered against the ended execution " +
			"(`{{ outputs.TASK.value }}`, `{{ execution.id }}`); when one fails to render, a " +
			"warning \"Failed to trigger flow\" is logged and no execution is created. The new " +
			"execution sees `{{ trigger.executionId }}`, `trigger.namespace`, `trigger.flowId`, " +
			"`trigger.flowRevision`, `trigger.state` and `trigger.outputs`.",
		New: func() any { return &Flow{} },
		Outputs: []plugin.Output{
			{Name: "executionId", Doc: "the execution that ended"},
			{Name: "namespace", Doc: "its namespace"},
			{Name: "flowId", Doc: "its flow"},
			{Name: "flowRevision", Doc: "its flow revision"},
			{Name: "state", Doc: "its final state"},
			{Name: "outputs", Doc: "its task outputs, by task id", Dynamic: true},
		},
		Examples: []plugin.Example{{Title: "after a successful upstream run", YAML: `
triggers:
  - id: after-upstream
    type: io.kestra.core.models.triggers.types.Flow
    inputs:
      from-parent: "{{ outputs.only.value }}"
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
        in: [SUCCESS]
      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
        namespace: company.team
        flowId: upstream`}},
	})
	plugin.RegisterTrigger(plugin.Info{
		ID:      "trigger.Webhook",
		Aliases: []string{kestra + "Webhook"},
		Title:   "Start the flow from an HTTP request.",
		Doc: "`GET`, `POST` or `PUT /api/v1/executions/webhook/NAMESPACE/FLOW/KEY` starts an " +
			"execution. The body is `{{ trigger.body }}` (parsed when it is a JSON object or array, " +
			"the text otherwise), query parameters are `{{ trigger.parameters }}` and headers " +
			"`{{ trigger.headers }}` (both maps of lists, as Kestra's). Without `key`, the server " +
			"generates a random one when it stores the flow and shows it in the flow's API answer.",
		New: func() any { return &Webhook{} },
		Outputs: []plugin.Output{
			{Name: "body", Doc: "the request body"},
			{Name: "parameters", Doc: "query parameters, name → list of values", Dynamic: true},
			{Name: "headers", Doc: "request headers, name → list of values", Dynamic: true},
		},
	})
}

// Flow is the Flow trigger.
type Flow struct {
	Inputs map[string]any `yaml:"inputs" doc:"Inputs of the new execution, rendered against the ended one."`
}

// Webhook is the Webhook trigger.
type Webhook struct {
	Key string `yaml:"key" doc:"Secret part of the webhook URL, 16 to 256 characters."`
}

// Validate checks the key length Kestra enforces.
func (w *Webhook) Validate() error {
	if w.Key != "" && (len(w.Key) < 16 || len(w.Key) > 256) {
		return errKeyLength
	}
	return nil
}

type constError string

func (e constError) Error() string { return string(e) }

const errKeyLength = constError("key must be 16 to 256 characters")
