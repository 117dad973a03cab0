package server

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/flows/trigger"
	"github.com/sluicehq/sluice/internal/rows"
)

// isYAML tells a YAML body from a JSON one by its Content-Type.
func isYAML(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml":
		return true
	}
	return false
}

// readBody reads the bounded body.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, errorf(http.StatusBadRequest, "request body is required")
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errorf(http.StatusBadRequest, "request body is required")
	}
	return b, nil
}

// flowDocs reads one flow (many when list is set) from a JSON or YAML
// body as YAML nodes. JSON is YAML, so both go through one decoder; JSON
// keeps its key order and is stored as block YAML.
func flowDocs(r *http.Request, list bool) ([]bodyDoc, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			kind := "JSON"
			if isYAML(r) {
				kind = "YAML"
			}
			return nil, errorf(http.StatusUnprocessableEntity, "Invalid %s: %v", kind, err)
		}
		if len(n.Content) == 0 {
			continue
		}
		docs = append(docs, n.Content[0])
	}
	if list && len(docs) == 1 && docs[0].Kind == yaml.SequenceNode {
		docs = docs[0].Content
	}
	if len(docs) == 0 {
		return nil, errorf(http.StatusBadRequest, "request body holds no flow")
	}
	if !list && len(docs) > 1 {
		return nil, errorf(http.StatusUnprocessableEntity, "Invalid entity: one flow expected, got %d documents", len(docs))
	}
	out := make([]bodyDoc, len(docs))
	for i, d := range docs {
		if d.Kind != yaml.MappingNode {
			return nil, errorf(http.StatusUnprocessableEntity, "Invalid entity: a flow is an object with id, namespace and tasks")
		}
		out[i].node = d
	}
	if len(docs) == 1 && isYAML(r) && !bytes.Contains(b, []byte("\n---")) {
		out[0].text = b
	}
	return out, nil
}

// blockStyle clears flow styles so JSON bodies are stored as ordinary
// YAML, and drops the keys Kestra's JSON carries that are not the flow's
// own (revision, deleted). It reports whether it dropped a key.
func blockStyle(n *yaml.Node, top bool) bool {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Style == yaml.DoubleQuotedStyle && !strings.ContainsAny(n.Value, "\n\"\\") {
		n.Style = 0
	}
	dropped := false
	if top && n.Kind == yaml.MappingNode {
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k == "revision" || k == "deleted" {
				dropped = true
				continue
			}
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		blockStyle(c, false)
	}
	return dropped
}

// prepared is a flow ready to be stored.
type prepared struct {
	ref    flows.FlowRef
	flow   *flows.Flow
	source string
}

// bodyDoc is one flow document of a request: its node and, for a YAML
// body holding a single document, the text as sent (stored as is, with
// its comments, when nothing has to change).
type bodyDoc struct {
	node *yaml.Node
	text []byte
}

// prepare turns a body document into stored source: validated (errors
// located in the body as sent), with Kestra's JSON-only keys dropped and
// Webhook keys filled in (kept from the previous revision, else random) so
// that the stored flow holds the key its URL uses.
func (s *Server) prepare(r *http.Request, doc bodyDoc) (*prepared, error) {
	text := doc.text
	changed := false
	if text == nil {
		blockStyle(doc.node, true)
		b, err := marshalYAML(doc.node)
		if err != nil {
			return nil, errorf(http.StatusUnprocessableEntity, "Invalid entity: %v", err)
		}
		text = b
	}
	f, err := s.parse("request", text)
	if err != nil {
		return nil, invalidFlow(err)
	}
	if f.ID == "" || f.Namespace == "" {
		return nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "Invalid entity: a stored flow needs a non-empty id and namespace",
			Details: []errorDetail{{Message: "id and namespace must not be empty", Path: "flow.id"}}}
	}
	if doc.text != nil {
		changed = blockStyle(doc.node, true)
	}
	if s.fillWebhookKeys(flows.FlowRef{Namespace: f.Namespace, ID: f.ID}, f, doc.node) {
		changed = true
	}
	if changed {
		if text, err = marshalYAML(doc.node); err == nil {
			f, err = s.parse("request", text)
		}
		if err != nil {
			return nil, invalidFlow(err)
		}
	}
	return &prepared{ref: flows.FlowRef{Namespace: f.Namespace, ID: f.ID}, flow: f, source: string(text)}, nil
}

