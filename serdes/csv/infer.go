package csv

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/charset"
	"github.com/sluicehq/sluice/serdes/internal/textval"
)

// Candidate types, narrowest first: the first one every value of a column
// parses as wins.
var candidates = []rows.Kind{rows.KindInt, rows.KindDecimal, rows.KindBool, rows.KindDate, rows.KindTime, rows.KindTimestamp, rows.KindTimestampTZ}

func fits(k rows.Kind, s string) bool {
	switch k {
	case rows.KindInt:
		c := s[0]
		if c != '-' && c != '+' && (c < '0' || c > '9') {
			return false
		}
		_, err := parseTyped(k, nil, s, nil)
		return err == nil
	case rows.KindDecimal:
		c := s[0]
		if c != '-' && c != '+' && c != '.' && (c < '0' || c > '9') {
			return false
		}
		_, ok := textval.ParseDecimal(s)
		return ok
	case rows.KindBool:
		return strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
	case rows.KindDate:
		_, ok := textval.ParseISODate(s)
		return ok
	case rows.KindTime:
		_, ok := textval.ParseISOTime(s)
		return ok
	case rows.KindTimestamp:
		_, _, hasOff, ok := textval.ParseISODateTime(s)
		return ok && !hasOff
	case rows.KindTimestampTZ:
		_, _, hasOff, ok := textval.ParseISODateTime(s)
		return ok && hasOff
	}
	return false
}

// InferTypes reads records (all when limit is 0) and returns, per column,
// the narrowest kind all its non-empty, non-null values parse as (string
// when none fits or no value was seen); decimal columns get the largest
// scale and integer digits seen as Scale and Precision. Only Kind,
// Precision and Scale of the returned fields are set. Columns typed in
// opts.Columns are left to the decoder. complete reports whether the input
// was read whole.
func InferTypes(r io.Reader, opts ReadOptions, limit int64) (types []rows.Field, complete bool, err error) {
	if opts.Separator == 0 {
		opts.Separator = ','
	}
	in, err := charset.NewReader(r, opts.Charset)
	if err != nil {
		return nil, false, err
	}
	sc := newScanner(in, opts.Separator, opts.Quote)
	nulls := map[string]bool{}
	for _, n := range opts.NullValues {
		nulls[n] = true
	}
	var (
		mask    []uint8 // bit i: candidates[i] still possible
		seen    []bool
		intDig  []int
		scale   []int
		records int64
		header  = opts.Header
		skip    = opts.SkipRows
		want    = -1 // field count of the header or first record
	)
	for limit == 0 || records < limit {
		if err := sc.next(); err != nil {
			if errors.Is(err, io.EOF) {
				complete = true
				break
			}
			return nil, false, fmt.Errorf("%s: read: %w", opts.Name, err)
		}
		if skip > 0 {
			skip--
			continue
		}
		if opts.SkipEmptyRows && sc.empty() {
			continue
		}
		if header {
			header = false
			want = len(sc.fields)
			continue
		}
		records++
		if want < 0 {
			want = len(sc.fields)
		}
		if sc.malformed != "" || (opts.ErrorOnDifferentFieldCount && len(sc.fields) != want) {
			continue // malformed: the decoder reports or skips it
		}
		for len(mask) < len(sc.fields) {
			mask = append(mask, 1<<len(candidates)-1)
			seen = append(seen, false)
			intDig = append(intDig, 0)
			scale = append(scale, 0)
		}
		for i, f := range sc.fields {
			if len(f) == 0 || nulls[string(f)] || mask[i] == 0 {
				continue
			}
			seen[i] = true
			s := string(f)
			for b, k := range candidates {
				if mask[i]&(1<<b) != 0 && !fits(k, s) {
					mask[i] &^= 1 << b
				}
			}
			if mask[i]&2 != 0 { // still a decimal candidate
				if v, ok := textval.ParseDecimal(s); ok {
					d := v.DecimalString()
					d = strings.TrimLeft(d, "-")
					ip, fp, _ := strings.Cut(d, ".")
					if ip == "0" {
						ip = ""
					}
					intDig[i] = max(intDig[i], len(ip))
					scale[i] = max(scale[i], len(fp))
				}
			}
		}
	}
	types = make([]rows.Field, len(mask))
	for i := range mask {
		types[i].Kind = rows.KindString
		if !seen[i] {
			continue
		}
		for b, k := range candidates {
			if mask[i]&(1<<b) != 0 {
				types[i].Kind = k
				break
			}
		}
		if types[i].Kind == rows.KindDecimal {
			types[i].Scale = scale[i]
			types[i].Precision = max(1, intDig[i]+scale[i])
		}
	}
	return types, complete, nil
}
