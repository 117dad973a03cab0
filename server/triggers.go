package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/flows/template"
	"github.com/sluicehq/sluice/flows/trigger"
)

// Kestra's type names are what executions record as their trigger type.
const (
	typeFlow     = "io.kestra.core.models.triggers.types.Flow"
	typeWebhook  = "io.kestra.core.models.triggers.types.Webhook"
	typeSchedule = "io.kestra.core.models.triggers.types.Schedule"
)

// varsOf is the template context of an ended execution, for Flow trigger
// inputs and conditions: outputs (by task id, then by loop value inside
// Each), execution, flow, inputs, labels.
func varsOf(ex *state.Execution) map[string]any {
	outputs := map[string]any{}
	for _, tr := range ex.TaskRuns {
		if tr.Outputs == nil {
			continue
		}
		if tr.Value == "" {
			outputs[tr.TaskID] = tr.Outputs
			continue
		}
		byValue, _ := outputs[tr.TaskID].(map[string]any)
		if byValue == nil {
			byValue = map[string]any{}
			outputs[tr.TaskID] = byValue
		}
		byValue[tr.Value] = tr.Outputs
	}
	inputs := ex.Inputs
	if inputs == nil {
		inputs = map[string]any{}
	}
	return map[string]any{
		"outputs":   outputs,
		"execution": map[string]any{"id": ex.ID, "startDate": ex.Start, "state": string(ex.State)},
		"flow":      map[string]any{"id": ex.FlowID, "namespace": ex.Namespace, "revision": ex.FlowRevision},
		"inputs":    inputs,
		"labels":    ex.Labels,
	}
}

func renderer(vars map[string]any) func(string) (string, error) {
	return func(src string) (string, error) { return template.Render(src, vars) }
}

