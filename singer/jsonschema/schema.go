// Package jsonschema maps the JSON Schemas of Singer SCHEMA messages to
// sluice's typed rows, and RECORD messages to rows of that schema.
//
// Types follow the Singer conventions (singer-io/getting-started
// docs/SPEC.md and SYNC_MODE.md, and what database taps emit):
//
//	integer                          int (decimal when beyond int64)
//	number + multipleOf 10^-s        decimal with scale s, exact
//	number                           float
//	string + format date-time        timestamptz (zone-less timestamp when
//	                                 the value has no offset)
//	string + format date / time      date / time
//	string + format singer.decimal   decimal, exact
//	string                           string
//	boolean                          bool
//	object / array                   map / list, nested values typed by
//	                                 their own schema
//	["null", T], anyOf [null, T]     T, nullable
//	several non-null types, {}       any (each value keeps its JSON kind)
package jsonschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/rows"
)

// Node is one schema node.
type Node struct {
	Kind     rows.Kind // KindAny when the values may have several kinds
	Nullable bool
	Format   string
	// Scale is the number of decimal places of a multipleOf decimal
	// (HasScale); decimals without it keep the scale they are written with.
	Scale    int32
	HasScale bool
	Props    []Prop         // objects, in schema order
	index    map[string]int // Props by name
	Items    *Node          // arrays
	// Source is the JSON Schema type as written, for Field.SourceType.
	Source string
}

// Prop is a named property of an object node.
type Prop struct {
	Name string
	Node *Node
}

// Prop returns the property named name.
func (n *Node) Prop(name string) (*Node, bool) {
	i, ok := n.index[name]
	if !ok {
		return nil, false
	}
	return n.Props[i].Node, true
}

// Parse reads a JSON Schema, keeping the order of "properties".
func Parse(schema []byte) (*Node, error) {
	dec := json.NewDecoder(bytes.NewReader(schema))
	v, err := rows.DecodeJSONOrdered(dec)
	if err != nil {
		return nil, fmt.Errorf("schema is not valid JSON: %w", err)
	}
	return node(v, "")
}

func node(v any, path string) (*Node, error) {
	if b, ok := v.(bool); ok {
		// true accepts anything; false accepts nothing (treat as any).
		_ = b
		return &Node{Kind: rows.KindAny, Nullable: true}, nil
	}
	m, ok := v.(*rows.OrderedMap)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be an object, got %T", where(path), v)
	}
	n := &Node{}
	var types []string
	if t, ok := m.Get("type"); ok {
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("%s: \"type\" items must be strings", where(path))
				}
				types = append(types, s)
			}
		default:
			return nil, fmt.Errorf("%s: \"type\" must be a string or a list", where(path))
		}
	}
	// anyOf / oneOf: a nullable union of one type is that type, nullable.
	for _, key := range []string{"anyOf", "oneOf"} {
		alts, ok := m.Get(key)
		if !ok {
			continue
		}
		list, ok := alts.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: %q must be a list", where(path), key)
		}
		var nonNull []*Node
		nullable := false
		for i, a := range list {
			an, err := node(a, fmt.Sprintf("%s.%s[%d]", path, key, i))
			if err != nil {
				return nil, err
			}
			if an.Kind == rows.KindNull {
				nullable = true
				continue
			}
			nullable = nullable || an.Nullable
			nonNull = append(nonNull, an)
		}
		if len(nonNull) == 1 && len(types) == 0 {
			out := *nonNull[0]
			out.Nullable = nullable
			return &out, nil
		}
		if len(types) == 0 {
			return &Node{Kind: rows.KindAny, Nullable: true, Source: key}, nil
		}
	}
	var nonNull []string
	for _, t := range types {
		if t == "null" {
			n.Nullable = true
			continue
		}
		nonNull = append(nonNull, t)
	}
	n.Source = strings.Join(types, ",")
	if f, ok := m.Get("format"); ok {
		n.Format, _ = f.(string)
	}
	if len(nonNull) != 1 {
		if len(types) > 0 && len(nonNull) == 0 {
			n.Kind = rows.KindNull
			return n, nil
		}
		// No type, or several: values keep their own kinds. An untyped
		// node with properties is still an object.
		if len(types) == 0 {
			if _, ok := m.Get("properties"); ok {
				nonNull = []string{"object"}
			}
		}
		if len(nonNull) != 1 {
			n.Kind = rows.KindAny
			n.Nullable = true
			return n, nil
		}
	}
	switch nonNull[0] {
	case "integer":
		n.Kind = rows.KindInt
	case "number":
		n.Kind = rows.KindFloat
		if mo, ok := m.Get("multipleOf"); ok {
			num, ok := mo.(json.Number)
			if !ok {
				return nil, fmt.Errorf("%s: multipleOf must be a number", where(path))
			}
			if scale, ok := decimalScale(string(num)); ok {
				n.Kind, n.Scale, n.HasScale = rows.KindDecimal, scale, true
			}
		}
	case "string":
		n.Kind = rows.KindString
		switch n.Format {
		case "date-time":
			n.Kind = rows.KindTimestampTZ
		case "date":
			n.Kind = rows.KindDate
		case "time":
			n.Kind = rows.KindTime
		case "singer.decimal":
			n.Kind = rows.KindDecimal
		}
	case "boolean":
		n.Kind = rows.KindBool
	case "object":
		n.Kind = rows.KindMap
		if ps, ok := m.Get("properties"); ok {
			pm, ok := ps.(*rows.OrderedMap)
			if !ok {
				return nil, fmt.Errorf("%s: \"properties\" must be an object", where(path))
			}
			n.index = make(map[string]int, pm.Len())
			for _, k := range pm.Keys() {
				pv, _ := pm.Get(k)
				pn, err := node(pv, path+"."+k)
				if err != nil {
					return nil, err
				}
				n.index[k] = len(n.Props)
				n.Props = append(n.Props, Prop{Name: k, Node: pn})
			}
		}
		if req, ok := m.Get("required"); ok {
			if list, ok := req.([]any); ok {
				required := map[string]bool{}
				for _, r := range list {
					if s, ok := r.(string); ok {
						required[s] = true
					}
				}
				for _, p := range n.Props {
					if !required[p.Name] {
						p.Node.Nullable = true
					}
				}
			}
		}
		// Without "required", nullability is the Singer convention: a
		// "null" in the property's type.
	case "array":
		n.Kind = rows.KindList
		n.Items = &Node{Kind: rows.KindAny, Nullable: true}
		if it, ok := m.Get("items"); ok {
			in, err := node(it, path+"[]")
			if err != nil {
				return nil, err
			}
			n.Items = in
		}
	case "null":
		n.Kind = rows.KindNull
	default:
		return nil, fmt.Errorf("%s: unknown type %q", where(path), nonNull[0])
	}
	return n, nil
}

