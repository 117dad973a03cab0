package server

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/trigger"
)

// Stored flows file their Flow triggers under the flows they listen to,
// and their webhooks under keys generated once and kept across updates.
func TestCatalogTriggers(t *testing.T) {
	ts := newTestServer(t)
	listen := "triggers:\n  - id: after\n    type: io.kestra.core.models.triggers.types.Flow\n    conditions:\n      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n        namespace: up\n        flowId: one\n  - id: hook\n    type: io.kestra.core.models.triggers.types.Webhook\n"
	ts.do("POST", "/api/v1/flows", yamlType, flowYAML("down", "two", listen), nil)
	ts.do("POST", "/api/v1/flows", yamlType, flowYAML("up", "one", ""), nil)
	ls := ts.srv.catalog.listeners(flowRef("up", "one"))
	if len(ls) != 1 || ls[0].Ref != flowRef("down", "two") || ls[0].Trigger.ID != "after" {
		t.Fatalf("listeners of up.one: %+v", ls)
	}
	if ls := ts.srv.catalog.listeners(flowRef("down", "two")); len(ls) != 0 {
		t.Fatalf("a flow listens to itself or to nothing: %+v", ls)
	}
	var f map[string]any
	ts.do("GET", "/api/v1/flows/down/two", "", "", &f)
	key := f["triggers"].([]any)[1].(map[string]any)["key"].(string)
	if len(key) < 16 {
		t.Fatalf("generated key %q", key)
	}
	if tr, ok := ts.srv.catalog.webhook(flowRef("down", "two"), key); !ok || tr.ID != "hook" {
		t.Fatal("webhook not found by its key")
	}
	if _, ok := ts.srv.catalog.webhook(flowRef("down", "two"), strings.ToUpper(key)+"x"); ok {
		t.Fatal("webhook found by a wrong key")
	}
	// An update without the key keeps it.
	ts.do("PUT", "/api/v1/flows/down/two", yamlType, flowYAML("down", "two", "description: v2\n"+listen), &f)
	sf, _ := ts.srv.catalog.get(flowRef("down", "two"))
	if got := sf.Flow.Triggers[1].Props.(*trigger.Webhook).Key; got != key || sf.Revision != 2 {
		t.Fatalf("key after update %q (revision %d), want %q", got, sf.Revision, key)
	}
	// Deleting the listener unfiles it.
	ts.do("DELETE", "/api/v1/flows/down/two", "", "", nil)
	if ls := ts.srv.catalog.listeners(flowRef("up", "one")); len(ls) != 0 {
		t.Fatalf("deleted flow still listens: %+v", ls)
	}
}