// renderValue renders every string inside v.
func renderValue(v any, render func(string) (string, error)) (any, error) {
	switch x := v.(type) {
	case string:
		return render(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renderValue(e, render)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := renderValue(e, render)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

func executionView(ex *state.Execution) *plugin.ExecutionView {
	v := &plugin.ExecutionView{ID: ex.ID, Namespace: ex.Namespace, FlowID: ex.FlowID, State: string(ex.State)}
	for _, tr := range ex.TaskRuns {
		if len(tr.Attempts) > 1 {
			for _, a := range tr.Attempts {
				v.RetriedStates = append(v.RetriedStates, string(a.State))
			}
		}
	}
	return v
}

// OnExecutionEnd is the engine's execution-end hook: it counts the end and
// starts the executions of the Flow triggers listening to the flow that
// ended. Only the listeners filed under that flow (and its namespace) are
// evaluated, never every flow.
func (s *Server) OnExecutionEnd(ctx context.Context, ex *state.Execution) {
	s.init()
	s.Metrics.Executions.WithLabelValues(string(ex.State)).Inc()
	listeners := s.catalog.listeners(flows.FlowRef{Namespace: ex.Namespace, ID: ex.FlowID})
	if len(listeners) == 0 {
		return
	}
	full := ex
	if len(ex.TaskRuns) == 0 {
		if e, err := s.Repo.GetExecution(ctx, ex.ID); err == nil {
			full = e
		}
	}
	vars := varsOf(full)
	render := renderer(vars)
	view := executionView(full)
	for _, l := range listeners {
		s.fireFlowTrigger(ctx, full, l, vars, render, view)
	}
}

func (s *Server) fireFlowTrigger(ctx context.Context, ex *state.Execution, l *listener, vars map[string]any, render func(string) (string, error), view *plugin.ExecutionView) {
	sf, ok := s.catalog.get(l.Ref)
	if !ok {
		return
	}
	log := s.log.With("flow", l.Ref.String(), "trigger", l.Trigger.ID, "execution", ex.ID)
	cc := &plugin.ConditionContext{Namespace: l.Ref.Namespace, FlowID: l.Ref.ID, Execution: view, Render: render, Now: time.Now(), KV: s.Repo.KV(l.Ref.Namespace, l.Ref.ID)}
	// One listening flow's conditions at a time: MultipleCondition reads,
	// changes and writes its window.
	s.condMu.Lock()
	ok, err := plugin.AllConditions(l.Trigger.Conditions, cc)
	s.condMu.Unlock()
	if err != nil {
		log.Warn("trigger conditions failed", "err", err)
		return
	}
	if !ok {
		return
	}
	props := l.Trigger.Props.(*trigger.Flow)
	inputs := map[string]any{}
	for k, v := range props.Inputs {
		r, err := renderValue(v, render)
		if err != nil {
			// As Kestra: the failure is logged and no execution starts.
			msg := fmt.Sprintf("Failed to trigger flow %s.%s for trigger %s, invalid inputs: %v", l.Ref.Namespace, l.Ref.ID, l.Trigger.ID, err)
			log.Warn(msg)
			_ = s.Repo.AppendLogs(ctx, []state.LogEntry{{ExecutionID: ex.ID, Time: time.Now(), Level: "WARN", Message: msg,
				Attrs: map[string]any{"namespace": l.Ref.Namespace, "flowId": l.Ref.ID, "triggerId": l.Trigger.ID}}})
			return
		}
		inputs[k] = r
	}
	tv := map[string]any{
		"executionId": ex.ID, "namespace": ex.Namespace, "flowId": ex.FlowID,
		"flowRevision": ex.FlowRevision, "state": string(ex.State), "outputs": vars["outputs"],
	}
	// The creation runs beside the next evaluations: the engine commits
	// concurrent submissions together, so a burst of ends does not queue
	// its triggered executions one commit at a time.
	s.triggerSem <- struct{}{}
	s.triggerWG.Add(1)
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer func() { <-s.triggerSem; s.triggerWG.Done() }()
		created, err := s.submit(ctx, sf.Flow, sf.Revision, inputs, flows.SubmitOptions{
			ParentID: ex.ID, Trigger: &state.ExecutionTrigger{ID: l.Trigger.ID, Type: typeFlow, Variables: tv},
		})
		if err != nil {
			msg := fmt.Sprintf("Failed to trigger flow %s.%s for trigger %s: %v", l.Ref.Namespace, l.Ref.ID, l.Trigger.ID, err)
			log.Warn(msg)
			_ = s.Repo.AppendLogs(ctx, []state.LogEntry{{ExecutionID: ex.ID, Time: time.Now(), Level: "WARN", Message: msg,
				Attrs: map[string]any{"namespace": l.Ref.Namespace, "flowId": l.Ref.ID, "triggerId": l.Trigger.ID}}})
			return
		}
		if !ex.End.IsZero() {
			d := time.Since(ex.End)
			s.Metrics.FlowTriggerDelay.Observe(d.Seconds())
			if s.OnFlowTrigger != nil {
				s.OnFlowTrigger(d)
			}
		}
		log.Debug("flow triggered", "created", created.ID)
	}()
}

// WaitTriggers waits for the triggered executions being created (before
// the engine is shut down).
func (s *Server) WaitTriggers() { s.triggerWG.Wait() }

// hiddenHeaders never reach an execution: they carry credentials.
var hiddenHeaders = map[string]bool{"Authorization": true, "Cookie": true, "Proxy-Authorization": true, "X-Api-Key": true}

// webhook is GET|POST|PUT /executions/webhook/{namespace}/{id}/{key}.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	ref := flows.FlowRef{Namespace: r.PathValue("namespace"), ID: r.PathValue("id")}
	sf, ok := s.catalog.get(ref)
	if !ok {
		return errorf(http.StatusNotFound, "flow %s not found", ref)
	}
	tr, ok := s.catalog.webhook(ref, r.PathValue("key"))
	if !ok {
		return errorf(http.StatusNotFound, "flow %s has no webhook trigger with this key", ref)
	}
	var body any
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return s.bodyError(err, "webhook body")
		}
		if len(b) > 0 {
			body = webhookBody(b)
		}
	}
	params := map[string]any{}
	for k, v := range r.URL.Query() {
		params[k] = stringsAny(v)
	}
	headers := map[string]any{}
	for k, v := range r.Header {
		if !hiddenHeaders[k] {
			headers[k] = stringsAny(v)
		}
	}
	ex, err := s.submit(r.Context(), sf.Flow, sf.Revision, nil, flows.SubmitOptions{
		Trigger: &state.ExecutionTrigger{ID: tr.ID, Type: typeWebhook, Variables: map[string]any{"body": body, "parameters": params, "headers": headers}},
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, executionJSON(ex))
	return nil
}

// webhookBody is a JSON object or array parsed, anything else as text
// (Kestra's tryMap, tryArray, else the string).
func webhookBody(b []byte) any {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err == nil && m != nil {
		return m
	}
	var a []any
	if err := json.Unmarshal(b, &a); err == nil && a != nil {
		return a
	}
	return string(b)
}

