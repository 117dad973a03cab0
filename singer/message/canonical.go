package message

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Canonical re-encodes a JSON value with object keys sorted and no
// insignificant space, so that two renderings of the same state (a tap's
// STATE value and the line a target echoes back) compare equal byte for
// byte. Numbers keep their text.
func Canonical(v []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid JSON: data after the value")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
