package message

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Type is a message type. Anything the specification does not name is
// Unknown (the specification permits any type).
type Type uint8

const (
	Unknown Type = iota
	Record
	Schema
	State
	ActivateVersion
	Batch
)

var typeNames = [...]string{"UNKNOWN", "RECORD", "SCHEMA", "STATE", "ACTIVATE_VERSION", "BATCH"}

func (t Type) String() string { return typeNames[t] }

// Head holds the members of one message that sluice looks at, as spans of
// the line (valid as long as the line is). Spans of absent members are nil.
type Head struct {
	Type Type
	// TypeName is the "type" member as written (decoded).
	TypeName string
	// Stream is the decoded "stream" member.
	Stream        []byte
	Record        []byte
	Schema        []byte
	Value         []byte // STATE value
	KeyProperties []byte
	Bookmarks     []byte // bookmark_properties
	Version       []byte
	TimeExtracted []byte
	Manifest      []byte // BATCH
	Encoding      []byte // BATCH
}

// ErrNoType is returned for a message without a "type" member.
var ErrNoType = errors.New(`message has no "type" member`)

// Skim reads the top-level members of a message. With full false it stops
// as soon as the type is known and, for RECORD, the stream, and for STATE,
// the value: enough to route and count a message without scanning the rest
// of a large record.
func Skim(line []byte, h *Head, full bool) error {
	*h = Head{}
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return errors.New("message is not a JSON object")
	}
	i++
	haveType := false
	for {
		i = skipWS(line, i)
		if i >= len(line) {
			return errors.New("unexpected end of message")
		}
		if line[i] == '}' {
			if j := skipWS(line, i+1); j != len(line) {
				return fmt.Errorf("unexpected data after the message at column %d", j+1)
			}
			break
		}
		if line[i] == ',' {
			i++
			continue
		}
		if line[i] != '"' {
			return fmt.Errorf("expected a member name at column %d", i+1)
		}
		kEnd, err := skipString(line, i)
		if err != nil {
			return err
		}
		key := line[i+1 : kEnd-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(line[i:kEnd], &s); err != nil {
				return fmt.Errorf("member name at column %d: %w", i+1, err)
			}
			key = []byte(s)
		}
		i = skipWS(line, kEnd)
		if i >= len(line) || line[i] != ':' {
			return fmt.Errorf("expected ':' at column %d", i+1)
		}
		i = skipWS(line, i+1)
		vStart := i
		if i, err = skipValue(line, i); err != nil {
			return err
		}
		v := line[vStart:i]
		switch string(key) {
		case "type":
			s, err := decodeString(v)
			if err != nil {
				return fmt.Errorf(`"type": %w`, err)
			}
			h.TypeName = s
			h.Type = ParseType(s)
			haveType = true
		case "stream":
			// A non-string stream leaves Stream nil: RECORD and SCHEMA
			// consumers reject that, other types do not care.
			h.Stream, _ = stringSpan(v)
		case "record":
			h.Record = v
		case "schema":
			h.Schema = v
		case "value":
			h.Value = v
		case "key_properties":
			h.KeyProperties = v
		case "bookmark_properties":
			h.Bookmarks = v
		case "version":
			h.Version = v
		case "time_extracted":
			h.TimeExtracted = v
		case "manifest":
			h.Manifest = v
		case "encoding":
			h.Encoding = v
		}
		if !full && haveType {
			switch h.Type {
			case Record:
				if h.Stream != nil {
					return nil
				}
			case State:
				if h.Value != nil {
					return nil
				}
			}
		}
	}
	if !haveType {
		return ErrNoType
	}
	return nil
}

// ParseType maps a type name to a Type, case-insensitively.
func ParseType(s string) Type {
	for t := Record; t <= Batch; t++ {
		if equalFold(s, typeNames[t]) {
			return t
		}
	}
	return Unknown
}

func equalFold(s, upper string) bool {
	if len(s) != len(upper) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}

