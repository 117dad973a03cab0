package avro

import (
	"context"
	"fmt"
	"io"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/internal/taskio"
	"github.com/sluicehq/sluice/serdes/internal/textval"
)

// Writer is the serdes.avro.Writer task.
type Writer struct {
	From             string   `yaml:"from" required:"true" doc:"The row file to write, usually {{ outputs.TASK.uri }}."`
	Schema           string   `yaml:"schema" doc:"Avro schema (JSON, a record). When empty it is inferred from the row file's columns: nullable unions, decimal(precision, scale), date, time-micros, timestamp-micros, local-timestamp-micros."`
	StrictSchema     bool     `yaml:"strictSchema" doc:"Fail when the rows have a column (or a nested key) that the schema does not declare."`
	InferAllFields   bool     `yaml:"inferAllFields" doc:"Apply nullValues, trueValues and falseValues to every field (also nullable string fields), not only to fields whose schema is null or boolean without a string alternative."`
	TrueValues       []string `yaml:"trueValues" doc:"Texts read as true (default t, true, enabled, 1, on, yes)."`
	FalseValues      []string `yaml:"falseValues" doc:"Texts read as false (default f, false, disabled, 0, off, no, empty)."`
	NullValues       []string `yaml:"nullValues" doc:"Texts read as null (default empty, #N/A, #N/A N/A, #NA, -1.#IND, -1.#QNAN, -NaN, 1.#IND, 1.#QNAN, NA, n/a, nan, null)."`
	DateFormat       string   `yaml:"dateFormat" default:"yyyy-MM-dd[XXX]" doc:"Java pattern to read text into date fields (ISO dates are always accepted)."`
	TimeFormat       string   `yaml:"timeFormat" default:"HH:mm[:ss][.SSSSSS][XXX]" doc:"Java pattern to read text into time fields."`
	DatetimeFormat   string   `yaml:"datetimeFormat" default:"yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]" doc:"Java pattern to read text into timestamp fields (ISO date-times are always accepted)."`
	TimeZoneID       string   `yaml:"timeZoneId" default:"UTC" doc:"Zone in which zone-less text and timestamps become instants, and instants become local timestamps."`
	DecimalSeparator string   `yaml:"decimalSeparator" default:"." doc:"The character numeric text uses for the decimal point (Kestra's decimalSeparator): \"42,1\" with a comma is 42.1."`
	Codec            string   `yaml:"codec" default:"null" enum:"null,deflate,snappy,zstandard,bzip2,xz" doc:"Block compression."`
}

// Reader is the serdes.avro.Reader task.
type Reader struct {
	From string `yaml:"from" required:"true" doc:"The Avro container file: an internal-storage URI or a local path."`
}

func init() {
	plugin.Register(plugin.Info{
		ID:      "serdes.avro.Writer",
		Aliases: []string{"io.kestra.plugin.serdes.avro.AvroWriter"},
		Title:   "Write a row file as an Avro Object Container File.",
		Doc: `Values are converted to the schema's types as Kestra's AvroWriter does (text into
numbers, booleans, dates and timestamps with the given patterns, epoch numbers
into timestamps), by the conversion layer every sluice writer shares. A value
the field cannot hold exactly (a decimal with more fractional digits than the
schema's scale, an integer beyond 2^53 into a double, a time of day into a
date) fails the task naming the row, field and value instead of being rounded.
A failed task publishes nothing.`,
		New: func() any {
			return &Writer{DateFormat: DefaultDateFormat, TimeFormat: DefaultTimeFormat, DatetimeFormat: DefaultDateTimeFormat, TimeZoneID: "UTC", Codec: "null", DecimalSeparator: "."}
		},
		Outputs: []plugin.Output{{Name: "uri", Doc: "The Avro file in internal storage."}, {Name: "count", Doc: "Number of rows written."}},
		Examples: []plugin.Example{{Title: "Write with an explicit schema", YAML: `id: toavro
type: io.kestra.plugin.serdes.avro.AvroWriter
from: "{{ outputs.read.uri }}"
schema: |
  {"type": "record", "name": "Order", "fields": [
    {"name": "id", "type": "long"},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
    {"name": "created", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]}
  ]}`}},
	})
	plugin.Register(plugin.Info{
		ID:       "serdes.avro.Reader",
		Aliases:  []string{"io.kestra.plugin.serdes.avro.AvroReader"},
		Title:    "Read an Avro Object Container File into a row file.",
		Doc:      "The top-level record's fields become columns; logical types map exactly (decimal → decimal, date, time, timestamp → timestamptz, local-timestamp → timestamp, uuid → string). Codecs null, deflate, snappy, zstandard, bzip2 and xz are read; names in the file's schema are read leniently, as Java and fastavro read them.",
		New:      func() any { return &Reader{} },
		Outputs:  []plugin.Output{{Name: "uri", Doc: "The row file in internal storage."}, {Name: "count", Doc: "Number of records read."}},
		Examples: []plugin.Example{{Title: "Read an Avro file", YAML: "id: fromavro\ntype: io.kestra.plugin.serdes.avro.AvroReader\nfrom: \"{{ outputs.download.uri }}\""}},
	})
}

// Run writes the row file as Avro.
func (t *Writer) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	loc, err := textval.LoadZone(t.TimeZoneID)
	if err != nil {
		return nil, fmt.Errorf("timeZoneId: %w", err)
	}
	var sep byte
	switch len(t.DecimalSeparator) {
	case 0:
	case 1:
		sep = t.DecimalSeparator[0]
	default:
		return nil, fmt.Errorf("decimalSeparator: %q is not one character", t.DecimalSeparator)
	}
	return taskio.WriteFile(ctx, rc, t.From, "data.avro", func(w io.Writer, schema *rows.Schema) (rows.Writer, error) {
		enc, err := NewWriter(w, schema, WriteOptions{
			Schema: t.Schema, StrictSchema: t.StrictSchema, InferAllFields: t.InferAllFields,
			TrueValues: t.TrueValues, FalseValues: t.FalseValues, NullValues: t.NullValues,
			DateFormat: t.DateFormat, TimeFormat: t.TimeFormat, DateTimeFormat: t.DatetimeFormat,
			DecimalSeparator: sep, TimeZone: loc, Codec: t.Codec,
		})
		if err == nil && t.Schema == "" {
			rc.Logger().Debug("inferred avro schema", "schema", enc.SchemaJSON())
		}
		return enc, err
	})
}

// Run reads the Avro file into a row file.
func (t *Reader) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return taskio.ReadFile(ctx, rc, t.From, func(r io.Reader) (rows.Reader, error) {
		return NewReader(r, ReadOptions{Name: t.From})
	})
}
