package avro

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/rows"
)

func errNull(n node) error {
	return fmt.Errorf("null is not allowed in a %s field (declare the field as a union with \"null\")", n.typeName())
}

func errKind(n node, v rows.Value) error {
	s := v.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return fmt.Errorf("a %s value (%s) does not fit a %s field", v.Kind(), s, n.typeName())
}

// appendLong appends n zig-zag varint encoded, as Avro.
func appendLong(dst []byte, n int64) []byte {
	return binary.AppendUvarint(dst, uint64(n<<1)^uint64(n>>63))
}

func appendBytes(dst, p []byte) []byte {
	return append(appendLong(dst, int64(len(p))), p...)
}

// ---- null, boolean

type nullNode struct{}

func (nullNode) typeName() string { return "null" }
func (nullNode) kind() rows.Kind  { return rows.KindAny }
func (n nullNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	// Kestra's null type takes the null texts too.
	if v.IsNull() || v.Kind() == rows.KindString && e.Conv.IsNullText(v.AsString()) {
		return dst, nil
	}
	return dst, errKind(n, v)
}
func (nullNode) dec(*Decoder) rows.Value { return rows.Null }
func (nullNode) match(k rows.Kind) int   { return score(k, rows.KindNull) }

type boolNode struct{}

func (boolNode) typeName() string { return "boolean" }
func (boolNode) kind() rows.Kind  { return rows.KindBool }
func (n boolNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		return dst, errNull(n)
	}
	b, err := e.Conv.Bool(v)
	if err != nil {
		return dst, err
	}
	if b {
		return append(dst, 1), nil
	}
	return append(dst, 0), nil
}
func (boolNode) dec(d *Decoder) rows.Value {
	b := d.bytes(1)
	if len(b) == 0 {
		return rows.Null
	}
	if b[0] > 1 {
		d.fail("invalid boolean byte %d", b[0])
	}
	return rows.Bool(b[0] == 1)
}
func (boolNode) match(k rows.Kind) int {
	return score(k, rows.KindBool, rows.KindString, rows.KindInt)
}

// ---- int, long

type intNode struct{ bits int }

func (n intNode) typeName() string {
	if n.bits == 32 {
		return "int"
	}
	return "long"
}
func (intNode) kind() rows.Kind { return rows.KindInt }
func (n intNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	if v.Kind() == rows.KindInt && n.bits == 64 {
		return appendLong(dst, v.AsInt()), nil
	}
	if v.IsNull() {
		return dst, errNull(n)
	}
	i, err := e.Conv.Int(v)
	if err != nil {
		return dst, err
	}
	if n.bits == 32 && (i < math.MinInt32 || i > math.MaxInt32) {
		return dst, fmt.Errorf("%d is out of the range of an int field (32 bits); use long", i)
	}
	return appendLong(dst, i), nil
}
func (n intNode) dec(d *Decoder) rows.Value {
	i := d.long()
	if n.bits == 32 && (i < math.MinInt32 || i > math.MaxInt32) {
		d.fail("int %d out of range", i)
	}
	return rows.Int(i)
}
func (intNode) match(k rows.Kind) int {
	return score(k, rows.KindInt, rows.KindDecimal, rows.KindFloat, rows.KindString, rows.KindBool)
}

// ---- float, double

type floatNode struct{ bits int }

func (n floatNode) typeName() string {
	if n.bits == 32 {
		return "float"
	}
	return "double"
}
func (floatNode) kind() rows.Kind { return rows.KindFloat }
func (n floatNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	var f float64
	if v.Kind() == rows.KindFloat {
		f = v.AsFloat()
		if n.bits == 32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			return dst, fmt.Errorf("%s is out of the range of a float field (32 bits); use double", rows.FormatFloat(f))
		}
	} else {
		if v.IsNull() {
			return dst, errNull(n)
		}
		var err error
		if f, err = e.Conv.Float(v, n.bits); err != nil {
			return dst, err
		}
	}
	if n.bits == 32 {
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
	}
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), nil
}
func (n floatNode) dec(d *Decoder) rows.Value {
	if n.bits == 32 {
		b := d.bytes(4)
		if len(b) < 4 {
			return rows.Null
		}
		return rows.Float(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
	}
	b := d.bytes(8)
	if len(b) < 8 {
		return rows.Null
	}
	return rows.Float(math.Float64frombits(binary.LittleEndian.Uint64(b)))
}
func (floatNode) match(k rows.Kind) int {
	return score(k, rows.KindFloat, rows.KindInt, rows.KindDecimal, rows.KindString)
}

// ---- bytes, string, fixed, enum

type bytesNode struct{}

func (bytesNode) typeName() string { return "bytes" }
func (bytesNode) kind() rows.Kind  { return rows.KindBytes }
func (n bytesNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindBytes, rows.KindString:
		return appendBytes(dst, v.AsBytes()), nil
	case rows.KindNull:
		return dst, errNull(n)
	}
	// Kestra writes the text of other values into bytes fields.
	return e.appendText(dst, v)
}

