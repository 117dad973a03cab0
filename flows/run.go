package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/rows"
)

// runAttempts runs a task with its retry policy and timeout.
func (x *execution) runAttempts(ctx context.Context, t *plugin.TaskDef, tr *state.TaskRun, sc scope) (state.State, error) {
	first := time.Now()
	for attempt := 1; ; attempt++ {
		start := time.Now()
		out, err := x.attempt(ctx, t, tr, sc, attempt)
		st := state.Success
		var warn *plugin.WarningError
		switch {
		case err == nil:
		case errors.As(err, &warn):
			st, err = state.Warning, nil
			x.log(tr).Warn(warn.Error())
		case errors.Is(err, plugin.ErrPaused):
			st = state.Paused
		case ctx.Err() != nil:
			st = state.Killed
		default:
			st = state.Failed
		}
		x.mu.Lock()
		a := state.Attempt{State: st, Start: start, End: time.Now()}
		if err != nil {
			a.Error = err.Error()
		}
		tr.Attempts = append(tr.Attempts, a)
		if out != nil {
			tr.Outputs = out
		}
		x.mu.Unlock()
		if st != state.Failed {
			if out != nil {
				x.setOutputs(t, sc, out)
			}
			if st == state.Success && attempt > 1 && t.Retry != nil && t.Retry.WarningOnRetry {
				st = state.Warning
			}
			if st == state.Paused {
				return st, nil
			}
			return st, err
		}
		wait, ok := nextRetry(t.Retry, attempt, time.Since(first))
		if ok && plugin.IsPermanent(err) {
			// A template that does not render or a value that does not
			// convert fails the same way on every attempt.
			x.log(tr).Warn("not retried: the error is in the flow or the data, not transient", "attempt", attempt)
			ok = false
		}
		if !ok {
			if attempt > 1 {
				err = fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return state.Failed, err
		}
		x.log(tr).Warn("attempt failed, retrying", "attempt", attempt, "wait", wait.String(), "error", err.Error())
		x.setState(ctx, tr, state.Retrying)
		select {
		case <-ctx.Done():
			return state.Killed, err
		case <-time.After(wait):
		}
		x.setState(ctx, tr, state.Running)
	}
}

// nextRetry returns how long to wait before attempt+1, or false to stop.
func nextRetry(r *plugin.Retry, attempt int, elapsed time.Duration) (time.Duration, bool) {
	if r == nil {
		return 0, false
	}
	if r.MaxAttempt > 0 && attempt >= r.MaxAttempt {
		return 0, false
	}
	var wait time.Duration
	switch r.Type {
	case "constant":
		wait = r.Interval.D()
	case "exponential":
		factor := r.DelayFactor
		if factor <= 0 {
			factor = 2
		}
		w := float64(r.Interval.D())
		for i := 1; i < attempt; i++ {
			w *= factor
			if r.MaxInterval > 0 && w > float64(r.MaxInterval.D()) {
				break
			}
		}
		wait = time.Duration(w)
		if r.MaxInterval > 0 && wait > r.MaxInterval.D() {
			wait = r.MaxInterval.D()
		}
	case "random":
		lo, hi := r.MinInterval.D(), r.MaxInterval.D()
		wait = lo
		if hi > lo {
			wait += time.Duration(rand.Int64N(int64(hi - lo)))
		}
	}
	if r.MaxDuration > 0 && elapsed+wait > r.MaxDuration.D() {
		return 0, false
	}
	return wait, true
}

// attempt renders a fresh copy of the task's properties and runs it once.
func (x *execution) attempt(ctx context.Context, t *plugin.TaskDef, tr *state.TaskRun, sc scope, n int) (out map[string]any, err error) {
	vars := x.vars(t, tr, sc, n)
	rc := plugin.NewRunContext(plugin.RunConfig{
		Namespace: x.flow.Namespace, FlowID: x.flow.ID, ExecutionID: x.ex.ID,
		TaskID: t.ID, TaskRunID: tr.ID, Value: tr.Value, Attempt: n,
		Store:    x.eng.Store,
		Logger:   x.log(tr),
		KV:       x.eng.Repo.KV(x.flow.Namespace, x.flow.ID),
		Render:   func(s string) (string, error) { return x.render(s, vars) },
		Eval:     func(s string) (any, error) { return x.eval(s, vars) },
		Vars:     vars,
		Progress: x.eng.Progress,
		BaseDir:  x.flow.Dir(),
		Masker:   x.eng.masker(),
	})
	defer rc.Cleanup()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("task panicked: %v", p)
		}
		err = rc.MaskError(err)
		if out != nil {
			out = maskOutputs(rc, out)
		}
	}()
	props, err := t.NewProps()
	if err != nil {
		return nil, err
	}
	if err := x.renderProps(rc, reflect.ValueOf(props), vars); err != nil {
		return nil, plugin.Permanent(err)
	}
	if sf, ok := props.(*Subflow); ok {
		res, err := x.runSubflow(ctx, sf, tr)
		if res != nil {
			out = normalizeOutputs(res)
		}
		return out, err
	}
	task, ok := props.(plugin.Task)
	if !ok {
		return nil, fmt.Errorf("%s is not runnable", t.Info.ID)
	}
	runCtx := ctx
	if t.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, t.Timeout.D())
		defer cancel()
	}
	res, err := plugin.Execute(runCtx, task, rc)
	if err != nil && t.Timeout > 0 && errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("timed out after %s: %w", t.Timeout.D(), err)
	}
	if res != nil {
		out = normalizeOutputs(res)
	}
	return out, err
}

