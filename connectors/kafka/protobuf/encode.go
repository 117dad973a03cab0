package protobuf

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sluicehq/sluice/internal/rows"
)

// conv converts values as every sluice writer does.
var conv rows.Converter

// Codec encodes and decodes one message type.
type Codec struct {
	md protoreflect.MessageDescriptor
	// scratch holds one buffer per nesting depth for length-prefixed
	// parts (sub-messages, packed lists, map entries), reused across
	// records. A Codec is used by one goroutine at a time.
	scratch [][]byte
	// rowFields binds the columns of the row schema last seen.
	rowSchema *rows.Schema
	rowFields []protoreflect.FieldDescriptor
	rowOrder  []int // column indexes in field-number order
	byNumber  map[protoreflect.FullName][]protoreflect.FieldDescriptor
}

// NewCodec returns a codec of md.
func NewCodec(md protoreflect.MessageDescriptor) *Codec { return &Codec{md: md} }

// Descriptor is the codec's message.
func (c *Codec) Descriptor() protoreflect.MessageDescriptor { return c.md }

// FieldError names the field path of a value that does not fit.
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %v", e.Path, e.Err) }
func (e *FieldError) Unwrap() error { return e.Err }

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// Append appends v (a map of field name → value) encoded as the message.
func (c *Codec) Append(dst []byte, v rows.Value) ([]byte, error) {
	if v.Kind() != rows.KindMap {
		return dst, fmt.Errorf("a %s value is not a %s message (a map of its fields)", v.Kind(), c.md.FullName())
	}
	return c.appendMessage(dst, c.md, v, "", 0)
}

// AppendRow appends a whole row as the message: columns are fields.
func (c *Codec) AppendRow(dst []byte, sc *rows.Schema, r *rows.Row) ([]byte, error) {
	if c.rowSchema != sc {
		fields := make([]protoreflect.FieldDescriptor, len(sc.Fields))
		for i, f := range sc.Fields {
			fd := fieldByName(c.md, f.Name)
			if fd == nil {
				return dst, fmt.Errorf("column %q is not a field of %s (fields: %s)", f.Name, c.md.FullName(), fieldNames(c.md))
			}
			fields[i] = fd
		}
		order := make([]int, len(fields))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(i, j int) bool { return fields[order[i]].Number() < fields[order[j]].Number() })
		c.rowSchema, c.rowFields, c.rowOrder = sc, fields, order
	}
	if err := checkOneofsRow(c.rowFields, r); err != nil {
		return dst, err
	}
	for _, i := range c.rowOrder {
		fd := c.rowFields[i]
		if i >= len(r.Values) || r.Values[i].IsNull() {
			continue
		}
		var err error
		if dst, err = c.appendField(dst, fd, r.Values[i], string(fd.Name()), 0); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func checkOneofsRow(fields []protoreflect.FieldDescriptor, r *rows.Row) error {
	var set map[protoreflect.FullName]string
	for i, fd := range fields {
		o := fd.ContainingOneof()
		if o == nil || o.IsSynthetic() || i >= len(r.Values) || r.Values[i].IsNull() {
			continue
		}
		if set == nil {
			set = map[protoreflect.FullName]string{}
		}
		if other, ok := set[o.FullName()]; ok {
			return fmt.Errorf("oneof %s: both %s and %s are set; a oneof holds one", o.Name(), other, fd.Name())
		}
		set[o.FullName()] = string(fd.Name())
	}
	return nil
}

func fieldByName(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	fs := md.Fields()
	if fd := fs.ByName(protoreflect.Name(name)); fd != nil {
		return fd
	}
	return fs.ByJSONName(name)
}

func fieldNames(md protoreflect.MessageDescriptor) string {
	var out []string
	for i := 0; i < md.Fields().Len(); i++ {
		out = append(out, string(md.Fields().Get(i).Name()))
	}
	return strings.Join(out, ", ")
}

func (c *Codec) buf(depth int) []byte {
	for len(c.scratch) <= depth {
		c.scratch = append(c.scratch, nil)
	}
	return c.scratch[depth][:0]
}

func (c *Codec) keep(depth int, b []byte) { c.scratch[depth] = b }

// ordered lists md's fields by number: protobuf's encoders write them in
// that order, whatever order the input has.
func (c *Codec) ordered(md protoreflect.MessageDescriptor) []protoreflect.FieldDescriptor {
	if fs, ok := c.byNumber[md.FullName()]; ok {
		return fs
	}
	fs := make([]protoreflect.FieldDescriptor, md.Fields().Len())
	for i := range fs {
		fs[i] = md.Fields().Get(i)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Number() < fs[j].Number() })
	if c.byNumber == nil {
		c.byNumber = map[protoreflect.FullName][]protoreflect.FieldDescriptor{}
	}
	c.byNumber[md.FullName()] = fs
	return fs
}

