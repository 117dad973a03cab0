package avro

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/connectors/kafka/internal/conv"
	"github.com/sluicehq/sluice/internal/rows"
)

var errShort = errors.New("avro: unexpected end of data")

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

func appendLong(dst []byte, n int64) []byte { return binary.AppendVarint(dst, n) } // zig-zag, as Avro

func readLong(b []byte) (int64, []byte, error) {
	n, k := binary.Varint(b)
	if k <= 0 {
		if k == 0 {
			return 0, nil, errShort
		}
		return 0, nil, errors.New("avro: varint overflows a long")
	}
	return n, b[k:], nil
}

func readBytes(b []byte) ([]byte, []byte, error) {
	n, rest, err := readLong(b)
	if err != nil {
		return nil, nil, err
	}
	if n < 0 || n > int64(len(rest)) {
		return nil, nil, fmt.Errorf("avro: length %d exceeds the %d bytes left", n, len(rest))
	}
	return rest[:n:n], rest[n:], nil
}

// ---- null, boolean

type nullNode struct{}

func (nullNode) typeName() string { return "null" }
func (n nullNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	if !v.IsNull() {
		return dst, errKind(n, v)
	}
	return dst, nil
}
func (nullNode) dec(b []byte) (rows.Value, []byte, error) { return rows.Null, b, nil }
func (nullNode) match(k rows.Kind) int {
	if k == rows.KindNull {
		return 2
	}
	return 0
}

type boolNode struct{}

func (boolNode) typeName() string { return "boolean" }
func (n boolNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindBool:
		if v.AsBool() {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case rows.KindString:
		switch strings.TrimSpace(v.AsString()) {
		case "true":
			return append(dst, 1), nil
		case "false":
			return append(dst, 0), nil
		}
	case rows.KindNull:
		return dst, errNull(n)
	}
	return dst, errKind(n, v)
}
func (boolNode) dec(b []byte) (rows.Value, []byte, error) {
	if len(b) < 1 {
		return rows.Null, nil, errShort
	}
	switch b[0] {
	case 0:
		return rows.Bool(false), b[1:], nil
	case 1:
		return rows.Bool(true), b[1:], nil
	}
	return rows.Null, nil, fmt.Errorf("avro: invalid boolean byte %d", b[0])
}
func (boolNode) match(k rows.Kind) int {
	switch k {
	case rows.KindBool:
		return 2
	case rows.KindString:
		return 1
	}
	return 0
}

// ---- int, long

type intNode struct{ bits int }

func (n intNode) typeName() string {
	if n.bits == 32 {
		return "int"
	}
	return "long"
}
func (n intNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		return dst, errNull(n)
	}
	i, err := conv.ToInt64(v)
	if err != nil {
		return dst, fmt.Errorf("%s field: %w", n.typeName(), err)
	}
	if n.bits == 32 && (i < math.MinInt32 || i > math.MaxInt32) {
		return dst, fmt.Errorf("%d is out of the range of an int field (32 bits); use long", i)
	}
	return appendLong(dst, i), nil
}
func (n intNode) dec(b []byte) (rows.Value, []byte, error) {
	i, rest, err := readLong(b)
	if err != nil {
		return rows.Null, nil, err
	}
	if n.bits == 32 && (i < math.MinInt32 || i > math.MaxInt32) {
		return rows.Null, nil, fmt.Errorf("avro: int %d out of range", i)
	}
	return rows.Int(i), rest, nil
}
func (intNode) match(k rows.Kind) int {
	switch k {
	case rows.KindInt:
		return 2
	case rows.KindDecimal, rows.KindFloat, rows.KindString:
		return 1
	}
	return 0
}

// ---- float, double

type floatNode struct{}

func (floatNode) typeName() string { return "float" }
func (n floatNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		return dst, errNull(n)
	}
	f, err := conv.ToFloat64(v)
	if err != nil {
		return dst, fmt.Errorf("float field: %w", err)
	}
	f32 := float32(f)
	if math.IsInf(float64(f32), 0) && !math.IsInf(f, 0) {
		return dst, fmt.Errorf("%v is out of the range of a float field (32 bits); use double", f)
	}
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(f32)), nil
}
func (floatNode) dec(b []byte) (rows.Value, []byte, error) {
	if len(b) < 4 {
		return rows.Null, nil, errShort
	}
	return rows.Float(float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))), b[4:], nil
}
func (floatNode) match(k rows.Kind) int {
	switch k {
	case rows.KindFloat:
		return 2
	case rows.KindInt, rows.KindDecimal, rows.KindString:
		return 1
	}
	return 0
}