// appendText writes the text of v (rows.Converter) as a length-prefixed
// string or bytes.
func (e *Encoder) appendText(dst []byte, v rows.Value) ([]byte, error) {
	t, err := e.Conv.AppendText(e.tmp[:0], v)
	if err != nil {
		return dst, err
	}
	e.tmp = t
	return appendBytes(dst, t), nil
}

// readBytes reads a length-prefixed payload; nil after an error.
func (d *Decoder) readBytes() []byte {
	p := d.bytes(d.long())
	if d.err != nil {
		return nil
	}
	return p
}

func (bytesNode) dec(d *Decoder) rows.Value {
	if p := d.readBytes(); p != nil {
		return rows.Bytes(p)
	}
	return rows.Null
}
func (bytesNode) match(k rows.Kind) int { return score(k, rows.KindBytes, rows.KindString) }

type stringNode struct{}

func (stringNode) typeName() string { return "string" }
func (stringNode) kind() rows.Kind  { return rows.KindString }
func (n stringNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindString:
		return appendBytes(dst, v.AsBytes()), nil
	case rows.KindNull:
		return dst, errNull(n)
	}
	// Scalars have one exact text form (decimals keep their digits,
	// temporal values are ISO-8601): writing it loses nothing.
	return e.appendText(dst, v)
}
func (stringNode) dec(d *Decoder) rows.Value {
	if p := d.readBytes(); p != nil {
		return rows.StringBytes(p)
	}
	return rows.Null
}
func (stringNode) match(k rows.Kind) int {
	switch k {
	case rows.KindString:
		return 2
	case rows.KindNull:
		return 0
	}
	return 1
}

type fixedNode struct {
	name string
	size int
}

func (n *fixedNode) typeName() string { return fmt.Sprintf("fixed %s(%d)", n.name, n.size) }
func (*fixedNode) kind() rows.Kind    { return rows.KindBytes }
func (n *fixedNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindBytes, rows.KindString:
		b := v.AsBytes()
		if len(b) != n.size {
			return dst, fmt.Errorf("%d bytes do not fit %s: exactly %d needed", len(b), n.typeName(), n.size)
		}
		return append(dst, b...), nil
	case rows.KindNull:
		return dst, errNull(n)
	}
	return dst, errKind(n, v)
}
func (n *fixedNode) dec(d *Decoder) rows.Value {
	p := d.bytes(int64(n.size))
	if d.err != nil {
		return rows.Null
	}
	return rows.Bytes(p)
}
func (n *fixedNode) match(k rows.Kind) int { return bytesNode{}.match(k) }

type enumNode struct {
	name    string
	symbols []string
	index   map[string]int
}

func (n *enumNode) typeName() string { return "enum " + n.name }
func (*enumNode) kind() rows.Kind    { return rows.KindString }
func (n *enumNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindString:
		i, ok := n.index[v.AsString()]
		if !ok {
			return dst, fmt.Errorf("%q is not a symbol of %s (%s)", v.AsString(), n.typeName(), strings.Join(n.symbols, ", "))
		}
		return appendLong(dst, int64(i)), nil
	case rows.KindNull:
		return dst, errNull(n)
	}
	return dst, errKind(n, v)
}
func (n *enumNode) dec(d *Decoder) rows.Value {
	i := d.long()
	if d.err != nil {
		return rows.Null
	}
	if i < 0 || i >= int64(len(n.symbols)) {
		d.fail("enum index %d out of range for %s", i, n.name)
		return rows.Null
	}
	return rows.String(n.symbols[i])
}
func (n *enumNode) match(k rows.Kind) int { return score(k, rows.KindString) }

