// Package condition holds Kestra 0.4's trigger and listener conditions
// (io.kestra.core.models.conditions.types.*). Each registers itself with
// plugin.RegisterCondition; flows decode them strictly wherever a flow
// declares `conditions:` (triggers, listeners, MultipleCondition).
package condition

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/template"
)

const kestra = "io.kestra.core.models.conditions.types."

func register(id, title, doc string, newProps func() any, example string) {
	info := plugin.Info{
		ID:      "condition." + id,
		Aliases: []string{kestra + id},
		Title:   title,
		Doc:     doc,
		New:     newProps,
	}
	if example != "" {
		info.Examples = []plugin.Example{{Title: id, YAML: example}}
	}
	plugin.RegisterCondition(info)
}

// states are the values ExecutionStatusCondition accepts.
const states = "CREATED,RUNNING,PAUSED,RESTARTED,KILLING,SUCCESS,WARNING,FAILED,KILLED,RETRYING"

var errNoExecution = errors.New("invalid condition with execution null: it only applies where an execution ended (Flow triggers, listeners)")

func init() {
	register("ExecutionFlowCondition", "Holds when the ended execution is of this flow.", "",
		func() any { return &ExecutionFlow{} }, `
type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
namespace: company.team
flowId: upstream`)
	register("ExecutionStatusCondition", "Holds when the ended execution's state is in `in` and not in `notIn`.", "",
		func() any { return &ExecutionStatus{} }, `
type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
in: [SUCCESS, WARNING]`)
	register("ExecutionNamespaceCondition", "Holds when the ended execution's namespace is (or starts with) this one.", "",
		func() any { return &ExecutionNamespace{} }, "")
	register("FlowCondition", "Holds when the evaluated flow is this one (deprecated in Kestra; kept for old flows).", "",
		func() any { return &Flow{} }, "")
	register("FlowNamespaceCondition", "Holds when the evaluated flow's namespace is (or starts with) this one.", "",
		func() any { return &FlowNamespace{} }, "")
	register("HasRetryAttemptCondition", "Holds when a task run of the ended execution was retried and one of its attempts is in `in` and not in `notIn`.", "",
		func() any { return &HasRetryAttempt{} }, "")
	register("MultipleCondition", "Holds once every named condition has held for some execution within one time window.",
		"Each ended execution is tested against every named condition; the ones that hold are remembered "+
			"(in the listening flow's state, so a server restart keeps them) for the current window. The "+
			"condition holds when all of them have held within the window, and the window is then reset. "+
			"Windows are aligned: a `P1D` window starts at midnight (UTC) plus `windowAdvance`.",
		func() any { return &Multiple{} }, `
id: daily
type: io.kestra.core.models.conditions.types.MultipleCondition
window: P1D
windowAdvance: P0D
conditions:
  flow-a:
    type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
    namespace: company.team
    flowId: flow-a
  flow-b:
    type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
    namespace: company.team
    flowId: flow-b`)
	register("DayWeekCondition", "Holds when `date` falls on `dayOfWeek`.", "`date` defaults to `{{ now() }}`; a Schedule passes `{{ trigger.date }}`.",
		func() any { return &DayWeek{Date: nowDate} }, `
type: io.kestra.core.models.conditions.types.DayWeekCondition
dayOfWeek: MONDAY`)
	register("DayWeekInMonthCondition", "Holds when `date` is the first, second, third, fourth or last `dayOfWeek` of its month.", "`date` defaults to `{{ now() }}`.",
		func() any { return &DayWeekInMonth{Date: nowDate} }, `
type: io.kestra.core.models.conditions.types.DayWeekInMonthCondition
dayOfWeek: MONDAY
dayInMonth: FIRST`)
	register("DateTimeBetweenCondition", "Holds when `date` is after `after` and before `before` (either may be omitted, not both).", "`date` defaults to `{{ now() }}`.",
		func() any { return &DateTimeBetween{Date: nowDate} }, `
type: io.kestra.core.models.conditions.types.DateTimeBetweenCondition
after: "2024-01-01T00:00:00Z"
before: "2025-01-01T00:00:00Z"`)
	register("WeekendCondition", "Holds when `date` is a Saturday or a Sunday.", "`date` defaults to `{{ now() }}`.",
		func() any { return &Weekend{Date: nowDate} }, "")
	register("VariableCondition", "Holds when `expression` renders to anything but blank or `false`.", "",
		func() any { return &Variable{} }, `
type: io.kestra.core.models.conditions.types.VariableCondition
expression: "{{ trigger.date | date('HH') == '03' }}"`)
	register("NotCondition", "Holds when none of `conditions` holds.", "",
		func() any { return &Not{} }, "")
	register("OrCondition", "Holds when any of `conditions` holds.", "",
		func() any { return &Or{} }, "")
}

