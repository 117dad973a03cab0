package template

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/internal/rows"
)

// Map is a map whose key order matters. The executor passes task outputs as a
// Map so that the json filter and for loops keep the order in which a task
// produced its keys; plain Go maps are iterated and serialized in sorted key
// order instead, because their own order is random.
type Map interface {
	Keys() []string
	Get(key string) (any, bool)
}

// LookupMap is a Map whose values are computed when a template reads them
// and may fail (a flow variable that is itself a template): a Lookup error
// fails the render at the expression that read the key. Get gives the
// values as they are, for iteration and the json filter.
type LookupMap interface {
	Map
	Lookup(key string) (v any, ok bool, err error)
}

// OrderedMap is the Map the engine itself builds: map literals ({'a': 1}) and
// json("...") produce one. The zero value is not usable; use NewOrderedMap.
type OrderedMap struct {
	keys []string
	vals map[string]any
}

// NewOrderedMap returns an empty map with room for n keys.
func NewOrderedMap(n int) *OrderedMap {
	return &OrderedMap{keys: make([]string, 0, n), vals: make(map[string]any, n)}
}

// Set adds or replaces key; a new key goes last.
func (m *OrderedMap) Set(key string, v any) {
	if _, ok := m.vals[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.vals[key] = v
}

// Get returns the value of key.
func (m *OrderedMap) Get(key string) (any, bool) {
	if m == nil {
		return nil, false
	}
	v, ok := m.vals[key]
	return v, ok
}

// Keys returns the keys in insertion order. The slice is shared: do not modify it.
func (m *OrderedMap) Keys() []string {
	if m == nil {
		return nil
	}
	return m.keys
}

// Len returns the number of keys.
func (m *OrderedMap) Len() int {
	if m == nil {
		return 0
	}
	return len(m.keys)
}

// MarshalJSON writes the map with its keys in insertion order.
func (m *OrderedMap) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, m)
}

// Plain converts v into plain Go values: *OrderedMap and other Map values
// become map[string]any (losing their order), lists become []any, numbers
// int64 or float64. Callers that type-assert Eval results use it.
func Plain(v any) any {
	v = norm(v)
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Plain(e)
		}
		return out
	case Map:
		keys := x.Keys()
		out := make(map[string]any, len(keys))
		for _, k := range keys {
			e, _ := x.Get(k)
			out[k] = Plain(e)
		}
		return out
	case *loopInfo:
		return Plain(x.asMap())
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = Plain(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return v
		}
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = Plain(iter.Value().Interface())
		}
		return out
	}
	return v
}

// loopInfo is the `loop` variable of a for tag. It is a struct, not a map,
// so that a loop does not allocate a map per iteration.
type loopInfo struct {
	index, length int
}

func (l *loopInfo) get(key string) (any, bool) {
	switch key {
	case "index":
		return int64(l.index), true
	case "index1":
		return int64(l.index + 1), true
	case "revindex":
		return int64(l.length - l.index - 1), true
	case "length":
		return int64(l.length), true
	case "first":
		return l.index == 0, true
	case "last":
		return l.index == l.length-1, true
	}
	return nil, false
}

var loopKeys = []string{"first", "index", "index1", "last", "length", "revindex"}

func (l *loopInfo) asMap() map[string]any {
	m := make(map[string]any, len(loopKeys))
	for _, k := range loopKeys {
		m[k], _ = l.get(k)
	}
	return m
}

