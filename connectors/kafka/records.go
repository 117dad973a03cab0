package kafka

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
)

// input is one record to produce, before serialization.
type input struct {
	index     int64 // 1-based position in `from`
	key       rows.Value
	value     rows.Value
	topic     string
	partition int32 // -1: chosen by the partitioner
	timestamp time.Time
	headers   []kgo.RecordHeader
	// whole is set when the row has no `value` column: the row itself is
	// the value.
	whole  bool
	schema *rows.Schema
	row    *rows.Row
}

// source yields the records of `from`.
type source interface {
	next(in *input) bool
	err() error
	// explicitPartitions reports whether records may carry a partition.
	explicitPartitions() bool
	close() error
}

var recordFields = []string{"key", "value", "topic", "partition", "timestamp", "headers"}

// openSource interprets `from`: a storage URI (or local path) of a row
// file, a list of records, or a single record.
func openSource(ctx context.Context, rc *plugin.RunContext, from any) (source, error) {
	switch f := from.(type) {
	case string:
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, fmt.Errorf("from: empty")
		}
		r, err := rc.OpenRows(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("from: %w", err)
		}
		return newRowSource(rc, r), nil
	case []any:
		return &listSource{items: f}, nil
	case map[string]any, *rows.OrderedMap:
		return &listSource{items: []any{f}}, nil
	case nil:
		return nil, fmt.Errorf("from: required (a row-file URI, a list of records, or one record)")
	}
	return nil, fmt.Errorf("from: a %T is neither a row-file URI, a list of records nor a record", from)
}

// rowSource reads a row file. When the file has a `value` column its rows
// are records (key, value, topic, partition, timestamp, headers; other
// columns are ignored, with a warning); otherwise each whole row is a
// record value without a key.
type rowSource struct {
	r                                    rows.Reader
	row                                  rows.Row
	n                                    int64
	key, value, topic, part, ts, headers int
	e                                    error
}

func newRowSource(rc *plugin.RunContext, r rows.Reader) *rowSource {
	s := r.Schema()
	src := &rowSource{r: r, key: s.Index("key"), value: s.Index("value"), topic: s.Index("topic"),
		part: s.Index("partition"), ts: s.Index("timestamp"), headers: s.Index("headers")}
	if src.value >= 0 {
		var extra []string
		for _, n := range s.Names() {
			known := false
			for _, k := range recordFields {
				known = known || n == k
			}
			if !known {
				extra = append(extra, n)
			}
		}
		if len(extra) > 0 {
			rc.Logger().Warn("the rows have a value column, so they are records: other columns are not sent", "ignored", strings.Join(extra, ", "))
		}
	} else {
		rc.Logger().Info("the rows have no value column: each whole row is sent as the record value, without a key", "columns", strings.Join(s.Names(), ", "))
	}
	return src
}

func (s *rowSource) explicitPartitions() bool { return s.value >= 0 && s.part >= 0 }
func (s *rowSource) err() error {
	if s.e != nil {
		return s.e
	}
	return s.r.Err()
}
func (s *rowSource) close() error { return s.r.Close() }

func (s *rowSource) next(in *input) bool {
	if s.e != nil || !s.r.Next(&s.row) {
		return false
	}
	s.n++
	*in = input{index: s.n, partition: -1}
	if s.value < 0 {
		in.whole, in.schema, in.row = true, s.r.Schema(), &s.row
		return true
	}
	get := func(i int) rows.Value {
		if i < 0 || i >= len(s.row.Values) {
			return rows.Null
		}
		return s.row.Values[i]
	}
	in.key, in.value = get(s.key), get(s.value)
	if err := fillMeta(in, get(s.topic), get(s.part), get(s.ts), get(s.headers)); err != nil {
		s.e = fmt.Errorf("record %d: %w", s.n, err)
		return false
	}
	return true
}

// listSource reads records written in the flow (`from` as a list or map).
// They are always records (Kestra's shape); an unknown field is an error,
// because it is almost always a typo.
type listSource struct {
	items []any
	i     int
	e     error
}

func (s *listSource) explicitPartitions() bool { return true }
func (s *listSource) err() error               { return s.e }
func (s *listSource) close() error             { return nil }