func marshalYAML(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (s *Server) fillWebhookKeys(ref flows.FlowRef, f *flows.Flow, doc *yaml.Node) bool {
	missing := map[string]bool{}
	for _, tr := range f.Triggers {
		if w, ok := tr.Props.(*trigger.Webhook); ok && w.Key == "" {
			missing[tr.ID] = true
		}
	}
	if len(missing) == 0 {
		return false
	}
	previous := map[string]string{}
	if old, ok := s.catalog.get(ref); ok {
		for _, tr := range old.Flow.Triggers {
			if w, ok := tr.Props.(*trigger.Webhook); ok {
				previous[tr.ID] = w.Key
			}
		}
	}
	triggers := mapValue(doc, "triggers")
	if triggers == nil {
		return false
	}
	for _, item := range triggers.Content {
		id := mapValue(item, "id")
		if id == nil || !missing[id.Value] {
			continue
		}
		key := previous[id.Value]
		if key == "" {
			key = rand.Text()
		}
		item.Content = append(item.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "key"},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key})
	}
	return true
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// store saves a prepared flow and updates the catalog.
func (s *Server) store(r *http.Request, p *prepared) (*state.FlowRevision, error) {
	rev, _, err := s.Flows.SaveFlow(r.Context(), p.ref.Namespace, p.ref.ID, p.source)
	if err != nil {
		return nil, err
	}
	s.catalog.put(p.ref, p.flow, rev.Revision)
	return rev, nil
}

// flowJSON is a stored revision as Kestra's API shows a flow: its
// properties in source order with the revision after the namespace.
// Literal values of secret properties are masked.
func (s *Server) flowJSON(rev *state.FlowRevision) any {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(rev.Source), &doc); err != nil || len(doc.Content) == 0 {
		return map[string]any{"id": rev.ID, "namespace": rev.Namespace, "revision": rev.Revision}
	}
	root := doc.Content[0]
	secrets := map[string][]string{} // task id → its secret properties
	if f, err := s.parse(flowFile(rev.Namespace, rev.ID, rev.Revision), []byte(rev.Source)); err == nil || f != nil {
		f.Walk(func(t *plugin.TaskDef, _ []*plugin.TaskDef) {
			if t.Info == nil {
				return
			}
			if spec, err := plugin.SpecOf(reflect.TypeOf(t.Info.New())); err == nil {
				for _, p := range spec.Properties {
					if p.Secret {
						secrets[t.ID] = append(secrets[t.ID], p.Name)
					}
				}
			}
		})
	}
	out := rows.NewOrderedMap(len(root.Content)/2 + 2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i].Value
		out.Set(k, jsonValue(root.Content[i+1], secrets))
		if k == "namespace" {
			out.Set("revision", rev.Revision)
		}
	}
	if _, ok := out.Get("revision"); !ok {
		out.Set("revision", rev.Revision)
	}
	if rev.Deleted {
		out.Set("deleted", true)
	}
	return out
}

const mask = "******"

// jsonValue converts a YAML node to ordered JSON data; inside a task
// mapping whose id has secret properties, literal values are masked
// (templates such as {{ secret('X') }} are shown: they hold no secret).
func jsonValue(n *yaml.Node, secrets map[string][]string) any {
	switch n.Kind {
	case yaml.AliasNode:
		return jsonValue(n.Alias, secrets)
	case yaml.MappingNode:
		var hidden []string
		if id := mapValue(n, "id"); id != nil && mapValue(n, "type") != nil {
			hidden = secrets[id.Value]
		}
		m := rows.NewOrderedMap(len(n.Content) / 2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if contains(hidden, k) && !(v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "{{")) {
				m.Set(k, mask)
				continue
			}
			m.Set(k, jsonValue(v, secrets))
		}
		return m
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			out[i] = jsonValue(c, secrets)
		}
		return out
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	switch x := v.(type) {
	case nil, bool, int, int64, float64, string:
		return x
	}
	return n.Value // timestamps and other YAML types: as written
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) needFlows() error {
	if s.Flows == nil {
		return errorf(http.StatusServiceUnavailable, "this server has no flow store")
	}
	return nil
}