// ---- array, map, record, union

type arrayNode struct{ items node }

func (n *arrayNode) typeName() string { return "array" }
func (*arrayNode) kind() rows.Kind    { return rows.KindList }
func (n *arrayNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindList:
	case rows.KindNull:
		return dst, errNull(n)
	default:
		return dst, errKind(n, v)
	}
	if v.Len() > 0 {
		dst = appendLong(dst, int64(v.Len()))
		var err error
		for i, it := range v.Items() {
			if dst, err = e.value(n.items, dst, it); err != nil {
				return dst, inField("["+strconv.Itoa(i)+"]", err)
			}
		}
	}
	return append(dst, 0), nil
}

// blockCount reads the count of the next block of an array or map; a
// negative count is followed by the block's size in bytes.
func (d *Decoder) blockCount(zeroSize bool) int64 {
	cnt := d.long()
	if cnt < 0 {
		cnt = -cnt
		d.long()
	}
	if d.err != nil {
		return 0
	}
	if cnt < 0 || (!zeroSize && cnt > int64(len(d.b)-d.i)) {
		d.fail("block of %d items exceeds the data", cnt)
		return 0
	}
	if zeroSize && cnt > maxZeroSizeItems {
		d.fail("block of %d items too large", cnt)
		return 0
	}
	return cnt
}

func (n *arrayNode) dec(d *Decoder) rows.Value {
	mark := d.ar.mark()
	zs := zeroSize(n.items)
	for {
		cnt := d.blockCount(zs)
		if cnt == 0 {
			break
		}
		for ; cnt > 0 && d.err == nil; cnt-- {
			d.ar.push(n.items.dec(d))
		}
	}
	return rows.List(d.take(mark))
}
func (n *arrayNode) match(k rows.Kind) int { return score(k, rows.KindList) }

// zeroSize reports types whose values may take no bytes (so a count cannot
// be bounded by the data left).
func zeroSize(n node) bool {
	switch t := n.(type) {
	case nullNode:
		return true
	case *recordNode:
		return len(t.fields) == 0
	}
	return false
}

type mapNode struct{ values node }

func (n *mapNode) typeName() string { return "map" }
func (*mapNode) kind() rows.Kind    { return rows.KindMap }
func (n *mapNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindMap:
	case rows.KindNull:
		return dst, errNull(n)
	default:
		return dst, errKind(n, v)
	}
	if v.Len() > 0 {
		dst = appendLong(dst, int64(v.Len()))
		for i := 0; i < v.Len(); i++ {
			k, x := v.Entry(i)
			dst = append(appendLong(dst, int64(len(k))), k...)
			var err error
			if dst, err = e.value(n.values, dst, x); err != nil {
				return dst, inField("["+strconv.Quote(k)+"]", err)
			}
		}
	}
	return append(dst, 0), nil
}
func (n *mapNode) dec(d *Decoder) rows.Value {
	mark := d.ar.mark()
	for {
		cnt := d.blockCount(false)
		if cnt == 0 {
			break
		}
		for ; cnt > 0 && d.err == nil; cnt-- {
			k := d.bytes(d.long())
			d.ar.push(rows.StringBytes(k), n.values.dec(d))
		}
	}
	return rows.MapOf(d.take(mark))
}
func (n *mapNode) match(k rows.Kind) int { return score(k, rows.KindMap) }

type recordField struct {
	name     string
	aliases  []string
	node     node
	def      []byte // encoded default, nil when the field has none
	nullable bool   // a union with null (or null): a missing value is written as null
	nullIdx  int    // the null branch, -1 for the null type
}

// encMissing writes a field the input does not have: its default, else
// null when the field accepts it.
func (f *recordField) encMissing(dst []byte) ([]byte, error) {
	if f.def != nil {
		return append(dst, f.def...), nil
	}
	if f.nullable {
		if f.nullIdx < 0 {
			return dst, nil
		}
		return appendLong(dst, int64(f.nullIdx)), nil
	}
	return dst, errors.New("missing, and the field has no default and does not accept null")
}

type recordNode struct {
	name   string
	fields []recordField
}

func (n *recordNode) typeName() string { return "record " + n.name }
func (*recordNode) kind() rows.Kind    { return rows.KindMap }