func lookup(v rows.Value, fd protoreflect.FieldDescriptor) (rows.Value, bool) {
	if x, ok := v.Get(string(fd.Name())); ok {
		return x, true
	}
	if j := fd.JSONName(); j != string(fd.Name()) {
		return v.Get(j)
	}
	return rows.Null, false
}

func (c *Codec) appendMessage(dst []byte, md protoreflect.MessageDescriptor, v rows.Value, path string, depth int) ([]byte, error) {
	if depth > 64 {
		return dst, &FieldError{Path: path, Err: fmt.Errorf("nested more than 64 deep")}
	}
	matched := 0
	var oneofs map[protoreflect.FullName]string
	for _, fd := range c.ordered(md) {
		x, ok := lookup(v, fd)
		if !ok {
			continue
		}
		matched++
		if x.IsNull() {
			continue
		}
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
			if oneofs == nil {
				oneofs = map[protoreflect.FullName]string{}
			}
			if other, ok := oneofs[o.FullName()]; ok {
				return dst, &FieldError{Path: join(path, string(fd.Name())), Err: fmt.Errorf("oneof %s already holds %s; a oneof holds one", o.Name(), other)}
			}
			oneofs[o.FullName()] = string(fd.Name())
		}
		var err error
		if dst, err = c.appendField(dst, fd, x, join(path, string(fd.Name())), depth); err != nil {
			return dst, err
		}
	}
	if matched != v.Len() {
		for i := 0; i < v.Len(); i++ {
			if k, _ := v.Entry(i); fieldByName(md, k) == nil {
				return dst, &FieldError{Path: join(path, k), Err: fmt.Errorf("%s has no such field (fields: %s)", md.FullName(), fieldNames(md))}
			}
		}
	}
	return dst, nil
}

