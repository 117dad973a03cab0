package flows

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
)

// varsView is {{ vars }} of one task run: the flow's variables (over the
// configuration's, under --var). A string variable that holds a template is
// rendered when read, against the task run's context, so variables may use
// each other and anything the task run sees, as Kestra 0.4 renders them
// recursively (variables.yaml: third: "{{vars.second}} > 3").
type varsView struct {
	r     *run
	raw   map[string]any
	ctx   map[string]any // the task run's context, holding this view
	depth atomic.Int32
}

// maxVarsDepth stops variables that refer to each other in a cycle.
const maxVarsDepth = 16

func newVarsView(r *run, raw, ctx map[string]any) *varsView {
	return &varsView{r: r, raw: raw, ctx: ctx}
}

func (v *varsView) Keys() []string {
	ks := make([]string, 0, len(v.raw))
	for k := range v.raw {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Get is the value as declared (iteration, json).
func (v *varsView) Get(k string) (any, bool) {
	x, ok := v.raw[k]
	return x, ok
}

// Lookup is the value a template reads: templates rendered.
func (v *varsView) Lookup(k string) (any, bool, error) {
	x, ok := v.raw[k]
	s, isString := x.(string)
	if !ok || !isString || !isTemplate(s) {
		return x, ok, nil
	}
	if v.depth.Add(1) > maxVarsDepth {
		v.depth.Add(-1)
		return nil, false, &varsCycleError{fmt.Errorf("variable %q: variables refer to each other more than %d deep (a cycle?)", k, maxVarsDepth)}
	}
	defer v.depth.Add(-1)
	out, err := v.r.render(context.Background(), s, v.ctx)
	var cycle *varsCycleError
	if errors.As(err, &cycle) {
		return nil, false, cycle // once, not once per level
	}
	if err != nil {
		return nil, false, fmt.Errorf("variable %q: %w", k, err)
	}
	return out, true, nil
}

type varsCycleError struct{ err error }

func (e *varsCycleError) Error() string { return e.err.Error() }
