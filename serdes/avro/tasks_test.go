package avro

import (
	"context"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowstest"
	"github.com/sluicehq/sluice/internal/storage"
)

func newTask[T any](t *testing.T, id string) T {
	t.Helper()
	info, ok := plugin.Lookup(id)
	if !ok {
		t.Fatalf("%s not registered", id)
	}
	return info.New().(T)
}

func TestTasks(t *testing.T) {
	env := plugintest.New(t)
	s, data := rowstest.AllKinds()
	uri := env.WriteRows("in", s, data)

	w := newTask[*Writer](t, "io.kestra.plugin.serdes.avro.AvroWriter")
	w.From = uri
	out, err := env.Run(w, "toavro")
	if err != nil {
		t.Fatal(err)
	}
	r := newTask[*Reader](t, "io.kestra.plugin.serdes.avro.AvroReader")
	r.From = out["uri"].(string)
	out2, err := env.Run(r, "fromavro")
	if err != nil {
		t.Fatal(err)
	}
	if out2["count"] != int64(2) {
		t.Fatalf("count %v", out2["count"])
	}
	_, got := env.ReadRows(out2["uri"].(string))
	if !got[1].Values[2].Equal(data[1].Values[2]) || !got[0].Values[6].Equal(data[0].Values[6]) {
		t.Errorf("values %v", got)
	}
}

func TestWriterTaskFailurePublishesNothing(t *testing.T) {
	env := plugintest.New(t)
	s := &rows.Schema{Fields: []rows.Field{{Name: "amount", Kind: rows.KindDecimal}}}
	uri := env.WriteRows("in", s, []rows.Row{{Values: []rows.Value{rows.Decimal(123, 2)}}, {Values: []rows.Value{rows.Decimal(1239, 3)}}})
	w := newTask[*Writer](t, "serdes.avro.Writer")
	w.From = uri
	w.Schema = `{"type":"record","name":"r","fields":[{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}]}`
	_, err := env.Run(w, "toavro")
	if err == nil || !strings.Contains(err.Error(), `row 2, column "amount", value "1.239"`) {
		t.Fatalf("got %v", err)
	}
	files, _ := env.Store.List(context.Background(), storage.ExecutionPrefix("test", "flow", "exec1").Join("tasks", "toavro"))
	if len(files) != 0 {
		t.Errorf("published %v", files)
	}
}