func stringsAny(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// scheduleCursor is the persisted state of one Schedule trigger: the next
// slot to fire. It is written after the slot's execution is stored.
type scheduleCursor struct {
	Next time.Time `json:"next"`
}

func cursorKey(triggerID string) string { return "trigger.schedule/" + triggerID }

// slotID is the execution id of one schedule slot: the same slot always
// gets the same id, so a slot whose cursor write was lost (a crash between
// storing the execution and the cursor) is found stored and not fired again.
func slotID(ref flows.FlowRef, triggerID string, slot time.Time) string {
	sum := sha256.Sum256([]byte(ref.Namespace + "\x00" + ref.ID + "\x00" + triggerID + "\x00" + slot.UTC().Format(time.RFC3339Nano)))
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(sum[:])
	base := big.NewInt(int64(len(alphabet)))
	b := make([]byte, 22)
	for i := range b {
		var m big.Int
		n.DivMod(n, base, &m)
		b[i] = alphabet[m.Int64()]
	}
	return string(b)
}

// maxSlotsPerPass bounds one pass over a schedule: a long backfill is
// fired in order over several passes, without starving other schedules.
const maxSlotsPerPass = 100

// RunSchedules makes one pass over the Schedule triggers of the stored
// flows: every slot due at now fires once, in order.
func (s *Server) RunSchedules(ctx context.Context, now time.Time) error {
	s.init()
	if s.Engine == nil {
		return errors.New("schedules: the server has no engine")
	}
	var errs []error
	for _, st := range s.catalog.scheduled() {
		if err := s.runSchedule(ctx, st, now); err != nil {
			errs = append(errs, fmt.Errorf("%s trigger %s: %w", st.ref, st.trigger.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) runSchedule(ctx context.Context, st scheduled, now time.Time) error {
	sched := st.trigger.Props.(*trigger.Schedule)
	kv := s.Repo.KV(st.ref.Namespace, st.ref.ID)
	key := cursorKey(st.trigger.ID)
	var cur scheduleCursor
	raw, ok, err := kv.Get(ctx, key)
	if err != nil {
		return err
	}
	if ok && json.Unmarshal(raw, &cur) == nil && !cur.Next.IsZero() {
		// The cron may have changed since: go on from its first slot at or
		// after the cursor.
		cur.Next = sched.Next(cur.Next.Add(-time.Nanosecond))
	} else {
		cur.Next = sched.First(now)
		if err := s.saveCursor(ctx, kv, key, cur); err != nil {
			return err
		}
	}
	for _, slot := range sched.Due(cur.Next, now, maxSlotsPerPass) {
		if err := s.fireSlot(ctx, st, sched, slot); err != nil {
			return err
		}
		cur.Next = sched.Next(slot)
		if err := s.saveCursor(ctx, kv, key, cur); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) saveCursor(ctx context.Context, kv state.KV, key string, cur scheduleCursor) error {
	b, _ := json.Marshal(cur)
	return kv.Put(ctx, key, b)
}

func (s *Server) fireSlot(ctx context.Context, st scheduled, sched *trigger.Schedule, slot time.Time) error {
	id := slotID(st.ref, st.trigger.ID, slot)
	if _, err := s.Repo.GetExecution(ctx, id); err == nil {
		return nil // fired before the cursor was last saved
	} else if !errors.Is(err, state.ErrNotFound) {
		return err
	}
	tv := sched.Vars(slot)
	vars := map[string]any{"trigger": tv, "schedule": tv}
	render := renderer(vars)
	cc := &plugin.ConditionContext{Namespace: st.ref.Namespace, FlowID: st.ref.ID, Render: render, Now: slot, KV: s.Repo.KV(st.ref.Namespace, st.ref.ID)}
	for _, conds := range [][]*plugin.ConditionDef{sched.ScheduleConditions, st.trigger.Conditions} {
		ok, err := plugin.AllConditions(conds, cc)
		if err != nil {
			s.log.Warn("schedule conditions failed; slot skipped", "flow", st.ref.String(), "trigger", st.trigger.ID, "slot", slot, "err", err)
			return nil
		}
		if !ok {
			return nil
		}
	}
	inputs := map[string]any{}
	keys := make([]string, 0, len(sched.Inputs))
	for k := range sched.Inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := render(sched.Inputs[k])
		if err != nil {
			s.log.Warn("schedule inputs do not render; slot skipped", "flow", st.ref.String(), "trigger", st.trigger.ID, "slot", slot, "err", err)
			return nil
		}
		inputs[k] = v
	}
	_, err := s.submit(ctx, st.flow, st.revision, inputs, flows.SubmitOptions{
		ID: id, Trigger: &state.ExecutionTrigger{ID: st.trigger.ID, Type: typeSchedule, Variables: tv},
	})
	var ae *apiError
	if errors.As(err, &ae) {
		s.log.Warn("scheduled execution refused; slot skipped", "flow", st.ref.String(), "trigger", st.trigger.ID, "slot", slot, "err", err)
		return nil
	}
	if err != nil && strings.Contains(err.Error(), "exists") {
		return nil
	}
	return err
}

// RunScheduler runs RunSchedules every second until ctx ends.
func (s *Server) RunScheduler(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if err := s.RunSchedules(ctx, time.Now()); err != nil && ctx.Err() == nil {
			s.log.Error("schedules", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