func decodeString(v []byte) (string, error) {
	b, err := stringSpan(v)
	return string(b), err
}

// stringSpan returns the content of a JSON string, decoding escapes only
// when there are some.
func stringSpan(v []byte) ([]byte, error) {
	if len(v) < 2 || v[0] != '"' {
		return nil, errors.New("expected a string")
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just after the string starting at b[i].
func skipString(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, fmt.Errorf("unterminated string at column %d", i+1)
		}
		j += k
		// Count the backslashes before the quote: an odd number escapes it.
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, nil
		}
		j++
	}
}

const maxDepth = 10000

// skipValue returns the index just after the JSON value starting at b[i].
// It checks structure (strings, brackets, literals), not number syntax.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("unexpected end of message")
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{' || c == '[':
		return skipContainer(b, i)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(b) {
			c := b[j]
			if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
				j++
				continue
			}
			break
		}
		return j, nil
	default:
		return 0, fmt.Errorf("unexpected %q at column %d", c, i+1)
	}
}

func literal(b []byte, i int, lit string) (int, error) {
	if !bytes.HasPrefix(b[i:], []byte(lit)) {
		return 0, fmt.Errorf("invalid literal at column %d", i+1)
	}
	return i + len(lit), nil
}

// skipContainer skips an object or array by matching brackets outside
// strings.
func skipContainer(b []byte, i int) (int, error) {
	var stack [64]byte
	st := stack[:0]
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			e, err := skipString(b, j)
			if err != nil {
				return 0, err
			}
			j = e - 1
		case '{', '[':
			if len(st) >= maxDepth {
				return 0, fmt.Errorf("nested deeper than %d levels at column %d", maxDepth, j+1)
			}
			st = append(st, c)
		case '}', ']':
			want := byte('{')
			if c == ']' {
				want = '['
			}
			if len(st) == 0 || st[len(st)-1] != want {
				return 0, fmt.Errorf("unbalanced %q at column %d", c, j+1)
			}
			st = st[:len(st)-1]
			if len(st) == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("unterminated %q starting at column %d", b[i], i+1)
}

// Members calls fn with the raw name (decoded) and value span of every
// member of a JSON object, in order. Spans alias obj.
func Members(obj []byte, fn func(name, value []byte) error) error {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errors.New("expected a JSON object")
	}
	i++
	for {
		i = skipWS(obj, i)
		if i >= len(obj) {
			return errors.New("unexpected end of object")
		}
		switch obj[i] {
		case '}':
			return nil
		case ',':
			i++
			continue
		case '"':
		default:
			return fmt.Errorf("expected a member name at column %d", i+1)
		}
		kEnd, err := skipString(obj, i)
		if err != nil {
			return err
		}
		name, err := stringSpan(obj[i:kEnd])
		if err != nil {
			return err
		}
		i = skipWS(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return fmt.Errorf("expected ':' at column %d", i+1)
		}
		i = skipWS(obj, i+1)
		vStart := i
		if i, err = skipValue(obj, i); err != nil {
			return err
		}
		if err := fn(name, obj[vStart:i]); err != nil {
			return err
		}
	}
}

// String returns the content of a JSON string span, decoding escapes only
// when there are some (otherwise the result aliases v).
func String(v []byte) ([]byte, error) { return stringSpan(v) }

// Elements calls fn with the span of every element of a JSON array, in
// order. Spans alias arr.
func Elements(arr []byte, fn func(value []byte) error) error {
	i := skipWS(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return errors.New("expected a JSON array")
	}
	i++
	for {
		i = skipWS(arr, i)
		if i >= len(arr) {
			return errors.New("unexpected end of array")
		}
		switch arr[i] {
		case ']':
			return nil
		case ',':
			i++
			continue
		}
		start := i
		var err error
		if i, err = skipValue(arr, i); err != nil {
			return err
		}
		if err := fn(arr[start:i]); err != nil {
			return err
		}
	}
}