func (c *Codec) appendField(dst []byte, fd protoreflect.FieldDescriptor, v rows.Value, path string, depth int) ([]byte, error) {
	num := fd.Number()
	switch {
	case fd.IsMap():
		if v.Kind() != rows.KindMap {
			return dst, &FieldError{Path: path, Err: fmt.Errorf("a %s value is not a map", v.Kind())}
		}
		kd, vd := fd.MapKey(), fd.MapValue()
		for i := 0; i < v.Len(); i++ {
			k, x := v.Entry(i)
			epath := path + "[" + strconv.Quote(k) + "]"
			e := c.buf(depth + 1)
			var err error
			if e, err = appendMapKey(e, kd, k); err != nil {
				return dst, &FieldError{Path: epath, Err: err}
			}
			if !x.IsNull() {
				if e, err = c.appendSingle(e, vd, x, epath, depth+1, true); err != nil {
					return dst, err
				}
			}
			dst = protowire.AppendTag(dst, num, protowire.BytesType)
			dst = protowire.AppendBytes(dst, e)
			c.keep(depth+1, e)
		}
		return dst, nil
	case fd.IsList():
		if v.Kind() != rows.KindList {
			return dst, &FieldError{Path: path, Err: fmt.Errorf("a %s value is not a list (the field is repeated)", v.Kind())}
		}
		if fd.IsPacked() {
			p := c.buf(depth + 1)
			for i, x := range v.Items() {
				var err error
				if p, _, err = appendScalar(p, fd, x); err != nil {
					return dst, &FieldError{Path: fmt.Sprintf("%s[%d]", path, i), Err: err}
				}
			}
			if len(v.Items()) > 0 {
				dst = protowire.AppendTag(dst, num, protowire.BytesType)
				dst = protowire.AppendBytes(dst, p)
			}
			c.keep(depth+1, p)
			return dst, nil
		}
		for i, x := range v.Items() {
			if x.IsNull() && fd.Kind() != protoreflect.MessageKind {
				return dst, &FieldError{Path: fmt.Sprintf("%s[%d]", path, i), Err: fmt.Errorf("null in a repeated %s field", fd.Kind())}
			}
			var err error
			if dst, err = c.appendSingle(dst, fd, x, fmt.Sprintf("%s[%d]", path, i), depth, true); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	return c.appendSingle(dst, fd, v, path, depth, fd.HasPresence())
}

// appendSingle appends one tagged value of fd; a default value of a field
// without presence is not written, as protobuf's own encoders do.
func (c *Codec) appendSingle(dst []byte, fd protoreflect.FieldDescriptor, v rows.Value, path string, depth int, presence bool) ([]byte, error) {
	num := fd.Number()
	if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
		sub := c.buf(depth + 1)
		var err error
		if v.IsNull() {
			// A null list item of messages is an empty message.
		} else if sub, err = c.appendMessageValue(sub, fd.Message(), v, path, depth+1); err != nil {
			return dst, err
		}
		dst = protowire.AppendTag(dst, num, protowire.BytesType)
		dst = protowire.AppendBytes(dst, sub)
		c.keep(depth+1, sub)
		return dst, nil
	}
	n := len(dst)
	dst = protowire.AppendTag(dst, num, wireType(fd.Kind()))
	out, zero, err := appendScalar(dst, fd, v)
	if err != nil {
		return dst[:n], &FieldError{Path: path, Err: err}
	}
	if zero && !presence {
		return dst[:n], nil
	}
	return out, nil
}

// appendMessageValue encodes a message field's value: a map of fields, or
// for the well-known types their natural value.
func (c *Codec) appendMessageValue(dst []byte, md protoreflect.MessageDescriptor, v rows.Value, path string, depth int) ([]byte, error) {
	if v.Kind() == rows.KindMap {
		return c.appendMessage(dst, md, v, path, depth)
	}
	switch name := md.FullName(); {
	case name == "google.protobuf.Timestamp":
		us, _, err := conv.Instant(v, rows.NoEpoch)
		if err != nil {
			return dst, &FieldError{Path: path, Err: err}
		}
		return appendSecondsNanos(dst, floorDiv(us, 1e6), int32(us-floorDiv(us, 1e6)*1e6)*1000), nil
	case name == "google.protobuf.Duration":
		s, n, err := durationOf(v)
		if err != nil {
			return dst, &FieldError{Path: path, Err: err}
		}
		return appendSecondsNanos(dst, s, n), nil
	case isWrapper(name):
		out, err := c.appendSingle(dst, md.Fields().ByNumber(1), v, path, depth, false)
		return out, err
	}
	return dst, &FieldError{Path: path, Err: fmt.Errorf("a %s value is not a %s message (a map of its fields)", v.Kind(), md.FullName())}
}

func isWrapper(name protoreflect.FullName) bool {
	switch name {
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value", "google.protobuf.UInt64Value",
		"google.protobuf.Int32Value", "google.protobuf.UInt32Value", "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		return true
	}
	return false
}

func appendSecondsNanos(dst []byte, s int64, n int32) []byte {
	if s != 0 {
		dst = protowire.AppendTag(dst, 1, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(s))
	}
	if n != 0 {
		dst = protowire.AppendTag(dst, 2, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(int64(n)))
	}
	return dst
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// durationOf reads a duration: Protobuf's JSON form or Go's ("1.5s",
// "-0.000001s", "1h2m"), or ISO-8601 ("PT1H2M3.5S").
func durationOf(v rows.Value) (int64, int32, error) {
	if v.Kind() != rows.KindString {
		return 0, 0, fmt.Errorf("a %s value is not a duration (write \"1.5s\" or \"PT1.5S\")", v.Kind())
	}
	s := strings.TrimSpace(v.AsString())
	if strings.HasPrefix(strings.ToUpper(strings.TrimPrefix(s, "-")), "P") {
		d, err := parseISODuration(s)
		if err != nil {
			return 0, 0, err
		}
		return int64(d / time.Second), int32(d % time.Second), nil
	}
	// Seconds with up to 9 fractional digits, exactly (Go's parser would
	// limit it to ±292 years).
	if body, ok := strings.CutSuffix(s, "s"); ok && !strings.ContainsAny(body, "hmuµn") {
		neg := strings.HasPrefix(body, "-")
		body = strings.TrimPrefix(body, "-")
		ip, fp, _ := strings.Cut(body, ".")
		sec, err := strconv.ParseInt(ip, 10, 64)
		if err == nil && len(fp) <= 9 && sec <= 315576000000 {
			nanos := int64(0)
			if fp != "" {
				f, ferr := strconv.ParseUint(fp, 10, 32)
				if ferr != nil {
					err = ferr
				}
				nanos = int64(f) * int64(math.Pow10(9-len(fp)))
			}
			if err == nil {
				if neg {
					return -sec, int32(-nanos), nil
				}
				return sec, int32(nanos), nil
			}
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a duration (write \"1.5s\" or \"PT1.5S\")", s)
	}
	return int64(d / time.Second), int32(d % time.Second), nil
}

func parseISODuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not an ISO-8601 duration", s)
	neg := strings.HasPrefix(s, "-")
	s = strings.ToUpper(strings.TrimPrefix(s, "-"))
	s = strings.TrimPrefix(s, "P")
	datePart, timePart, _ := strings.Cut(s, "T")
	var total float64
	read := func(part string, units map[byte]float64) error {
		for part != "" {
			i := strings.IndexAny(part, "WDHMS")
			if i <= 0 {
				return bad
			}
			n, err := strconv.ParseFloat(part[:i], 64)
			u, ok := units[part[i]]
			if err != nil || !ok {
				return bad
			}
			total += n * u
			part = part[i+1:]
		}
		return nil
	}
	if err := read(datePart, map[byte]float64{'W': 7 * 86400, 'D': 86400}); err != nil {
		return 0, err
	}
	if err := read(timePart, map[byte]float64{'H': 3600, 'M': 60, 'S': 1}); err != nil {
		return 0, err
	}
	d := time.Duration(math.Round(total * 1e9))
	if neg {
		d = -d
	}
	return d, nil
}

func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	}
	return protowire.VarintType
}