func (n *recordNode) names() []string {
	out := make([]string, len(n.fields))
	for i, f := range n.fields {
		out[i] = f.name
	}
	return out
}

// known reports whether key is a field's name or alias.
func (n *recordNode) known(key string) bool {
	for i := range n.fields {
		if n.fields[i].name == key {
			return true
		}
		for _, a := range n.fields[i].aliases {
			if a == key {
				return true
			}
		}
	}
	return false
}

func (n *recordNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindMap:
	case rows.KindNull:
		return dst, errNull(n)
	default:
		return dst, errKind(n, v)
	}
	matched := 0
	for i := range n.fields {
		f := &n.fields[i]
		x, ok := lookup(v, f.name, i)
		for _, a := range f.aliases {
			if ok {
				break
			}
			x, ok = v.Get(a)
		}
		var err error
		if ok {
			matched++
			dst, err = e.value(f.node, dst, x)
		} else {
			dst, err = f.encMissing(dst)
		}
		if err != nil {
			return dst, inField(f.name, err)
		}
	}
	if e.Strict && matched < v.Len() {
		for i := 0; i < v.Len(); i++ {
			if k, _ := v.Entry(i); !n.known(k) {
				return dst, fmt.Errorf("%q is not a field of %s (fields: %s)", k, n.typeName(), strings.Join(n.names(), ", "))
			}
		}
	}
	return dst, nil
}

// lookup finds key in map value m, trying entry hint first (maps built
// from rows usually list fields in schema order).
func lookup(m rows.Value, key string, hint int) (rows.Value, bool) {
	if hint < m.Len() {
		if k, x := m.Entry(hint); k == key {
			return x, true
		}
	}
	return m.Get(key)
}

func (n *recordNode) dec(d *Decoder) rows.Value {
	mark := d.ar.mark()
	for i := range n.fields {
		f := &n.fields[i]
		d.ar.push(rows.String(f.name), f.node.dec(d))
	}
	return rows.MapOf(d.take(mark))
}
func (n *recordNode) match(k rows.Kind) int { return score(k, rows.KindMap) }

type unionNode struct {
	branches    []node
	null        int // index of the null branch, -1 when none
	takesString bool
}

func (n *unionNode) typeName() string {
	names := make([]string, len(n.branches))
	for i, b := range n.branches {
		names[i] = b.typeName()
	}
	return "union [" + strings.Join(names, ", ") + "]"
}

func (n *unionNode) kind() rows.Kind {
	if nn := n.nonNull(); nn != nil {
		return nn.kind()
	}
	return rows.KindAny
}

// nonNull returns the single non-null branch, or nil.
func (n *unionNode) nonNull() node {
	var out node
	for i, b := range n.branches {
		if i == n.null {
			continue
		}
		if out != nil {
			return nil
		}
		out = b
	}
	return out
}

func (n *unionNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	k := v.Kind()
	// A null text is null in a nullable field that takes no string
	// ("NA" stays a string in a nullable string field unless
	// InferAllFields, which e.value applied already).
	if k == rows.KindString && n.null >= 0 && !n.takesString && e.Conv.IsNullText(v.AsString()) {
		k, v = rows.KindNull, rows.Null
	}
	if k == rows.KindNull {
		if n.null < 0 {
			return dst, errNull(n)
		}
		return appendLong(dst, int64(n.null)), nil
	}
	var firstErr error
	// Natural matches first, then branches the value may convert to, each
	// in schema order.
	for score := 2; score >= 1; score-- {
		for i, b := range n.branches {
			if b.match(k) != score {
				continue
			}
			out, err := e.value(b, appendLong(dst, int64(i)), v)
			if err == nil {
				return out, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr != nil {
		return dst, firstErr
	}
	return dst, errKind(n, v)
}

func (n *unionNode) dec(d *Decoder) rows.Value {
	i := d.long()
	if d.err != nil {
		return rows.Null
	}
	if i < 0 || i >= int64(len(n.branches)) {
		d.fail("union branch %d out of range (%d branches)", i, len(n.branches))
		return rows.Null
	}
	return n.branches[i].dec(d)
}

func (n *unionNode) match(k rows.Kind) int {
	best := 0
	for _, b := range n.branches {
		best = max(best, b.match(k))
	}
	return best
}
