// Package catalog reads a Singer catalog (the output of a tap's --discover,
// or a catalog the user gives) and applies stream configurations to it by
// editing the metadata breadcrumbs, as singer-io/getting-started
// docs/DISCOVERY_MODE.md and SYNC_MODE.md describe: "selected" on the
// stream (empty breadcrumb) and on its fields (["properties", NAME]),
// "replication-method" and "replication-key" on the stream.
//
// Members the package does not know are kept as they are, so a tap gets
// back everything its discovery wrote.
package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// StreamConfig is one entry of streamsConfigurations (Kestra's shape).
type StreamConfig struct {
	Stream            string   `yaml:"stream" doc:"The stream (tap_stream_id or stream name) this entry applies to; empty applies to every stream."`
	Selected          bool     `yaml:"selected" default:"true" doc:"Select (true) or deselect (false) the stream, or the fields matched by propertiesPattern."`
	ReplicationMethod string   `yaml:"replicationMethod" enum:"FULL_TABLE,INCREMENTAL,LOG_BASED" doc:"Replication method of the stream (metadata replication-method)."`
	ReplicationKeys   string   `yaml:"replicationKeys" doc:"Replication key (bookmark column) of INCREMENTAL streams (metadata replication-key)."`
	ReplicationKey    string   `yaml:"replicationKey" doc:"Synonym of replicationKeys."`
	PropertiesPattern []string `yaml:"propertiesPattern" doc:"Regular expressions matched (whole) against field paths (nested fields joined by '.'); when given, selected applies to the matching fields only, not the stream."`
}

// Catalog is a decoded catalog.
type Catalog struct {
	doc     map[string]any
	streams []map[string]any
}

// Parse decodes a catalog ({"streams": [...]}).
func Parse(data []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("catalog is not a JSON object: %w", err)
	}
	return FromMap(doc)
}

// FromMap wraps an already decoded catalog.
func FromMap(doc map[string]any) (*Catalog, error) {
	raw, ok := doc["streams"]
	if !ok {
		return nil, fmt.Errorf(`catalog has no "streams" member`)
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf(`catalog "streams" must be a list`)
	}
	c := &Catalog{doc: doc}
	for i, s := range list {
		m, ok := s.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("catalog streams[%d] is not an object", i)
		}
		if name(m) == "" {
			return nil, fmt.Errorf(`catalog streams[%d] has neither "tap_stream_id" nor "stream"`, i)
		}
		c.streams = append(c.streams, m)
	}
	return c, nil
}

func name(s map[string]any) string {
	if v, ok := s["stream"].(string); ok && v != "" {
		return v
	}
	v, _ := s["tap_stream_id"].(string)
	return v
}

// Streams lists the stream names in catalog order.
func (c *Catalog) Streams() []string {
	out := make([]string, len(c.streams))
	for i, s := range c.streams {
		out[i] = name(s)
	}
	return out
}

// Marshal encodes the catalog.
func (c *Catalog) Marshal() ([]byte, error) { return json.Marshal(c.doc) }

// Options tune Apply.
type Options struct {
	// Legacy also writes "selected" into the stream's schema and its
	// properties, for taps that read selection from there (--properties).
	Legacy bool
}

// Apply edits the metadata of every stream each configuration applies to,
// in order, so later entries override earlier ones (a first entry for all
// streams, then exceptions). Entries naming a stream the catalog does not
// have change nothing (Kestra ignores them too; see Unknown). It returns an
// error for an invalid pattern.
func (c *Catalog) Apply(configs []StreamConfig, opt Options) error {
	patterns := make([][]*regexp.Regexp, len(configs))
	for i, cfg := range configs {
		for _, p := range cfg.PropertiesPattern {
			re, err := regexp.Compile("^(?:" + p + ")$")
			if err != nil {
				return fmt.Errorf("streamsConfigurations[%d].propertiesPattern %q: %w", i, p, err)
			}
			patterns[i] = append(patterns[i], re)
		}
	}
	for _, s := range c.streams {
		for i, cfg := range configs {
			if cfg.Stream != "" && cfg.Stream != name(s) && cfg.Stream != s["tap_stream_id"] {
				continue
			}
			applyOne(s, cfg, patterns[i], opt)
		}
	}
	return nil
}

// Unknown describes the entries that name a stream the catalog lacks.
func (c *Catalog) Unknown(configs []StreamConfig) []string {
	var out []string
	for i, cfg := range configs {
		if cfg.Stream != "" && c.find(cfg.Stream) == nil {
			out = append(out, fmt.Sprintf("streamsConfigurations[%d]: the tap has no stream %q (it has: %s)", i, cfg.Stream, strings.Join(c.Streams(), ", ")))
		}
	}
	return out
}

func (c *Catalog) find(stream string) map[string]any {
	for _, s := range c.streams {
		if name(s) == stream || s["tap_stream_id"] == stream {
			return s
		}
	}
	return nil
}

// entries returns the stream's metadata list, adding a stream-level entry
// and one per top-level property when the tap wrote none.
func entries(s map[string]any) []map[string]any {
	list, _ := s["metadata"].([]any)
	var out []map[string]any
	haveTop := false
	have := map[string]bool{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := m["metadata"].(map[string]any); !ok {
			m["metadata"] = map[string]any{}
		}
		bc := breadcrumb(m)
		if len(bc) == 0 {
			haveTop = true
		}
		have[path(bc)] = true
		out = append(out, m)
	}
	if !haveTop {
		top := map[string]any{"breadcrumb": []any{}, "metadata": map[string]any{}}
		out = append([]map[string]any{top}, out...)
	}
	if schema, ok := s["schema"].(map[string]any); ok {
		if props, ok := schema["properties"].(map[string]any); ok {
			for _, k := range sortedKeys(props) {
				if !have[k] {
					out = append(out, map[string]any{"breadcrumb": []any{"properties", k}, "metadata": map[string]any{}})
				}
			}
		}
	}
	items := make([]any, len(out))
	for i, m := range out {
		items[i] = m
	}
	s["metadata"] = items
	return out
}

func breadcrumb(m map[string]any) []string {
	raw, _ := m["breadcrumb"].([]any)
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// path is the field path of a breadcrumb, as Kestra matches it:
// ["properties","a","properties","b"] → "a.b"; the stream itself → "".
func path(bc []string) string {
	parts := make([]string, 0, len(bc))
	for _, p := range bc {
		if p != "properties" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

func applyOne(s map[string]any, cfg StreamConfig, pats []*regexp.Regexp, opt Options) {
	key := cfg.ReplicationKeys
	if key == "" {
		key = cfg.ReplicationKey
	}
	for _, e := range entries(s) {
		md := e["metadata"].(map[string]any)
		p := path(breadcrumb(e))
		if len(pats) > 0 && !anyMatch(pats, p) {
			continue
		}
		md["selected"] = cfg.Selected
		if p == "" {
			if cfg.ReplicationMethod != "" {
				md["replication-method"] = cfg.ReplicationMethod
			}
			if key != "" {
				md["replication-key"] = key
			}
		}
		if opt.Legacy {
			legacySelect(s, breadcrumb(e), cfg.Selected)
		}
	}
}

func anyMatch(pats []*regexp.Regexp, s string) bool {
	for _, re := range pats {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// legacySelect sets "selected" in the schema node a breadcrumb points to.
func legacySelect(s map[string]any, bc []string, selected bool) {
	node, _ := s["schema"].(map[string]any)
	for _, p := range bc {
		if node == nil {
			return
		}
		node, _ = node[p].(map[string]any)
	}
	if node != nil {
		node["selected"] = selected
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
