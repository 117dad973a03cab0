package rows

import (
	"bytes"
	"encoding/json"
	"sort"
)

// OrderedMap is a string-keyed map that keeps insertion order. Outputs and
// rows use it so that JSON renderings and templates show fields in the order
// the source had them.
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

// Get returns the value under key.
func (m *OrderedMap) Get(key string) (any, bool) {
	v, ok := m.vals[key]
	return v, ok
}

// Keys returns the keys in order (not a copy).
func (m *OrderedMap) Keys() []string { return m.keys }

// Len returns the number of keys.
func (m *OrderedMap) Len() int { return len(m.keys) }

// MarshalJSON writes the keys in order.
func (m *OrderedMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(AppendJSONString(nil, k))
		b.WriteByte(':')
		v, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object keeping key order; nested objects become
// *OrderedMap too, numbers json.Number.
func (m *OrderedMap) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return err
	}
	om, ok := v.(*OrderedMap)
	if !ok {
		return &json.UnmarshalTypeError{Value: "non-object", Type: nil}
	}
	*m = *om
	return nil
}

// DecodeJSONOrdered decodes one JSON value keeping object key order.
func DecodeJSONOrdered(dec *json.Decoder) (any, error) {
	dec.UseNumber()
	return decodeOrdered(dec)
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := NewOrderedMap(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				m.Set(kt.(string), v)
			}
			_, err := dec.Token()
			return m, err
		case '[':
			out := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		}
	}
	return tok, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
