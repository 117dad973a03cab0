// Package serdes_test runs the serdes tasks inside real flows, under their
// Kestra type names.
package serdes_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"

	_ "github.com/sluicehq/sluice/serdes/avro"
	_ "github.com/sluicehq/sluice/serdes/csv"
	_ "github.com/sluicehq/sluice/serdes/ion"
	_ "github.com/sluicehq/sluice/serdes/json"
)

// TestKestraFlowChain reads the quickstart sample and passes it through
// every format and back, each step reading the previous one's output URI.
func TestKestraFlowChain(t *testing.T) {
	sample, err := filepath.Abs("../examples/quickstart/data/orders.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	env := flowtest.New(t)
	flow := `id: serdes-chain
namespace: sluice.test
tasks:
  - id: read
    type: io.kestra.plugin.serdes.json.JsonReader
    from: "` + sample + `"
  - id: tocsv
    type: io.kestra.plugin.serdes.csv.CsvWriter
    from: "{{ outputs.read.uri }}"
    fieldSeparator: ";"
    charset: windows-1252
  - id: fromcsv
    type: io.kestra.plugin.serdes.csv.CsvReader
    from: "{{ outputs.tocsv.uri }}"
    fieldSeparator: ";"
    charset: windows-1252
    columns:
      - {name: id, type: int}
      - {name: amount, type: decimal}
  - id: toavro
    type: io.kestra.plugin.serdes.avro.AvroWriter
    from: "{{ outputs.read.uri }}"
  - id: fromavro
    type: io.kestra.plugin.serdes.avro.AvroReader
    from: "{{ outputs.toavro.uri }}"
  - id: toion
    type: serdes.ion.Writer
    from: "{{ outputs.fromavro.uri }}"
  - id: fromion
    type: serdes.ion.Reader
    from: "{{ outputs.toion.uri }}"
  - id: tojson
    type: io.kestra.plugin.serdes.json.JsonWriter
    from: "{{ outputs.fromion.uri }}"
    newLine: false
`
	ex := env.Run(flow, nil)
	env.RequireState(ex, state.Success)
	if n := env.Output(ex, "read", "count"); fmt.Sprint(n) != "20" {
		t.Fatalf("read count %v", n)
	}
	_, orig := env.ReadRows(env.Output(ex, "read", "uri").(string))
	s, csvRows := env.ReadRows(env.Output(ex, "fromcsv", "uri").(string))
	if s.Fields[0].Kind.String() != "int" || csvRows[3].Values[2].String() != orig[3].Values[2].String() {
		t.Errorf("csv: %s %v", s, csvRows[3].Values)
	}
	_, ionRows := env.ReadRows(env.Output(ex, "fromion", "uri").(string))
	for i := range orig {
		// amount (decimal) and shipped_at (text) come back identical.
		for _, j := range []int{0, 1, 2, 6} {
			if !ionRows[i].Values[j].Equal(orig[i].Values[j]) {
				t.Errorf("row %d col %d: %v != %v", i, j, ionRows[i].Values[j], orig[i].Values[j])
			}
		}
	}
}