// normalizeOutputs makes outputs JSON-shaped so that a restarted execution
// (reading them back from the repository) sees the same values.
func normalizeOutputs(o plugin.Outputs) map[string]any {
	b, err := json.Marshal(map[string]any(o))
	if err != nil {
		return map[string]any(o)
	}
	var m rows.OrderedMap
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]any(o)
	}
	out := make(map[string]any, m.Len())
	for _, k := range m.Keys() {
		out[k], _ = m.Get(k)
	}
	return out
}

func maskOutputs(rc *plugin.RunContext, out map[string]any) map[string]any {
	return rc.Masker().Value(out).(map[string]any)
}

func (x *execution) render(src string, vars map[string]any) (string, error) {
	if !isTemplate(src) {
		return src, nil
	}
	t, err := x.eng.parse(src)
	if err != nil {
		return "", err
	}
	return t.Render(vars)
}

func (x *execution) eval(src string, vars map[string]any) (any, error) {
	if !isTemplate(src) {
		return src, nil
	}
	t, err := x.eng.parse(src)
	if err != nil {
		return nil, err
	}
	return t.Eval(vars)
}

// renderProps renders every template string of a properties struct in
// place: string fields with Render, values of `any` fields with Eval (so a
// lone {{ expr }} keeps its type). Secret-tagged values are registered with
// the run context.
func (x *execution) renderProps(rc *plugin.RunContext, v reflect.Value, vars map[string]any) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	spec, err := plugin.SpecOf(v.Type())
	if err != nil {
		return err
	}
	for _, p := range spec.Properties {
		f := fieldByIndex(v, p.Index)
		if p.Type == taskListType || (p.Type.Kind() == reflect.Map && p.Type.Elem() == taskListType) {
			continue
		}
		if p.Template {
			if err := x.renderValue(f, vars); err != nil {
				return fmt.Errorf("property %q: %w", p.Name, err)
			}
		}
		if p.Secret && f.Kind() == reflect.String {
			rc.Secret(f.String())
		}
	}
	return nil
}

