package plugin

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Produced reports whether a task with the decoded properties props
// produces output o. An output without When is always produced; one whose
// condition reads a property set by a template is taken as produced (only
// the run can tell). When may list alternatives joined by " or ".
func (o Output) Produced(props any) bool {
	if o.When == "" || props == nil {
		return true
	}
	for _, cond := range whenConditions(o.When) {
		if holds(cond, props) {
			return true
		}
	}
	return false
}

// whenConditions splits When into its "PROPERTY: VALUE" alternatives.
func whenConditions(when string) []string {
	return strings.Split(when, " or ")
}

// holds reports whether one "PROPERTY: VALUE" condition holds for props.
func holds(cond string, props any) bool {
	name, want, _ := strings.Cut(cond, ":")
	name, want = strings.TrimSpace(name), strings.TrimSpace(want)
	rv := reflect.ValueOf(props)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return true
		}
		rv = rv.Elem()
	}
	spec, err := SpecOf(rv.Type())
	if err != nil {
		return true
	}
	p, ok := spec.Property(name)
	if !ok {
		return true
	}
	f := rv.FieldByIndex(p.Index)
	switch f.Kind() {
	case reflect.Bool:
		b, err := strconv.ParseBool(want)
		return err != nil || f.Bool() == b
	case reflect.String:
		s := f.String()
		return strings.Contains(s, "{{") || strings.Contains(s, "{%") || s == want
	case reflect.Int, reflect.Int64, reflect.Int32:
		return fmt.Sprint(f.Int()) == want
	}
	return true
}

// validateOutputs checks that every When names a property of the task, so
// that a renamed property cannot silently switch a check off. Register
// calls it.
func (in *Info) validateOutputs() error {
	if in.New == nil {
		return nil
	}
	spec, err := SpecOf(reflect.TypeOf(in.New()))
	if err != nil {
		return nil
	}
	for _, o := range in.Outputs {
		if o.When == "" {
			continue
		}
		for _, cond := range whenConditions(o.When) {
			name, _, ok := strings.Cut(cond, ":")
			if !ok {
				return fmt.Errorf("%s: output %q: When must be \"PROPERTY: VALUE\" (alternatives joined by \" or \"), not %q", in.ID, o.Name, o.When)
			}
			if _, ok := spec.Property(strings.TrimSpace(name)); !ok {
				return fmt.Errorf("%s: output %q: When names %q, which is not a property", in.ID, o.Name, strings.TrimSpace(name))
			}
		}
	}
	return nil
}