func where(path string) string {
	if path == "" {
		return "schema"
	}
	return "schema property " + strings.TrimPrefix(path, ".")
}

// decimalScale returns s when multipleOf is 10^-s (0.01 → 2, 1 → 0, 1e-4 →
// 4). Other steps (0.25) are not decimal scales: the values stay floats.
func decimalScale(m string) (int32, bool) {
	d, err := rows.ParseDecimal(m)
	if err != nil || d.Scale() < 0 {
		return 0, false
	}
	u := d.Unscaled()
	if u.Sign() <= 0 {
		return 0, false
	}
	// Strip trailing zeros: 0.010 is 10^-2.
	scale := d.Scale()
	ten := big.NewInt(10)
	q, r := new(big.Int), new(big.Int)
	for scale > 0 {
		q.QuoRem(u, ten, r)
		if r.Sign() != 0 {
			break
		}
		u = new(big.Int).Set(q)
		scale--
	}
	if u.Cmp(big.NewInt(1)) != 0 {
		if scale == 0 && isPow10(u) {
			return 0, true
		}
		return 0, false
	}
	return scale, true
}

func isPow10(u *big.Int) bool {
	s := u.String()
	return s[0] == '1' && strings.Trim(s[1:], "0") == ""
}

// Field returns the row field of a top-level property.
func (n *Node) Field(name string) rows.Field {
	f := rows.Field{Name: name, Kind: n.Kind, Nullable: n.Nullable, SourceType: n.Source}
	if n.Format != "" {
		f.SourceType += " (" + n.Format + ")"
	}
	switch n.Kind {
	case rows.KindDecimal:
		if n.HasScale {
			f.Scale = int(n.Scale)
		}
	case rows.KindTimestamp, rows.KindTimestampTZ, rows.KindTime:
		f.Precision = 6
	case rows.KindList:
		f.Elem = n.Items.Kind
	case rows.KindNull:
		f.Kind, f.Nullable = rows.KindAny, true
	}
	return f
}

// ParseNumberText is used for integers written as 1.0 or 1e3.
func parseIntegral(text string) (rows.Value, bool) {
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return rows.Int(i), true
	}
	d, err := rows.ParseDecimal(text)
	if err != nil {
		return rows.Null, false
	}
	r := d.Rat()
	if !r.IsInt() {
		return rows.Null, false
	}
	if r.Num().IsInt64() {
		return rows.Int(r.Num().Int64()), true
	}
	return rows.DecimalBig(r.Num(), 0), true
}
