package state

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
)

// Times are unix microseconds: sortable integers that map onto PostgreSQL's
// timestamp precision. A zero time is NULL.
func timeToDB(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func timeFromDB(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// encodeJSON returns the JSON text of v as encoding/json produces it
// (without HTML escaping, so the stored text stays readable), or NULL for a
// nil map.
func encodeJSON[M ~map[string]V, V any](m M) (any, error) {
	if m == nil {
		return nil, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// decodeObject reads a JSON object: numbers become json.Number, nested
// objects *rows.OrderedMap (keeping their stored key order), lists []any.
func decodeObject(s sql.NullString) (map[string]any, error) {
	if !s.Valid {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s.String))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object, got %v", tok)
	}
	m := map[string]any{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		v, err := rows.DecodeJSONOrdered(dec)
		if err != nil {
			return nil, err
		}
		m[kt.(string)] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after JSON object")
	}
	return m, nil
}

func decodeLabels(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s.String), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// attemptJSON is how an attempt is stored inside task_runs.attempts.
type attemptJSON struct {
	State   State  `json:"state"`
	StartUS int64  `json:"start_us,omitempty"`
	EndUS   int64  `json:"end_us,omitempty"`
	Error   string `json:"error,omitempty"`
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func encodeAttempts(as []Attempt) (any, error) {
	if as == nil {
		return nil, nil
	}
	js := make([]attemptJSON, len(as))
	for i, a := range as {
		js[i] = attemptJSON{State: a.State, StartUS: micros(a.Start), EndUS: micros(a.End), Error: a.Error}
	}
	b, err := json.Marshal(js)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decodeAttempts(s sql.NullString) ([]Attempt, error) {
	if !s.Valid {
		return nil, nil
	}
	var js []attemptJSON
	if err := json.Unmarshal([]byte(s.String), &js); err != nil {
		return nil, err
	}
	as := make([]Attempt, len(js))
	for i, a := range js {
		as[i] = Attempt{State: a.State, Start: fromMicros(a.StartUS), End: fromMicros(a.EndUS), Error: a.Error}
	}
	return as, nil
}

type historyJSON struct {
	State  State `json:"state"`
	DateUS int64 `json:"date_us"`
}

func encodeHistories(hs []StateChange) (any, error) {
	if hs == nil {
		return nil, nil
	}
	js := make([]historyJSON, len(hs))
	for i, h := range hs {
		js[i] = historyJSON{State: h.State, DateUS: micros(h.Date)}
	}
	b, err := json.Marshal(js)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decodeHistories(s sql.NullString) ([]StateChange, error) {
	if !s.Valid {
		return nil, nil
	}
	var js []historyJSON
	if err := json.Unmarshal([]byte(s.String), &js); err != nil {
		return nil, err
	}
	hs := make([]StateChange, len(js))
	for i, h := range js {
		hs[i] = StateChange{State: h.State, Date: fromMicros(h.DateUS)}
	}
	return hs, nil
}

type iterationJSON struct {
	Value string   `json:"value,omitempty"`
	Tasks []string `json:"tasks"`
}

func encodeIterations(its []Iteration) (any, error) {
	if its == nil {
		return nil, nil
	}
	js := make([]iterationJSON, len(its))
	for i, it := range its {
		js[i] = iterationJSON(it)
		if js[i].Tasks == nil {
			js[i].Tasks = []string{}
		}
	}
	b, err := json.Marshal(js)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decodeIterations(s sql.NullString) ([]Iteration, error) {
	if !s.Valid {
		return nil, nil
	}
	var js []iterationJSON
	if err := json.Unmarshal([]byte(s.String), &js); err != nil {
		return nil, err
	}
	its := make([]Iteration, len(js))
	for i, it := range js {
		its[i] = Iteration(it)
	}
	return its, nil
}
