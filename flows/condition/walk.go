package condition

import (
	"sort"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Walk calls fn for every condition in defs and inside them
// (MultipleCondition, NotCondition, OrCondition), depth first.
func Walk(defs []*plugin.ConditionDef, fn func(*plugin.ConditionDef)) {
	for _, d := range defs {
		fn(d)
		switch c := d.Props.(type) {
		case *Multiple:
			names := make([]string, 0, len(c.Conditions))
			for n := range c.Conditions {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				Walk([]*plugin.ConditionDef{c.Conditions[n]}, fn)
			}
		case *Not:
			Walk(c.Conditions, fn)
		case *Or:
			Walk(c.Conditions, fn)
		}
	}
}

// FlowKey names a flow.
type FlowKey struct{ Namespace, FlowID string }

// Scope is the set of ended executions a list of conditions can hold for,
// as far as it can be told without evaluating them: executions of Flows,
// of flows in Namespaces (or under Prefixes), or of any flow (All).
type Scope struct {
	Flows      []FlowKey
	Namespaces []string
	Prefixes   []string
	All        bool
}

// ScopeOf computes the scope of conditions that must all hold (a
// trigger's list): the narrowest of the scopes its conditions have. A
// MultipleCondition or OrCondition holds for the union of its
// children's scopes; conditions that do not restrict the execution's
// flow (state, dates, variables, NotCondition) have scope All.
func ScopeOf(defs []*plugin.ConditionDef) Scope {
	best := Scope{All: true}
	for _, d := range defs {
		s := scopeOne(d)
		if !s.All && (best.All || s.size() < best.size()) {
			best = s
		}
	}
	return best
}

func (s Scope) size() int { return len(s.Flows) + len(s.Namespaces) + len(s.Prefixes) }

func scopeOne(d *plugin.ConditionDef) Scope {
	switch c := d.Props.(type) {
	case *ExecutionFlow:
		return Scope{Flows: []FlowKey{{c.Namespace, c.FlowID}}}
	case *ExecutionNamespace:
		if c.Prefix {
			return Scope{Prefixes: []string{c.Namespace}}
		}
		return Scope{Namespaces: []string{c.Namespace}}
	case *Multiple:
		// The window records whichever named condition holds, so every
		// child's executions matter: the union.
		var children []*plugin.ConditionDef
		for _, sub := range c.Conditions {
			children = append(children, sub)
		}
		return union(children, false)
	case *Or:
		return union(c.Conditions, true)
	}
	return Scope{All: true}
}

// union is the scope of any of defs. For an OrCondition a child with
// scope All makes the union All. For a MultipleCondition a child such as
// "state is SUCCESS" does not widen it: it is recorded from the
// executions the flow conditions beside it select (Kestra would also
// record it from executions of unrelated flows; see docs/server.md).
func union(defs []*plugin.ConditionDef, anyWidens bool) Scope {
	var u Scope
	for _, d := range defs {
		s := scopeOne(d)
		if s.All {
			if anyWidens {
				return Scope{All: true}
			}
			continue
		}
		u.Flows = append(u.Flows, s.Flows...)
		u.Namespaces = append(u.Namespaces, s.Namespaces...)
		u.Prefixes = append(u.Prefixes, s.Prefixes...)
	}
	if u.size() == 0 {
		return Scope{All: true}
	}
	return u
}
