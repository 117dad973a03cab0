package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
)

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

// runContext builds the run context of one attempt of a task run.
func (r *run) runContext(n *node, vars map[string]any, attempt int) *plugin.RunContext {
	return plugin.NewRunContext(plugin.RunConfig{
		Namespace: r.flow.Namespace, FlowID: r.flow.ID, ExecutionID: r.ex.ID,
		TaskID: n.tr.TaskID, TaskRunID: n.tr.ID, Value: n.tr.Value, Attempt: attempt,
		Store:    r.x.e.Store,
		Logger:   r.log(n).With(LogAttempt, attempt),
		KV:       r.x.repo.KV(r.flow.Namespace, r.flow.ID),
		Render:   func(s string) (string, error) { return r.render(context.Background(), s, vars) },
		Eval:     func(s string) (any, error) { return r.eval(context.Background(), s, vars) },
		Vars:     vars,
		Progress: r.x.e.Progress,
		BaseDir:  r.flow.Dir(),
		Masker:   r.x.e.masker(),
	})
}

// attempt renders a fresh copy of the task's properties and runs it once.
func (r *run) attempt(ctx context.Context, w *workItem) (out map[string]any, err error) {
	t := w.def
	rc := w.rc
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
	if err := r.renderProps(ctx, rc, reflect.ValueOf(props), w.vars); err != nil {
		return nil, plugin.Permanent(err)
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

// render renders a template under the render limits (docs/limits.md); a
// cancelled run (SIGTERM) stops it promptly.
func (r *run) render(ctx context.Context, src string, vars map[string]any) (string, error) {
	if !isTemplate(src) {
		return src, nil
	}
	t, err := r.x.e.parse(src)
	if err != nil {
		return "", err
	}
	return t.RenderContext(ctx, vars)
}

func (r *run) eval(ctx context.Context, src string, vars map[string]any) (any, error) {
	if !isTemplate(src) {
		return src, nil
	}
	t, err := r.x.e.parse(src)
	if err != nil {
		return nil, err
	}
	return t.EvalContext(ctx, vars)
}

// renderProps renders every template string of a properties struct in
// place: string fields with Render, values of `any` fields with Eval (so a
// lone {{ expr }} keeps its type). Secret-tagged values are registered with
// the run context.
func (r *run) renderProps(ctx context.Context, rc *plugin.RunContext, v reflect.Value, vars map[string]any) error {
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
			if err := r.renderValue(ctx, f, vars); err != nil {
				return fmt.Errorf("property %q: %w", p.Name, err)
			}
		}
		if p.Secret && f.Kind() == reflect.String {
			rc.Secret(f.String())
		}
	}
	return nil
}

func (r *run) renderValue(ctx context.Context, v reflect.Value, vars map[string]any) error {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); isTemplate(s) {
			r, err := r.render(ctx, s, vars)
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
			return r.renderList(ctx, v, strings.TrimPrefix(v.Index(0).String(), listTemplateMarker), vars)
		}
		for i := 0; i < v.Len(); i++ {
			if err := r.renderValue(ctx, v.Index(i), vars); err != nil {
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
			if err := r.renderValue(ctx, e, vars); err != nil {
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
		r, err := r.renderAny(ctx, v.Elem().Interface(), vars)
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
		return r.renderValue(ctx, v.Elem(), vars)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			sf := v.Type().Field(i)
			if !sf.IsExported() || sf.Tag.Get("template") == "false" {
				continue
			}
			if err := r.renderValue(ctx, v.Field(i), vars); err != nil {
				return err
			}
		}
	}
	return nil
}

// renderList evaluates a template standing for a whole list of strings: a
// list value, or a string holding a JSON array.
func (r *run) renderList(ctx context.Context, v reflect.Value, src string, vars map[string]any) error {
	items, err := r.eachValues(ctx, src, vars)
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

func (r *run) renderAny(ctx context.Context, v any, vars map[string]any) (any, error) {
	switch t := v.(type) {
	case string:
		return r.eval(ctx, t, vars)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			rv, err := r.renderAny(ctx, e, vars)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = rv
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			rv, err := r.renderAny(ctx, e, vars)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = rv
		}
		return out, nil
	}
	return v, nil
}

// eachValues turns Each's value into a list: a YAML list (items rendered),
// or a string holding a JSON array after rendering.
func (r *run) eachValues(ctx context.Context, raw any, vars map[string]any) ([]any, error) {
	v, err := r.renderAny(ctx, raw, vars)
	if err != nil {
		return nil, err
	}
	return listValues(v)
}

// listValues turns a rendered Each value into a list: a list as it is, a
// string holding a JSON array parsed.
func listValues(r any) ([]any, error) {
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
