package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
)

const schemaA = `{"type":"record","name":"A","fields":[{"name":"x","type":"long"}]}`
const schemaB = `{"type":"record","name":"A","fields":[{"name":"x","type":"long"},{"name":"y","type":"string","default":""}]}`

func client(t *testing.T, srv *registrytest.Server, user, pass string) *registry.Client {
	t.Helper()
	c, err := registry.New(registry.Config{URLs: []string{srv.URL}, Username: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRegisterIsCachedPerSchema(t *testing.T) {
	srv := registrytest.New()
	defer srv.Close()
	c := client(t, srv, "", "")
	ctx := context.Background()
	id1, err := c.Register(ctx, "t-value", "AVRO", schemaA)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		// The same schema, reformatted: still one cache entry.
		id, err := c.Register(ctx, "t-value", "AVRO", strings.ReplaceAll(schemaA, ",", ", "))
		if err != nil || id != id1 {
			t.Fatalf("id %d err %v", id, err)
		}
	}
	if got := c.Requests(); got != 1 {
		t.Fatalf("%d HTTP requests for one schema, want 1", got)
	}
	// By ID comes from the cache too.
	s, err := c.ByID(ctx, id1)
	if err != nil || !strings.Contains(s.Text, `"name":"A"`) || s.Type != "AVRO" {
		t.Fatalf("ByID: %+v %v", s, err)
	}
	if got := c.Requests(); got != 1 {
		t.Fatalf("ByID after Register made a request")
	}
	// Another client learns it by ID once.
	c2 := client(t, srv, "", "")
	for i := 0; i < 3; i++ {
		if s2, err := c2.ByID(ctx, id1); err != nil || s2.Text != s.Text {
			t.Fatalf("%+v %v", s2, err)
		}
	}
	if c2.Requests() != 1 {
		t.Fatalf("ByID: %d requests", c2.Requests())
	}
	id2, err := c.Register(ctx, "t-value", "AVRO", schemaB)
	if err != nil || id2 == id1 {
		t.Fatalf("second schema: id %d err %v", id2, err)
	}
	latest, err := c2.Latest(ctx, "t-value")
	if err != nil || latest.ID != id2 || latest.Version != 2 {
		t.Fatalf("latest %+v %v", latest, err)
	}
	if id, err := c2.Lookup(ctx, "t-value", "AVRO", schemaA); err != nil || id != id1 {
		t.Fatalf("lookup %d %v", id, err)
	}
}

func TestErrorsSayWhatToDo(t *testing.T) {
	srv := registrytest.New()
	defer srv.Close()
	ctx := context.Background()
	c := client(t, srv, "", "")

	_, err := c.Lookup(ctx, "nope-value", "AVRO", schemaA)
	wantErr(t, err, 404, "HTTP 404 (error code 40401)", "auto.register.schemas")

	srv.Register("t-value", "AVRO", schemaA)
	_, err = c.Lookup(ctx, "t-value", "AVRO", schemaB)
	wantErr(t, err, 404, "error code 40403", "use.latest.version")

	srv.SetIncompatible("t-value", true)
	_, err = c.Register(ctx, "t-value", "AVRO", schemaB)
	wantErr(t, err, 409, "HTTP 409", "incompatible")

	_, err = c.Register(ctx, "t-value", "AVRO", `{"type":`)
	wantErr(t, err, 422, "HTTP 422", "invalid")

	srv.User, srv.Password = "alice", "s3cret"
	_, err = client(t, srv, "alice", "wrong").Register(ctx, "u-value", "AVRO", schemaA)
	wantErr(t, err, 401, "HTTP 401", "basic.auth.user.info")
	if strings.Contains(err.Error(), "wrong") {
		t.Fatal("the password leaked into the error")
	}
	if _, err := client(t, srv, "alice", "s3cret").Register(ctx, "u-value", "AVRO", schemaA); err != nil {
		t.Fatal(err)
	}

	srv.Close()
	_, err = client(t, srv, "", "").ByID(ctx, 1)
	if err == nil || !strings.Contains(err.Error(), "Is the registry running") {
		t.Fatalf("unreachable registry: %v", err)
	}
}

func wantErr(t *testing.T, err error, status int, parts ...string) {
	t.Helper()
	var re *registry.Error
	if !errors.As(err, &re) || re.Status != status {
		t.Fatalf("want a registry error with status %d, got %v", status, err)
	}
	for _, p := range parts {
		if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(p)) {
			t.Fatalf("error %q does not mention %q", err, p)
		}
	}
}

func TestStrategies(t *testing.T) {
	cases := []struct {
		name  string
		key   bool
		want  string
		error bool
	}{
		{"", false, "orders-value", false},
		{"io.confluent.kafka.serializers.subject.TopicNameStrategy", true, "orders-key", false},
		{"io.confluent.kafka.serializers.subject.RecordNameStrategy", false, "com.acme.Order", false},
		{"TopicRecordNameStrategy", false, "orders-com.acme.Order", false},
		{"Nope", false, "", true},
	}
	for _, c := range cases {
		s, err := registry.ParseStrategy(c.name)
		if c.error {
			if err == nil {
				t.Errorf("%s: no error", c.name)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Subject("orders", c.key, "com.acme.Order")
		if err != nil || got != c.want {
			t.Errorf("%s: %q %v, want %q", c.name, got, err, c.want)
		}
	}
	if _, err := registry.RecordName.Subject("t", false, ""); err == nil {
		t.Error("RecordNameStrategy without a name must fail")
	}
}
