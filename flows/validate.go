package flows

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/template"
)

// templateRoots are the variables a template may read.
var templateRoots = []string{"outputs", "inputs", "vars", "execution", "flow", "task", "taskrun", "parent", "parents", "trigger", "globals", "envs", "labels"}

// validate checks what needs the whole flow: template references against
// tasks, inputs and variables.
func validate(f *Flow, d *decoder) {
	tasks := map[string]*plugin.TaskDef{}
	inEach := map[string]bool{}
	f.Walk(func(t *plugin.TaskDef, parents []*plugin.TaskDef) {
		tasks[t.ID] = t
		for _, p := range parents {
			if isEach(p) {
				inEach[t.ID] = true
			}
		}
	})
	checkInputDefaults(f, d)
	v := &refChecker{f: f, d: d, tasks: tasks, inEach: inEach}
	check := func(t *plugin.TaskDef, parents []*plugin.TaskDef) {
		v.task = t
		v.eachDepth = 0
		for _, p := range parents {
			if isEach(p) {
				v.eachDepth++
			}
		}
		v.parents = kestraParents(parents)
		v.walkProps(reflect.ValueOf(t.Props), t)
		checkSwitch(t, d)
	}
	f.Walk(check)
	// Listener tasks read the ended execution: its tasks' outputs, not
	// each other's.
	for _, l := range f.Listeners {
		walkTasks(l.Tasks, nil, check)
	}
}

// kestraParents counts the ancestors {{ parent }} and {{ parents[i] }} can
// read, as Kestra 0.4 builds them: the enclosing task runs that have a
// value (the direct children of an Each) or outputs (a Switch), nearest
// first. parents is outermost first.
func kestraParents(parents []*plugin.TaskDef) int {
	n := 0
	for i, p := range parents {
		hasValue := i > 0 && isEach(parents[i-1]) && !inErrors(parents[i-1], p)
		hasOutputs := p.Info != nil && len(p.Info.Outputs) > 0
		if hasValue || hasOutputs {
			n++
		}
	}
	return n
}

// inErrors reports whether t sits in the errors branch of p.
func inErrors(p, t *plugin.TaskDef) bool {
	for _, e := range p.Errors {
		if e == t {
			return true
		}
	}
	return false
}

// checkSwitch rejects a Switch that can run nothing, as Kestra's
// Switch.failedConstraints does.
func checkSwitch(t *plugin.TaskDef, d *decoder) {
	sw, ok := t.Props.(*Switch)
	if !ok || len(sw.Defaults) > 0 {
		return
	}
	for _, tasks := range sw.Cases {
		if len(tasks) > 0 {
			return
		}
	}
	d.errs = append(d.errs, &Error{Pos: t.Pos, TaskID: t.ID,
		Msg: "switch.tasks: No task defined, neither cases or defaults have any tasks"})
}

type refChecker struct {
	f         *Flow
	d         *decoder
	tasks     map[string]*plugin.TaskDef
	inEach    map[string]bool
	task      *plugin.TaskDef
	eachDepth int
	parents   int // ancestors with a value or outputs (see kestraParents)
}

// walkProps finds every template string of a task's decoded properties.
// Positions come from the property's key; the template's own line/col is
// added on top.
func (v *refChecker) walkProps(rv reflect.Value, t *plugin.TaskDef) {
	if !rv.IsValid() {
		return
	}
	spec, err := plugin.SpecOf(rv.Type())
	if err != nil {
		return
	}
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return
		}
		rv = rv.Elem()
	}
	for _, p := range spec.Properties {
		if p.Type == taskListType || (p.Type.Kind() == reflect.Map && p.Type.Elem() == taskListType) {
			continue
		}
		if !p.Template {
			// Not rendered against this flow (a subflow's outputs read
			// the child execution).
			continue
		}
		pos, ok := t.PropPos[p.Name]
		if !ok {
			pos = t.Pos
		}
		v.walkValue(fieldByIndex(rv, p.Index), p.Name, pos)
	}
}

