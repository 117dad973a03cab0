package json

import (
	"context"
	"fmt"
	"io"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/internal/taskio"
	"github.com/sluicehq/sluice/serdes/internal/textval"
)

// Reader is the serdes.json.Reader task.
type Reader struct {
	From    string `yaml:"from" required:"true" doc:"The JSON file: an internal-storage URI (sluice:///..., kestra:///...) or a local path."`
	Charset string `yaml:"charset" default:"UTF-8" doc:"Charset of the file (UTF-8, ISO-8859-1, windows-1252, UTF-16, ...)."`
	NewLine bool   `yaml:"newLine" default:"true" doc:"true: one JSON object per line (JSON lines); false: one JSON array of objects."`
}

// Writer is the serdes.json.Writer task.
type Writer struct {
	From       string `yaml:"from" required:"true" doc:"The row file to write, usually {{ outputs.TASK.uri }}."`
	NewLine    bool   `yaml:"newLine" default:"true" doc:"true: one JSON object per line (JSON lines); false: one JSON array."`
	Charset    string `yaml:"charset" default:"UTF-8" doc:"Charset of the written file."`
	TimeZoneID string `yaml:"timeZoneId" doc:"Zone (Europe/Paris, UTC, +02:00) timestamps with a zone are written in; empty keeps each value's own offset."`
}

func init() {
	plugin.Register(plugin.Info{
		ID:      "serdes.json.Reader",
		Aliases: []string{"io.kestra.plugin.serdes.json.JsonReader"},
		Title:   "Read a JSON lines file (or a JSON array) into a row file.",
		Doc: `Numbers are read exactly: integers that fit become int64, everything else an
exact decimal keeping its written scale (12.50 stays 12.50); nothing passes
through float64. Nested objects and arrays become map and list values with key
order kept. The columns are the union of the top-level keys of all records in
first-seen order, found by a quick first pass over the file; a key missing from
a record is null. A malformed record fails the task with file:line:column and
nothing is published.`,
		New: func() any { return &Reader{Charset: "UTF-8", NewLine: true} },
		Outputs: []plugin.Output{
			{Name: "uri", Doc: "The row file in internal storage."},
			{Name: "count", Doc: "Number of records read."},
		},
		Examples: []plugin.Example{{Title: "Read a JSON lines file produced by an earlier task", YAML: `id: read
type: io.kestra.plugin.serdes.json.JsonReader
from: "{{ outputs.download.uri }}"`}},
	})
	plugin.Register(plugin.Info{
		ID:      "serdes.json.Writer",
		Aliases: []string{"io.kestra.plugin.serdes.json.JsonWriter"},
		Title:   "Write a row file as JSON lines (or a JSON array).",
		Doc: `Each row becomes an object keyed by column name in schema order. Decimals are
exact JSON numbers, dates/times/timestamps ISO-8601 strings, bytes base64,
nulls null, non-finite floats the strings "NaN", "Infinity", "-Infinity".`,
		New:     func() any { return &Writer{Charset: "UTF-8", NewLine: true} },
		Outputs: []plugin.Output{{Name: "uri", Doc: "The JSON file in internal storage."}, {Name: "count", Doc: "Number of rows written."}},
		Examples: []plugin.Example{{Title: "Write query results as JSON lines", YAML: `id: tojson
type: io.kestra.plugin.serdes.json.JsonWriter
from: "{{ outputs.query.uri }}"`}},
	})
}

// Run reads the file twice: a quick pass for the schema, then the rows.
func (t *Reader) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	opts := ReadOptions{Array: !t.NewLine, Charset: t.Charset, Name: t.From}
	f, err := taskio.Open(ctx, rc, t.From)
	if err != nil {
		return nil, err
	}
	schema, _, err := InferSchema(f, opts, 0)
	f.Close()
	if err != nil {
		return nil, err
	}
	if len(schema.Fields) == 0 {
		rc.Logger().Warn("no keys found: the row file has no columns", "from", t.From)
	}
	f, err = taskio.Open(ctx, rc, t.From)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opts.Schema = schema
	d, err := NewReader(f, opts)
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
	n, err := taskio.Pump(ctx, w, d, c, d.BytesRead)
	if err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	rc.Logger().Info("read JSON", "rows", n, "columns", len(schema.Fields))
	return plugin.Outputs{"uri": w.URI().String(), "count": n}, nil
}

// Run writes the row file as JSON.
func (t *Writer) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	loc, err := textval.LoadZone(t.TimeZoneID)
	if err != nil {
		return nil, fmt.Errorf("timeZoneId: %w", err)
	}
	name := "data.jsonl"
	if !t.NewLine {
		name = "data.json"
	}
	return taskio.WriteFile(ctx, rc, t.From, name, func(w io.Writer, schema *rows.Schema) (rows.Writer, error) {
		return NewWriter(w, schema, WriteOptions{Array: !t.NewLine, Charset: t.Charset, TimeZone: loc})
	})
}
