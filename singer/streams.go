package singer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/singer/jsonschema"
	"github.com/sluicehq/sluice/singer/message"
)

// streamSink splits RECORD messages into one typed row file per stream
// (raw: false).
type streamSink struct {
	ctx     context.Context
	rc      *plugin.RunContext
	streams map[string]*streamFile
	order   []string
	row     rows.Row
	warned  map[string]bool
	files   map[string]bool // file names in use
}

type streamFile struct {
	name    string
	file    string // file-name-safe and unique among the streams
	schema  []byte // SCHEMA message's schema, as written
	node    *jsonschema.Node
	mapper  *jsonschema.Mapper
	w       *plugin.RowsWriter
	records int64
}

func newStreamSink(ctx context.Context, rc *plugin.RunContext) *streamSink {
	return &streamSink{ctx: ctx, rc: rc, streams: map[string]*streamFile{}, warned: map[string]bool{}, files: map[string]bool{}}
}

func (s *streamSink) full() bool { return true }

func (s *streamSink) stream(name string) *streamFile {
	f, ok := s.streams[name]
	if !ok {
		file := fileName(name)
		for i := 2; s.files[file]; i++ {
			file = fmt.Sprintf("%s_%d", fileName(name), i)
		}
		s.files[file] = true
		f = &streamFile{name: name, file: file}
		s.streams[name] = f
		s.order = append(s.order, name)
	}
	return f
}

func (s *streamSink) message(line []byte, h *message.Head, lineNo int64) error {
	switch h.Type {
	case message.Schema:
		if h.Stream == nil || h.Schema == nil {
			return errors.New(`SCHEMA message needs "stream" and "schema"`)
		}
		f := s.stream(string(h.Stream))
		if f.schema != nil && bytes.Equal(f.schema, h.Schema) {
			return nil
		}
		node, err := jsonschema.Parse(h.Schema)
		if err != nil {
			return fmt.Errorf("stream %q: %w", f.name, err)
		}
		mapper, err := jsonschema.NewMapper(node)
		if errors.Is(err, jsonschema.ErrNoProperties) {
			mapper, err = nil, nil // typed from the first record
		}
		if err != nil {
			return fmt.Errorf("stream %q: %w", f.name, err)
		}
		if f.w != nil {
			// A repeated SCHEMA is fine when it maps to the same columns.
			if mapper != nil && sameSchema(mapper.Schema(), f.mapper.Schema()) {
				f.schema, f.node, f.mapper = append([]byte{}, h.Schema...), node, mapper
				return nil
			}
			return fmt.Errorf("stream %q: SCHEMA changed after %d records (now %s); the row file has one schema: use raw: true for this tap", f.name, f.records, schemaText(mapper))
		}
		f.schema, f.node, f.mapper = append([]byte{}, h.Schema...), node, mapper
		return nil
	case message.Record:
		if h.Stream == nil || h.Record == nil {
			return errors.New(`RECORD message needs "stream" and "record"`)
		}
		return s.record(s.stream(string(h.Stream)), h.Record)
	case message.Batch:
		if h.Stream == nil {
			return errors.New(`BATCH message needs "stream"`)
		}
		return s.batch(s.stream(string(h.Stream)), h)
	case message.ActivateVersion, message.State:
		return nil
	default:
		if !s.warned[h.TypeName] {
			s.warned[h.TypeName] = true
			s.rc.Logger().Warn("ignoring messages of an unknown type (counted in outputs.count)", "type", h.TypeName, "line", lineNo)
		}
		return nil
	}
}

func sameSchema(a, b *rows.Schema) bool {
	if len(a.Fields) != len(b.Fields) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i] != b.Fields[i] {
			return false
		}
	}
	return true
}

func schemaText(m *jsonschema.Mapper) string {
	if m == nil {
		return "no properties"
	}
	return m.Schema().String()
}