type doubleNode struct{}

func (doubleNode) typeName() string { return "double" }
func (n doubleNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		return dst, errNull(n)
	}
	f, err := conv.ToFloat64(v)
	if err != nil {
		return dst, fmt.Errorf("double field: %w", err)
	}
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), nil
}
func (doubleNode) dec(b []byte) (rows.Value, []byte, error) {
	if len(b) < 8 {
		return rows.Null, nil, errShort
	}
	return rows.Float(math.Float64frombits(binary.LittleEndian.Uint64(b))), b[8:], nil
}
func (doubleNode) match(k rows.Kind) int { return floatNode{}.match(k) }

// ---- bytes, string, fixed, enum, uuid

type bytesNode struct{}

func (bytesNode) typeName() string { return "bytes" }
func (n bytesNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindBytes, rows.KindString:
		b := v.AsBytes()
		return append(appendLong(dst, int64(len(b))), b...), nil
	case rows.KindNull:
		return dst, errNull(n)
	}
	return dst, errKind(n, v)
}
func (bytesNode) dec(b []byte) (rows.Value, []byte, error) {
	p, rest, err := readBytes(b)
	if err != nil {
		return rows.Null, nil, err
	}
	return rows.Bytes(p), rest, nil
}
func (bytesNode) match(k rows.Kind) int {
	switch k {
	case rows.KindBytes:
		return 2
	case rows.KindString:
		return 1
	}
	return 0
}

type stringNode struct{}

func (stringNode) typeName() string { return "string" }
func (n stringNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindString, rows.KindBytes:
		b := v.AsBytes()
		return append(appendLong(dst, int64(len(b))), b...), nil
	case rows.KindNull:
		return dst, errNull(n)
	case rows.KindList, rows.KindMap:
		return dst, errKind(n, v)
	}
	// Scalars have one exact text form (decimals keep their digits,
	// temporal values are ISO-8601): writing it loses nothing.
	s := v.String()
	return append(appendLong(dst, int64(len(s))), s...), nil
}
func (stringNode) dec(b []byte) (rows.Value, []byte, error) {
	p, rest, err := readBytes(b)
	if err != nil {
		return rows.Null, nil, err
	}
	return rows.StringBytes(p), rest, nil
}
func (stringNode) match(k rows.Kind) int {
	switch k {
	case rows.KindString:
		return 2
	case rows.KindNull, rows.KindList, rows.KindMap:
		return 0
	}
	return 1
}

type fixedNode struct {
	name string
	size int
}

func (n *fixedNode) typeName() string { return fmt.Sprintf("fixed %s(%d)", n.name, n.size) }
func (n *fixedNode) enc(dst []byte, v rows.Value) ([]byte, error) {
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
func (n *fixedNode) dec(b []byte) (rows.Value, []byte, error) {
	if len(b) < n.size {
		return rows.Null, nil, errShort
	}
	return rows.Bytes(b[:n.size:n.size]), b[n.size:], nil
}
func (n *fixedNode) match(k rows.Kind) int { return bytesNode{}.match(k) }

type enumNode struct {
	name    string
	symbols []string
	index   map[string]int
}

func (n *enumNode) typeName() string { return "enum " + n.name }
func (n *enumNode) enc(dst []byte, v rows.Value) ([]byte, error) {
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
func (n *enumNode) dec(b []byte) (rows.Value, []byte, error) {
	i, rest, err := readLong(b)
	if err != nil {
		return rows.Null, nil, err
	}
	if i < 0 || i >= int64(len(n.symbols)) {
		return rows.Null, nil, fmt.Errorf("avro: enum index %d out of range for %s", i, n.name)
	}
	return rows.String(n.symbols[i]), rest, nil
}
func (n *enumNode) match(k rows.Kind) int {
	if k == rows.KindString {
		return 2
	}
	return 0
}

type uuidNode struct{}

func (uuidNode) typeName() string { return "uuid" }
func (n uuidNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	var u [16]byte
	switch v.Kind() {
	case rows.KindString:
		var err error
		if u, err = ParseUUID(v.AsString()); err != nil {
			return dst, err
		}
	case rows.KindBytes:
		if len(v.AsBytes()) != 16 {
			return dst, fmt.Errorf("%d bytes are not a UUID (16 needed)", len(v.AsBytes()))
		}
		copy(u[:], v.AsBytes())
	case rows.KindNull:
		return dst, errNull(n)
	default:
		return dst, errKind(n, v)
	}
	dst = appendLong(dst, 36)
	return AppendUUID(dst, u), nil
}
func (uuidNode) dec(b []byte) (rows.Value, []byte, error) {
	p, rest, err := readBytes(b)
	if err != nil {
		return rows.Null, nil, err
	}
	return rows.StringBytes(p), rest, nil
}
func (uuidNode) match(k rows.Kind) int {
	switch k {
	case rows.KindString:
		return 2
	case rows.KindBytes:
		return 1
	}
	return 0
}

// uuidFixedNode is Avro 1.12's uuid on fixed(16): the 16 bytes.
type uuidFixedNode struct{}

func (uuidFixedNode) typeName() string { return "uuid fixed(16)" }
func (n uuidFixedNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindString:
		u, err := ParseUUID(v.AsString())
		if err != nil {
			return dst, err
		}
		return append(dst, u[:]...), nil
	case rows.KindBytes:
		if len(v.AsBytes()) != 16 {
			return dst, fmt.Errorf("%d bytes are not a UUID (16 needed)", len(v.AsBytes()))
		}
		return append(dst, v.AsBytes()...), nil
	case rows.KindNull:
		return dst, errNull(n)
	}
	return dst, errKind(n, v)
}
func (uuidFixedNode) dec(b []byte) (rows.Value, []byte, error) {
	if len(b) < 16 {
		return rows.Null, nil, errShort
	}
	var u [16]byte
	copy(u[:], b)
	return rows.String(string(AppendUUID(nil, u))), b[16:], nil
}
func (uuidFixedNode) match(k rows.Kind) int { return uuidNode{}.match(k) }

// ParseUUID parses the 36-character form (8-4-4-4-12 hex digits, any case).
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("%q is not a UUID (8-4-4-4-12 hex digits)", s)
	}
	j := 0
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, fmt.Errorf("%q is not a UUID (8-4-4-4-12 hex digits)", s)
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, nil
}