func (s *Server) createFlow(w http.ResponseWriter, r *http.Request) error {
	if err := s.needFlows(); err != nil {
		return err
	}
	return s.saveFlow(w, r, func(p *prepared) error {
		if _, ok := s.catalog.get(p.ref); ok {
			return &apiError{Status: http.StatusUnprocessableEntity, Message: "Invalid entity: flow id already exists",
				Details: []errorDetail{{Message: "Flow id already exists", Path: "flow.id"}}}
		}
		return nil
	})
}

func (s *Server) updateFlow(w http.ResponseWriter, r *http.Request) error {
	if err := s.needFlows(); err != nil {
		return err
	}
	ref := flows.FlowRef{Namespace: r.PathValue("namespace"), ID: r.PathValue("id")}
	if _, ok := s.catalog.get(ref); !ok {
		return errorf(http.StatusNotFound, "flow %s not found", ref)
	}
	return s.saveFlow(w, r, func(p *prepared) error {
		if p.ref != ref {
			return &apiError{Status: http.StatusUnprocessableEntity, Message: "Invalid entity: illegal flow id update",
				Details: []errorDetail{{Message: fmt.Sprintf("the body is flow %s, the path names %s", p.ref, ref), Path: "flow.id"}}}
		}
		return nil
	})
}

// saveFlow stores the one flow of the body as its next revision, once check
// (create: the id is new; update: the id is the path's) lets it through.
func (s *Server) saveFlow(w http.ResponseWriter, r *http.Request, check func(*prepared) error) error {
	docs, err := flowDocs(r, false)
	if err != nil {
		return err
	}
	p, err := s.prepare(r, docs[0])
	if err != nil {
		return err
	}
	if err := check(p); err != nil {
		return err
	}
	rev, err := s.store(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.flowJSON(rev))
	return nil
}

// pathFlow is the stored flow the path's {namespace}/{id} names, at
// ?revision= (0 or absent: the latest).
func (s *Server) pathFlow(r *http.Request) (*state.FlowRevision, error) {
	if err := s.needFlows(); err != nil {
		return nil, err
	}
	revision, err := intParam(r, "revision", 0, 0, 1<<31-1)
	if err != nil {
		return nil, err
	}
	rev, err := s.Flows.GetFlow(r.Context(), r.PathValue("namespace"), r.PathValue("id"), revision)
	if errors.Is(err, state.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "flow %s.%s not found", r.PathValue("namespace"), r.PathValue("id"))
	}
	return rev, err
}

func (s *Server) getFlow(w http.ResponseWriter, r *http.Request) error {
	rev, err := s.pathFlow(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.flowJSON(rev))
	return nil
}

