package serde

import (
	"encoding/json"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/sluicehq/sluice/internal/rows"
)

// fastCheck is a JSON schema of the common, simple kind (types,
// properties, required, additionalProperties, items, integral bounds,
// lengths) checked straight on sluice values, without building the JSON
// instance the full validator needs. It only ever says "valid"; when it
// says anything else the full validator decides and explains, so it can
// never accept what the full validator refuses — it is conservative
// where it is unsure (a decimal against "integer", a string bound on a
// date).
type fastCheck struct {
	types      uint8 // jsonType bits; 0: any
	props      map[string]*fastCheck
	required   []string
	additional *fastCheck // nil: anything
	noExtra    bool       // additionalProperties: false
	items      *fastCheck
	min, max   *int64 // integral bounds only
	xmin, xmax *int64 // exclusive
	minLen     int
	maxLen     int // -1: none
	minItems   int
	maxItems   int // -1: none
}

const (
	jNull uint8 = 1 << iota
	jBool
	jInteger
	jNumber
	jString
	jArray
	jObject
)

var annotations = map[string]bool{"$schema": true, "$id": true, "id": true, "title": true, "description": true, "default": true, "examples": true, "$comment": true}

// compileFast returns nil when the schema uses anything beyond the
// simple kind: then every record goes to the full validator.
func compileFast(doc any, depth int) *fastCheck {
	m, ok := doc.(map[string]any)
	if !ok || depth > 16 {
		return nil
	}
	f := &fastCheck{maxLen: -1, maxItems: -1}
	for k, v := range m {
		switch {
		case annotations[k]:
		case k == "type":
			switch t := v.(type) {
			case string:
				if f.types = typeBit(t); f.types == 0 {
					return nil
				}
			case []any:
				for _, x := range t {
					s, _ := x.(string)
					b := typeBit(s)
					if b == 0 {
						return nil
					}
					f.types |= b
				}
			default:
				return nil
			}
		case k == "properties":
			ps, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			f.props = map[string]*fastCheck{}
			for name, sub := range ps {
				if f.props[name] = compileFast(sub, depth+1); f.props[name] == nil {
					return nil
				}
			}
		case k == "required":
			rs, ok := v.([]any)
			if !ok {
				return nil
			}
			for _, r := range rs {
				s, ok := r.(string)
				if !ok {
					return nil
				}
				f.required = append(f.required, s)
			}
		case k == "additionalProperties":
			switch a := v.(type) {
			case bool:
				f.noExtra = !a
			default:
				if f.additional = compileFast(a, depth+1); f.additional == nil {
					return nil
				}
			}
		case k == "items":
			if f.items = compileFast(v, depth+1); f.items == nil {
				return nil
			}
		case k == "minimum" || k == "maximum" || k == "exclusiveMinimum" || k == "exclusiveMaximum":
			n, ok := integral(v)
			if !ok {
				return nil
			}
			switch k {
			case "minimum":
				f.min = &n
			case "maximum":
				f.max = &n
			case "exclusiveMinimum":
				f.xmin = &n
			default:
				f.xmax = &n
			}
		case k == "minLength" || k == "maxLength" || k == "minItems" || k == "maxItems":
			n, ok := integral(v)
			if !ok || n < 0 || n > math.MaxInt32 {
				return nil
			}
			switch k {
			case "minLength":
				f.minLen = int(n)
			case "maxLength":
				f.maxLen = int(n)
			case "minItems":
				f.minItems = int(n)
			default:
				f.maxItems = int(n)
			}
		default:
			return nil
		}
	}
	return f
}

func typeBit(t string) uint8 {
	switch t {
	case "null":
		return jNull
	case "boolean":
		return jBool
	case "integer":
		return jInteger
	case "number":
		return jNumber | jInteger
	case "string":
		return jString
	case "array":
		return jArray
	case "object":
		return jObject
	}
	return 0
}

