package protobuf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sluicehq/sluice/internal/rows"
)

// Decode reads one message into a map with every field in declaration
// order: fields without presence that are absent hold their default (as
// protobuf reads them), fields with presence and unset oneof members are
// null, repeated fields lists, map fields maps (keys as text), enums their
// value names, Timestamps timestamps (text with nanoseconds when they
// have more precision than microseconds), Durations text ("1.5s"),
// wrappers their scalar or null, uint64 beyond int64 exact decimals.
func (c *Codec) Decode(b []byte) (rows.Value, error) {
	return decodeMessage(b, c.md, 0)
}

var errDepth = errors.New("messages nested more than 64 deep")

func decodeMessage(b []byte, md protoreflect.MessageDescriptor, depth int) (rows.Value, error) {
	if depth > 64 {
		return rows.Null, errDepth
	}
	fields := md.Fields()
	vals := make([]rows.Value, fields.Len())
	lists := make([][]rows.Value, fields.Len())
	maps := make([][]rows.Value, fields.Len())
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return rows.Null, fmt.Errorf("%s: %w", md.FullName(), protowire.ParseError(n))
		}
		b = b[n:]
		fd := fields.ByNumber(num)
		if fd == nil {
			// Unknown fields (a newer writer) are skipped.
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return rows.Null, fmt.Errorf("%s: field %d: %w", md.FullName(), num, protowire.ParseError(m))
			}
			b = b[m:]
			continue
		}
		i := fd.Index()
		name := string(fd.Name())
		switch {
		case fd.IsMap():
			e, m := protowire.ConsumeBytes(b)
			if m < 0 || typ != protowire.BytesType {
				return rows.Null, fmt.Errorf("%s: map entry: %w", name, protowire.ParseError(m))
			}
			b = b[m:]
			k, v, err := decodeEntry(e, fd, depth)
			if err != nil {
				return rows.Null, fmt.Errorf("%s: %w", name, err)
			}
			maps[i] = append(maps[i], rows.String(k), v)
		case fd.IsList():
			if typ == protowire.BytesType && packable(fd.Kind()) {
				p, m := protowire.ConsumeBytes(b)
				if m < 0 {
					return rows.Null, fmt.Errorf("%s: %w", name, protowire.ParseError(m))
				}
				b = b[m:]
				for len(p) > 0 {
					v, k, err := decodeValue(p, wireType(fd.Kind()), fd, depth)
					if err != nil {
						return rows.Null, fmt.Errorf("%s: %w", name, err)
					}
					lists[i] = append(lists[i], v)
					p = p[k:]
				}
				continue
			}
			v, k, err := decodeValue(b, typ, fd, depth)
			if err != nil {
				return rows.Null, fmt.Errorf("%s: %w", name, err)
			}
			b = b[k:]
			lists[i] = append(lists[i], v)
		default:
			v, k, err := decodeValue(b, typ, fd, depth)
			if err != nil {
				return rows.Null, fmt.Errorf("%s: %w", name, err)
			}
			b = b[k:]
			if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
				// The last member on the wire wins, as in protobuf.
				for j := 0; j < o.Fields().Len(); j++ {
					vals[o.Fields().Get(j).Index()] = rows.Null
				}
			}
			vals[i] = v
		}
	}
	kv := make([]rows.Value, 0, 2*fields.Len())
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		v := vals[i]
		switch {
		case fd.IsMap():
			v = rows.MapOf(maps[i])
		case fd.IsList():
			v = rows.List(lists[i])
			if lists[i] == nil {
				v = rows.List([]rows.Value{})
			}
		case v.Kind() == rows.KindNull && !fd.HasPresence():
			v = defaultOf(fd)
		}
		kv = append(kv, rows.String(string(fd.Name())), v)
	}
	return rows.MapOf(kv), nil
}

func packable(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind, protoreflect.GroupKind:
		return false
	}
	return true
}

func defaultOf(fd protoreflect.FieldDescriptor) rows.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return rows.Bool(false)
	case protoreflect.StringKind:
		return rows.String("")
	case protoreflect.BytesKind:
		return rows.Bytes([]byte{})
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return rows.Float(0)
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(0); ev != nil {
			return rows.String(string(ev.Name()))
		}
		return rows.Int(0)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return rows.Null
	}
	return rows.Int(0)
}

func decodeEntry(e []byte, fd protoreflect.FieldDescriptor, depth int) (string, rows.Value, error) {
	kd, vd := fd.MapKey(), fd.MapValue()
	key := defaultOf(kd)
	val := defaultOf(vd)
	for len(e) > 0 {
		num, typ, n := protowire.ConsumeTag(e)
		if n < 0 {
			return "", rows.Null, protowire.ParseError(n)
		}
		e = e[n:]
		var target protoreflect.FieldDescriptor
		switch num {
		case 1:
			target = kd
		case 2:
			target = vd
		default:
			m := protowire.ConsumeFieldValue(num, typ, e)
			if m < 0 {
				return "", rows.Null, protowire.ParseError(m)
			}
			e = e[m:]
			continue
		}
		v, k, err := decodeValue(e, typ, target, depth)
		if err != nil {
			return "", rows.Null, err
		}
		e = e[k:]
		if num == 1 {
			key = v
		} else {
			val = v
		}
	}
	var ks string
	switch key.Kind() {
	case rows.KindString:
		ks = key.AsString()
	case rows.KindBool:
		ks = strconv.FormatBool(key.AsBool())
	default:
		ks = key.String()
	}
	if vd.Kind() == protoreflect.MessageKind && val.IsNull() {
		if v, err := decodeMessageValue(nil, vd.Message(), depth+1); err == nil {
			val = v
		}
	}
	return ks, val, nil
}

