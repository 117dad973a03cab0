package csv

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/internal/taskio"
	"github.com/sluicehq/sluice/serdes/internal/textval"
)

// Reader is the serdes.csv.Reader task.
type Reader struct {
	From                       string   `yaml:"from" required:"true" doc:"The CSV file: an internal-storage URI (sluice:///..., kestra:///...) or a local path."`
	Header                     bool     `yaml:"header" default:"true" doc:"The first record (after skipRows) holds the column names. Without a header, columns are named column1, column2, ... unless columns names them."`
	FieldSeparator             string   `yaml:"fieldSeparator" default:"," doc:"The field separator, one character."`
	TextDelimiter              string   `yaml:"textDelimiter" default:"\"" doc:"The quote character, one character; empty disables quoting."`
	Charset                    string   `yaml:"charset" default:"UTF-8" doc:"Charset of the file (UTF-8, ISO-8859-1, windows-1252, UTF-16, ...). A UTF-8 byte-order mark is dropped."`
	SkipRows                   int      `yaml:"skipRows" doc:"Records to skip at the start of the file, before the header."`
	SkipEmptyRows              bool     `yaml:"skipEmptyRows" default:"true" doc:"Ignore blank lines."`
	ErrorOnDifferentFieldCount bool     `yaml:"errorOnDifferentFieldCount" default:"true" doc:"A record whose field count differs from the header's is malformed (see onMalformed); false pads short records with nulls and drops extra fields."`
	NullValues                 []string `yaml:"nullValues" doc:"Field texts read as null, e.g. [\"\", \"NULL\", \"\\\\N\"]. Empty typed fields are always null."`
	OnMalformed                string   `yaml:"onMalformed" default:"fail" enum:"fail,skip" doc:"fail: a malformed record (bad quoting, wrong field count, a value that does not convert, bytes that are not UTF-8) fails the task with file:line; skip: it is skipped and counted in the skipped output."`
	OnInvalidUTF8              string   `yaml:"onInvalidUtf8" default:"fail" enum:"fail,replace" doc:"With charset UTF-8, a byte that is not UTF-8: fail makes its record malformed (see onMalformed), located at file:line:column; replace reads it as U+FFFD, as the JSON reader does."`
	Columns                    []Column `yaml:"columns" doc:"Types for some or all columns (matched by name with a header, by position without). Values are strings otherwise."`
	InferTypes                 bool     `yaml:"inferTypes" doc:"Choose each untyped column's type from the data (a first pass over the whole file): int, decimal, bool (true/false), date, time, timestamp, timestamptz (ISO-8601), else string."`
	TimeZoneID                 string   `yaml:"timeZoneId" doc:"Zone for zone-less text in timestamptz columns (UTC when empty)."`
}

// Writer is the serdes.csv.Writer task.
type Writer struct {
	From              string `yaml:"from" required:"true" doc:"The row file to write, usually {{ outputs.TASK.uri }}."`
	Header            bool   `yaml:"header" default:"true" doc:"Write the column names first."`
	FieldSeparator    string `yaml:"fieldSeparator" default:"," doc:"The field separator, one character."`
	TextDelimiter     string `yaml:"textDelimiter" default:"\"" doc:"The quote character, one character; empty never quotes."`
	LineDelimiter     string `yaml:"lineDelimiter" default:"\"\\n\"" doc:"Characters ending each line."`
	Charset           string `yaml:"charset" default:"UTF-8" doc:"Charset of the written file; characters it cannot represent become '?'."`
	AlwaysDelimitText bool   `yaml:"alwaysDelimitText" doc:"Quote every non-null field, not only those containing the separator, the quote or a line break."`
	DateFormat        string `yaml:"dateFormat" doc:"Java pattern for dates (yyyy-MM-dd); ISO-8601 when empty."`
	TimeFormat        string `yaml:"timeFormat" doc:"Java pattern for times (HH:mm:ss); ISO-8601 with the value's fractional digits when empty."`
	DateTimeFormat    string `yaml:"dateTimeFormat" doc:"Java pattern for timestamps (yyyy-MM-dd'T'HH:mm:ss.SSSXXX); ISO-8601 when empty."`
	TimeZoneID        string `yaml:"timeZoneId" doc:"Zone (Europe/Paris, UTC, +02:00) instants are written in; empty keeps each value's own offset."`
}