// ExecutionFlow is ExecutionFlowCondition.
type ExecutionFlow struct {
	Namespace string `yaml:"namespace" required:"true" doc:"Namespace of the flow whose execution ended."`
	FlowID    string `yaml:"flowId" required:"true" doc:"ID of the flow whose execution ended."`
}

// Test implements plugin.Condition.
func (c *ExecutionFlow) Test(cc *plugin.ConditionContext) (bool, error) {
	if cc.Execution == nil {
		return false, errNoExecution
	}
	return cc.Execution.Namespace == c.Namespace && cc.Execution.FlowID == c.FlowID, nil
}

// ExecutionStatus is ExecutionStatusCondition.
type ExecutionStatus struct {
	In    []string `yaml:"in" doc:"States that satisfy the condition (any when unset)." enum:"CREATED,RUNNING,PAUSED,RESTARTED,KILLING,SUCCESS,WARNING,FAILED,KILLED,RETRYING"`
	NotIn []string `yaml:"notIn" doc:"States that fail the condition." enum:"CREATED,RUNNING,PAUSED,RESTARTED,KILLING,SUCCESS,WARNING,FAILED,KILLED,RETRYING"`
}

// Validate checks the states named.
func (c *ExecutionStatus) Validate() error { return validStates(c.In, c.NotIn) }

// Test implements plugin.Condition.
func (c *ExecutionStatus) Test(cc *plugin.ConditionContext) (bool, error) {
	if cc.Execution == nil {
		return false, errNoExecution
	}
	return inNotIn(cc.Execution.State, c.In, c.NotIn), nil
}

func inNotIn(s string, in, notIn []string) bool {
	if in != nil && !slices.Contains(in, s) {
		return false
	}
	return !slices.Contains(notIn, s)
}

func validStates(lists ...[]string) error {
	for _, l := range lists {
		for _, s := range l {
			if !slices.Contains(strings.Split(states, ","), s) {
				return fmt.Errorf("%q is not a state (one of %s)", s, states)
			}
		}
	}
	return nil
}

// ExecutionNamespace is ExecutionNamespaceCondition.
type ExecutionNamespace struct {
	Namespace string `yaml:"namespace" required:"true" doc:"Namespace of the ended execution."`
	Prefix    bool   `yaml:"prefix" doc:"Match every namespace starting with namespace."`
}

// Test implements plugin.Condition.
func (c *ExecutionNamespace) Test(cc *plugin.ConditionContext) (bool, error) {
	if cc.Execution == nil {
		return false, errNoExecution
	}
	return matchNamespace(cc.Execution.Namespace, c.Namespace, c.Prefix), nil
}

func matchNamespace(ns, want string, prefix bool) bool {
	if prefix {
		return strings.HasPrefix(ns, want)
	}
	return ns == want
}

// Flow is FlowCondition: it tests the flow being evaluated, not the ended
// execution.
type Flow struct {
	Namespace string `yaml:"namespace" required:"true" doc:"Namespace of the evaluated flow."`
	FlowID    string `yaml:"flowId" required:"true" doc:"ID of the evaluated flow."`
}