// norm maps the many Go representations of a value onto the few the engine
// computes with: int64, float64, string, bool, nil, []any, map[string]any,
// Map, time.Time. Other lists and maps stay as they are and are read through
// reflection.
func norm(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, time.Time, *OrderedMap, *loopInfo:
		return v
	case []any:
		if x == nil { // as encoding/json: a nil slice or map is null
			return nil
		}
		return v
	case map[string]any:
		if x == nil {
			return nil
		}
		return v
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		return uintValue(uint64(x))
	case uint64:
		return uintValue(x)
	case float32:
		return float64(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return string(x)
	case []byte:
		return string(x)
	case *time.Time:
		if x == nil {
			return nil
		}
		return *x
	case Map:
		return v
	}
	rv := reflect.ValueOf(v)
	if _, ok := v.(fmt.Stringer); ok && rv.Kind() != reflect.String {
		// Types such as decimals, UUIDs and durations print through their own
		// String method rather than as the number or struct beneath.
		return v
	}
	if _, ok := v.(json.Marshaler); ok && rv.Kind() != reflect.String {
		return v
	}
	switch rv.Kind() {
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintValue(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return norm(rv.Elem().Interface())
	case reflect.Map, reflect.Slice:
		if rv.IsNil() {
			return nil
		}
	}
	return v
}

func uintValue(u uint64) any {
	if u > math.MaxInt64 {
		return float64(u)
	}
	return int64(u)
}

// kindName names the type of a value for error messages, in the template
// language's terms.
func kindName(v any) string {
	v = norm(v)
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "float"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any, Map, *loopInfo:
		return "map"
	case time.Time:
		return "date"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

// lookup status of getKey and getIndex.
type status uint8

const (
	found status = iota
	missing
	outOfRange
	notContainer
	isNull
)

// getKey reads key from a map-like value.
func getKey(v any, key string) (any, status) {
	switch m := v.(type) {
	case map[string]any:
		if e, ok := m[key]; ok {
			return e, found
		}
		return nil, missing
	case nil:
		return nil, isNull
	case *loopInfo:
		if e, ok := m.get(key); ok {
			return e, found
		}
		return nil, missing
	case Map:
		if e, ok := m.Get(key); ok {
			return e, found
		}
		return nil, missing
	case map[string]string:
		if e, ok := m[key]; ok {
			return e, found
		}
		return nil, missing
	case []any, string, bool, int64, float64, time.Time:
		return nil, notContainer
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, isNull
		}
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
		e := rv.MapIndex(reflect.ValueOf(key).Convert(rv.Type().Key()))
		if !e.IsValid() {
			return nil, missing
		}
		return e.Interface(), found
	}
	return nil, notContainer
}

// getIndex reads element i of a list-like value; a negative i counts from
// the end. It also returns the length for error messages.
func getIndex(v any, i int64) (any, status, int) {
	switch l := v.(type) {
	case []any:
		n := int64(len(l))
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil, outOfRange, len(l)
		}
		return l[i], found, len(l)
	case nil:
		return nil, isNull, 0
	case string, map[string]any, Map, bool, int64, float64, time.Time, *loopInfo:
		return nil, notContainer, 0
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, isNull, 0
		}
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		n := int64(rv.Len())
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil, outOfRange, int(n)
		}
		return rv.Index(int(i)).Interface(), found, int(n)
	}
	return nil, notContainer, 0
}

// mapKeys returns the keys of a map-like value in iteration order (Map order,
// sorted for Go maps) and whether v is map-like at all.
func mapKeys(v any) ([]string, bool) {
	switch m := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys, true
	case *loopInfo:
		return loopKeys, true
	case Map:
		return m.Keys(), true
	case nil, []any, string, bool, int64, float64, time.Time:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
		keys := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		return keys, true
	}
	return nil, false
}

// asList returns the elements of a list-like value.
func asList(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	case nil, string, map[string]any, Map, bool, int64, float64, time.Time, *loopInfo:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return nil, false
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out, true
	}
	return nil, false
}

// length returns the size of a string (in characters), list or map.
func length(v any) (int, bool) {
	v = norm(v)
	switch x := v.(type) {
	case nil:
		return 0, true
	case string:
		return utf8.RuneCountInString(x), true
	case []any:
		return len(x), true
	case map[string]any:
		return len(x), true
	case Map:
		return len(x.Keys()), true
	case *loopInfo:
		return len(loopKeys), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return rv.Len(), true
	}
	return 0, false
}

