package json

import (
	"errors"
	"io"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/charset"
)

// maxFields bounds the number of distinct top-level keys, so a file whose
// every line has fresh keys fails clearly instead of exhausting memory.
const maxFields = 10000

type fieldStat struct {
	name      string
	kind      rows.Kind // KindNull until a non-null value is seen
	mixed     bool
	seen      int64 // records where the key is present and not null
	null      bool  // null seen
	intDigits int
	scale     int
}

// InferSchema scans records (all of them when limit is 0) and returns the
// union of their top-level keys in first-seen order. A field's kind is the
// one kind its non-null values have (ints and decimals together make a
// decimal, with the largest integer digits and scale seen as precision and
// scale), KindAny when kinds differ; it is nullable when a record lacks it
// or has null. complete reports whether the whole input was scanned.
//
// Only top-level keys are kept in memory, so a full scan costs one quick
// pass over the file and no memory proportional to it.
func InferSchema(r io.Reader, opts ReadOptions, limit int64) (schema *rows.Schema, complete bool, err error) {
	in, err := charset.NewReader(r, opts.Charset)
	if err != nil {
		return nil, false, err
	}
	src := newSource(in, opts.Name, opts.Array)
	var (
		p       parser
		stats   []*fieldStat
		index   = map[string]int{}
		records int64
	)
	for limit == 0 || records < limit {
		rec, err := src.next()
		if errors.Is(err, io.EOF) {
			complete = true
			break
		}
		if err != nil {
			return nil, false, err
		}
		if err := scanRecord(&p, rec, &stats, index); err != nil {
			var pe *posError
			if errors.As(err, &pe) {
				line, col := src.locate(pe.off, rec)
				return nil, false, &SyntaxError{File: opts.Name, Line: line, Column: col, Msg: pe.msg}
			}
			return nil, false, err
		}
		records++
	}
	s := &rows.Schema{Fields: make([]rows.Field, 0, len(stats))}
	for _, st := range stats {
		f := rows.Field{Name: st.name, Kind: st.kind, Nullable: st.null || st.seen < records}
		switch {
		case st.mixed || st.kind == rows.KindNull:
			f.Kind = rows.KindAny
			f.Nullable = true
		case st.kind == rows.KindDecimal:
			f.Scale = st.scale
			f.Precision = max(1, st.intDigits+st.scale)
		case st.kind == rows.KindList || st.kind == rows.KindMap:
			f.Elem = rows.KindAny
		}
		s.Fields = append(s.Fields, f)
	}
	return s, complete, nil
}

func scanRecord(p *parser, rec []byte, stats *[]*fieldStat, index map[string]int) error {
	p.reset(rec)
	i := skipSpace(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		return errAt(i, "expected a JSON object, found %s", describe(rec, i))
	}
	j := skipSpace(rec, i+1)
	hint := 0
	if j < len(rec) && rec[j] == '}' {
		j++
	} else {
		for {
			if j >= len(rec) || rec[j] != '"' {
				return errAt(j, "expected a quoted key in object")
			}
			p.str = p.str[:0]
			key, k, err := p.parseString(j)
			if err != nil {
				return err
			}
			k = skipSpace(rec, k)
			if k >= len(rec) || rec[k] != ':' {
				return errAt(k, "expected ':' after key %q", key)
			}
			k = skipSpace(rec, k+1)
			idx, ok := -1, false
			if hint < len(*stats) && (*stats)[hint].name == string(key) {
				idx, ok = hint, true
			} else {
				idx, ok = index[string(key)]
			}
			if !ok {
				if len(*stats) >= maxFields {
					return errAt(j, "more than %d distinct top-level keys: this does not look like a table", maxFields)
				}
				idx = len(*stats)
				index[string(key)] = idx
				*stats = append(*stats, &fieldStat{name: string(key)})
			}
			hint = idx + 1
			st := (*stats)[idx]
			kind, end, err := scanShape(p, rec, k, st)
			if err != nil {
				return err
			}
			if kind == rows.KindNull {
				st.null = true
			} else {
				st.seen++
				switch {
				case st.kind == rows.KindNull || st.kind == kind:
					st.kind = kind
				case (st.kind == rows.KindInt && kind == rows.KindDecimal) || (st.kind == rows.KindDecimal && kind == rows.KindInt):
					st.kind = rows.KindDecimal
				default:
					st.mixed = true
				}
			}
			k2 := skipSpace(rec, end)
			if k2 >= len(rec) {
				return errAt(i, "unterminated object")
			}
			if rec[k2] == '}' {
				j = k2 + 1
				break
			}
			if rec[k2] != ',' {
				return errAt(k2, "expected ',' or '}' in object, found %q", rune(rec[k2]))
			}
			j = skipSpace(rec, k2+1)
		}
	}
	if j = skipSpace(rec, j); j < len(rec) {
		return errAt(j, "unexpected data after the object: %s", describe(rec, j))
	}
	return nil
}

func scanShape(p *parser, rec []byte, k int, st *fieldStat) (rows.Kind, int, error) {
	if k >= len(rec) {
		return 0, k, errAt(k, "unexpected end of input, expected a value")
	}
	switch c := rec[k]; {
	case c == '"':
		end, err := skipString(rec, k)
		return rows.KindString, end, err
	case c == '-' || (c >= '0' && c <= '9'):
		ni, end, err := numberShape(rec, k)
		if err != nil {
			return 0, end, err
		}
		st.intDigits = max(st.intDigits, ni.intDigits)
		st.scale = max(st.scale, ni.scale)
		if ni.decimal {
			return rows.KindDecimal, end, nil
		}
		return rows.KindInt, end, nil
	case c == 't' || c == 'f':
		end, err := p.skipValue(k)
		return rows.KindBool, end, err
	case c == 'n':
		end, err := p.skipValue(k)
		return rows.KindNull, end, err
	case c == '[':
		end, err := p.skipValue(k)
		return rows.KindList, end, err
	case c == '{':
		end, err := p.skipValue(k)
		return rows.KindMap, end, err
	default:
		return 0, k, errAt(k, "unexpected character %q, expected a value", rune(c))
	}
}