// Test implements plugin.Condition.
func (c *Flow) Test(cc *plugin.ConditionContext) (bool, error) {
	return cc.Namespace == c.Namespace && cc.FlowID == c.FlowID, nil
}

// FlowNamespace is FlowNamespaceCondition.
type FlowNamespace struct {
	Namespace string `yaml:"namespace" required:"true" doc:"Namespace of the evaluated flow."`
	Prefix    bool   `yaml:"prefix" doc:"Match every namespace starting with namespace."`
}

// Test implements plugin.Condition.
func (c *FlowNamespace) Test(cc *plugin.ConditionContext) (bool, error) {
	return matchNamespace(cc.Namespace, c.Namespace, c.Prefix), nil
}

// HasRetryAttempt is HasRetryAttemptCondition.
type HasRetryAttempt struct {
	In    []string `yaml:"in" doc:"Attempt states that satisfy the condition." enum:"CREATED,RUNNING,PAUSED,RESTARTED,KILLING,SUCCESS,WARNING,FAILED,KILLED,RETRYING"`
	NotIn []string `yaml:"notIn" doc:"Attempt states that fail it." enum:"CREATED,RUNNING,PAUSED,RESTARTED,KILLING,SUCCESS,WARNING,FAILED,KILLED,RETRYING"`
}

// Validate checks the states named.
func (c *HasRetryAttempt) Validate() error { return validStates(c.In, c.NotIn) }

// Test implements plugin.Condition.
func (c *HasRetryAttempt) Test(cc *plugin.ConditionContext) (bool, error) {
	if cc.Execution == nil {
		return false, errNoExecution
	}
	for _, s := range cc.Execution.RetriedStates {
		if inNotIn(s, c.In, c.NotIn) {
			return true, nil
		}
	}
	return false, nil
}

// nowDate is the default date of the date conditions.
const nowDate = "{{ now() }}"

func renderDate(cc *plugin.ConditionContext, src string) (time.Time, error) {
	if cc.Render == nil {
		return time.Time{}, fmt.Errorf("no template context to render %q", src)
	}
	s, err := cc.Render(src)
	if err != nil {
		return time.Time{}, err
	}
	t, err := template.ParseTime(strings.TrimSpace(s), time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", src, err)
	}
	return t, nil
}

// DayOfWeek is a day name as Java's DayOfWeek spells it.
type DayOfWeek string

var days = []string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"}

func (d DayOfWeek) weekday() time.Weekday { return time.Weekday(slices.Index(days, string(d))) }

// DayWeek is DayWeekCondition.
type DayWeek struct {
	Date      string    `yaml:"date" doc:"Template of the date to test (default {{ now() }})."`
	DayOfWeek DayOfWeek `yaml:"dayOfWeek" required:"true" enum:"MONDAY,TUESDAY,WEDNESDAY,THURSDAY,FRIDAY,SATURDAY,SUNDAY" doc:"The day."`
}

// Test implements plugin.Condition.
func (c *DayWeek) Test(cc *plugin.ConditionContext) (bool, error) {
	t, err := renderDate(cc, c.Date)
	if err != nil {
		return false, err
	}
	return t.Weekday() == c.DayOfWeek.weekday(), nil
}

// DayWeekInMonth is DayWeekInMonthCondition.
type DayWeekInMonth struct {
	Date       string    `yaml:"date" doc:"Template of the date to test (default {{ now() }})."`
	DayOfWeek  DayOfWeek `yaml:"dayOfWeek" required:"true" enum:"MONDAY,TUESDAY,WEDNESDAY,THURSDAY,FRIDAY,SATURDAY,SUNDAY" doc:"The day."`
	DayInMonth string    `yaml:"dayInMonth" required:"true" enum:"FIRST,SECOND,THIRD,FOURTH,LAST" doc:"Which of the month's days of that name."`
}