// appendScalar appends the untagged value; zero reports a default value.
func appendScalar(dst []byte, fd protoreflect.FieldDescriptor, v rows.Value) ([]byte, bool, error) {
	if v.IsNull() {
		return dst, false, fmt.Errorf("null is not a %s", fd.Kind())
	}
	switch k := fd.Kind(); k {
	case protoreflect.BoolKind:
		b, err := conv.Bool(v)
		if err != nil {
			return dst, false, err
		}
		return protowire.AppendVarint(dst, protowire.EncodeBool(b)), !b, nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := conv.IntRange(v, math.MinInt32, math.MaxInt32)
		if err != nil {
			return dst, false, err
		}
		switch k {
		case protoreflect.Sint32Kind:
			dst = protowire.AppendVarint(dst, protowire.EncodeZigZag(n))
		case protoreflect.Sfixed32Kind:
			dst = protowire.AppendFixed32(dst, uint32(int32(n)))
		default:
			dst = protowire.AppendVarint(dst, uint64(n))
		}
		return dst, n == 0, nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := conv.IntRange(v, 0, math.MaxUint32)
		if err != nil {
			return dst, false, err
		}
		if k == protoreflect.Fixed32Kind {
			return protowire.AppendFixed32(dst, uint32(n)), n == 0, nil
		}
		return protowire.AppendVarint(dst, uint64(n)), n == 0, nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := conv.Int(v)
		if err != nil {
			return dst, false, err
		}
		switch k {
		case protoreflect.Sint64Kind:
			dst = protowire.AppendVarint(dst, protowire.EncodeZigZag(n))
		case protoreflect.Sfixed64Kind:
			dst = protowire.AppendFixed64(dst, uint64(n))
		default:
			dst = protowire.AppendVarint(dst, uint64(n))
		}
		return dst, n == 0, nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		u, err := toUint64(v)
		if err != nil {
			return dst, false, err
		}
		if k == protoreflect.Fixed64Kind {
			return protowire.AppendFixed64(dst, u), u == 0, nil
		}
		return protowire.AppendVarint(dst, u), u == 0, nil
	case protoreflect.FloatKind:
		f, err := conv.Float(v, 32)
		if err != nil {
			return dst, false, err
		}
		bits := math.Float32bits(float32(f))
		return protowire.AppendFixed32(dst, bits), bits == 0, nil
	case protoreflect.DoubleKind:
		f, err := conv.Float(v, 64)
		if err != nil {
			return dst, false, err
		}
		bits := math.Float64bits(f)
		return protowire.AppendFixed64(dst, bits), bits == 0, nil
	case protoreflect.StringKind:
		if v.Kind() == rows.KindString {
			// The common case: the length is known, nothing to move.
			return protowire.AppendBytes(dst, v.AsBytes()), len(v.AsBytes()) == 0, nil
		}
		n := len(dst)
		// The length prefix is written after the text: reserve the
		// common one-byte prefix and move the text when it is longer.
		dst = append(dst, 0)
		out, err := conv.AppendText(dst, v)
		if err != nil {
			return dst[:n], false, err
		}
		return fixLength(out, n), len(out) == n+1, nil
	case protoreflect.BytesKind:
		if v.Kind() != rows.KindBytes && v.Kind() != rows.KindString {
			return dst, false, fmt.Errorf("a %s value is not bytes", v.Kind())
		}
		return protowire.AppendBytes(dst, v.AsBytes()), len(v.AsBytes()) == 0, nil
	case protoreflect.EnumKind:
		ed := fd.Enum()
		var num protoreflect.EnumNumber
		switch v.Kind() {
		case rows.KindString:
			ev := ed.Values().ByName(protoreflect.Name(strings.TrimSpace(v.AsString())))
			if ev == nil {
				return dst, false, fmt.Errorf("%q is not a value of enum %s (%s)", v.AsString(), ed.FullName(), enumNames(ed))
			}
			num = ev.Number()
		default:
			n, err := conv.IntRange(v, math.MinInt32, math.MaxInt32)
			if err != nil {
				return dst, false, err
			}
			num = protoreflect.EnumNumber(n)
			if ed.IsClosed() && ed.Values().ByNumber(num) == nil {
				return dst, false, fmt.Errorf("%d is not a value of enum %s (%s)", n, ed.FullName(), enumNames(ed))
			}
		}
		return protowire.AppendVarint(dst, uint64(int64(num))), num == 0, nil
	}
	return dst, false, fmt.Errorf("unsupported field kind %s", fd.Kind())
}