// truthy decides a condition: false, null, 0, "", and empty lists and maps
// are false; everything else is true.
func truthy(v any) bool {
	v = norm(v)
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case time.Time:
		return true
	}
	if n, ok := length(v); ok {
		return n > 0
	}
	return true
}

// isEmpty is the `empty` test: null, "", and empty lists and maps.
func isEmpty(v any) bool {
	v = norm(v)
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool, int64, float64, time.Time:
		return false
	}
	if n, ok := length(v); ok {
		return n == 0
	}
	return false
}

// toFloat reports v as a float64 when it is a number.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}

// equal compares two values: numbers across int and float, lists and maps
// element by element, dates by instant.
func equal(a, b any) bool {
	a, b = norm(a), norm(b)
	switch x := a.(type) {
	case nil:
		return b == nil
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case float64:
			return float64(x) == y
		}
		return false
	case float64:
		if y, ok := toFloat(b); ok {
			return x == y
		}
		return false
	case string:
		if s, ok := b.(fmt.Stringer); ok {
			return s.String() == x
		}
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	if la, ok := asList(a); ok {
		lb, ok := asList(b)
		if !ok || len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !equal(la[i], lb[i]) {
				return false
			}
		}
		return true
	}
	if ka, ok := mapKeys(a); ok {
		kb, ok := mapKeys(b)
		if !ok || len(ka) != len(kb) {
			return false
		}
		for _, k := range ka {
			va, _ := getKey(a, k)
			vb, st := getKey(b, k)
			if st != found || !equal(va, vb) {
				return false
			}
		}
		return true
	}
	if b == nil {
		return false
	}
	// Types with a String method (UUIDs, decimals) equal a string, or each
	// other, when their texts are equal.
	sa, aStr := a.(fmt.Stringer)
	sb, bStr := b.(fmt.Stringer)
	switch y := b.(type) {
	case string:
		return aStr && sa.String() == y
	}
	if aStr && bStr && reflect.TypeOf(a) == reflect.TypeOf(b) {
		return sa.String() == sb.String()
	}
	return reflect.TypeOf(a) == reflect.TypeOf(b) && safeEqual(a, b)
}

// safeEqual is a == b for values whose dynamic types may not be comparable.
func safeEqual(a, b any) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return a == b
}

// compare orders numbers, strings and dates; anything else is an error.
func compare(a, b any) (int, error) {
	a, b = norm(a), norm(b)
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, y), nil
		}
		if y, ok := b.(float64); ok {
			return cmpOrdered(float64(x), y), nil
		}
	case float64:
		if y, ok := toFloat(b); ok {
			return cmpOrdered(x, y), nil
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), nil
		}
	}
	return 0, fmt.Errorf("cannot compare %s with %s", kindName(a), kindName(b))
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// toString prints a value the way {{ }} does: strings as they are, numbers
// in decimal without exponent, null as nothing, dates in RFC 3339 with
// nanoseconds, lists and maps as JSON. A printed form longer than the Value
// limit is a *LimitError.
func toString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	}
	return appendString(nil, v)
}

func appendString(buf []byte, v any) (string, error) {
	b, err := appendValue(buf, v)
	return string(b), err
}

// appendValue appends the printed form of v to buf, at most the Value limit.
func appendValue(buf []byte, v any) ([]byte, error) {
	return appendValueMax(buf, v, limits.Value)
}

// appendValueMax appends the printed form of v to buf, failing with a
// *LimitError as soon as it would add more than max bytes: a list that
// holds itself a thousand times over is cut off, not expanded.
func appendValueMax(buf []byte, v any, max int) ([]byte, error) {
	end := len(buf) + max
	v = norm(v)
	switch x := v.(type) {
	case nil:
		return buf, nil
	case string:
		if len(buf)+len(x) > end {
			return buf, limitErr("value")
		}
		return append(buf, x...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case float64:
		return appendFloat(buf, x), nil
	case time.Time:
		return x.AppendFormat(buf, time.RFC3339Nano), nil
	case fmt.Stringer:
		if _, isMap := x.(Map); !isMap {
			return append(buf, x.String()...), nil
		}
	}
	return appendJSONTo(buf, v, end)
}

func appendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	return strconv.AppendFloat(buf, f, 'f', -1, 64)
}