func (v *refChecker) walkValue(rv reflect.Value, prop string, pos plugin.Pos) {
	switch rv.Kind() {
	case reflect.String:
		if s := rv.String(); isTemplate(s) {
			v.checkTemplate(strings.TrimPrefix(s, listTemplateMarker), prop, pos)
		}
	case reflect.Slice, reflect.Array:
		if rv.Type() == taskListType {
			return
		}
		for i := 0; i < rv.Len(); i++ {
			v.walkValue(rv.Index(i), prop, pos)
		}
	case reflect.Map:
		iter := rv.MapRange()
		for iter.Next() {
			v.walkValue(iter.Value(), prop, pos)
		}
	case reflect.Interface, reflect.Pointer:
		if !rv.IsNil() {
			v.walkValue(rv.Elem(), prop, pos)
		}
	case reflect.Struct:
		if _, err := plugin.SpecOf(rv.Type()); err == nil {
			for i := 0; i < rv.NumField(); i++ {
				if rv.Type().Field(i).IsExported() {
					v.walkValue(rv.Field(i), prop, pos)
				}
			}
		}
	}
}

func (v *refChecker) errorAt(pos plugin.Pos, line, col int, prop, format string, args ...any) *Error {
	e := &Error{Pos: shift(pos, line, col), TaskID: v.task.ID, Property: prop, Msg: fmt.Sprintf(format, args...)}
	v.d.errs = append(v.d.errs, e)
	return e
}

func (v *refChecker) warnAt(pos plugin.Pos, line, col int, prop, format string, args ...any) {
	v.d.warns = append(v.d.warns, &Error{Pos: shift(pos, line, col), TaskID: v.task.ID, Property: prop, Msg: fmt.Sprintf(format, args...)})
}

// shift moves pos (a property's value) to line/col (1-based) inside its
// template; the template usually sits on the key's line after "key: ", so
// only multi-line templates change line.
func shift(pos plugin.Pos, line, col int) plugin.Pos {
	p := pos
	if line > 1 {
		p.Line += line - 1
		p.Col = col
	} else if col > 0 {
		p.Col += col - 1
	}
	return p
}

func (v *refChecker) checkTemplate(src, prop string, pos plugin.Pos) {
	tpl, err := template.Parse(src)
	if err != nil {
		var te *template.Error
		line, col := 1, 1
		if errors.As(err, &te) {
			line, col = te.Line, te.Col
		}
		v.errorAt(pos, line, col, prop, "template: %v", err)
		return
	}
	v.noteSecrets(tpl, prop, pos)
	for _, r := range tpl.Refs() {
		if r.Optional || len(r.Path) == 0 {
			continue
		}
		v.checkRef(r, prop, pos)
	}
}

