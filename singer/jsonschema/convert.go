package jsonschema

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/singer/message"
)

// Mapper turns RECORD messages of one stream into rows of a fixed schema:
// one field per top-level property, in schema order.
type Mapper struct {
	root   *Node
	schema *rows.Schema
	idx    map[string]int
	seen   []bool
	// Extra counts record members the schema does not declare (dropped).
	Extra map[string]int64
}

// ErrNoProperties is returned by NewMapper for a schema that declares no
// properties (a schema-less stream); use NewMapperFromRecord.
var ErrNoProperties = errors.New("schema declares no properties")

// NewMapper builds a mapper for an object schema.
func NewMapper(root *Node) (*Mapper, error) {
	if len(root.Props) == 0 {
		return nil, ErrNoProperties
	}
	m := &Mapper{root: root, schema: &rows.Schema{}, idx: map[string]int{}, Extra: map[string]int64{}}
	for i, p := range root.Props {
		m.schema.Fields = append(m.schema.Fields, p.Node.Field(p.Name))
		m.idx[p.Name] = i
	}
	m.seen = make([]bool, len(root.Props))
	return m, nil
}

// NewMapperFromRecord builds a mapper for a stream without a usable schema:
// one untyped field per member of its first record.
func NewMapperFromRecord(record []byte) (*Mapper, error) {
	root := &Node{Kind: rows.KindMap, index: map[string]int{}}
	err := message.Members(record, func(name, _ []byte) error {
		if _, dup := root.index[string(name)]; !dup {
			root.index[string(name)] = len(root.Props)
			root.Props = append(root.Props, Prop{Name: string(name), Node: &Node{Kind: rows.KindAny, Nullable: true}})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(root.Props) == 0 {
		root.Props = []Prop{{Name: "record", Node: &Node{Kind: rows.KindAny, Nullable: true}}}
		root.index["record"] = 0
	}
	return NewMapper(root)
}

// Schema is the row schema.
func (m *Mapper) Schema() *rows.Schema { return m.schema }

// FieldError names the property and value a record could not be mapped on.
type FieldError struct {
	Field string
	Value string
	Err   error
}

func (e *FieldError) Error() string {
	v := e.Value
	if len(v) > 80 {
		v = v[:77] + "..."
	}
	return fmt.Sprintf("property %q, value %s: %v", e.Field, v, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Map fills row from a record object. Strings in row alias record, which
// must stay unchanged until the row has been written.
func (m *Mapper) Map(record []byte, row *rows.Row) error {
	row.Reset(len(m.schema.Fields))
	clear(m.seen)
	return message.Members(record, func(name, value []byte) error {
		i, ok := m.idx[string(name)]
		if !ok {
			m.Extra[string(name)]++
			return nil
		}
		v, err := m.root.Props[i].Node.FromJSON(value)
		if err != nil {
			return &FieldError{Field: string(name), Value: string(value), Err: err}
		}
		row.Values[i] = v
		return nil
	})
}

// anyNode types values that the schema leaves open.
var anyNode = &Node{Kind: rows.KindAny, Nullable: true}

// FromJSON converts one JSON value (a span of a message) to a row value,
// nested objects and arrays included, without an intermediate decode.
// Strings alias span.
func (n *Node) FromJSON(span []byte) (rows.Value, error) {
	if len(span) == 0 {
		return rows.Null, errors.New("empty value")
	}
	switch c := span[0]; {
	case c == 'n':
		return rows.Null, nil
	case c == '"':
		s, err := message.String(span)
		if err != nil {
			return rows.Null, err
		}
		return n.fromString(s)
	case c == 't' || c == 'f':
		return n.fromBool(c == 't')
	case c == '-' || (c >= '0' && c <= '9'):
		return n.fromNumber(string(span))
	case c == '[':
		items := n.Items
		switch n.Kind {
		case rows.KindList:
		case rows.KindAny, rows.KindNull:
			items = anyNode
		default:
			return rows.Null, fmt.Errorf("expected %s, got an array", kindText(n.Kind))
		}
		var out []rows.Value
		err := message.Elements(span, func(e []byte) error {
			v, err := items.FromJSON(e)
			if err != nil {
				return fmt.Errorf("[%d]: %w", len(out), err)
			}
			out = append(out, v)
			return nil
		})
		if err != nil {
			return rows.Null, err
		}
		return rows.List(out), nil
	case c == '{':
		switch n.Kind {
		case rows.KindMap, rows.KindAny, rows.KindNull:
		default:
			return rows.Null, fmt.Errorf("expected %s, got an object", kindText(n.Kind))
		}
		var kv []rows.Value
		err := message.Members(span, func(name, value []byte) error {
			pn, ok := n.Prop(string(name))
			if !ok {
				pn = anyNode
			}
			v, err := pn.FromJSON(value)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			kv = append(kv, rows.StringBytes(name), v)
			return nil
		})
		if err != nil {
			return rows.Null, err
		}
		return rows.MapOf(kv), nil
	}
	return rows.Null, fmt.Errorf("invalid JSON value starting with %q", span[0])
}

func (n *Node) fromBool(b bool) (rows.Value, error) {
	switch n.Kind {
	case rows.KindBool, rows.KindAny, rows.KindNull:
		return rows.Bool(b), nil
	}
	return rows.Null, fmt.Errorf("expected %s, got a boolean", kindText(n.Kind))
}

func (n *Node) fromNumber(text string) (rows.Value, error) {
	switch n.Kind {
	case rows.KindInt:
		if v, ok := parseIntegral(text); ok {
			return v, nil
		}
		return rows.Null, errors.New("not an integer")
	case rows.KindDecimal:
		d, err := rows.ParseDecimal(text)
		if err != nil {
			return rows.Null, err
		}
		return n.rescale(d), nil
	case rows.KindFloat:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return rows.Null, fmt.Errorf("invalid number")
		}
		return rows.Float(f), nil
	case rows.KindAny, rows.KindNull:
		return rows.NumberFromString(text)
	}
	return rows.Null, fmt.Errorf("expected %s, got a number", kindText(n.Kind))
}

func (n *Node) fromString(s []byte) (rows.Value, error) {
	switch n.Kind {
	case rows.KindString, rows.KindAny, rows.KindNull:
		return rows.StringBytes(s), nil
	case rows.KindTimestampTZ:
		return ParseDateTime(s)
	case rows.KindDate:
		return ParseDate(s)
	case rows.KindTime:
		return ParseTime(s)
	case rows.KindDecimal:
		d, err := rows.ParseDecimal(string(s))
		if err != nil {
			return rows.Null, err
		}
		return n.rescale(d), nil
	case rows.KindInt:
		// Some taps quote big integers.
		if v, ok := parseIntegral(string(s)); ok {
			return v, nil
		}
		return rows.Null, errors.New("not an integer")
	case rows.KindFloat:
		f, err := strconv.ParseFloat(string(s), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return rows.Null, errors.New("not a number")
		}
		return rows.Float(f), nil
	}
	return rows.Null, fmt.Errorf("expected %s, got a string", kindText(n.Kind))
}

// rescale writes a decimal with the schema's scale when that is exact
// (3.1 → 3.10 for multipleOf 0.01); a value with more significant places
// than the schema allows keeps them, so nothing is ever rounded away.
func (n *Node) rescale(d rows.Value) rows.Value {
	if !n.HasScale || d.Scale() == n.Scale {
		return d
	}
	u := d.Unscaled()
	s := d.Scale()
	if s < n.Scale {
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.Scale-s)), nil))
		return rows.DecimalBig(u, n.Scale)
	}
	ten := big.NewInt(10)
	q, r := new(big.Int), new(big.Int)
	for s > n.Scale {
		q.QuoRem(u, ten, r)
		if r.Sign() != 0 {
			break
		}
		u, q = q, u
		s--
	}
	return rows.DecimalBig(u, s)
}

func kindText(k rows.Kind) string {
	switch k {
	case rows.KindInt:
		return "an integer"
	case rows.KindFloat, rows.KindDecimal:
		return "a number"
	case rows.KindString:
		return "a string"
	case rows.KindBool:
		return "a boolean"
	case rows.KindMap:
		return "an object"
	case rows.KindList:
		return "an array"
	case rows.KindTimestampTZ, rows.KindTimestamp:
		return "a date-time string"
	case rows.KindDate:
		return "a date string"
	case rows.KindTime:
		return "a time string"
	}
	return k.String()
}
