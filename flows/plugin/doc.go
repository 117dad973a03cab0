package plugin

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Markdown renders the reference page of a task type.
func (in *Info) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", in.ID)
	if t := in.ShortDoc(); t != "" {
		fmt.Fprintf(&b, "%s\n\n", t)
	}
	if len(in.Aliases) > 0 {
		fmt.Fprintf(&b, "Also accepted as: %s\n\n", "`"+strings.Join(in.Aliases, "`, `")+"`")
	}
	if in.Doc != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(in.Doc))
	}
	spec, _ := SpecOf(reflect.TypeOf(in.New()))
	b.WriteString("## Properties\n\n")
	if len(spec.Properties) == 0 {
		b.WriteString("None.\n\n")
	} else {
		b.WriteString("| name | type | required | default | description |\n|---|---|---|---|---|\n")
		for _, p := range spec.Properties {
			req := ""
			if p.Required {
				req = "yes"
			}
			doc := p.Doc
			if len(p.Enum) > 0 {
				doc += " One of: `" + strings.Join(p.Enum, "`, `") + "`."
			}
			if p.Secret {
				doc += " Secret: masked in logs and outputs."
			}
			def := ""
			if p.Default != "" {
				def = "`" + p.Default + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", p.Name, TypeName(p.Type), req, def, strings.ReplaceAll(doc, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	switch in.Kind {
	case KindTrigger:
		b.WriteString("Every trigger also accepts `id`, `type`, `description`, `disabled` and `conditions` (see the condition pages).\n\n")
	case KindCondition:
		b.WriteString("A condition is written as a mapping with its `type` and these properties.\n\n")
	default:
		b.WriteString("Every task also accepts `id`, `type`, `description`, `retry`, `timeout` and `disabled`.\n\n")
	}
	if len(in.Outputs) > 0 {
		b.WriteString("## Outputs\n\n| name | description |\n|---|---|\n")
		for _, o := range in.Outputs {
			name := o.Name
			if o.Dynamic {
				name += ".*"
			}
			fmt.Fprintf(&b, "| `%s` | %s |\n", name, o.Doc)
		}
		b.WriteString("\n")
	}
	for _, ex := range in.Examples {
		fmt.Fprintf(&b, "## Example: %s\n\n```yaml\n%s\n```\n\n", ex.Title, strings.TrimSpace(ex.YAML))
	}
	return b.String()
}

// JSONSchema returns a JSON Schema (draft 2020-12) of a flow file whose
// tasks may be any registered type, for editors.
func JSONSchema() ([]byte, error) { return FlowJSONSchema(nil) }

// FlowJSONSchema is JSONSchema with the item schema of flow inputs derived
// from input, the flows package's input struct (plugin cannot import it);
// nil leaves inputs items open.
//
// An unknown task type is flagged by an enum of every type and alias; a
// task without type gets the one error of the missing property (each
// type's schema applies only when type is present and is that type).
func FlowJSONSchema(input reflect.Type) ([]byte, error) {
	var variants []any
	var allTypes []string
	defs := map[string]any{}
	for _, in := range All() {
		allTypes = append(allTypes, append([]string{in.ID}, in.Aliases...)...)
		spec, err := SpecOf(reflect.TypeOf(in.New()))
		if err != nil {
			return nil, err
		}
		props := map[string]any{
			"id":          map[string]any{"type": "string", "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_-]*$"},
			"type":        map[string]any{"enum": append([]string{in.ID}, in.Aliases...)},
			"description": map[string]any{"type": "string"},
			"retry":       map[string]any{"$ref": "#/$defs/retry"},
			"timeout":     map[string]any{"type": "string"},
			"disabled":    map[string]any{"type": "boolean"},
		}
		if in.Flowable {
			props["errors"] = map[string]any{"$ref": "#/$defs/errorTasks"}
		}
		required := []string{"id", "type"}
		for _, p := range spec.Properties {
			s := schemaOf(p.Type)
			if p.Doc != "" {
				s["description"] = p.Doc
			}
			if len(p.Enum) > 0 {
				s["enum"] = p.Enum
			}
			if p.Default != "" {
				s["default"] = p.Default
			}
			props[p.Name] = s
			if p.Required {
				required = append(required, p.Name)
			}
		}
		name := strings.ReplaceAll(in.ID, ".", "_")
		defs[name] = map[string]any{
			"type": "object", "title": in.ID, "description": in.ShortDoc(),
			"properties": props, "required": required, "additionalProperties": false,
		}
		variants = append(variants, typeVariant(in, name))
	}
	sort.Strings(allTypes)
	defs["task"] = map[string]any{"type": "object", "required": []string{"id", "type"},
		"properties": map[string]any{"type": map[string]any{"enum": allTypes, "description": "The task type: a sluice ID or a Kestra alias (sluice plugins list)."}},
		"allOf":      variants}
	defs["trigger"] = kindSchema(Triggers(), defs, map[string]any{
		"id": map[string]any{"type": "string"}, "description": map[string]any{"type": "string"},
		"disabled": map[string]any{"type": "boolean"}, "conditions": map[string]any{"$ref": "#/$defs/conditions"},
	}, []string{"id", "type"})
	defs["condition"] = kindSchema(Conditions(), defs, map[string]any{}, []string{"type"})
	defs["conditions"] = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/condition"}}
	defs["tasks"] = map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"$ref": "#/$defs/task"}}
	defs["errorTasks"] = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/task"}}
	defs["retry"] = structSchema(reflect.TypeOf(Retry{}))
	inputItem := map[string]any{"type": "object"}
	if input != nil {
		inputItem = structSchema(input)
	}
	defs["input"] = inputItem
	defs["listener"] = map[string]any{
		"type": "object", "required": []string{"tasks"}, "additionalProperties": false,
		"properties": map[string]any{
			"description": map[string]any{"type": "string"},
			"conditions":  map[string]any{"$ref": "#/$defs/conditions"},
			"tasks":       map[string]any{"$ref": "#/$defs/tasks"},
		},
	}
	schema := map[string]any{
		"$schema":  "https://json-schema.org/draft/2020-12/schema",
		"title":    "sluice flow",
		"type":     "object",
		"required": []string{"id", "namespace", "tasks"},
		"properties": map[string]any{
			"id":           map[string]any{"type": "string"},
			"namespace":    map[string]any{"type": "string"},
			"description":  map[string]any{"type": "string"},
			"labels":       map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
			"inputs":       map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/input"}},
			"variables":    map[string]any{"type": "object"},
			"taskDefaults": map[string]any{"type": "array"},
			"tasks":        map[string]any{"$ref": "#/$defs/tasks"},
			"errors":       map[string]any{"$ref": "#/$defs/errorTasks"},
			"triggers":     map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/trigger"}},
			"listeners":    map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/listener"}},
			"revision":     map[string]any{"type": "integer"},
			"disabled":     map[string]any{"type": "boolean"},
			"concurrency": map[string]any{"type": "object", "required": []string{"limit"}, "additionalProperties": false,
				"properties": map[string]any{
					"limit":    map[string]any{"type": "integer", "minimum": 1},
					"behavior": map[string]any{"enum": []string{"QUEUE", "CANCEL", "FAIL"}},
				}},
		},
		"additionalProperties": false,
		"$defs":                defs,
	}
	return json.MarshalIndent(schema, "", "  ")
}