func (x *execution) renderValue(v reflect.Value, vars map[string]any) error {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); isTemplate(s) {
			r, err := x.render(s, vars)
			if err != nil {
				return err
			}
			v.SetString(r)
		}
	case reflect.Slice:
		if v.Type() == taskListType {
			return nil
		}
		if v.Len() == 1 && v.Index(0).Kind() == reflect.String && strings.HasPrefix(v.Index(0).String(), listTemplateMarker) {
			return x.renderList(v, strings.TrimPrefix(v.Index(0).String(), listTemplateMarker), vars)
		}
		for i := 0; i < v.Len(); i++ {
			if err := x.renderValue(v.Index(i), vars); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		type kv struct{ k, v reflect.Value }
		var updates []kv
		for iter.Next() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(iter.Value())
			if err := x.renderValue(e, vars); err != nil {
				return fmt.Errorf("%v: %w", iter.Key(), err)
			}
			updates = append(updates, kv{iter.Key(), e})
		}
		for _, u := range updates {
			v.SetMapIndex(u.k, u.v)
		}
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		r, err := x.renderAny(v.Elem().Interface(), vars)
		if err != nil {
			return err
		}
		if r == nil {
			v.Set(reflect.Zero(v.Type()))
		} else {
			v.Set(reflect.ValueOf(r))
		}
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return x.renderValue(v.Elem(), vars)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			sf := v.Type().Field(i)
			if !sf.IsExported() || sf.Tag.Get("template") == "false" {
				continue
			}
			if err := x.renderValue(v.Field(i), vars); err != nil {
				return err
			}
		}
	}
	return nil
}

// renderList evaluates a template standing for a whole list of strings: a
// list value, or a string holding a JSON array.
func (x *execution) renderList(v reflect.Value, src string, vars map[string]any) error {
	items, err := x.eachValues(src, vars)
	if err != nil {
		return err
	}
	out := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, it := range items {
		out.Index(i).SetString(valueString(it))
	}
	v.Set(out)
	return nil
}