func (s *Server) flowRevisions(w http.ResponseWriter, r *http.Request) error {
	if err := s.needFlows(); err != nil {
		return err
	}
	revs, err := s.Flows.FlowRevisions(r.Context(), r.PathValue("namespace"), r.PathValue("id"))
	if errors.Is(err, state.ErrNotFound) {
		return errorf(http.StatusNotFound, "flow %s.%s not found", r.PathValue("namespace"), r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	out := make([]any, len(revs))
	for i, rev := range revs {
		out[i] = s.flowJSON(rev)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// dependentsError refuses a deletion: 409 with each dependent flow named.
func dependentsError(ref flows.FlowRef, deps []flows.Dependency) *apiError {
	e := &apiError{Status: http.StatusConflict,
		Message: fmt.Sprintf("flow %s is used by %d other flows; delete them first or pass force=true", ref, len(deps))}
	for _, d := range deps {
		e.Details = append(e.Details, errorDetail{Message: d.Describe(true), Path: d.From.String()})
	}
	return e
}

// dependents are the flows other than ref (and outside skip) that use ref,
// directly or not.
func (s *Server) dependents(ref flows.FlowRef, skip map[flows.FlowRef]bool) []flows.Dependency {
	var out []flows.Dependency
	for _, d := range s.catalog.deps().Dependents(ref) {
		if d.From != ref && !skip[d.From] {
			out = append(out, d)
		}
	}
	return out
}

func (s *Server) deleteFlow(w http.ResponseWriter, r *http.Request) error {
	if err := s.needFlows(); err != nil {
		return err
	}
	ref := flows.FlowRef{Namespace: r.PathValue("namespace"), ID: r.PathValue("id")}
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	if _, ok := s.catalog.get(ref); !ok {
		return errorf(http.StatusNotFound, "flow %s not found", ref)
	}
	if deps := s.dependents(ref, nil); len(deps) > 0 && !force {
		return dependentsError(ref, deps)
	}
	if _, err := s.Flows.DeleteFlow(r.Context(), ref.Namespace, ref.ID); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return errorf(http.StatusNotFound, "flow %s not found", ref)
		}
		return err
	}
	s.catalog.put(ref, nil, 0)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) updateNamespace(w http.ResponseWriter, r *http.Request) error {
	if err := s.needFlows(); err != nil {
		return err
	}
	ns := r.PathValue("namespace")
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	docs, err := flowDocs(r, true)
	if err != nil {
		return err
	}
	var ps []*prepared
	ids := map[flows.FlowRef]bool{}
	for _, d := range docs {
		p, err := s.prepare(r, d)
		if err != nil {
			return err
		}
		if p.ref.Namespace != ns {
			return &apiError{Status: http.StatusUnprocessableEntity, Message: "Invalid entity: flow namespace is invalid",
				Details: []errorDetail{{Message: fmt.Sprintf("flow %s is not in namespace %s", p.ref, ns), Path: "flow.namespace"}}}
		}
		if ids[p.ref] {
			return &apiError{Status: http.StatusUnprocessableEntity, Message: "Invalid entity: duplicate flow id",
				Details: []errorDetail{{Message: "duplicate flow id " + p.ref.ID, Path: "flow.id"}}}
		}
		ids[p.ref] = true
		ps = append(ps, p)
	}
	// Flows of the namespace not in the body are deleted, unless a flow
	// that stays depends on them.
	var gone []flows.FlowRef
	for _, sf := range s.catalog.all() {
		ref := flows.FlowRef{Namespace: sf.Flow.Namespace, ID: sf.Flow.ID}
		if ref.Namespace == ns && !ids[ref] {
			gone = append(gone, ref)
		}
	}
	if !force {
		skip := map[flows.FlowRef]bool{}
		for _, g := range gone {
			skip[g] = true
		}
		for _, g := range gone {
			if deps := s.dependents(g, skip); len(deps) > 0 {
				return dependentsError(g, deps)
			}
		}
	}
	for _, g := range gone {
		if _, err := s.Flows.DeleteFlow(r.Context(), g.Namespace, g.ID); err != nil && !errors.Is(err, state.ErrNotFound) {
			return err
		}
		s.catalog.put(g, nil, 0)
	}
	out := make([]any, 0, len(ps))
	for _, p := range ps {
		rev, err := s.store(r, p)
		if err != nil {
			return err
		}
		out = append(out, s.flowJSON(rev))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pageParams reads page (from 1) and size (1 to 1000), Kestra's names.
func pageParams(r *http.Request) (page, size int, err error) {
	if page, err = intParam(r, "page", 1, 1, 1<<31-1); err != nil {
		return 0, 0, err
	}
	if size, err = intParam(r, "size", 10, 1, 1000); err != nil {
		return 0, 0, err
	}
	return page, size, nil
}

func intParam(r *http.Request, name string, def, min, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, errorf(http.StatusBadRequest, "query parameter %s=%q: want an integer from %d to %d", name, v, min, max)
	}
	return n, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errorf(http.StatusBadRequest, "query parameter %s=%q: want true or false", name, v)
	}
	return b, nil
}

// paged is Kestra's PagedResults.
type paged struct {
	Results []any `json:"results"`
	Total   int   `json:"total"`
}

func pageOf[T any](items []T, page, size int, conv func(T) any) paged {
	out := paged{Results: []any{}, Total: len(items)}
	start := (page - 1) * size
	if start >= len(items) || start < 0 {
		return out
	}
	end := min(start+size, len(items))
	for _, it := range items[start:end] {
		out.Results = append(out.Results, conv(it))
	}
	return out
}

// sortFlows applies sort=field:dir for id and namespace.
func sortFlows(list []*state.FlowRevision, spec string) error {
	if spec == "" {
		return nil
	}
	field, dir, _ := strings.Cut(spec, ":")
	desc := false
	switch dir {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return errorf(http.StatusBadRequest, "sort=%q: direction is asc or desc", spec)
	}
	var less func(a, b *state.FlowRevision) bool
	switch field {
	case "id":
		less = func(a, b *state.FlowRevision) bool { return a.ID < b.ID || a.ID == b.ID && a.Namespace < b.Namespace }
	case "namespace":
		less = func(a, b *state.FlowRevision) bool {
			return a.Namespace < b.Namespace || a.Namespace == b.Namespace && a.ID < b.ID
		}
	case "revision":
		less = func(a, b *state.FlowRevision) bool { return a.Revision < b.Revision }
	case "updated":
		less = func(a, b *state.FlowRevision) bool { return a.Updated.Before(b.Updated) }
	default:
		return errorf(http.StatusBadRequest, "sort=%q: sort by id, namespace, revision or updated", spec)
	}
	sort.SliceStable(list, func(i, j int) bool {
		if desc {
			return less(list[j], list[i])
		}
		return less(list[i], list[j])
	})
	return nil
}

func (s *Server) findFlows(r *http.Request) ([]*state.FlowRevision, int, int, error) {
	page, size, err := pageParams(r)
	if err != nil {
		return nil, 0, 0, err
	}
	list, err := s.Flows.ListFlows(r.Context(), state.FlowFilter{Namespace: r.URL.Query().Get("namespace")})
	if err != nil {
		return nil, 0, 0, err
	}
	if text := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q"))); text != "" && text != "*" {
		kept := list[:0]
		for _, f := range list {
			if strings.Contains(strings.ToLower(f.Namespace+"."+f.ID), text) {
				kept = append(kept, f)
			}
		}
		list = kept
	}
	if err := sortFlows(list, r.URL.Query().Get("sort")); err != nil {
		return nil, 0, 0, err
	}
	return list, page, size, nil
}

func (s *Server) listFlows(w http.ResponseWriter, r *http.Request) error {
	if err := s.needFlows(); err != nil {
		return err
	}
	list, page, size, err := s.findFlows(r)
	if err != nil {
		return err
	}
	out := pageOf(list, page, size, func(f *state.FlowRevision) any { return s.flowJSON(f) })
	writeJSON(w, http.StatusOK, out.Results)
	return nil
}

func (s *Server) searchFlows(w http.ResponseWriter, r *http.Request) error {
	if err := s.needFlows(); err != nil {
		return err
	}
	list, page, size, err := s.findFlows(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(list, page, size, func(f *state.FlowRevision) any { return s.flowJSON(f) }))
	return nil
}

func (s *Server) distinctNamespaces(w http.ResponseWriter, r *http.Request) error {
	seen := map[string]bool{}
	out := []string{}
	for _, sf := range s.catalog.all() {
		if !seen[sf.Flow.Namespace] {
			seen[sf.Flow.Namespace] = true
			out = append(out, sf.Flow.Namespace)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
