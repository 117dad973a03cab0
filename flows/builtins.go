package flows

import (
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/template"
)

// builtinKeys are the keys of the variables the engine itself provides
// (engine.go's vars): a template reading another key of them is a typo,
// reported at validation with the nearest key instead of failing at run
// time (and being retried).
var builtinKeys = map[string][]string{
	"flow":      {"id", "namespace"},
	"execution": {"id", "startDate"},
	"task":      {"id", "type"},
	"taskrun":   {"id", "startDate", "attemptsCount", "parentId", "value"},
}

// checkBuiltin reports flow.X, execution.X, task.X and taskrun.X where X is
// not a key the engine provides.
func (v *refChecker) checkBuiltin(r template.Ref, prop string, pos plugin.Pos) {
	if len(r.Path) < 2 {
		return
	}
	known := builtinKeys[r.Path[0]]
	key := r.Path[1]
	for _, k := range known {
		if k == key {
			return
		}
	}
	e := v.errorAt(pos, r.Line, r.Col, prop, "%s: %s has no key %q; its keys are %s", r.Text, r.Path[0], key, strings.Join(known, ", "))
	if s := closest(key, known); s != "" {
		e.Suggestion = strconv.Quote(r.Path[0] + "." + s + rest(r.Path, 2))
	}
}

// Closest returns the candidate nearest to s when it is near enough to be
// a plausible typo, or "": the did-you-mean of every sluice message.
func Closest(s string, candidates []string) string { return closest(s, candidates) }
