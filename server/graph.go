package server

import (
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
)

// graphNode and graphEdge are the flow graph the API shows: one node per
// task (a flowable task is the cluster of its children), edges in run
// order, parallel branches all leaving their parent.
type graphNode struct {
	UID    string `json:"uid"`
	TaskID string `json:"taskId"`
	Type   string `json:"type"`
	Parent string `json:"parent,omitempty"`
	Errors bool   `json:"errors,omitempty"`
}

type graphEdge struct {
	Source       string `json:"source"`
	Target       string `json:"target"`
	RelationType string `json:"relationType"`
}

type flowGraph struct {
	Nodes []graphNode `json:"nodes"`
	Edges []graphEdge `json:"edges"`
}

func graphOf(f *flows.Flow) flowGraph {
	g := flowGraph{Nodes: []graphNode{}, Edges: []graphEdge{}}
	var group func(ts []*plugin.TaskDef, parent string, parallel, errs bool, from string)
	group = func(ts []*plugin.TaskDef, parent string, parallel, errs bool, from string) {
		prev := from
		for _, t := range ts {
			typ := t.Type
			if t.Info != nil {
				typ = t.Info.ID
			}
			g.Nodes = append(g.Nodes, graphNode{UID: t.ID, TaskID: t.ID, Type: typ, Parent: parent, Errors: errs})
			rel := "SEQUENTIAL"
			src := prev
			switch {
			case errs:
				rel = "ERROR"
			case parallel:
				rel, src = "PARALLEL", from
			}
			if src != "" {
				g.Edges = append(g.Edges, graphEdge{Source: src, Target: t.ID, RelationType: rel})
			}
			childParallel := strings.Contains(typ, "Parallel")
			for _, children := range flows.Children(t) {
				group(children, t.ID, childParallel, false, t.ID)
			}
			group(t.Errors, t.ID, false, true, t.ID)
			if !parallel {
				prev = t.ID
			}
		}
	}
	group(f.Tasks, "", false, false, "")
	group(f.Errors, "", false, true, "")
	return g
}

func (s *Server) flowGraph(w http.ResponseWriter, r *http.Request) error {
	rev, err := s.pathFlow(r)
	if err != nil {
		return err
	}
	f, err := s.parse(flowFile(rev.Namespace, rev.ID, rev.Revision), []byte(rev.Source))
	if f == nil {
		return invalidFlow(err)
	}
	writeJSON(w, http.StatusOK, graphOf(f))
	return nil
}

// depJSON is one dependency edge in the API.
type depJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
	Via  string `json:"via"`
	// Missing is set when To is not a stored flow.
	Missing bool `json:"missing,omitempty"`
}

// DependenciesOf answers the dependency question for one flow of a
// catalog: the edges it uses and the edges that use it, recursively or
// one level.
func DependenciesOf(c *flows.Catalog, ref flows.FlowRef, recursive bool) (uses, usedBy []depJSON) {
	conv := func(ds []flows.Dependency) []depJSON {
		out := []depJSON{}
		for _, d := range ds {
			out = append(out, depJSON{From: d.From.String(), To: d.To.String(), Via: d.Via, Missing: !c.Exists(d.To)})
		}
		return out
	}
	if recursive {
		return conv(c.Dependencies(ref)), conv(c.Dependents(ref))
	}
	return conv(c.DirectDependencies(ref)), conv(c.DirectDependents(ref))
}

func (s *Server) flowDependencies(w http.ResponseWriter, r *http.Request) error {
	ref := flows.FlowRef{Namespace: r.PathValue("namespace"), ID: r.PathValue("id")}
	recursive := true
	if r.URL.Query().Get("recursive") != "" {
		var err error
		if recursive, err = boolParam(r, "recursive"); err != nil {
			return err
		}
	}
	c := s.catalog.deps()
	if !c.Exists(ref) {
		return errorf(http.StatusNotFound, "flow %s not found", ref)
	}
	uses, usedBy := DependenciesOf(c, ref, recursive)
	writeJSON(w, http.StatusOK, map[string]any{"flow": ref.String(), "uses": uses, "usedBy": usedBy})
	return nil
}
