package singer_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/rows"
)

func TestRawFalseTypedRowFiles(t *testing.T) {
	py := python(t)
	env := flowtest.New(t)
	flow := fmt.Sprintf(`id: typed
namespace: sluice.tests
tasks:
  - id: tap
    type: singer.Tap
    command: %s testdata/tap.py
    features: [CATALOG, DISCOVER, STATE]
    raw: false
    configs:
      records: 12
    streamsConfigurations:
      - selected: true
        replicationMethod: FULL_TABLE
      - stream: users
        propertiesPattern: [wake_up]
        selected: false
`, py)
	ex := env.Run(flow, nil)
	env.RequireState(ex, state.Success)
	if raw := env.Output(ex, "tap", "raw"); raw != nil {
		t.Fatalf("raw: false has no raw output, got %v", raw)
	}
	schema, rs := env.ReadRows(out(t, env, ex, "tap", "streams", "users").(string))
	want := "id int, name string, email string, created_at timestamptz, birthday date, balance decimal, active bool, tags list, address map"
	if schema.String() != want {
		t.Fatalf("users schema\n got %s\nwant %s (wake_up deselected by propertiesPattern)", schema, want)
	}
	if len(rs) != 12 {
		t.Fatalf("%d users, want 12", len(rs))
	}
	if f := schema.Fields[schema.Index("balance")]; f.Scale != 2 || !f.Nullable {
		t.Fatalf("balance field = %+v, want scale 2 nullable", f)
	}
	if schema.Fields[0].Nullable {
		t.Fatalf("id is not nullable in the SCHEMA")
	}
	row := func(i int) map[string]rows.Value {
		m := map[string]rows.Value{}
		for j, f := range schema.Fields {
			m[f.Name] = rs[i].Values[j]
		}
		return m
	}
	// user 3: email null, balance 9.03, created 2020-01-01T03:00:21.000003Z,
	// birthday 1970-04-22, tags [t3 all], address {city: City 3, zip: 00003}.
	u := row(2)
	checks := []struct {
		col  string
		kind rows.Kind
		text string
	}{
		{"id", rows.KindInt, "3"},
		{"email", rows.KindNull, "null"},
		{"balance", rows.KindDecimal, "9.03"},
		{"created_at", rows.KindTimestampTZ, "2020-01-01T03:00:21.000003Z"},
		{"birthday", rows.KindDate, "1970-04-22"},
		{"active", rows.KindBool, "false"},
		{"tags", rows.KindList, `["t3","all"]`},
		{"address", rows.KindMap, `{"city":"City 3","zip":"00003"}`},
	}
	for _, c := range checks {
		v := u[c.col]
		if v.Kind() != c.kind || v.String() != c.text {
			t.Errorf("users[3].%s = %s %q, want %s %q", c.col, v.Kind(), v.String(), c.kind, c.text)
		}
	}
	// user 10: balance 30.10 keeps its scale (exact decimal), user 4 has no
	// address (null object), user 5's zip is null inside the object.
	if v := row(9)["balance"]; v.DecimalString() != "30.10" || v.Scale() != 2 {
		t.Errorf("users[10].balance = %s (scale %d), want 30.10", v.DecimalString(), v.Scale())
	}
	if v := row(3)["address"]; !v.IsNull() {
		t.Errorf("users[4].address = %s, want null", v)
	}
	if v := row(4)["address"]; v.String() != `{"city":"City 5","zip":null}` {
		t.Errorf("users[5].address = %s", v)
	}

	oschema, ors := env.ReadRows(out(t, env, ex, "tap", "streams", "orders").(string))
	if oschema.String() != "id int, user_id int, amount decimal, ordered_at timestamptz, note string" {
		t.Fatalf("orders schema %s", oschema)
	}
	// order 7: amount 7.0217 (scale 4), ordered_at 2020-01-01T00:07:00+00:00.
	o := ors[6].Values
	if o[2].DecimalString() != "7.0217" || o[3].String() != "2020-01-01T00:07:00Z" || !o[4].IsNull() {
		t.Errorf("orders[7] = %v", o)
	}
	if f := oschema.Fields[4]; !f.Nullable || oschema.Fields[2].Nullable {
		t.Errorf("note is nullable (anyOf null) and amount is required: %+v", oschema.Fields)
	}
	if s := out(t, env, ex, "tap", "schemas", "users").(string); !strings.HasPrefix(s, "sluice:///") {
		t.Errorf("schemas.users = %v", s)
	}
	// raw: false saves the state itself (the row files hold the records).
	kv := env.Repo.KV("sluice.tests", "typed")
	if b, ok, _ := kv.Get(t.Context(), "singer-state"); !ok || !strings.Contains(string(b), "bookmarks") {
		t.Fatalf("state not saved by a raw: false tap: %s", b)
	}
}

// A BATCH message's manifest files are read into the stream's row file; a
// catalog given as a property replaces discovery.
func TestBatchMessagesAndGivenCatalog(t *testing.T) {
	py := python(t)
	env := flowtest.New(t)
	dir := t.TempDir()
	ex := env.Run(fmt.Sprintf(`id: batch
namespace: sluice.tests
tasks:
  - id: tap
    type: singer.Tap
    command: %s testdata/tap.py
    features: [CATALOG, STATE]
    raw: false
    configs: {records: 6, batch_dir: %s}
    catalog: |
      {"streams": [
        {"tap_stream_id": "orders", "stream": "orders", "metadata": [{"breadcrumb": [], "metadata": {"selected": true}}],
         "schema": {"properties": {"id": {"type": "integer"}, "amount": {"type": "number", "multipleOf": 0.0001}}}},
        {"tap_stream_id": "users", "stream": "users", "metadata": [{"breadcrumb": [], "metadata": {"selected": false}}],
         "schema": {"properties": {"id": {"type": "integer"}}}}
      ]}
`, py, dir), nil)
	env.RequireState(ex, state.Success)
	if n := out(t, env, ex, "tap", "count", "BATCH"); n != float64(1) {
		t.Fatalf("BATCH count %v", n)
	}
	if u := out(t, env, ex, "tap", "streams", "users"); u != nil {
		t.Fatalf("users was deselected in the given catalog, got %v", u)
	}
	schema, rs := env.ReadRows(out(t, env, ex, "tap", "streams", "orders").(string))
	if schema.String() != "id int, amount decimal" || len(rs) != 6 {
		t.Fatalf("orders %s, %d rows", schema, len(rs))
	}
	// order 4: amount 4.0124, written 4.0124 by float() then json.dumps.
	if v := rs[3].Values[1]; v.DecimalString() != "4.0124" {
		t.Fatalf("orders[4].amount = %s", v.DecimalString())
	}
}
