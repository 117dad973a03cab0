package serde

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/internal/rows"
)

// jsonSchemaSer writes Confluent's JSON Schema wire format
// (KafkaJsonSchemaSerializer): magic byte, schema ID, JSON text. Every
// record is validated against the schema first, as Confluent's serializer
// does with json.fail.invalid.schema.
type jsonSchemaSer struct {
	binder subjectBinder
	// compiled caches validators per schema ID.
	compiled map[int]*jsonValidator
}

// jsonValidator is a compiled schema and, for a simple one, its fast check
// (see fastCheck).
type jsonValidator struct {
	full *jsonschema.Schema
	fast *fastCheck
}

func newJSONSchemaSer(cfg Config) (*jsonSchemaSer, error) {
	s := &jsonSchemaSer{binder: subjectBinder{cfg: cfg, typ: "JSON", text: cfg.Schema}, compiled: map[int]*jsonValidator{}}
	part := s.binder.part()
	if cfg.Registry.Client == nil {
		return nil, fmt.Errorf("JSON_SCHEMA %s serializer: needs a schema registry: set serdeProperties schema.registry.url", part)
	}
	if strings.TrimSpace(cfg.Schema) == "" {
		if !cfg.Registry.UseLatest {
			return nil, fmt.Errorf("JSON_SCHEMA %s serializer: set %sJsonSchema, or serdeProperties use.latest.version: \"true\" to write with the schema registered under the subject", part, part)
		}
		return s, nil
	}
	var doc any
	if err := json.Unmarshal([]byte(cfg.Schema), &doc); err != nil {
		return nil, fmt.Errorf("%sJsonSchema: not JSON: %w", part, err)
	}
	if m, ok := doc.(map[string]any); ok {
		// Confluent's JsonSchema.name(): the title names the record.
		s.binder.name, _ = m["title"].(string)
	}
	return s, nil
}

func (s *jsonSchemaSer) validator(ctx context.Context, topic string) (boundID, *jsonValidator, error) {
	b, err := s.binder.bind(ctx, topic)
	if err != nil {
		return b, nil, err
	}
	if v := s.compiled[b.id]; v != nil {
		return b, v, nil
	}
	refs, err := s.binder.cfg.Registry.Client.Resolve(ctx, b.schema.References)
	if err != nil {
		return b, nil, err
	}
	full, err := CompileJSONSchema(b.schema.Text, refs)
	if err != nil {
		return b, nil, fmt.Errorf("JSON schema id %d: %w", b.id, err)
	}
	v := &jsonValidator{full: full}
	if len(b.schema.References) == 0 {
		v.fast = fastFor(b.schema.Text)
	}
	s.compiled[b.id] = v
	return b, v, nil
}

func (s *jsonSchemaSer) Append(ctx context.Context, dst []byte, topic string, v rows.Value) ([]byte, bool, error) {
	if v.IsNull() {
		return dst, true, nil
	}
	b, sch, err := s.validator(ctx, topic)
	if err != nil {
		return dst, false, err
	}
	if sch.fast == nil || !sch.fast.valid(v) {
		if err := sch.full.Validate(jsonInstance(v)); err != nil {
			return dst, false, describeInvalid(b.id, err)
		}
	}
	n := len(dst)
	out, err := rows.AppendJSON(append(dst, b.header[:]...), v)
	if err != nil {
		return dst[:n], false, err
	}
	return out, false, nil
}

func (s *jsonSchemaSer) AppendRow(ctx context.Context, dst []byte, topic string, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	b, sch, err := s.validator(ctx, topic)
	if err != nil {
		return dst, false, err
	}
	if sch.fast == nil || !sch.fast.validRow(sc, r) {
		obj := make(map[string]any, len(sc.Fields))
		for i, f := range sc.Fields {
			var v rows.Value
			if i < len(r.Values) {
				v = r.Values[i]
			}
			obj[f.Name] = jsonInstance(v)
		}
		if err := sch.full.Validate(obj); err != nil {
			return dst, false, describeInvalid(b.id, err)
		}
	}
	n := len(dst)
	out, _, err := appendRowJSON(append(dst, b.header[:]...), sc, r)
	if err != nil {
		return dst[:n], false, err
	}
	return out, false, nil
}