// typeVariant applies the schema of one type to an object whose type is
// that type; "required" in the condition keeps it from applying (and
// reporting every property as unknown) when type is missing.
func typeVariant(in *Info, def string) map[string]any {
	return map[string]any{
		"if": map[string]any{"required": []string{"type"},
			"properties": map[string]any{"type": map[string]any{"enum": append([]string{in.ID}, in.Aliases...)}}},
		"then": map[string]any{"$ref": "#/$defs/" + def},
	}
}

var posType = reflect.TypeOf(Pos{})

// structSchema is the schema of a properties struct: each property with
// its doc, enum and default; required ones required; no other key.
func structSchema(t reflect.Type) map[string]any {
	spec, err := SpecOf(t)
	if err != nil {
		return map[string]any{"type": "object"}
	}
	props := map[string]any{}
	var req []string
	for _, p := range spec.Properties {
		if p.Type == posType {
			continue // where it was read, not a key
		}
		s := schemaOf(p.Type)
		if p.Doc != "" {
			s["description"] = p.Doc
		}
		if len(p.Enum) > 0 {
			s["enum"] = p.Enum
		}
		if p.Default != "" {
			s["default"] = p.Default
		}
		props[p.Name] = s
		if p.Required {
			req = append(req, p.Name)
		}
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(req) > 0 {
		out["required"] = req
	}
	return out
}

func schemaOf(t reflect.Type) map[string]any {
	switch t {
	case reflect.TypeOf(Duration(0)):
		return map[string]any{"type": "string", "description": "ISO-8601 (PT30S) or Go (30s) duration"}
	case reflect.TypeOf([]*TaskDef{}):
		return map[string]any{"$ref": "#/$defs/tasks"}
	case reflect.TypeOf(&ConditionDef{}):
		return map[string]any{"$ref": "#/$defs/condition"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		return structSchema(t)
	}
	return map[string]any{}
}

// kindSchema is the schema of one trigger or condition: common properties
// plus, by type, the properties of that type.
func kindSchema(infos []*Info, defs map[string]any, common map[string]any, required []string) map[string]any {
	var variants []any
	for _, in := range infos {
		spec, err := SpecOf(reflect.TypeOf(in.New()))
		if err != nil {
			continue
		}
		props := map[string]any{"type": map[string]any{"enum": append([]string{in.ID}, in.Aliases...)}}
		for k, v := range common {
			props[k] = v
		}
		req := append([]string{}, required...)
		for _, p := range spec.Properties {
			s := schemaOf(p.Type)
			if p.Doc != "" {
				s["description"] = p.Doc
			}
			if len(p.Enum) > 0 && p.Type.Kind() == reflect.String {
				s["enum"] = p.Enum
			}
			props[p.Name] = s
			if p.Required {
				req = append(req, p.Name)
			}
		}
		name := strings.ReplaceAll(in.ID, ".", "_")
		defs[name] = map[string]any{
			"type": "object", "title": in.ID, "description": in.ShortDoc(),
			"properties": props, "required": req, "additionalProperties": false,
		}
		variants = append(variants, typeVariant(in, name))
	}
	return map[string]any{"type": "object", "required": required, "allOf": variants}
}
