package ion

import (
	"context"
	"io"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/internal/taskio"
)

// Reader is the serdes.ion.Reader task.
type Reader struct {
	From string `yaml:"from" required:"true" doc:"The Ion file (Kestra's internal format: one struct per line): an internal-storage URI (kestra:///... or sluice:///...) or a local path."`
}

// Writer is the serdes.ion.Writer task.
type Writer struct {
	From string `yaml:"from" required:"true" doc:"The row file to write, usually {{ outputs.TASK.uri }}."`
}

func init() {
	plugin.Register(plugin.Info{
		ID:    "serdes.ion.Reader",
		Title: "Read a Kestra .ion file (Ion text, one struct per line) into a row file.",
		Doc: `The columns are the union of all structs' fields in first-seen order (a first
pass over the file). Ion decimals stay exact decimals, day-precision
timestamps become dates, timestamps with the unknown offset -00:00 zone-less
timestamps, others instants with their offset (fractions beyond microseconds
are truncated), symbols strings, blobs bytes, lists and structs lists and maps.`,
		New:      func() any { return &Reader{} },
		Outputs:  []plugin.Output{{Name: "uri", Doc: "The row file in internal storage."}, {Name: "count", Doc: "Number of records read."}},
		Examples: []plugin.Example{{Title: "Read a file a Kestra flow produced", YAML: "id: fromion\ntype: serdes.ion.Reader\nfrom: \"{{ inputs.file }}\""}},
	})
	plugin.Register(plugin.Info{
		ID:       "serdes.ion.Writer",
		Title:    "Write a row file as a Kestra .ion file (Ion text, one struct per line).",
		Doc:      "Decimals are written as Ion decimals (12.50, 5.), instants as timestamps with their offset, zone-less timestamps with the unknown offset -00:00, dates as day-precision timestamps, times of day as strings, bytes as blobs.",
		New:      func() any { return &Writer{} },
		Outputs:  []plugin.Output{{Name: "uri", Doc: "The .ion file in internal storage."}, {Name: "count", Doc: "Number of rows written."}},
		Examples: []plugin.Example{{Title: "Hand rows to a Kestra-format consumer", YAML: "id: toion\ntype: serdes.ion.Writer\nfrom: \"{{ outputs.query.uri }}\""}},
	})
}

// Run reads the file twice: the fields, then the rows.
func (t *Reader) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	f, err := taskio.Open(ctx, rc, t.From)
	if err != nil {
		return nil, err
	}
	schema, err := InferSchema(f, t.From)
	f.Close()
	if err != nil {
		return nil, err
	}
	f, err = taskio.Open(ctx, rc, t.From)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := &taskio.CountingReader{R: f}
	d, err := NewReader(cr, ReadOptions{Schema: schema, Name: t.From})
	if err != nil {
		return nil, err
	}
	w, err := rc.CreateRows(ctx, "data", schema)
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	c := rc.Progress("rows")
	defer c.Done()
	n, err := taskio.Pump(ctx, w, d, c, func() int64 { return cr.N })
	if err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return plugin.Outputs{"uri": w.URI().String(), "count": n}, nil
}

// Run writes the row file as Ion text.
func (t *Writer) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return taskio.WriteFile(ctx, rc, t.From, "data.ion", func(w io.Writer, schema *rows.Schema) (rows.Writer, error) {
		return NewWriter(w, schema)
	})
}