func init() {
	plugin.Register(plugin.Info{
		ID:      "serdes.csv.Reader",
		Aliases: []string{"io.kestra.plugin.serdes.csv.CsvReader"},
		Title:   "Read a CSV file into a row file.",
		Doc: `Values are strings (CSV has no types) unless columns declares types or
inferTypes chooses them from the data. Quoted fields may contain separators,
doubled quotes and line breaks. A malformed record fails the task with
file:line[:column] and nothing is published, or is skipped and counted with
onMalformed: skip.`,
		New: func() any {
			return &Reader{Header: true, FieldSeparator: ",", TextDelimiter: "\"", Charset: "UTF-8", SkipEmptyRows: true,
				ErrorOnDifferentFieldCount: true, OnMalformed: "fail", OnInvalidUTF8: "fail"}
		},
		Outputs: []plugin.Output{
			{Name: "uri", Doc: "The row file in internal storage."},
			{Name: "count", Doc: "Number of rows read."},
			{Name: "skipped", Doc: "Number of malformed records skipped (onMalformed: skip)."},
		},
		Examples: []plugin.Example{{Title: "Read a semicolon-separated Latin-1 file with typed columns", YAML: `id: read
type: io.kestra.plugin.serdes.csv.CsvReader
from: "{{ outputs.download.uri }}"
fieldSeparator: ";"
charset: ISO-8859-1
columns:
  - {name: id, type: int}
  - {name: amount, type: decimal}
  - {name: day, type: date, format: dd/MM/yyyy}`}},
	})
	plugin.Register(plugin.Info{
		ID:      "serdes.csv.Writer",
		Aliases: []string{"io.kestra.plugin.serdes.csv.CsvWriter"},
		Title:   "Write a row file as CSV.",
		Doc: `Decimals are written exactly, floats in their shortest exact form, bytes in
base64, lists and maps as JSON, nulls as empty fields. Dates and times are
ISO-8601 unless dateFormat/timeFormat/dateTimeFormat give Java patterns.`,
		New: func() any {
			return &Writer{Header: true, FieldSeparator: ",", TextDelimiter: "\"", LineDelimiter: "\n", Charset: "UTF-8"}
		},
		Outputs: []plugin.Output{{Name: "uri", Doc: "The CSV file in internal storage."}, {Name: "count", Doc: "Number of rows written."}},
		Examples: []plugin.Example{{Title: "Write query results as CSV", YAML: `id: tocsv
type: io.kestra.plugin.serdes.csv.CsvWriter
from: "{{ outputs.query.uri }}"
dateTimeFormat: "yyyy-MM-dd HH:mm:ss"`}},
	})
}

func oneChar(name, s string, emptyOK bool) (byte, error) {
	if strings.Contains(s, "{{") {
		return 0, nil
	}
	switch {
	case s == "" && emptyOK:
		return 0, nil
	case len(s) == 1 && s[0] < 0x80:
		return s[0], nil
	case s == `\t`:
		return '\t', nil
	}
	return 0, fmt.Errorf("%s: %q must be exactly one ASCII character", name, s)
}

// Validate checks the single-character properties.
func (t *Reader) Validate() error {
	if _, err := oneChar("fieldSeparator", t.FieldSeparator, false); err != nil {
		return err
	}
	_, err := oneChar("textDelimiter", t.TextDelimiter, true)
	return err
}

// Validate checks the single-character properties.
func (t *Writer) Validate() error {
	if _, err := oneChar("fieldSeparator", t.FieldSeparator, false); err != nil {
		return err
	}
	_, err := oneChar("textDelimiter", t.TextDelimiter, true)
	return err
}

func (t *Reader) options() (ReadOptions, error) {
	sep, err := oneChar("fieldSeparator", t.FieldSeparator, false)
	if err != nil {
		return ReadOptions{}, err
	}
	q, err := oneChar("textDelimiter", t.TextDelimiter, true)
	if err != nil {
		return ReadOptions{}, err
	}
	loc, err := textval.LoadZone(t.TimeZoneID)
	if err != nil {
		return ReadOptions{}, fmt.Errorf("timeZoneId: %w", err)
	}
	return ReadOptions{
		Header: t.Header, Separator: sep, Quote: q, Charset: t.Charset, SkipRows: t.SkipRows,
		SkipEmptyRows: t.SkipEmptyRows, ErrorOnDifferentFieldCount: t.ErrorOnDifferentFieldCount,
		NullValues: t.NullValues, SkipMalformed: t.OnMalformed == "skip", Columns: t.Columns,
		TimeZone: loc, Name: t.From, ReplaceInvalidUTF8: t.OnInvalidUTF8 == "replace",
	}, nil
}

// Run reads the CSV file (twice with inferTypes: types, then rows).
func (t *Reader) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	opts, err := t.options()
	if err != nil {
		return nil, err
	}
	var types []rows.Field
	if t.InferTypes {
		f, err := taskio.Open(ctx, rc, t.From)
		if err != nil {
			return nil, err
		}
		types, _, err = InferTypes(f, opts, 0)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	f, err := taskio.Open(ctx, rc, t.From)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := NewReaderTyped(f, opts, types)
	if err != nil {
		return nil, err
	}
	w, err := rc.CreateRows(ctx, "data", d.Schema())
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
	if d.Skipped() > 0 {
		rc.Logger().Warn("skipped malformed records", "skipped", d.Skipped(), "from", t.From)
	}
	return plugin.Outputs{"uri": w.URI().String(), "count": n, "skipped": d.Skipped()}, nil
}

// Run writes the row file as CSV.
func (t *Writer) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	sep, err := oneChar("fieldSeparator", t.FieldSeparator, false)
	if err != nil {
		return nil, err
	}
	q, err := oneChar("textDelimiter", t.TextDelimiter, true)
	if err != nil {
		return nil, err
	}
	loc, err := textval.LoadZone(t.TimeZoneID)
	if err != nil {
		return nil, fmt.Errorf("timeZoneId: %w", err)
	}
	return taskio.WriteFile(ctx, rc, t.From, "data.csv", func(w io.Writer, schema *rows.Schema) (rows.Writer, error) {
		return NewWriter(w, schema, WriteOptions{
			Header: t.Header, Separator: sep, Quote: q, LineDelimiter: t.LineDelimiter, Charset: t.Charset,
			AlwaysQuote: t.AlwaysDelimitText, DateFormat: t.DateFormat, TimeFormat: t.TimeFormat,
			DateTimeFormat: t.DateTimeFormat, TimeZone: loc,
		})
	})
}