// decodeValue reads one value of fd's kind; it returns the bytes used.
func decodeValue(b []byte, typ protowire.Type, fd protoreflect.FieldDescriptor, depth int) (rows.Value, int, error) {
	k := fd.Kind()
	if want := wireType(k); typ != want && !(k == protoreflect.GroupKind) {
		return rows.Null, 0, fmt.Errorf("wire type %d, want %d for a %s", typ, want, k)
	}
	switch typ {
	case protowire.VarintType:
		u, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return rows.Null, 0, protowire.ParseError(n)
		}
		switch k {
		case protoreflect.BoolKind:
			return rows.Bool(u != 0), n, nil
		case protoreflect.Int32Kind:
			return rows.Int(int64(int32(u))), n, nil
		case protoreflect.Uint32Kind:
			return rows.Int(int64(uint32(u))), n, nil
		case protoreflect.Sint32Kind:
			return rows.Int(int64(int32(protowire.DecodeZigZag(u & math.MaxUint32)))), n, nil
		case protoreflect.Sint64Kind:
			return rows.Int(protowire.DecodeZigZag(u)), n, nil
		case protoreflect.Uint64Kind:
			return uintValue(u), n, nil
		case protoreflect.EnumKind:
			num := protoreflect.EnumNumber(int32(u))
			if ev := fd.Enum().Values().ByNumber(num); ev != nil {
				return rows.String(string(ev.Name())), n, nil
			}
			return rows.Int(int64(num)), n, nil
		}
		return rows.Int(int64(u)), n, nil
	case protowire.Fixed32Type:
		u, n := protowire.ConsumeFixed32(b)
		if n < 0 {
			return rows.Null, 0, protowire.ParseError(n)
		}
		switch k {
		case protoreflect.FloatKind:
			return rows.Float(float64(math.Float32frombits(u))), n, nil
		case protoreflect.Sfixed32Kind:
			return rows.Int(int64(int32(u))), n, nil
		}
		return rows.Int(int64(u)), n, nil
	case protowire.Fixed64Type:
		u, n := protowire.ConsumeFixed64(b)
		if n < 0 {
			return rows.Null, 0, protowire.ParseError(n)
		}
		switch k {
		case protoreflect.DoubleKind:
			return rows.Float(math.Float64frombits(u)), n, nil
		case protoreflect.Sfixed64Kind:
			return rows.Int(int64(u)), n, nil
		}
		return uintValue(u), n, nil
	case protowire.BytesType:
		p, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return rows.Null, 0, protowire.ParseError(n)
		}
		switch k {
		case protoreflect.StringKind:
			if fd.ParentFile().Syntax() == protoreflect.Proto3 && !utf8.Valid(p) {
				// protobuf-go and protobuf-java refuse it too.
				return rows.Null, 0, errors.New("a proto3 string is not valid UTF-8")
			}
			return rows.String(string(p)), n, nil
		case protoreflect.BytesKind:
			return rows.Bytes(append([]byte{}, p...)), n, nil
		}
		v, err := decodeMessageValue(p, fd.Message(), depth+1)
		return v, n, err
	}
	return rows.Null, 0, fmt.Errorf("unsupported wire type %d", typ)
}

func uintValue(u uint64) rows.Value {
	if u > math.MaxInt64 {
		d, _ := rows.ParseDecimal(strconv.FormatUint(u, 10))
		return d
	}
	return rows.Int(int64(u))
}

// decodeMessageValue reads a message field: the well-known types as their
// natural values, others as maps.
func decodeMessageValue(b []byte, md protoreflect.MessageDescriptor, depth int) (rows.Value, error) {
	name := md.FullName()
	switch {
	case name == "google.protobuf.Timestamp", name == "google.protobuf.Duration":
		m, err := decodeMessage(b, md, depth)
		if err != nil {
			return rows.Null, err
		}
		s, _ := m.Get("seconds")
		ns, _ := m.Get("nanos")
		if name == "google.protobuf.Duration" {
			return rows.String(formatDuration(s.AsInt(), int32(ns.AsInt()))), nil
		}
		if ns.AsInt()%1000 == 0 && s.AsInt() > math.MinInt64/1_000_000 && s.AsInt() < math.MaxInt64/1_000_000 {
			return rows.TimestampTZ(s.AsInt()*1e6+ns.AsInt()/1000, 0), nil
		}
		return rows.String(time.Unix(s.AsInt(), ns.AsInt()).UTC().Format(time.RFC3339Nano)), nil
	case isWrapper(name):
		m, err := decodeMessage(b, md, depth)
		if err != nil {
			return rows.Null, err
		}
		v, _ := m.Get("value")
		return v, nil
	}
	return decodeMessage(b, md, depth)
}

// formatDuration writes a duration as Protobuf's JSON mapping does: seconds
// with 0, 3, 6 or 9 fractional digits and an "s".
func formatDuration(s int64, n int32) string {
	neg := s < 0 || n < 0
	if s < 0 {
		s = -s
	}
	if n < 0 {
		n = -n
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatInt(s, 10))
	if n != 0 {
		frac := fmt.Sprintf("%09d", n)
		switch {
		case n%1e6 == 0:
			frac = frac[:3]
		case n%1e3 == 0:
			frac = frac[:6]
		}
		b.WriteByte('.')
		b.WriteString(frac)
	}
	b.WriteByte('s')
	return b.String()
}