// fixLength writes the length of the text after dst[n] into the byte
// reserved at n, shifting the text when the length needs more bytes.
func fixLength(b []byte, n int) []byte {
	l := len(b) - n - 1
	if l < 0x80 {
		b[n] = byte(l)
		return b
	}
	size := protowire.SizeVarint(uint64(l))
	b = append(b, make([]byte, size-1)...)
	copy(b[n+size:], b[n+1:n+1+l])
	protowire.AppendVarint(b[n:n], uint64(l))
	return b
}

func enumNames(ed protoreflect.EnumDescriptor) string {
	var out []string
	for i := 0; i < ed.Values().Len(); i++ {
		out = append(out, string(ed.Values().Get(i).Name()))
	}
	return strings.Join(out, ", ")
}

func toUint64(v rows.Value) (uint64, error) {
	switch v.Kind() {
	case rows.KindDecimal, rows.KindString:
		s := strings.TrimSpace(v.String())
		if v.Kind() == rows.KindString {
			s = strings.TrimSpace(v.AsString())
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u, nil
		}
	}
	n, err := conv.Int(v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("%d is negative: not an unsigned integer", n)
	}
	return uint64(n), nil
}

func appendMapKey(dst []byte, kd protoreflect.FieldDescriptor, k string) ([]byte, error) {
	var v rows.Value
	switch kd.Kind() {
	case protoreflect.StringKind:
		v = rows.String(k)
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(k)
		if err != nil {
			return dst, fmt.Errorf("map key %q is not a bool", k)
		}
		v = rows.Bool(b)
	default:
		v = rows.String(k)
	}
	dst = protowire.AppendTag(dst, 1, wireType(kd.Kind()))
	out, _, err := appendScalar(dst, kd, v)
	return out, err
}
