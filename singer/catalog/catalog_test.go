package catalog

import (
	"encoding/json"
	"strings"
	"testing"
)

const discovered = `{"streams":[
 {"tap_stream_id":"db-users","stream":"users","schema":{"properties":{"id":{},"name":{},"description":{},"address":{"properties":{"city":{}}}}},
  "metadata":[{"breadcrumb":[],"metadata":{"selected-by-default":false,"table-key-properties":["id"]}},
              {"breadcrumb":["properties","id"],"metadata":{"inclusion":"automatic"}},
              {"breadcrumb":["properties","description"],"metadata":{"inclusion":"available"}},
              {"breadcrumb":["properties","address","properties","city"],"metadata":{}}],
  "x-extra":{"kept":true}},
 {"tap_stream_id":"db-orders","stream":"orders","schema":{"properties":{"id":{}}}}
]}`

// md returns stream → breadcrumb path → metadata after Apply.
func md(t *testing.T, c *Catalog) map[string]map[string]map[string]any {
	t.Helper()
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Streams []struct {
			Stream   string
			Metadata []struct {
				Breadcrumb []string
				Metadata   map[string]any
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]map[string]any{}
	for _, s := range doc.Streams {
		out[s.Stream] = map[string]map[string]any{}
		for _, m := range s.Metadata {
			out[s.Stream][path(m.Breadcrumb)] = m.Metadata
		}
	}
	return out
}

func TestApply(t *testing.T) {
	c, err := Parse([]byte(discovered))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Apply([]StreamConfig{
		{Selected: true, ReplicationMethod: "INCREMENTAL"},
		{Stream: "orders", Selected: false},
		{Stream: "users", ReplicationKeys: "id", Selected: true},
		{Stream: "db-users", PropertiesPattern: []string{"desc.*", "address\\..*"}, Selected: false},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := md(t, c)
	u := m["users"]
	if u[""]["selected"] != true || u[""]["replication-method"] != "INCREMENTAL" || u[""]["replication-key"] != "id" {
		t.Errorf("users stream metadata = %v", u[""])
	}
	if u[""]["table-key-properties"] == nil {
		t.Error("discovered metadata lost")
	}
	if u["description"]["selected"] != false || u["address.city"]["selected"] != false {
		t.Errorf("pattern-deselected fields: %v %v", u["description"], u["address.city"])
	}
	if u["id"]["selected"] != true || u["name"]["selected"] != true {
		t.Errorf("fields without pattern should be selected: %v %v (name had no metadata entry)", u["id"], u["name"])
	}
	if m["orders"][""]["selected"] != false || m["orders"][""]["replication-method"] != "INCREMENTAL" {
		t.Errorf("orders = %v", m["orders"][""])
	}
	b, _ := c.Marshal()
	if !strings.Contains(string(b), `"x-extra":{"kept":true}`) {
		t.Error("unknown members dropped")
	}
}

func TestApplyErrorsAndLegacy(t *testing.T) {
	c, _ := Parse([]byte(discovered))
	unknown := []StreamConfig{{Selected: true}, {Stream: "nope", Selected: true}}
	if err := c.Apply(unknown, Options{}); err != nil {
		t.Errorf("err = %v", err)
	}
	if u := c.Unknown(unknown); len(u) != 1 || !strings.Contains(u[0], `streamsConfigurations[1]: the tap has no stream "nope" (it has: users, orders)`) {
		t.Errorf("Unknown = %v", u)
	}
	if err := c.Apply([]StreamConfig{{PropertiesPattern: []string{"("}}}, Options{}); err == nil || !strings.Contains(err.Error(), "propertiesPattern") {
		t.Errorf("err = %v", err)
	}
	c, _ = Parse([]byte(discovered))
	if err := c.Apply([]StreamConfig{{Selected: true}}, Options{Legacy: true}); err != nil {
		t.Fatal(err)
	}
	b, _ := c.Marshal()
	if !strings.Contains(string(b), `"schema":{"properties":{"address":{"properties":{"city":{"selected":true}},"selected":true}`) {
		t.Errorf("legacy selection not written into the schema: %s", b)
	}
	if _, err := Parse([]byte(`{"streams":[{"schema":{}}]}`)); err == nil {
		t.Error("a stream without a name was accepted")
	}
}
