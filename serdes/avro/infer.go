package avro

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/rows"
)

// DefaultDecimalPrecision is used for decimal columns whose precision the
// row schema does not know (Avro decimals need one).
const DefaultDecimalPrecision = 38

// InferSchema builds an Avro record schema from a row schema: every field
// is a union of null and its type (default null) when nullable, and
//
//	bool → boolean, int → long, float → double, string → string,
//	bytes → bytes, decimal → bytes decimal(precision, scale),
//	date → int date, time → long time-micros,
//	timestamp → long local-timestamp-micros,
//	timestamptz → long timestamp-micros,
//	list/map with a known element kind → array/map of it,
//	any (and lists/maps of any) → string holding JSON text.
//
// Field names that are not valid Avro names are sanitised (invalid
// characters become '_', a leading digit gets a '_' prefix); values are
// matched by position, so this loses nothing.
func InferSchema(s *rows.Schema, recordName string) (string, error) {
	if recordName == "" {
		recordName = "Row"
	}
	type jsonField struct {
		Name    string `json:"name"`
		Type    any    `json:"type"`
		Default any    `json:"default,omitempty"`
		Doc     string `json:"doc,omitempty"`
	}
	fields := make([]json.RawMessage, 0, len(s.Fields))
	used := map[string]bool{}
	for _, f := range s.Fields {
		name := avroName(f.Name)
		for used[name] {
			name += "_"
		}
		used[name] = true
		t := avroTypeFor(f.Kind, f.Elem, f.Precision, f.Scale)
		var b []byte
		var err error
		doc := ""
		if name != f.Name {
			doc = "column " + f.Name
		}
		if f.Nullable || f.Kind == rows.KindAny || f.Kind == rows.KindNull {
			// "default": null must be present, so marshal by hand.
			tb, _ := json.Marshal([]any{"null", t})
			nb, _ := json.Marshal(name)
			s := `{"name":` + string(nb) + `,"type":` + string(tb) + `,"default":null`
			if doc != "" {
				db, _ := json.Marshal(doc)
				s += `,"doc":` + string(db)
			}
			b = []byte(s + "}")
		} else {
			b, err = json.Marshal(jsonField{Name: name, Type: t, Doc: doc})
			if err != nil {
				return "", err
			}
		}
		fields = append(fields, b)
	}
	out, err := json.Marshal(map[string]any{"type": "record", "name": avroName(recordName), "fields": fields})
	if err != nil {
		return "", fmt.Errorf("infer avro schema: %w", err)
	}
	return string(out), nil
}

func avroTypeFor(k, elem rows.Kind, precision, scale int) any {
	switch k {
	case rows.KindBool:
		return "boolean"
	case rows.KindInt:
		return "long"
	case rows.KindFloat:
		return "double"
	case rows.KindString:
		return "string"
	case rows.KindBytes:
		return "bytes"
	case rows.KindDecimal:
		if precision <= 0 {
			precision = DefaultDecimalPrecision
		}
		if scale < 0 {
			scale = 0
		}
		if scale > precision {
			precision = scale
		}
		return map[string]any{"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}
	case rows.KindDate:
		return map[string]any{"type": "int", "logicalType": "date"}
	case rows.KindTime:
		return map[string]any{"type": "long", "logicalType": "time-micros"}
	case rows.KindTimestamp:
		return map[string]any{"type": "long", "logicalType": "local-timestamp-micros"}
	case rows.KindTimestampTZ:
		return map[string]any{"type": "long", "logicalType": "timestamp-micros"}
	case rows.KindList:
		if e := scalarElem(elem); e != nil {
			return map[string]any{"type": "array", "items": []any{"null", e}}
		}
	case rows.KindMap:
		if e := scalarElem(elem); e != nil {
			return map[string]any{"type": "map", "values": []any{"null", e}}
		}
	}
	return "string" // any, and containers of any: JSON text
}

func scalarElem(k rows.Kind) any {
	switch k {
	case rows.KindAny, rows.KindNull, rows.KindList, rows.KindMap, rows.KindDecimal:
		return nil
	}
	return avroTypeFor(k, rows.KindAny, 0, 0)
}

func avroName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if ok {
			b.WriteRune(r)
		} else if i == 0 && r >= '0' && r <= '9' {
			b.WriteByte('_')
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