// jsonInstance is v as the JSON the serializer writes (rows.AppendJSON),
// in the shape the validator reads: decimals exact, temporal values and
// bytes as their strings.
func jsonInstance(v rows.Value) any {
	switch v.Kind() {
	case rows.KindNull:
		return nil
	case rows.KindBool:
		return v.AsBool()
	case rows.KindInt:
		return v.AsInt()
	case rows.KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return rows.FormatFloat(f)
		}
		return f
	case rows.KindDecimal:
		return json.Number(v.DecimalString())
	case rows.KindString:
		return v.AsString()
	case rows.KindBytes:
		return base64.StdEncoding.EncodeToString(v.AsBytes())
	case rows.KindList:
		out := make([]any, v.Len())
		for i, x := range v.Items() {
			out[i] = jsonInstance(x)
		}
		return out
	case rows.KindMap:
		out := make(map[string]any, v.Len())
		for i := 0; i < v.Len(); i++ {
			k, x := v.Entry(i)
			out[k] = jsonInstance(x)
		}
		return out
	}
	return v.String()
}

var englishPrinter = message.NewPrinter(language.English)

// describeInvalid names the JSON pointer of the first failing value and
// what the schema wanted there.
func describeInvalid(id int, err error) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("JSON_SCHEMA serializer (schema id %d): %w", id, err)
	}
	leaf, others := ve, 0
	for len(leaf.Causes) > 0 {
		others += len(leaf.Causes) - 1
		leaf = leaf.Causes[0]
	}
	ptr := JSONPointer(leaf.InstanceLocation)
	if ptr == "" {
		ptr = `"" (the whole value)`
	}
	msg := fmt.Sprintf("JSON_SCHEMA serializer: the value does not match the JSON schema (id %d) at %s: %s", id, ptr, leaf.ErrorKind.LocalizedString(englishPrinter))
	if others > 0 {
		msg += fmt.Sprintf(" (and %d more errors)", others)
	}
	return errors.New(msg)
}

// JSONPointer spells a location as an RFC 6901 pointer.
func JSONPointer(loc []string) string {
	var b strings.Builder
	for _, t := range loc {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// schemaBase is where schemas without an absolute $id live, so that
// references by relative names (Confluent's "customer.json") resolve.
const schemaBase = "https://schemas.sluice.invalid/"

// CompileJSONSchema compiles a JSON schema (draft-07 unless it says
// otherwise, as Confluent's) and the schemas it references, keyed by
// reference name. Nothing is fetched: a $ref to anything else fails.
func CompileJSONSchema(text string, refs map[string]registry.Schema) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseLoader(refusingLoader{})
	add := func(name, text string) error {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			return fmt.Errorf("schema %s: not JSON: %w", name, err)
		}
		return c.AddResource(refURL(name), doc)
	}
	for name, s := range refs {
		if err := add(name, s.Text); err != nil {
			return nil, err
		}
	}
	if err := add("schema.json", text); err != nil {
		return nil, err
	}
	sch, err := c.Compile(refURL("schema.json"))
	if err != nil {
		return nil, fmt.Errorf("invalid JSON schema: %w", err)
	}
	return sch, nil
}

func refURL(name string) string {
	if u, err := url.Parse(name); err == nil && u.IsAbs() {
		return name
	}
	return schemaBase + strings.TrimPrefix(name, "/")
}

type refusingLoader struct{}

func (refusingLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("%s is not a schema reference of this schema (list it in the schema's references; sluice fetches nothing else)", strings.TrimPrefix(u, schemaBase))
}

// jsonSchemaDeser reads Confluent's JSON Schema wire format.
type jsonSchemaDeser struct {
	reg  *registry.Client
	seen map[uint32]bool
}

func (d *jsonSchemaDeser) Value(ctx context.Context, topic string, b []byte) (rows.Value, error) {
	if b == nil {
		return rows.Null, nil
	}
	id, payload, err := wireID(JSONSchema, b)
	if err != nil {
		return rows.Null, err
	}
	if !d.seen[id] {
		s, err := d.reg.ByID(ctx, int(id))
		if err != nil {
			return rows.Null, err
		}
		if s.Type != "JSON" {
			return rows.Null, fmt.Errorf("JSON_SCHEMA deserializer: schema id %d is %s", id, s.Type)
		}
		d.seen[id] = true
	}
	v, err := simpleDeser(JSON).Value(ctx, topic, payload)
	if err != nil {
		return rows.Null, fmt.Errorf("JSON_SCHEMA deserializer (schema id %d): %w", id, err)
	}
	return v, nil
}
