package server

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/flows/trigger"
)

// storedFlow is the latest revision of a stored flow, parsed.
type storedFlow struct {
	Flow     *flows.Flow
	Revision int
}

// listener is one Flow trigger of one stored flow, as filed in the index.
type listener struct {
	Ref     flows.FlowRef
	Trigger *flows.Trigger
}

// catalog is the in-memory view of the stored flows the server works
// from: each flow parsed once per revision, the index of Flow triggers by
// the flows they listen to, and the webhooks by key. It changes with every
// save or delete through the server.
type catalog struct {
	mu        sync.RWMutex
	flows     map[flows.FlowRef]*storedFlow
	index     *trigger.Index[*listener]
	filed     map[flows.FlowRef][]*listener
	webhooks  map[flows.FlowRef]map[string]*flows.Trigger // key → trigger
	schedules map[flows.FlowRef][]*flows.Trigger
	watchers  map[flows.FlowRef][]*flows.Trigger // plugin.Watcher triggers
}

// scheduled is one Schedule trigger of a stored flow.
type scheduled struct {
	ref      flows.FlowRef
	flow     *flows.Flow
	revision int
	trigger  *flows.Trigger
}

func newCatalog() *catalog {
	return &catalog{
		flows:     map[flows.FlowRef]*storedFlow{},
		index:     trigger.NewIndex[*listener](),
		filed:     map[flows.FlowRef][]*listener{},
		webhooks:  map[flows.FlowRef]map[string]*flows.Trigger{},
		schedules: map[flows.FlowRef][]*flows.Trigger{},
		watchers:  map[flows.FlowRef][]*flows.Trigger{},
	}
}

// put replaces a flow's entry (nil f removes it).
func (c *catalog) put(ref flows.FlowRef, f *flows.Flow, revision int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(ref, f, revision)
}

// putIfNewer replaces the entry unless it already holds this revision or
// a newer one.
func (c *catalog) putIfNewer(ref flows.FlowRef, f *flows.Flow, revision int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sf, ok := c.flows[ref]; ok && sf.Revision >= revision {
		return
	}
	c.putLocked(ref, f, revision)
}

// dropIfNotNewer removes the entry if it still holds revision (or older).
func (c *catalog) dropIfNotNewer(ref flows.FlowRef, revision int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sf, ok := c.flows[ref]; ok && sf.Revision <= revision {
		c.putLocked(ref, nil, 0)
	}
}

func (c *catalog) putLocked(ref flows.FlowRef, f *flows.Flow, revision int) {
	for _, l := range c.filed[ref] {
		c.index.Remove(l, l.Trigger.Conditions)
	}
	delete(c.filed, ref)
	delete(c.webhooks, ref)
	delete(c.schedules, ref)
	delete(c.watchers, ref)
	if f == nil {
		delete(c.flows, ref)
		return
	}
	c.flows[ref] = &storedFlow{Flow: f, Revision: revision}
	if f.Disabled {
		return
	}
	for _, tr := range f.Triggers {
		if tr.Disabled {
			continue
		}
		if _, ok := tr.Props.(plugin.Watcher); ok {
			c.watchers[ref] = append(c.watchers[ref], tr)
			continue
		}
		switch p := tr.Props.(type) {
		case *trigger.Flow:
			l := &listener{Ref: ref, Trigger: tr}
			c.index.Add(l, tr.Conditions)
			c.filed[ref] = append(c.filed[ref], l)
		case *trigger.Schedule:
			c.schedules[ref] = append(c.schedules[ref], tr)
		case *trigger.Webhook:
			if p.Key != "" {
				if c.webhooks[ref] == nil {
					c.webhooks[ref] = map[string]*flows.Trigger{}
				}
				c.webhooks[ref][p.Key] = tr
			}
		}
	}
}

// scheduled lists the Schedule triggers of the enabled flows, in a stable
// order.
func (c *catalog) scheduled() []scheduled {
	out := c.triggersOf(c.schedules)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.ref != b.ref {
			return a.ref.String() < b.ref.String()
		}
		return a.trigger.ID < b.trigger.ID
	})
	return out
}

// watching lists the watching triggers of the enabled flows.
func (c *catalog) watching() []scheduled {
	return c.triggersOf(c.watchers)
}

// triggersOf pairs each trigger of byFlow (c.schedules or c.watchers) with
// its flow's current revision, read under the catalog's lock.
func (c *catalog) triggersOf(byFlow map[flows.FlowRef][]*flows.Trigger) []scheduled {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []scheduled
	for ref, trs := range byFlow {
		sf := c.flows[ref]
		for _, tr := range trs {
			out = append(out, scheduled{ref: ref, flow: sf.Flow, revision: sf.Revision, trigger: tr})
		}
	}
	return out
}

func (c *catalog) get(ref flows.FlowRef) (*storedFlow, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	sf, ok := c.flows[ref]
	return sf, ok
}

// listeners returns the Flow triggers that may fire when an execution of
// ref ends (never ref's own: a flow does not trigger itself).
func (c *catalog) listeners(ref flows.FlowRef) []*listener {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*listener
	for _, l := range c.index.Lookup(ref.Namespace, ref.ID) {
		if l.Ref != ref {
			out = append(out, l)
		}
	}
	return out
}

func (c *catalog) webhook(ref flows.FlowRef, key string) (*flows.Trigger, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	tr, ok := c.webhooks[ref][key]
	return tr, ok
}

// all returns every flow sorted by namespace then id.
func (c *catalog) all() []*storedFlow {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*storedFlow, 0, len(c.flows))
	for _, sf := range c.flows {
		out = append(out, sf)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Flow, out[j].Flow
		return a.Namespace < b.Namespace || a.Namespace == b.Namespace && a.ID < b.ID
	})
	return out
}

// deps is the dependency catalog of the stored flows.
func (c *catalog) deps() *flows.Catalog {
	c.mu.RLock()
	defer c.mu.RUnlock()
	fs := make([]*flows.Flow, 0, len(c.flows))
	for _, sf := range c.flows {
		fs = append(fs, sf.Flow)
	}
	return flows.NewCatalog("repository", fs)
}

// loadCatalog parses every stored flow. A stored flow that no longer
// parses (a task type removed from this build) is logged and left out.
func (s *Server) loadCatalog(ctx context.Context) error {
	if s.Flows == nil {
		return nil
	}
	list, err := s.Flows.ListFlows(ctx, state.FlowFilter{})
	if err != nil {
		return err
	}
	for _, rev := range list {
		f, err := s.parse(flowFile(rev.Namespace, rev.ID, rev.Revision), []byte(rev.Source))
		if err != nil {
			s.log.Error("stored flow does not parse", "flow", rev.Namespace+"."+rev.ID, "revision", rev.Revision, "err", err)
			continue
		}
		s.catalog.put(flows.FlowRef{Namespace: rev.Namespace, ID: rev.ID}, f, rev.Revision)
	}
	return nil
}

// flowFile names a stored revision in messages (there is no file).
func flowFile(namespace, id string, revision int) string {
	return fmt.Sprintf("%s.%s@%d", namespace, id, revision)
}

func flowRef(namespace, id string) flows.FlowRef { return flows.FlowRef{Namespace: namespace, ID: id} }