// AppendUUID appends the lower-case 36-character form, as Java's
// UUID.toString writes it.
func AppendUUID(dst []byte, u [16]byte) []byte {
	const hexd = "0123456789abcdef"
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexd[c>>4], hexd[c&0xf])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ---- array, map, record, union

type arrayNode struct{ items node }

func (n *arrayNode) typeName() string { return "array" }
func (n *arrayNode) enc(dst []byte, v rows.Value) ([]byte, error) {
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
			if dst, err = n.items.enc(dst, it); err != nil {
				return dst, inField("["+strconv.Itoa(i)+"]", err)
			}
		}
	}
	return append(dst, 0), nil
}
func (n *arrayNode) dec(b []byte) (rows.Value, []byte, error) {
	var items []rows.Value
	for {
		cnt, rest, err := readLong(b)
		if err != nil {
			return rows.Null, nil, err
		}
		b = rest
		if cnt == 0 {
			return rows.List(items), b, nil
		}
		if cnt < 0 {
			// A negative count is followed by the block's byte size.
			cnt = -cnt
			if _, b, err = readLong(b); err != nil {
				return rows.Null, nil, err
			}
		}
		if cnt > int64(len(b)) && !zeroSize(n.items) {
			return rows.Null, nil, fmt.Errorf("avro: array block of %d items exceeds the data", cnt)
		}
		for ; cnt > 0; cnt-- {
			var it rows.Value
			if it, b, err = n.items.dec(b); err != nil {
				return rows.Null, nil, err
			}
			items = append(items, it)
		}
	}
}
func (n *arrayNode) match(k rows.Kind) int {
	if k == rows.KindList {
		return 2
	}
	return 0
}

// zeroSize reports types whose values take no bytes (so a count cannot be
// bounded by the data left).
func zeroSize(n node) bool {
	_, ok := n.(nullNode)
	return ok
}

type mapNode struct{ values node }

func (n *mapNode) typeName() string { return "map" }
func (n *mapNode) enc(dst []byte, v rows.Value) ([]byte, error) {
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
			if dst, err = n.values.enc(dst, x); err != nil {
				return dst, inField("["+strconv.Quote(k)+"]", err)
			}
		}
	}
	return append(dst, 0), nil
}
func (n *mapNode) dec(b []byte) (rows.Value, []byte, error) {
	var kv []rows.Value
	for {
		cnt, rest, err := readLong(b)
		if err != nil {
			return rows.Null, nil, err
		}
		b = rest
		if cnt == 0 {
			return rows.MapOf(kv), b, nil
		}
		if cnt < 0 {
			cnt = -cnt
			if _, b, err = readLong(b); err != nil {
				return rows.Null, nil, err
			}
		}
		if cnt > int64(len(b)) {
			return rows.Null, nil, fmt.Errorf("avro: map block of %d entries exceeds the data", cnt)
		}
		for ; cnt > 0; cnt-- {
			var k []byte
			if k, b, err = readBytes(b); err != nil {
				return rows.Null, nil, err
			}
			var x rows.Value
			if x, b, err = n.values.dec(b); err != nil {
				return rows.Null, nil, err
			}
			kv = append(kv, rows.StringBytes(k), x)
		}
	}
}
func (n *mapNode) match(k rows.Kind) int {
	if k == rows.KindMap {
		return 2
	}
	return 0
}