func integral(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// valid reports whether v surely matches.
func (f *fastCheck) valid(v rows.Value) bool {
	var t uint8
	switch v.Kind() {
	case rows.KindNull:
		t = jNull
	case rows.KindBool:
		t = jBool
	case rows.KindInt:
		t = jInteger
	case rows.KindFloat:
		x := v.AsFloat()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t = jString
		} else {
			t = jNumber
		}
	case rows.KindDecimal:
		t = jNumber
	case rows.KindString, rows.KindBytes, rows.KindDate, rows.KindTime, rows.KindTimestamp, rows.KindTimestampTZ:
		t = jString
	case rows.KindList:
		t = jArray
	case rows.KindMap:
		t = jObject
	default:
		return false
	}
	if f.types != 0 && f.types&t == 0 {
		return false
	}
	switch t {
	case jInteger, jNumber:
		if f.min == nil && f.max == nil && f.xmin == nil && f.xmax == nil {
			return true
		}
		in := func(bound *int64, ok func(c int) bool) bool {
			if bound == nil {
				return true
			}
			c, sure := compareInt(v, *bound)
			return sure && ok(c)
		}
		return in(f.min, func(c int) bool { return c >= 0 }) && in(f.max, func(c int) bool { return c <= 0 }) &&
			in(f.xmin, func(c int) bool { return c > 0 }) && in(f.xmax, func(c int) bool { return c < 0 })
	case jString:
		if f.minLen == 0 && f.maxLen < 0 {
			return true
		}
		if v.Kind() != rows.KindString {
			return false
		}
		n := utf8.RuneCount(v.AsBytes())
		return n >= f.minLen && (f.maxLen < 0 || n <= f.maxLen)
	case jArray:
		n := v.Len()
		if n < f.minItems || (f.maxItems >= 0 && n > f.maxItems) {
			return false
		}
		if f.items != nil {
			for _, x := range v.Items() {
				if !f.items.valid(x) {
					return false
				}
			}
		}
		return true
	case jObject:
		for _, r := range f.required {
			if _, ok := v.Get(r); !ok {
				return false
			}
		}
		for i := 0; i < v.Len(); i++ {
			k, x := v.Entry(i)
			if !f.member(k, x) {
				return false
			}
		}
	}
	return true
}

// compareInt compares a number with an integral bound (|n| ≤ 2^53) exactly;
// sure is false when it cannot tell cheaply.
func compareInt(v rows.Value, n int64) (c int, sure bool) {
	cmp := func(a, b int64) int {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	switch v.Kind() {
	case rows.KindInt:
		return cmp(v.AsInt(), n), true
	case rows.KindFloat:
		x, b := v.AsFloat(), float64(n)
		switch {
		case x < b:
			return -1, true
		case x > b:
			return 1, true
		}
		return 0, true
	case rows.KindDecimal:
		s := v.Scale()
		if v.IsBigDecimal() || s < 0 || s > 15 {
			return 0, false
		}
		p := int64(math.Pow10(int(s)))
		if n > math.MaxInt64/p || n < math.MinInt64/p {
			return 0, false
		}
		return cmp(v.Raw(), n*p), true
	}
	return 0, false
}

func (f *fastCheck) member(k string, x rows.Value) bool {
	if p, ok := f.props[k]; ok {
		return p.valid(x)
	}
	if f.noExtra {
		return false
	}
	return f.additional == nil || f.additional.valid(x)
}

// validRow reports whether a whole row, as an object, surely matches.
func (f *fastCheck) validRow(sc *rows.Schema, r *rows.Row) bool {
	if f.types != 0 && f.types&jObject == 0 {
		return false
	}
	for _, req := range f.required {
		if sc.Index(req) < 0 {
			return false
		}
	}
	for i, fl := range sc.Fields {
		var v rows.Value
		if i < len(r.Values) {
			v = r.Values[i]
		}
		if !f.member(fl.Name, v) {
			return false
		}
	}
	return true
}

// fastFor compiles the fast check of a schema text, nil when it is not of
// the simple kind.
func fastFor(text string) *fastCheck {
	var doc any
	if err := json.NewDecoder(strings.NewReader(text)).Decode(&doc); err != nil {
		return nil
	}
	return compileFast(doc, 0)
}
