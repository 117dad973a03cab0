package server

import (
	"context"
	"errors"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
)

// RefreshFlows brings the server's view of the stored flows up to date
// with the store, for changes made by another process (`sluice flow
// delete`, a second server). Only newer revisions replace what the server
// has, and a flow missing from the list is dropped only once the store
// confirms it is deleted, so a change made through this server's API
// meanwhile is never undone.
func (s *Server) RefreshFlows(ctx context.Context) error {
	s.init()
	if s.Flows == nil {
		return nil
	}
	list, err := s.Flows.ListFlows(ctx, state.FlowFilter{})
	if err != nil {
		return err
	}
	listed := map[flows.FlowRef]bool{}
	for _, rev := range list {
		ref := flows.FlowRef{Namespace: rev.Namespace, ID: rev.ID}
		listed[ref] = true
		if sf, ok := s.catalog.get(ref); ok && sf.Revision >= rev.Revision {
			continue
		}
		f, err := s.parse(flowFile(rev.Namespace, rev.ID, rev.Revision), []byte(rev.Source))
		if err != nil {
			s.log.Error("stored flow does not parse", "flow", ref.String(), "revision", rev.Revision, "err", err)
			continue
		}
		s.catalog.putIfNewer(ref, f, rev.Revision)
	}
	for _, sf := range s.catalog.all() {
		ref := flows.FlowRef{Namespace: sf.Flow.Namespace, ID: sf.Flow.ID}
		if listed[ref] {
			continue
		}
		if _, err := s.Flows.GetFlow(ctx, ref.Namespace, ref.ID, 0); errors.Is(err, state.ErrNotFound) {
			s.catalog.dropIfNotNewer(ref, sf.Revision)
		}
	}
	return nil
}

// RunFlowRefresh runs RefreshFlows every interval until ctx ends.
func (s *Server) RunFlowRefresh(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.RefreshFlows(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("refreshing stored flows", "err", err)
			}
		}
	}
}