func (v *refChecker) checkRef(r template.Ref, prop string, pos plugin.Pos) {
	root := r.Path[0]
	switch root {
	case "outputs":
		if len(r.Path) < 2 {
			return
		}
		id := r.Path[1]
		t, ok := v.tasks[id]
		if _, declared := v.d.ids[id]; !ok && declared {
			// The task exists but its type is unknown: that error is
			// reported already, and its outputs cannot be known.
			return
		}
		if !ok {
			e := v.errorAt(pos, r.Line, r.Col, prop, "%s refers to task %q, which does not exist in this flow", r.Text, id)
			if s := closest(id, keys(v.tasks)); s != "" {
				e.Suggestion = strconv.Quote("outputs." + s + rest(r.Path, 2))
			}
			return
		}
		if len(r.Path) < 3 || v.inEach[id] || t.Info == nil || t.Info.Outputs == nil {
			return
		}
		name := r.Path[2]
		if o, ok := t.Info.Output(name); ok && !o.Produced(t.Props) {
			v.errorAt(pos, r.Line, r.Col, prop, "task %q (%s) has output %q only with %s; set %s on task %q, or read one of the outputs it has", id, t.Info.ID, name, o.When, o.When, id)
		} else if !ok {
			var names []string
			for _, o := range t.Info.Outputs {
				names = append(names, o.Name)
			}
			e := v.errorAt(pos, r.Line, r.Col, prop, "task %q (%s) has no output %q; its outputs are: %s", id, t.Info.ID, name, strings.Join(names, ", "))
			if s := closest(name, names); s != "" {
				e.Suggestion = strconv.Quote("outputs." + id + "." + s + rest(r.Path, 3))
			}
		}
	case "inputs":
		if len(r.Path) < 2 {
			return
		}
		name := r.Path[1]
		if v.f.Input(name) != nil {
			return
		}
		e := v.errorAt(pos, r.Line, r.Col, prop, "%s refers to input %q, which is not declared in inputs", r.Text, name)
		if _, isTask := v.tasks[name]; isTask {
			e.Suggestion = strconv.Quote("outputs." + name + rest(r.Path, 2))
			return
		}
		var names []string
		for _, in := range v.f.Inputs {
			names = append(names, in.Name)
		}
		if s := closest(name, names); s != "" {
			e.Suggestion = strconv.Quote("inputs." + s + rest(r.Path, 2))
		}
	case "vars":
		if len(r.Path) < 2 {
			return
		}
		if _, ok := v.f.Variables[r.Path[1]]; !ok {
			msg := fmt.Sprintf("%s: variable %q is not declared in the flow's variables; it must come from --var or the configuration at run time", r.Text, r.Path[1])
			v.d.warns = append(v.d.warns, &Error{Pos: pos, TaskID: v.task.ID, Property: prop, Msg: msg})
		}
	case "taskrun":
		if len(r.Path) >= 2 && r.Path[1] == "value" && v.eachDepth == 0 {
			// Kestra renders it empty there (its Handlebars fallback), so
			// a Kestra flow may hold it: not an error.
			v.warnAt(pos, r.Line, r.Col, prop, "%s is empty here: taskrun.value is set only inside EachSequential/EachParallel", r.Text)
			return
		}
		v.checkBuiltin(r, prop, pos)
	case "parent", "parents":
		need := 1
		if root == "parents" && len(r.Path) >= 2 {
			if i, err := strconv.Atoi(r.Path[1]); err == nil {
				need = i + 1
			}
		}
		if v.parents < need {
			v.errorAt(pos, r.Line, r.Col, prop, "%s does not exist here: %s reads the enclosing task runs that have a value (a task directly inside an Each) or outputs (a Switch), nearest first, and this task has %d", r.Text, root, v.parents)
		}
	case "flow", "execution", "task":
		v.checkBuiltin(r, prop, pos)
	default:
		if contains(templateRoots, root) {
			return
		}
		e := v.errorAt(pos, r.Line, r.Col, prop, "unknown variable %q in %s; templates can read %s", root, r.Text, strings.Join(templateRoots, ", "))
		if s := closest(root, templateRoots); s != "" {
			e.Suggestion = strconv.Quote(s + rest(r.Path, 1))
		} else if _, isTask := v.tasks[root]; isTask {
			e.Suggestion = strconv.Quote("outputs." + root + rest(r.Path, 1))
		}
	}
}

func rest(path []string, from int) string {
	var b strings.Builder
	for _, p := range path[from:] {
		if isIdentifier(p) {
			b.WriteString("." + p)
		} else {
			b.WriteString("['" + p + "']")
		}
	}
	return b.String()
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func keys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// closest returns the candidate nearest to s when it is near enough to be
// a plausible typo, or "".
func closest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	ls := strings.ToLower(s)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		var dist int
		switch {
		case strings.HasSuffix(lc, "."+ls) || strings.HasSuffix(ls, "."+lc):
			dist = 1
		case len(ls)-len(lc) > 3 || len(lc)-len(ls) > 3:
			// Too far apart to be suggested: skip the quadratic distance,
			// which a megabyte of text would make last seconds.
			continue
		default:
			dist = template.Distance(ls, lc)
		}
		if dist < bestD {
			best, bestD = c, dist
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	if bestD <= limit && bestD < len(s) {
		return best
	}
	return ""
}