func (x *execution) renderAny(v any, vars map[string]any) (any, error) {
	switch t := v.(type) {
	case string:
		return x.eval(t, vars)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			r, err := x.renderAny(e, vars)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			r, err := x.renderAny(e, vars)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// runFlowable runs the children of a flowable task.
func (x *execution) runFlowable(ctx context.Context, t *plugin.TaskDef, tr *state.TaskRun, sc scope) (state.State, error) {
	child := sc.with(tr)
	var st state.State
	var err error
	switch p := t.Props.(type) {
	case *Sequential:
		st = x.runList(ctx, p.Tasks, child)
	case *AllowFailure:
		st = x.runList(ctx, p.Tasks, child)
		if st == state.Failed {
			x.log(tr).Warn("a task failed; allowed, continuing with WARNING")
			st = state.Warning
		}
	case *Parallel:
		groups := make([][]*plugin.TaskDef, len(p.Tasks))
		for i, c := range p.Tasks {
			groups[i] = []*plugin.TaskDef{c}
		}
		st = x.runParallel(ctx, groups, make([]scope, len(groups)), child, p.Concurrent)
	case *EachSequential, *EachParallel:
		st, err = x.runEach(ctx, t, tr, child)
	case *Switch:
		st, err = x.runSwitch(ctx, t, tr, child)
	default:
		return state.Failed, fmt.Errorf("unknown flowable %T", t.Props)
	}
	if st == state.Failed && len(t.Errors) > 0 {
		x.log(tr).Info("running the errors branch")
		x.runList(context.WithoutCancel(ctx), t.Errors, child)
	}
	if st == state.Failed && err == nil {
		err = errors.New("a child task failed")
	}
	return st, err
}

// runParallel runs groups (each a sequential list) at once, at most limit
// at a time. After a failure no new group starts; running ones finish.
func (x *execution) runParallel(ctx context.Context, groups [][]*plugin.TaskDef, scopes []scope, base scope, limit int) state.State {
	if limit <= 0 || limit > len(groups) {
		limit = len(groups)
	}
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	result := state.Success
	failed := false
	for i, g := range groups {
		sem <- struct{}{}
		mu.Lock()
		stop := failed
		mu.Unlock()
		if stop || ctx.Err() != nil {
			<-sem
			break
		}
		sc := base
		if scopes[i].values != nil {
			sc = scopes[i]
		}
		wg.Add(1)
		go func(g []*plugin.TaskDef, sc scope) {
			defer wg.Done()
			defer func() { <-sem }()
			st := x.runList(ctx, g, sc)
			mu.Lock()
			defer mu.Unlock()
			switch st {
			case state.Failed, state.Killed, state.Paused:
				failed = true
				if result != state.Failed {
					result = st
				}
			case state.Warning:
				if result == state.Success {
					result = state.Warning
				}
			}
		}(g, sc)
	}
	wg.Wait()
	if ctx.Err() != nil && result == state.Success {
		return state.Killed
	}
	return result
}

func (x *execution) runEach(ctx context.Context, t *plugin.TaskDef, tr *state.TaskRun, sc scope) (state.State, error) {
	props, err := t.NewProps()
	if err != nil {
		return state.Failed, err
	}
	vars := x.vars(t, tr, sc, 1)
	var raw any
	var tasks []*plugin.TaskDef
	concurrent := 1
	switch p := props.(type) {
	case *EachSequential:
		raw, tasks = p.Value, p.Tasks
	case *EachParallel:
		raw, tasks, concurrent = p.Value, p.Tasks, p.Concurrent
	}
	items, err := x.eachValues(raw, vars)
	if err != nil {
		return state.Failed, fmt.Errorf("value: %w", err)
	}
	groups := make([][]*plugin.TaskDef, len(items))
	scopes := make([]scope, len(items))
	for i, it := range items {
		groups[i] = tasks
		scopes[i] = sc.iterate(valueString(it), it)
	}
	if _, seq := props.(*EachSequential); seq {
		result := state.Success
		for i := range items {
			st := x.runList(ctx, tasks, scopes[i])
			switch st {
			case state.Failed, state.Killed, state.Paused:
				return st, nil
			case state.Warning:
				result = state.Warning
			}
		}
		return result, nil
	}
	return x.runParallel(ctx, groups, scopes, sc, concurrent), nil
}

// eachValues turns Each's value into a list: a YAML list (items rendered),
// or a string holding a JSON array after rendering.
func (x *execution) eachValues(raw any, vars map[string]any) ([]any, error) {
	r, err := x.renderAny(raw, vars)
	if err != nil {
		return nil, err
	}
	switch v := r.(type) {
	case []any:
		return v, nil
	case string:
		var list []any
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&list); err != nil {
			return nil, fmt.Errorf("expected a list or a JSON array, got %q", v)
		}
		return list, nil
	}
	rv := reflect.ValueOf(r)
	if rv.Kind() == reflect.Slice {
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected a list, got %T", r)
}

// valueString is how an iteration value appears as {{ taskrun.value }}:
// strings as they are, anything else as JSON (as Kestra does).
func valueString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (x *execution) runSwitch(ctx context.Context, t *plugin.TaskDef, tr *state.TaskRun, sc scope) (state.State, error) {
	props, err := t.NewProps()
	if err != nil {
		return state.Failed, err
	}
	p := props.(*Switch)
	vars := x.vars(t, tr, sc, 1)
	value, err := x.render(p.Value, vars)
	if err != nil {
		return state.Failed, fmt.Errorf("value: %w", err)
	}
	tasks, ok := p.Cases[value]
	out := map[string]any{"value": value, "defaults": !ok}
	if !ok {
		tasks = p.Defaults
		cases := make([]string, 0, len(p.Cases))
		for k := range p.Cases {
			cases = append(cases, k)
		}
		sort.Strings(cases)
		x.log(tr).Info("no case matched, running defaults", "value", value, "cases", strings.Join(cases, ","))
	}
	x.mu.Lock()
	tr.Outputs = out
	x.mu.Unlock()
	x.setOutputs(t, sc, out)
	return x.runList(ctx, tasks, sc), nil
}
