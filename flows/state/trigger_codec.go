package state

import (
	"database/sql"
	"fmt"
)

// encodeTrigger stores an execution's trigger as one JSON object (NULL for
// none).
func encodeTrigger(t *ExecutionTrigger) (any, error) {
	if t == nil {
		return nil, nil
	}
	vars := t.Variables
	if vars == nil {
		vars = map[string]any{}
	}
	return encodeJSON(map[string]any{"id": t.ID, "type": t.Type, "variables": vars})
}

func decodeTrigger(s sql.NullString) (*ExecutionTrigger, error) {
	m, err := decodeObject(s)
	if err != nil || m == nil {
		return nil, err
	}
	t := &ExecutionTrigger{}
	t.ID, _ = m["id"].(string)
	t.Type, _ = m["type"].(string)
	switch v := m["variables"].(type) {
	case nil:
	case interface {
		Keys() []string
		Get(string) (any, bool)
	}:
		t.Variables = make(map[string]any, len(v.Keys()))
		for _, k := range v.Keys() {
			t.Variables[k], _ = v.Get(k)
		}
	default:
		return nil, fmt.Errorf("variables: want an object, got %T", v)
	}
	return t, nil
}
