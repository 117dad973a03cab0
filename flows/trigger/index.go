package trigger

import (
	"strings"

	"github.com/sluicehq/sluice/flows/condition"
	"github.com/sluicehq/sluice/flows/plugin"
)

// Index finds the listeners (Flow triggers, usually) whose conditions can
// hold for an execution of a given flow, without scanning every flow:
// listeners are filed under the flows and namespaces their conditions
// name (condition.ScopeOf). Lookup costs the number of listeners of that
// flow and namespace, plus the distinct namespace prefixes and the
// listeners that restrict nothing. Not safe for concurrent mutation;
// rebuild or guard it.
type Index[L comparable] struct {
	byFlow      map[condition.FlowKey][]L
	byNamespace map[string][]L
	byPrefix    map[string][]L
	all         []L
}

// NewIndex returns an empty index.
func NewIndex[L comparable]() *Index[L] {
	return &Index[L]{byFlow: map[condition.FlowKey][]L{}, byNamespace: map[string][]L{}, byPrefix: map[string][]L{}}
}

// Add files l under the scope of conditions.
func (x *Index[L]) Add(l L, conditions []*plugin.ConditionDef) {
	s := condition.ScopeOf(conditions)
	if s.All {
		x.all = append(x.all, l)
		return
	}
	for _, f := range s.Flows {
		x.byFlow[f] = appendOnce(x.byFlow[f], l)
	}
	for _, ns := range s.Namespaces {
		x.byNamespace[ns] = appendOnce(x.byNamespace[ns], l)
	}
	for _, p := range s.Prefixes {
		x.byPrefix[p] = appendOnce(x.byPrefix[p], l)
	}
}

// Remove takes l out of every list (used when a flow is updated or
// deleted). It costs the lists l was filed under.
func (x *Index[L]) Remove(l L, conditions []*plugin.ConditionDef) {
	s := condition.ScopeOf(conditions)
	if s.All {
		x.all = without(x.all, l)
		return
	}
	for _, f := range s.Flows {
		if x.byFlow[f] = without(x.byFlow[f], l); len(x.byFlow[f]) == 0 {
			delete(x.byFlow, f)
		}
	}
	for _, ns := range s.Namespaces {
		if x.byNamespace[ns] = without(x.byNamespace[ns], l); len(x.byNamespace[ns]) == 0 {
			delete(x.byNamespace, ns)
		}
	}
	for _, p := range s.Prefixes {
		if x.byPrefix[p] = without(x.byPrefix[p], l); len(x.byPrefix[p]) == 0 {
			delete(x.byPrefix, p)
		}
	}
}

// Lookup returns the listeners that may fire for an execution of
// (namespace, flowID), each once.
func (x *Index[L]) Lookup(namespace, flowID string) []L {
	var out []L
	seen := map[L]bool{}
	add := func(ls []L) {
		for _, l := range ls {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	add(x.byFlow[condition.FlowKey{Namespace: namespace, FlowID: flowID}])
	add(x.byNamespace[namespace])
	for p, ls := range x.byPrefix {
		if strings.HasPrefix(namespace, p) {
			add(ls)
		}
	}
	add(x.all)
	return out
}

func appendOnce[L comparable](ls []L, l L) []L {
	for _, x := range ls {
		if x == l {
			return ls
		}
	}
	return append(ls, l)
}

func without[L comparable](ls []L, l L) []L {
	out := ls[:0]
	for _, x := range ls {
		if x != l {
			out = append(out, x)
		}
	}
	return out
}
