package server

import (
	"context"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
)

// watchKey names one running watcher: a trigger of one flow revision.
type watchKey struct {
	ref      flows.FlowRef
	revision int
	trigger  string
}

// RunWatchers keeps one goroutine per watching trigger (plugin.Watcher:
// kafka.Trigger) of the stored flows, started when a flow revision has one
// and stopped when the revision is replaced or deleted, until ctx ends.
func (s *Server) RunWatchers(ctx context.Context) {
	s.init()
	running := map[watchKey]context.CancelFunc{}
	defer func() {
		for _, cancel := range running {
			cancel()
		}
	}()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		want := map[watchKey]scheduled{}
		for _, w := range s.catalog.watching() {
			want[watchKey{w.ref, w.revision, w.trigger.ID}] = w
		}
		for k, cancel := range running {
			if _, ok := want[k]; !ok {
				cancel()
				delete(running, k)
			}
		}
		for k, w := range want {
			if _, ok := running[k]; !ok {
				wctx, cancel := context.WithCancel(ctx)
				running[k] = cancel
				go s.watch(wctx, w)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watch runs one watcher until ctx ends, starting it again (after a pause)
// when it fails.
func (s *Server) watch(ctx context.Context, w scheduled) {
	log := s.log.With("flow", w.ref.String(), "trigger", w.trigger.ID)
	typ := w.trigger.Info.ID
	if len(w.trigger.Info.Aliases) > 0 {
		typ = w.trigger.Info.Aliases[0]
	}
	wc := &plugin.WatchContext{
		Namespace: w.ref.Namespace, FlowID: w.ref.ID, TriggerID: w.trigger.ID, Logger: log,
		NewRun: func() (string, *plugin.RunContext) {
			id := flows.NewID()
			return id, plugin.NewRunContext(plugin.RunConfig{
				Namespace: w.ref.Namespace, FlowID: w.ref.ID, ExecutionID: id, TaskID: "triggers", TaskRunID: w.trigger.ID,
				Store: s.Engine.Store, Logger: log, KV: s.Repo.KV(w.ref.Namespace, w.ref.ID),
			})
		},
		Emit: func(ctx context.Context, id string, vars map[string]any) error {
			_, err := s.submit(ctx, w.flow, w.revision, nil, flows.SubmitOptions{
				ID: id, Trigger: &state.ExecutionTrigger{ID: w.trigger.ID, Type: typ, Variables: vars},
			})
			return err
		},
	}
	watcher := w.trigger.Props.(plugin.Watcher)
	for ctx.Err() == nil {
		err := watcher.Watch(ctx, wc)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Warn("trigger failed; starting it again in 10s", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
	}
}