type recordField struct {
	name     string
	node     node
	def      []byte // encoded default, nil when the field has none
	nullable bool   // a union with null: a missing value is written as null
	nullIdx  int
}

// encMissing writes a field the input does not have: its default, else
// null when the field accepts it.
func (f *recordField) encMissing(dst []byte) ([]byte, error) {
	if f.def != nil {
		return append(dst, f.def...), nil
	}
	if f.nullable {
		return appendLong(dst, int64(f.nullIdx)), nil
	}
	return dst, errors.New("missing, and the field has no default and does not accept null")
}

type recordNode struct {
	name   string
	fields []recordField
}

func (n *recordNode) typeName() string { return "record " + n.name }

func (n *recordNode) names() []string {
	out := make([]string, len(n.fields))
	for i, f := range n.fields {
		out[i] = f.name
	}
	return out
}

// index finds a field by name, trying position hint first (maps built from
// rows usually list fields in schema order).
func (n *recordNode) index(name string, hint int) int {
	if hint < len(n.fields) && n.fields[hint].name == name {
		return hint
	}
	for i := range n.fields {
		if n.fields[i].name == name {
			return i
		}
	}
	return -1
}

func (n *recordNode) enc(dst []byte, v rows.Value) ([]byte, error) {
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
		var err error
		if ok {
			matched++
			dst, err = f.node.enc(dst, x)
		} else {
			dst, err = f.encMissing(dst)
		}
		if err != nil {
			return dst, inField(f.name, err)
		}
	}
	if matched < v.Len() {
		for i := 0; i < v.Len(); i++ {
			k, _ := v.Entry(i)
			if n.index(k, i) < 0 {
				return dst, fmt.Errorf("%q is not a field of %s (fields: %s)", k, n.typeName(), strings.Join(n.names(), ", "))
			}
		}
	}
	return dst, nil
}

// lookup finds key in map value m, trying entry hint first.
func lookup(m rows.Value, key string, hint int) (rows.Value, bool) {
	if hint < m.Len() {
		if k, x := m.Entry(hint); k == key {
			return x, true
		}
	}
	return m.Get(key)
}

func (n *recordNode) dec(b []byte) (rows.Value, []byte, error) {
	kv := make([]rows.Value, 0, 2*len(n.fields))
	for i := range n.fields {
		f := &n.fields[i]
		x, rest, err := f.node.dec(b)
		if err != nil {
			return rows.Null, nil, inField(f.name, err)
		}
		b = rest
		kv = append(kv, rows.String(f.name), x)
	}
	return rows.MapOf(kv), b, nil
}
func (n *recordNode) match(k rows.Kind) int {
	if k == rows.KindMap {
		return 2
	}
	return 0
}

type unionNode struct {
	branches []node
	null     int // index of the null branch, -1 when none
}

func (n *unionNode) typeName() string {
	names := make([]string, len(n.branches))
	for i, b := range n.branches {
		names[i] = b.typeName()
	}
	return "union [" + strings.Join(names, ", ") + "]"
}

func (n *unionNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		if n.null < 0 {
			return dst, errNull(n)
		}
		return appendLong(dst, int64(n.null)), nil
	}
	k := v.Kind()
	var firstErr error
	// Natural matches first, then branches the value may convert to, each
	// in schema order.
	for score := 2; score >= 1; score-- {
		for i, b := range n.branches {
			if b.match(k) != score {
				continue
			}
			out, err := b.enc(appendLong(dst, int64(i)), v)
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

func (n *unionNode) dec(b []byte) (rows.Value, []byte, error) {
	i, rest, err := readLong(b)
	if err != nil {
		return rows.Null, nil, err
	}
	if i < 0 || i >= int64(len(n.branches)) {
		return rows.Null, nil, fmt.Errorf("avro: union branch %d out of range (%d branches)", i, len(n.branches))
	}
	return n.branches[i].dec(rest)
}

func (n *unionNode) match(k rows.Kind) int {
	best := 0
	for _, b := range n.branches {
		best = max(best, b.match(k))
	}
	return best
}