func (s *listSource) next(in *input) bool {
	if s.e != nil || s.i >= len(s.items) {
		return false
	}
	item := s.items[s.i]
	s.i++
	*in = input{index: int64(s.i), partition: -1}
	v, err := rows.FromAny(item)
	if err != nil {
		s.e = fmt.Errorf("from[%d]: %w", s.i-1, err)
		return false
	}
	if v.Kind() != rows.KindMap {
		s.e = fmt.Errorf("from[%d]: a record is a map with key, value, topic, partition, timestamp, headers; got a %s", s.i-1, v.Kind())
		return false
	}
	var topic, part, ts, headers rows.Value
	for j := 0; j < v.Len(); j++ {
		k, x := v.Entry(j)
		switch k {
		case "key":
			in.key = x
		case "value":
			in.value = x
		case "topic":
			topic = x
		case "partition":
			part = x
		case "timestamp":
			ts = x
		case "headers":
			headers = x
		default:
			s.e = fmt.Errorf("from[%d]: unknown record field %q (fields: %s)", s.i-1, k, strings.Join(recordFields, ", "))
			return false
		}
	}
	if err := fillMeta(in, topic, part, ts, headers); err != nil {
		s.e = fmt.Errorf("from[%d]: %w", s.i-1, err)
		return false
	}
	return true
}

func fillMeta(in *input, topic, part, ts, headers rows.Value) error {
	switch topic.Kind() {
	case rows.KindNull:
	case rows.KindString:
		in.topic = topic.AsString()
	default:
		return fmt.Errorf("topic: a %s value is not a topic name", topic.Kind())
	}
	if !part.IsNull() {
		p, err := conv.Int(part)
		if err != nil {
			return fmt.Errorf("partition: %w", err)
		}
		if p < 0 || p > math.MaxInt32 {
			return fmt.Errorf("partition: %d is not a partition number", p)
		}
		in.partition = int32(p)
	}
	if !ts.IsNull() {
		t, err := recordTime(ts)
		if err != nil {
			return fmt.Errorf("timestamp: %w", err)
		}
		in.timestamp = t
	}
	if !headers.IsNull() {
		h, err := recordHeaders(headers)
		if err != nil {
			return fmt.Errorf("headers: %w", err)
		}
		in.headers = h
	}
	return nil
}

// recordTime reads a record timestamp: epoch milliseconds (Kestra's Long),
// a timestamp (zone-less ones are UTC), or an ISO-8601 string.
func recordTime(v rows.Value) (time.Time, error) {
	us, _, err := conv.Instant(v, rows.EpochMillis)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMicro(us), nil
}

// conv converts values as every sluice writer does.
var conv rows.Converter

// recordHeaders reads a map of name → value, or Kestra's list of
// single-entry maps (what Consume writes). Values are strings (UTF-8),
// bytes, or null.
func recordHeaders(v rows.Value) ([]kgo.RecordHeader, error) {
	var out []kgo.RecordHeader
	add := func(k string, x rows.Value) error {
		h := kgo.RecordHeader{Key: k}
		switch x.Kind() {
		case rows.KindNull:
		case rows.KindString, rows.KindBytes:
			h.Value = append([]byte(nil), x.AsBytes()...)
		case rows.KindList, rows.KindMap:
			return fmt.Errorf("header %q: a %s value cannot be a header", k, x.Kind())
		default:
			h.Value = []byte(x.String())
		}
		out = append(out, h)
		return nil
	}
	switch v.Kind() {
	case rows.KindMap:
		for i := 0; i < v.Len(); i++ {
			k, x := v.Entry(i)
			if err := add(k, x); err != nil {
				return nil, err
			}
		}
	case rows.KindList:
		for _, it := range v.Items() {
			if it.Kind() != rows.KindMap {
				return nil, fmt.Errorf("a list of headers holds maps of name: value, not %s", it.Kind())
			}
			for i := 0; i < it.Len(); i++ {
				k, x := it.Entry(i)
				if err := add(k, x); err != nil {
					return nil, err
				}
			}
		}
	default:
		return nil, fmt.Errorf("a %s value is not a map of headers", v.Kind())
	}
	return out, nil
}