func (s *streamSink) record(f *streamFile, record []byte) error {
	if f.mapper == nil {
		m, err := jsonschema.NewMapperFromRecord(record)
		if err != nil {
			return fmt.Errorf("stream %q: record: %w", f.name, err)
		}
		f.mapper = m
		s.rc.Logger().Warn("stream has no SCHEMA with properties: columns taken from its first record, untyped", "stream", f.name, "columns", strings.Join(m.Schema().Names(), ", "))
	}
	if f.w == nil {
		w, err := s.rc.CreateRows(s.ctx, "stream-"+f.file, f.mapper.Schema())
		if err != nil {
			return err
		}
		f.w = w
	}
	if err := f.mapper.Map(record, &s.row); err != nil {
		return fmt.Errorf("stream %q, record %d: %w", f.name, f.records+1, err)
	}
	if err := f.w.Write(&s.row); err != nil {
		return fmt.Errorf("stream %q, record %d: %w", f.name, f.records+1, err)
	}
	f.records++
	return nil
}

// batch reads the files of a BATCH message (Meltano SDK batches: JSON
// lines, optionally gzip, listed as file:// URLs in "manifest").
func (s *streamSink) batch(f *streamFile, h *message.Head) error {
	var enc struct {
		Format      string `json:"format"`
		Compression string `json:"compression"`
	}
	if h.Encoding != nil {
		if err := json.Unmarshal(h.Encoding, &enc); err != nil {
			return fmt.Errorf("BATCH encoding: %w", err)
		}
	}
	if enc.Format != "" && enc.Format != "jsonl" {
		return fmt.Errorf("stream %q: BATCH format %q is not supported (jsonl is)", f.name, enc.Format)
	}
	var manifest []string
	if err := json.Unmarshal(h.Manifest, &manifest); err != nil {
		return fmt.Errorf("BATCH manifest: %w", err)
	}
	for _, m := range manifest {
		if err := s.batchFile(f, m, enc.Compression); err != nil {
			return fmt.Errorf("stream %q, BATCH file %s: %w", f.name, m, err)
		}
	}
	return nil
}

func (s *streamSink) batchFile(f *streamFile, loc, compression string) error {
	path := loc
	if strings.HasPrefix(loc, "file:") {
		u, err := url.Parse(loc)
		if err != nil {
			return err
		}
		path = u.Path
	} else if strings.Contains(loc, "://") {
		return errors.New("only file:// manifests are supported")
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	var r io.Reader = bufio.NewReaderSize(file, 256<<10)
	if compression == "gzip" || strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		defer gz.Close()
		r = gz
	}
	lr := message.NewLineReader(r, path)
	for {
		line, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.record(f, line); err != nil {
			return &message.LineError{Name: path, Line: lr.Line(), Err: err}
		}
	}
}

func (s *streamSink) commit(ctx context.Context) (plugin.Outputs, error) {
	streams := map[string]any{}
	schemas := map[string]any{}
	sort.Strings(s.order)
	for _, name := range s.order {
		f := s.streams[name]
		if f.w == nil {
			// A stream with a SCHEMA but no record gets an empty file, so
			// that a Batch on it loads nothing instead of failing.
			if f.mapper == nil {
				continue
			}
			w, err := s.rc.CreateRows(ctx, "stream-"+f.file, f.mapper.Schema())
			if err != nil {
				return nil, err
			}
			f.w = w
		}
		if err := f.w.Close(); err != nil {
			return nil, fmt.Errorf("stream %q: %w", name, err)
		}
		streams[name] = f.w.URI().String()
		if f.schema != nil {
			up, u, err := s.rc.CreateFile(ctx, "schema-"+f.file+".json")
			if err != nil {
				return nil, err
			}
			if _, err := up.Write(f.schema); err != nil {
				up.Close()
				return nil, err
			}
			if err := up.Commit(); err != nil {
				return nil, err
			}
			schemas[name] = u.String()
		}
		for field, n := range f.mapper.Extra {
			s.rc.Logger().Warn("record members not in the stream's SCHEMA were dropped", "stream", name, "member", field, "records", n)
		}
	}
	return plugin.Outputs{"raw": nil, "streams": streams, "schemas": schemas}, nil
}

func (s *streamSink) abort() {
	for _, f := range s.streams {
		if f.w != nil {
			f.w.Abort()
		}
	}
}

// fileName makes a stream name safe as a file name.
func fileName(stream string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, stream)
}