// Test implements plugin.Condition.
func (c *DayWeekInMonth) Test(cc *plugin.ConditionContext) (bool, error) {
	t, err := renderDate(cc, c.Date)
	if err != nil {
		return false, err
	}
	if t.Weekday() != c.DayOfWeek.weekday() {
		return false, nil
	}
	nth := (t.Day()-1)/7 + 1 // 1 for days 1-7, ...
	switch c.DayInMonth {
	case "FIRST":
		return nth == 1, nil
	case "SECOND":
		return nth == 2, nil
	case "THIRD":
		return nth == 3, nil
	case "FOURTH":
		return nth == 4, nil
	case "LAST":
		return t.AddDate(0, 0, 7).Month() != t.Month(), nil
	}
	return false, fmt.Errorf("invalid dayInMonth %q", c.DayInMonth)
}

// DateTimeBetween is DateTimeBetweenCondition.
type DateTimeBetween struct {
	Date   string     `yaml:"date" doc:"Template of the date to test (default {{ now() }})."`
	After  *time.Time `yaml:"after" doc:"The date must be strictly after this (ISO-8601 with offset)."`
	Before *time.Time `yaml:"before" doc:"The date must be strictly before this (ISO-8601 with offset)."`
}

// Validate requires a bound.
func (c *DateTimeBetween) Validate() error {
	if c.After == nil && c.Before == nil {
		return errors.New("invalid condition with no before nor after")
	}
	return nil
}

// Test implements plugin.Condition.
func (c *DateTimeBetween) Test(cc *plugin.ConditionContext) (bool, error) {
	t, err := renderDate(cc, c.Date)
	if err != nil {
		return false, err
	}
	if c.After != nil && !t.After(*c.After) {
		return false, nil
	}
	if c.Before != nil && !t.Before(*c.Before) {
		return false, nil
	}
	return true, nil
}

// Weekend is WeekendCondition.
type Weekend struct {
	Date string `yaml:"date" doc:"Template of the date to test (default {{ now() }})."`
}

// Test implements plugin.Condition.
func (c *Weekend) Test(cc *plugin.ConditionContext) (bool, error) {
	t, err := renderDate(cc, c.Date)
	if err != nil {
		return false, err
	}
	return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday, nil
}

// Variable is VariableCondition.
type Variable struct {
	Expression string `yaml:"expression" required:"true" doc:"Template; the condition holds unless it renders blank or false."`
}

// Test implements plugin.Condition.
func (c *Variable) Test(cc *plugin.ConditionContext) (bool, error) {
	if cc.Render == nil {
		return false, fmt.Errorf("no template context to render %q", c.Expression)
	}
	s, err := cc.Render(c.Expression)
	if err != nil {
		return false, err
	}
	s = strings.TrimSpace(s)
	return s != "" && s != "false", nil
}

// Not is NotCondition.
type Not struct {
	Conditions []*plugin.ConditionDef `yaml:"conditions" required:"true" doc:"None of these may hold."`
}

// Validate requires conditions.
func (c *Not) Validate() error { return nonEmpty(c.Conditions) }

// Test implements plugin.Condition.
func (c *Not) Test(cc *plugin.ConditionContext) (bool, error) {
	for _, sub := range c.Conditions {
		ok, err := sub.Test(cc)
		if err != nil || ok {
			return false, err
		}
	}
	return true, nil
}

// Or is OrCondition.
type Or struct {
	Conditions []*plugin.ConditionDef `yaml:"conditions" required:"true" doc:"At least one of these must hold."`
}

// Validate requires conditions.
func (c *Or) Validate() error { return nonEmpty(c.Conditions) }

// Test implements plugin.Condition.
func (c *Or) Test(cc *plugin.ConditionContext) (bool, error) {
	for _, sub := range c.Conditions {
		ok, err := sub.Test(cc)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func nonEmpty(cs []*plugin.ConditionDef) error {
	if len(cs) == 0 {
		return errors.New("conditions must not be empty")
	}
	return nil
}
