package plugin

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Property describes one property of a task, derived from struct tags:
//
//	URL       string   `yaml:"url" required:"true" doc:"JDBC URL or native DSN."`
//	FetchSize int      `yaml:"fetchSize" default:"10000" doc:"Rows per round trip."`
//	Mode      string   `yaml:"mode" enum:"insert,merge" default:"insert"`
//	Password  string   `yaml:"password" secret:"true"`
//	Script    string   `yaml:"script" template:"false"`   // not rendered
type Property struct {
	Name     string
	Doc      string
	Default  string // as written in the tag (YAML)
	Required bool
	Enum     []string
	Secret   bool
	Template bool // string values are rendered as templates before Run
	Type     reflect.Type
	Index    []int // field index path in the struct
	// Inline marks an embedded struct whose properties are listed flat.
	Inline bool
}

// Spec is the ordered property list of a properties struct.
type Spec struct {
	Type       reflect.Type
	Properties []Property
}

// Property finds a property by name.
func (s *Spec) Property(name string) (*Property, bool) {
	for i := range s.Properties {
		if s.Properties[i].Name == name {
			return &s.Properties[i], true
		}
	}
	return nil, false
}

// Names lists property names in declaration order.
func (s *Spec) Names() []string {
	out := make([]string, len(s.Properties))
	for i, p := range s.Properties {
		out[i] = p.Name
	}
	return out
}

var specs sync.Map // reflect.Type → *Spec

// SpecOf derives the spec of a properties struct type (or pointer to one).
// Specs are cached: the engine asks for them on every task run.
func SpecOf(t reflect.Type) (*Spec, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := specs.Load(t); ok {
		return s.(*Spec), nil
	}
	s, err := specOf(t)
	if err == nil {
		specs.Store(t, s)
	}
	return s, err
}

func specOf(t reflect.Type) (*Spec, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("properties must be a struct, got %s", t)
	}
	s := &Spec{Type: t}
	if err := collect(t, nil, s); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range s.Properties {
		if seen[p.Name] {
			return nil, fmt.Errorf("%s: duplicate property %q", t, p.Name)
		}
		seen[p.Name] = true
	}
	return s, nil
}

func collect(t reflect.Type, prefix []int, s *Spec) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		idx := append(append([]int{}, prefix...), i)
		tag, hasTag := f.Tag.Lookup("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (!hasTag || strings.Contains(opts, "inline")) {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if err := collect(ft, idx, s); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name[:1]) + f.Name[1:]
		}
		p := Property{
			Name:     name,
			Doc:      f.Tag.Get("doc"),
			Default:  f.Tag.Get("default"),
			Required: f.Tag.Get("required") == "true",
			Secret:   f.Tag.Get("secret") == "true",
			Template: f.Tag.Get("template") != "false",
			Type:     f.Type,
			Index:    idx,
		}
		if e := f.Tag.Get("enum"); e != "" {
			p.Enum = strings.Split(e, ",")
		}
		s.Properties = append(s.Properties, p)
	}
	return nil
}

// TypeName is the user-facing type of a property, for docs and errors.
func TypeName(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(Duration(0)):
		return "duration"
	case reflect.TypeOf(time.Time{}):
		return "datetime"
	case reflect.TypeOf([]*TaskDef{}):
		return "tasks"
	case reflect.TypeOf(&ConditionDef{}):
		return "condition"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return TypeName(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list of " + TypeName(t.Elem())
	case reflect.Map:
		return "map of " + TypeName(t.Elem())
	case reflect.Struct:
		return "object"
	case reflect.Interface:
		return "any"
	}
	return t.String()
}