// appendJSON serializes v, adding at most the Value limit to buf. Map
// values keep their order, Go maps are written with sorted keys, dates as
// RFC 3339 strings. HTML characters are not escaped: templates produce SQL,
// URLs and JSON, not HTML.
func appendJSON(buf []byte, v any) ([]byte, error) {
	return appendJSONTo(buf, v, len(buf)+limits.Value)
}

// appendJSONTo serializes v, failing with a *LimitError once buf would
// grow past end.
func appendJSONTo(buf []byte, v any, end int) ([]byte, error) {
	if len(buf) > end {
		return buf, limitErr("value")
	}
	v = norm(v)
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return buf, fmt.Errorf("cannot write %v as JSON", x)
		}
		return appendJSONFloat(buf, x), nil
	case string:
		if len(buf)+len(x) > end {
			return buf, limitErr("value")
		}
		return rows.AppendJSONString(buf, x), nil
	case time.Time:
		buf = append(buf, '"')
		buf = x.AppendFormat(buf, time.RFC3339Nano)
		return append(buf, '"'), nil
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSONTo(buf, e, end); err != nil {
				return buf, err
			}
		}
		return append(buf, ']'), nil
	case *loopInfo:
		return appendJSONTo(buf, x.asMap(), end)
	}
	if keys, ok := mapKeys(v); ok {
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			if len(buf)+len(k) > end {
				return buf, limitErr("value")
			}
			buf = rows.AppendJSONString(buf, k)
			buf = append(buf, ':')
			e, _ := getKey(v, k)
			var err error
			if buf, err = appendJSONTo(buf, e, end); err != nil {
				return buf, err
			}
		}
		return append(buf, '}'), nil
	}
	if l, ok := asList(v); ok {
		return appendJSONTo(buf, l, end)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return buf, fmt.Errorf("cannot write %T as JSON: %w", v, err)
	}
	if len(buf)+len(b) > end {
		return buf, limitErr("value")
	}
	return append(buf, b...), nil
}

// appendJSONFloat uses the shortest representation, switching to an
// exponent for very large and very small magnitudes like encoding/json.
func appendJSONFloat(buf []byte, f float64) []byte {
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		buf = strconv.AppendFloat(buf, f, 'e', -1, 64)
		// 1e-09 -> 1e-9, as encoding/json writes it
		if n := len(buf); n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
		return buf
	}
	return strconv.AppendFloat(buf, f, 'f', -1, 64)
}

// parseJSON decodes text into engine values: objects become *OrderedMap in
// document order, integers int64, other numbers float64.
func parseJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := checkString(len(text)); err != nil {
		return nil, err
	}
	count := 0
	v, err := decodeJSONValue(dec, 0, &count)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("invalid JSON: more than one value")
	}
	return v, nil
}

const maxJSONDepth = 1000

// decodeJSONValue decodes one value; count is the number of values decoded
// so far, bounded by the Value limit (a text of empty lists takes ten times
// its size once decoded).
func decodeJSONValue(dec *json.Decoder, depth int, count *int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("invalid JSON: nested deeper than %d", maxJSONDepth)
	}
	if *count++; *count > maxElements() {
		return nil, limitErr("value")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := NewOrderedMap(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("invalid JSON: %w", err)
				}
				k, _ := kt.(string)
				v, err := decodeJSONValue(dec, depth+1, count)
				if err != nil {
					return nil, err
				}
				m.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("invalid JSON: %w", err)
			}
			return m, nil
		case '[':
			l := []any{}
			for dec.More() {
				v, err := decodeJSONValue(dec, depth+1, count)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("invalid JSON: %w", err)
			}
			return l, nil
		}
		return nil, fmt.Errorf("invalid JSON: unexpected %v", t)
	case json.Number:
		return norm(t), nil
	default:
		return t, nil
	}
}
