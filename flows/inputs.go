package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/storage"
)

// ParseInputs checks and converts raw inputs (strings from the command
// line, or already typed values from an API) to their declared types:
// INT → int64, FLOAT → float64, BOOLEAN → bool, DATETIME → time.Time,
// DATE → "YYYY-MM-DD", JSON → parsed value, FILE → a local file uploaded
// to internal storage (its URI). Defaults apply; missing required inputs
// and undeclared names are errors.
func ParseInputs(ctx context.Context, f *Flow, raw map[string]any, store storage.Store, executionID string) (map[string]any, error) {
	out := map[string]any{}
	for name := range raw {
		if f.Input(name) == nil {
			var names []string
			for _, in := range f.Inputs {
				names = append(names, in.Name)
			}
			msg := fmt.Sprintf("input %q is not declared by flow %s.%s", name, f.Namespace, f.ID)
			if s := closest(name, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return nil, fmt.Errorf("%s", msg)
		}
	}
	for _, in := range f.Inputs {
		v, ok := raw[in.Name]
		if !ok || v == nil {
			if in.Default != nil {
				v = in.Default
			} else if in.IsRequired() {
				return nil, fmt.Errorf("input %q (%s) is required: pass --input %s=VALUE", in.Name, in.Type, in.Name)
			} else {
				out[in.Name] = nil
				continue
			}
		}
		conv, err := convertInput(ctx, in, v, f, store, executionID)
		if err != nil {
			return nil, fmt.Errorf("input %q (%s): %w", in.Name, in.Type, err)
		}
		out[in.Name] = conv
	}
	return out, nil
}

func convertInput(ctx context.Context, in *Input, v any, f *Flow, store storage.Store, executionID string) (any, error) {
	s, isString := v.(string)
	switch in.Type {
	case InputString:
		if !isString {
			return fmt.Sprint(v), nil
		}
		return s, nil
	case InputInt:
		switch t := v.(type) {
		case int64:
			return t, nil
		case int:
			return int64(t), nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(fmt.Sprint(v)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", fmt.Sprint(v))
		}
		return n, nil
	case InputFloat:
		if t, ok := v.(float64); ok {
			return t, nil
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(fmt.Sprint(v)), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", fmt.Sprint(v))
		}
		return x, nil
	case InputBoolean:
		if t, ok := v.(bool); ok {
			return t, nil
		}
		b, err := strconv.ParseBool(strings.TrimSpace(fmt.Sprint(v)))
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", fmt.Sprint(v))
		}
		return b, nil
	case InputDateTime:
		if t, ok := v.(time.Time); ok {
			return t, nil
		}
		t, err := time.Parse(time.RFC3339Nano, fmt.Sprint(v))
		if err != nil {
			return nil, fmt.Errorf("%q is not an ISO-8601 date-time with zone (2024-01-31T10:00:00Z)", fmt.Sprint(v))
		}
		return t, nil
	case InputDate:
		t, err := time.Parse("2006-01-02", fmt.Sprint(v))
		if err != nil {
			return nil, fmt.Errorf("%q is not a date (2024-01-31)", fmt.Sprint(v))
		}
		return t.Format("2006-01-02"), nil
	case InputJSON:
		if !isString {
			return v, nil
		}
		dec := json.NewDecoder(strings.NewReader(s))
		val, err := rows.DecodeJSONOrdered(dec)
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		return val, nil
	case InputFile:
		if !isString {
			return nil, fmt.Errorf("expected a file path or storage URI")
		}
		if storage.IsURI(s) {
			return s, nil
		}
		file, err := os.Open(s)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		u := storage.ExecutionPrefix(f.Namespace, f.ID, executionID).Join("inputs", in.Name, filepath.Base(s))
		if _, err := storage.Put(ctx, store, u, file); err != nil {
			return nil, err
		}
		return u.String(), nil
	}
	return nil, fmt.Errorf("unknown input type %q", in.Type)
}
