package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/flows/condition"
	"github.com/sluicehq/sluice/flows/plugin"
)

// FlowRef names a flow.
type FlowRef struct{ Namespace, ID string }

func (r FlowRef) String() string { return r.Namespace + "." + r.ID }

// Catalog is every flow file under a folder, for dependency questions.
type Catalog struct {
	Dir   string
	Flows map[FlowRef]*Flow
	// Invalid lists files that look like flows but do not parse.
	Invalid map[string]error
}

// NewCatalog is the catalog of fs (stored flows, for instance); dir names
// where they come from in messages.
func NewCatalog(dir string, fs []*Flow) *Catalog {
	c := &Catalog{Dir: dir, Flows: make(map[FlowRef]*Flow, len(fs)), Invalid: map[string]error{}}
	for _, f := range fs {
		c.Flows[FlowRef{f.Namespace, f.ID}] = f
	}
	return c
}

// LoadCatalog parses the *.yml/*.yaml flow files under dir (hidden folders
// skipped). Files without id and namespace are not flows and are ignored.
func LoadCatalog(dir string) (*Catalog, error) {
	c := &Catalog{Dir: dir, Flows: map[FlowRef]*Flow{}, Invalid: map[string]error{}}
	err := walkFlowFiles(dir, func(p string, src []byte) {
		if !strings.Contains(string(src), "namespace:") || !strings.Contains(string(src), "tasks:") {
			return
		}
		f, perr := Parse(p, src)
		if f == nil || f.ID == "" {
			c.Invalid[p] = perr
			return
		}
		if perr != nil {
			c.Invalid[p] = perr
		}
		c.Flows[FlowRef{f.Namespace, f.ID}] = f
	})
	return c, err
}

// walkFlowFiles calls fn with the content of every *.yml and *.yaml file
// under dir, hidden folders skipped. Unreadable files are passed over; only
// an unreadable dir is an error.
func walkFlowFiles(dir string, fn func(path string, src []byte)) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".yml") && !strings.HasSuffix(p, ".yaml") {
			return nil
		}
		if src, err := os.ReadFile(p); err == nil {
			fn(p, src)
		}
		return nil
	})
}

// Dependency is one edge: From needs To, because of Via.
type Dependency struct {
	From, To FlowRef
	Via      string // "subflow task X" or "trigger Y"
}

// Uses returns the flows f depends on directly: flows its Subflow tasks
// run (static namespace and flowId only) and flows its Flow triggers
// listen to.
func Uses(f *Flow) []Dependency {
	from := FlowRef{f.Namespace, f.ID}
	var out []Dependency
	f.Walk(func(t *plugin.TaskDef, _ []*plugin.TaskDef) {
		if s, ok := t.Props.(*Subflow); ok && !isTemplate(s.Namespace+s.FlowID) {
			out = append(out, Dependency{From: from, To: FlowRef{s.Namespace, s.FlowID}, Via: "subflow task " + t.ID})
		}
	})
	for _, tr := range f.Triggers {
		seen := map[FlowRef]bool{}
		condition.Walk(tr.Conditions, func(c *plugin.ConditionDef) {
			if ef, ok := c.Props.(*condition.ExecutionFlow); ok {
				ref := FlowRef{ef.Namespace, ef.FlowID}
				if !seen[ref] {
					seen[ref] = true
					out = append(out, Dependency{From: from, To: ref, Via: "trigger " + tr.ID})
				}
			}
		})
	}
	return out
}

// Dependencies returns every flow ref depends on, recursively, as edges in
// breadth-first order; cycles are followed once.
func (c *Catalog) Dependencies(ref FlowRef) []Dependency {
	return c.closure(ref, func(r FlowRef) []Dependency {
		if f, ok := c.Flows[r]; ok {
			return Uses(f)
		}
		return nil
	}, false)
}

// Dependents returns every flow that depends on ref, recursively.
func (c *Catalog) Dependents(ref FlowRef) []Dependency {
	reverse := map[FlowRef][]Dependency{}
	for _, f := range c.Flows {
		for _, d := range Uses(f) {
			reverse[d.To] = append(reverse[d.To], d)
		}
	}
	for k := range reverse {
		sort.Slice(reverse[k], func(i, j int) bool { return reverse[k][i].From.String() < reverse[k][j].From.String() })
	}
	return c.closure(ref, func(r FlowRef) []Dependency { return reverse[r] }, true)
}

func (c *Catalog) closure(start FlowRef, next func(FlowRef) []Dependency, up bool) []Dependency {
	seen := map[FlowRef]bool{start: true}
	queue := []FlowRef{start}
	var out []Dependency
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		for _, d := range next(r) {
			out = append(out, d)
			n := d.To
			if up {
				n = d.From
			}
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return out
}

// DirectDependencies are the edges from ref only (one level).
func (c *Catalog) DirectDependencies(ref FlowRef) []Dependency {
	if f, ok := c.Flows[ref]; ok {
		return Uses(f)
	}
	return nil
}

// DirectDependents are the edges into ref only (one level).
func (c *Catalog) DirectDependents(ref FlowRef) []Dependency {
	var out []Dependency
	for _, d := range c.Dependents(ref) {
		if d.To == ref {
			out = append(out, d)
		}
	}
	return out
}

// Exists reports whether the catalog holds ref.
func (c *Catalog) Exists(ref FlowRef) bool { _, ok := c.Flows[ref]; return ok }

// Describe formats an edge for people.
func (d Dependency) Describe(up bool) string {
	if up {
		return fmt.Sprintf("%s (its %s runs %s)", d.From, d.Via, d.To)
	}
	return fmt.Sprintf("%s (%s)", d.To, d.Via)
}
