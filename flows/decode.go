package flows

import (
	"encoding"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows/plugin"
)

// ParseFile reads and decodes a flow file.
func ParseFile(path string) (*Flow, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseFileSource(plugin.Default, path, src)
}

// ParseFileSource is ParseWith for src read from the flow file at path: only
// then are [[> PATH]] includes and core.Template files read, relative to
// its folder. A flow given as text (an API request) never makes sluice
// read local files.
func ParseFileSource(reg *plugin.Registry, path string, src []byte) (*Flow, error) {
	return parse(reg, path, src, true)
}

// Parse decodes a flow strictly against the default task registry and
// validates it. All problems found are returned together as Errors, in file
// order.
func Parse(file string, src []byte) (*Flow, error) {
	return ParseWith(plugin.Default, file, src)
}

// ParseWith is Parse with the task types of reg (nil: plugin.Default).
func ParseWith(reg *plugin.Registry, file string, src []byte) (*Flow, error) {
	return parse(reg, file, src, false)
}

func parse(reg *plugin.Registry, file string, src []byte, onDisk bool) (*Flow, error) {
	if reg == nil {
		reg = plugin.Default
	}
	d := &decoder{file: file, reg: reg, onDisk: onDisk}
	f := d.flow(src)
	if f != nil {
		f.File, f.Source = file, src
		validate(f, d)
		f.Warnings = d.warns
	}
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			a, b := d.errs[i].Pos, d.errs[j].Pos
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		})
		return f, d.errs
	}
	return f, nil
}

type decoder struct {
	file     string
	reg      *plugin.Registry
	errs     Errors
	warns    []*Error
	ids      map[string]plugin.Pos
	defaults []*taskDefault
	// reuseChildren is set when re-decoding a task's properties for one
	// run: child task lists are then taken from the first decoding.
	reuseChildren bool
	// templateDepth counts the core.Template files being decoded.
	templateDepth int
	// onDisk: the flow was read from file, whose folder includes and
	// templates are read from (see ParseFileSource).
	onDisk bool
}

type taskDefault struct {
	Type   string
	Forced bool
	Values *yaml.Node
}

func (d *decoder) pos(n *yaml.Node) plugin.Pos {
	return plugin.Pos{File: d.file, Line: n.Line, Col: n.Column}
}

// valuePos is where a property's text starts: the first character inside
// the quotes of a scalar, the line after the indicator of a block scalar,
// the key for lists and mappings (whose items have their own positions).
func (d *decoder) valuePos(k, v *yaml.Node) plugin.Pos {
	if v.Kind != yaml.ScalarNode {
		return d.pos(k)
	}
	p := d.pos(v)
	switch v.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		p.Col++
	case yaml.LiteralStyle, yaml.FoldedStyle:
		p.Line++
		p.Col = k.Column + 2
	}
	return p
}

func (d *decoder) errorf(n *yaml.Node, task, prop string, format string, args ...any) *Error {
	e := &Error{Pos: d.pos(n), TaskID: task, Property: prop, Msg: fmt.Sprintf(format, args...)}
	d.errs = append(d.errs, e)
	return e
}

var flowKeys = []string{"id", "namespace", "description", "labels", "inputs", "variables", "taskDefaults", "tasks", "errors", "triggers", "disabled", "revision", "listeners", "concurrency"}

func (d *decoder) flow(src []byte) *Flow {
	if len(src) > limits.FlowBytes {
		d.errs = append(d.errs, &Error{Pos: plugin.Pos{File: d.file, Line: 1, Col: 1}, Msg: fmt.Sprintf("the flow is %d bytes, more than the limit of %s (see docs/limits.md)", len(src), byteSize(limits.FlowBytes))})
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		if isYAMLSyntax(err) {
			d.errs = append(d.errs, yamlSyntaxError(d.file, src, err))
			return nil
		}
		e := &Error{Pos: plugin.Pos{File: d.file, Line: 1, Col: 1}, Msg: err.Error()}
		if te, ok := err.(*yaml.TypeError); ok {
			e.Msg = strings.Join(te.Errors, "; ")
		}
		if line := yamlErrorLine(err.Error()); line > 0 {
			e.Pos.Line = line
			e.Msg = strings.TrimPrefix(e.Msg, fmt.Sprintf("yaml: line %d: ", line))
		}
		d.errs = append(d.errs, e)
		return nil
	}
	if len(doc.Content) == 0 {
		d.errs = append(d.errs, &Error{Pos: plugin.Pos{File: d.file, Line: 1, Col: 1}, Msg: "empty flow"})
		return nil
	}
	d.includes(&doc)
	// After the includes, so that included text counts too.
	if err := checkAliases(&doc); err != nil {
		d.errorf(err.node, "", "", "%s", err.msg)
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "", "", "a flow is a mapping with id, namespace and tasks")
		return nil
	}
	f := &Flow{}
	d.ids = map[string]plugin.Pos{}
	var tasksNode, errorsNode *yaml.Node
	seen := map[string]bool{}
	// taskDefaults must be known before any task is decoded.
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "taskDefaults" {
			d.taskDefaults(root.Content[i+1])
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			d.errorf(k, "", "", "duplicate key %s", quote(k.Value))
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "id":
			f.ID = d.str(v, "", "id")
			if f.ID != "" && d.checkLen(v, "", "id", "flow id", f.ID, maxIDLen) && !idPattern.MatchString(f.ID) {
				d.errorf(v, "", "id", "flow id %s must match %s", quote(f.ID), idPattern)
			}
		case "namespace":
			f.Namespace = d.str(v, "", "namespace")
			if f.Namespace != "" && d.checkLen(v, "", "namespace", "namespace", f.Namespace, maxNamespaceLen) && !namespacePattern.MatchString(f.Namespace) {
				d.errorf(v, "", "namespace", "namespace %s must be lower case letters, digits, '.', '_' and '-'", quote(f.Namespace))
			}
		case "description":
			f.Description = d.str(v, "", "description")
		case "labels":
			d.into(v, reflect.ValueOf(&f.Labels).Elem(), "", "labels")
		case "inputs":
			f.Inputs = d.inputs(v)
		case "variables":
			d.into(v, reflect.ValueOf(&f.Variables).Elem(), "", "variables")
		case "taskDefaults":
		case "tasks":
			tasksNode = v
		case "errors":
			errorsNode = v
		case "triggers":
			f.Triggers = d.triggers(v)
		case "disabled":
			d.into(v, reflect.ValueOf(&f.Disabled).Elem(), "", "disabled")
		case "listeners":
			f.Listeners = d.listeners(v)
		case "concurrency":
			d.into(v, reflect.ValueOf(&f.Concurrency).Elem(), "", "concurrency")
			if c := f.Concurrency; c != nil {
				if err := c.Validate(); err != nil {
					d.errorf(v, "", "concurrency", "%v", err)
				}
			}
		case "revision":
			d.warns = append(d.warns, &Error{Pos: d.pos(k), Msg: fmt.Sprintf("%q is ignored by sluice", k.Value)})
		default:
			d.unknownKey(k, "", "flow", flowKeys)
		}
	}
	for _, req := range []string{"id", "namespace", "tasks"} {
		if !seen[req] {
			d.errorf(root, "", "", "missing required key %q", req)
		}
	}
	if tasksNode != nil {
		f.Tasks = d.tasks(tasksNode, "tasks")
		if len(f.Tasks) == 0 && tasksNode.Kind == yaml.SequenceNode {
			d.errorf(tasksNode, "", "tasks", "a flow needs at least one task")
		}
	}
	if errorsNode != nil {
		f.Errors = d.tasks(errorsNode, "errors")
	}
	return f
}

func yamlErrorLine(msg string) int {
	var line int
	if _, err := fmt.Sscanf(msg, "yaml: line %d:", &line); err == nil {
		return line
	}
	return 0
}

func (d *decoder) str(n *yaml.Node, task, prop string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, task, prop, "expected a string")
		return ""
	}
	return n.Value
}

func (d *decoder) unknownKey(k *yaml.Node, task, where string, known []string) {
	e := d.errorf(k, task, "", "unknown property %s of %s", quote(k.Value), where)
	if s := closest(k.Value, known); s != "" {
		e.Suggestion = strconv.Quote(s)
	}
}

func (d *decoder) taskDefaults(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "", "taskDefaults", "expected a list of {type, values}")
		return
	}
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			d.errorf(item, "", "taskDefaults", "expected {type, forced, values}")
			continue
		}
		td := &taskDefault{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			switch k.Value {
			case "type":
				td.Type = d.str(v, "", "taskDefaults.type")
				if _, ok := d.reg.Lookup(td.Type); !ok {
					e := d.errorf(v, "", "taskDefaults.type", "unknown task type %s", quote(td.Type))
					if s := closest(td.Type, d.reg.Names()); s != "" {
						e.Suggestion = strconv.Quote(s)
					}
				}
			case "forced":
				d.into(v, reflect.ValueOf(&td.Forced).Elem(), "", "taskDefaults.forced")
			case "values":
				if v.Kind != yaml.MappingNode {
					d.errorf(v, "", "taskDefaults.values", "expected a mapping of properties")
					continue
				}
				td.Values = v
			default:
				d.unknownKey(k, "", "taskDefaults", []string{"type", "forced", "values"})
			}
		}
		if td.Type != "" && td.Values != nil {
			d.defaults = append(d.defaults, td)
		}
	}
}

func (d *decoder) inputs(n *yaml.Node) []*Input {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "", "inputs", "expected a list of inputs")
		return nil
	}
	spec, _ := plugin.SpecOf(reflect.TypeOf(Input{}))
	var out []*Input
	names := map[string]bool{}
	for _, item := range n.Content {
		in := &Input{Pos: d.pos(item)}
		d.structInto(item, reflect.ValueOf(in).Elem(), spec, "", "input")
		if in.Name != "" && d.checkLen(item, "", "inputs", "input name", in.Name, maxIDLen) {
			if names[in.Name] {
				d.errorf(item, "", "inputs", "duplicate input %s", quote(in.Name))
			}
			names[in.Name] = true
			if !idPattern.MatchString(in.Name) && !strings.Contains(in.Name, ".") {
				d.errorf(item, "", "inputs", "input name %s must be letters, digits, '_' or '-'", quote(in.Name))
			}
		}
		out = append(out, in)
	}
	return out
}

func (d *decoder) triggers(n *yaml.Node) []*Trigger {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "", "triggers", "expected a list of triggers")
		return nil
	}
	var out []*Trigger
	ids := map[string]bool{}
	for _, item := range n.Content {
		if t := d.trigger(item); t != nil {
			if ids[t.ID] {
				d.errorf(item, "", "triggers", "duplicate trigger id %s", quote(t.ID))
			}
			ids[t.ID] = true
			out = append(out, t)
		}
	}
	return out
}

// trigger decodes one trigger strictly: the common keys, then the
// properties of its registered type.
func (d *decoder) trigger(n *yaml.Node) *Trigger {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "", "triggers", "a trigger is a mapping with id and type")
		return nil
	}
	t := &Trigger{Pos: d.pos(n)}
	if raw, err := plainValue(n); err == nil {
		t.Raw, _ = raw.(map[string]any)
	}
	var typeNode *yaml.Node
	props := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "id":
			t.ID = d.str(v, "", "triggers.id")
		case "type":
			t.Type = d.str(v, "", "triggers.type")
			typeNode = v
		case "description":
			t.Description = d.str(v, "", "triggers.description")
		case "disabled":
			d.into(v, reflect.ValueOf(&t.Disabled).Elem(), "", "triggers.disabled")
		case "conditions":
			d.into(v, reflect.ValueOf(&t.Conditions).Elem(), "", "triggers.conditions")
		default:
			props.Content = append(props.Content, k, v)
		}
	}
	if t.ID == "" || typeNode == nil {
		d.errorf(n, "", "triggers", "a trigger needs id and type")
		return nil
	}
	if d.checkLen(n, "", "triggers.id", "trigger id", t.ID, maxIDLen) && !idPattern.MatchString(t.ID) {
		d.errorf(n, "", "triggers.id", "trigger id %s must contain only letters, digits, '_' and '-'", quote(t.ID))
	}
	info, ok := plugin.LookupTrigger(t.Type)
	if !ok {
		e := d.errorf(typeNode, "", "triggers.type", "unknown trigger type %s", quote(t.Type))
		if s := closest(t.Type, plugin.TriggerNames()); s != "" {
			e.Suggestion = strconv.Quote(s)
		}
		return nil
	}
	t.Info = info
	val := info.New()
	spec, err := plugin.SpecOf(reflect.TypeOf(val))
	if err != nil {
		d.errorf(n, "", "triggers", "%v", err)
		return nil
	}
	errsBefore := len(d.errs)
	d.structInto(props, reflect.ValueOf(val).Elem(), spec, "", "trigger type "+info.ID)
	if v, ok := val.(plugin.Validator); ok && len(d.errs) == errsBefore {
		if err := v.Validate(); err != nil {
			d.errorf(n, "", "triggers", "trigger %q: %v", t.ID, err)
		}
	}
	t.Props = val
	d.warns = append(d.warns, &Error{Pos: t.Pos, Msg: fmt.Sprintf("trigger %q (%s) is not run by `sluice run`; `sluice server` runs it", t.ID, info.ID)})
	return t
}

// condition decodes one typed condition (a mapping with a type) into v, a
// *plugin.ConditionDef. Conditions nest (MultipleCondition holds a map of
// them) through the ordinary property decoding.
func (d *decoder) condition(n *yaml.Node, v reflect.Value, task, prop string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, task, prop, "a condition is a mapping with a type")
		return
	}
	var typeNode *yaml.Node
	props := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Value == "type" {
			typeNode = val
			continue
		}
		props.Content = append(props.Content, k, val)
	}
	if typeNode == nil {
		d.errorf(n, task, prop, "condition without type")
		return
	}
	typ := d.str(typeNode, task, prop+".type")
	info, ok := plugin.LookupCondition(typ)
	if !ok {
		e := d.errorf(typeNode, task, prop+".type", "unknown condition type %q", typ)
		if s := closest(typ, plugin.ConditionNames()); s != "" {
			e.Suggestion = strconv.Quote(s)
		}
		return
	}
	val := info.New()
	spec, err := plugin.SpecOf(reflect.TypeOf(val))
	if err != nil {
		d.errorf(n, task, prop, "%v", err)
		return
	}
	errsBefore := len(d.errs)
	d.structInto(props, reflect.ValueOf(val).Elem(), spec, task, "condition "+info.ID)
	if vv, ok := val.(plugin.Validator); ok && len(d.errs) == errsBefore {
		if err := vv.Validate(); err != nil {
			d.errorf(n, task, prop, "condition %s: %v", info.ID, err)
		}
	}
	v.Set(reflect.ValueOf(&plugin.ConditionDef{Type: typ, Info: info, Props: val.(plugin.Condition), Pos: d.pos(n)}))
}

func (d *decoder) tasks(n *yaml.Node, where string) []*plugin.TaskDef {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "", where, "expected a list of tasks")
		return nil
	}
	var out []*plugin.TaskDef
	for _, item := range n.Content {
		if t := d.task(item); t != nil {
			out = append(out, t)
		}
	}
	return out
}

func (d *decoder) task(n *yaml.Node) *plugin.TaskDef {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "", "", "a task is a mapping with id and type")
		return nil
	}
	t := &plugin.TaskDef{Pos: d.pos(n), PropPos: map[string]plugin.Pos{}}
	var typeNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "id":
			t.ID = d.str(v, "", "id")
		case "type":
			t.Type = d.str(v, "", "type")
			typeNode = v
		}
	}
	if t.ID == "" {
		d.errorf(n, "", "", "task without id")
	} else if !d.checkLen(n, "", "id", "task id", t.ID, maxIDLen) {
		t.ID = cut(t.ID)
	} else if !idPattern.MatchString(t.ID) {
		d.errorf(n, t.ID, "id", "task id must start with a letter or digit and contain only letters, digits, '_' and '-'")
	} else if prev, dup := d.ids[t.ID]; dup {
		d.errorf(n, t.ID, "", "duplicate task id (first defined at %d:%d)", prev.Line, prev.Col)
	} else {
		d.ids[t.ID] = t.Pos
	}
	if typeNode == nil {
		d.errorf(n, t.ID, "", "task without type")
		return nil
	}
	info, ok := d.reg.Lookup(t.Type)
	if !ok {
		e := d.errorf(typeNode, t.ID, "type", "unknown task type %s", quote(t.Type))
		if s := closest(t.Type, d.reg.Names()); s != "" {
			e.Suggestion = strconv.Quote(s)
		}
		return nil
	}
	t.Info = info
	props := d.withDefaults(n, info)
	propNode := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(props.Content); i += 2 {
		k, v := props.Content[i], props.Content[i+1]
		switch k.Value {
		case "id", "type":
		case "description":
			t.Description = d.str(v, t.ID, "description")
		case "retry":
			t.Retry = &plugin.Retry{}
			spec, _ := plugin.SpecOf(reflect.TypeOf(plugin.Retry{}))
			d.structInto(v, reflect.ValueOf(t.Retry).Elem(), spec, t.ID, "retry")
			if err := t.Retry.Validate(); err != nil {
				d.errorf(v, t.ID, "retry", "%v", err)
			}
		case "timeout":
			d.into(v, reflect.ValueOf(&t.Timeout).Elem(), t.ID, "timeout")
		case "disabled":
			d.into(v, reflect.ValueOf(&t.Disabled).Elem(), t.ID, "disabled")
		case "logLevel":
		case "errors":
			if !info.Flowable {
				d.errorf(k, t.ID, "errors", "only flowable tasks (Sequential, Parallel, Each...) have an errors branch; use the flow's errors")
				continue
			}
			t.Errors = d.tasks(v, "errors")
		default:
			t.PropPos[k.Value] = d.valuePos(k, v)
			propNode.Content = append(propNode.Content, k, v)
		}
	}
	errsBefore := len(d.errs)
	val := d.decodeProps(propNode, info, t.ID)
	if val == nil {
		return t
	}
	t.Props = val
	if v, ok := val.(plugin.Validator); ok && len(d.errs) == errsBefore {
		if err := v.Validate(); err != nil {
			d.errorf(n, t.ID, "", "%v", err)
		}
	}
	if tp, ok := val.(*Template); ok && len(d.errs) == errsBefore {
		d.expandTemplate(t, tp, n)
	}
	// Each run decodes afresh so that rendering never mutates the
	// declaration; children were decoded above and are shared.
	file := d.file
	t.NewProps = func() (any, error) {
		sub := &decoder{file: file, ids: map[string]plugin.Pos{}, reuseChildren: true}
		out := sub.decodeProps(propNode, info, t.ID)
		if len(sub.errs) > 0 {
			return nil, sub.errs
		}
		copyChildren(out, val)
		return out, nil
	}
	return t
}

// withDefaults merges taskDefaults values into a task mapping: absent keys
// get the default; forced defaults replace the task's own value.
func (d *decoder) withDefaults(n *yaml.Node, info *plugin.Info) *yaml.Node {
	var applicable []*taskDefault
	for _, td := range d.defaults {
		if ti, ok := d.reg.Lookup(td.Type); ok && ti == info {
			applicable = append(applicable, td)
		}
	}
	if len(applicable) == 0 {
		return n
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column, Content: append([]*yaml.Node{}, n.Content...)}
	index := func(key string) int {
		for i := 0; i+1 < len(out.Content); i += 2 {
			if out.Content[i].Value == key {
				return i
			}
		}
		return -1
	}
	for _, td := range applicable {
		for i := 0; i+1 < len(td.Values.Content); i += 2 {
			k, v := td.Values.Content[i], td.Values.Content[i+1]
			if j := index(k.Value); j < 0 {
				out.Content = append(out.Content, k, v)
			} else if td.Forced {
				out.Content[j+1] = v
			}
		}
	}
	return out
}

func (d *decoder) decodeProps(n *yaml.Node, info *plugin.Info, taskID string) any {
	props := info.New()
	rv := reflect.ValueOf(props)
	spec, err := plugin.SpecOf(rv.Type())
	if err != nil {
		d.errorf(n, taskID, "", "%v", err)
		return nil
	}
	d.structInto(n, rv.Elem(), spec, taskID, "task type "+info.ID)
	return props
}

var (
	taskListType  = reflect.TypeOf([]*plugin.TaskDef{})
	conditionType = reflect.TypeOf(&plugin.ConditionDef{})
	durationType  = reflect.TypeOf(plugin.Duration(0))
	textUnmarshT  = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// structInto decodes a mapping into a properties struct: unknown keys,
// missing required properties, enum violations and type mismatches are
// located errors; `default` tags fill fields left at their zero value.
func (d *decoder) structInto(n *yaml.Node, v reflect.Value, spec *plugin.Spec, task, where string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, task, "", "expected a mapping for %s", where)
		return
	}
	set := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p, ok := spec.Property(k.Value)
		if !ok {
			d.unknownKey(k, task, where, spec.Names())
			continue
		}
		if set[p.Name] {
			d.errorf(k, task, p.Name, "set twice")
			continue
		}
		set[p.Name] = true
		if val.Tag == "!!null" {
			continue
		}
		f := fieldByIndex(v, p.Index)
		d.into(val, f, task, p.Name)
		if len(p.Enum) > 0 && f.Kind() == reflect.String && f.String() != "" && !isTemplate(f.String()) {
			if !contains(p.Enum, f.String()) {
				e := d.errorf(val, task, p.Name, "%s is not one of %s", quote(f.String()), strings.Join(p.Enum, ", "))
				if s := closest(f.String(), p.Enum); s != "" {
					e.Suggestion = strconv.Quote(s)
				}
			}
		}
	}
	for _, p := range spec.Properties {
		if set[p.Name] {
			continue
		}
		f := fieldByIndex(v, p.Index)
		if p.Required {
			d.errorf(n, task, p.Name, "required property is missing")
			continue
		}
		if p.Default != "" && f.IsZero() {
			var dn yaml.Node
			if err := yaml.Unmarshal([]byte(p.Default), &dn); err != nil || len(dn.Content) == 0 {
				d.errorf(n, task, p.Name, "bad default tag %q", p.Default)
				continue
			}
			d.into(dn.Content[0], f, task, p.Name)
		}
	}
}

// copyChildren copies child task lists (and maps of them) from src to dst,
// both pointers to the same properties struct type.
func copyChildren(dst, src any) {
	dv, sv := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := 0; i < dv.NumField(); i++ {
		ft := dv.Field(i).Type()
		if ft == taskListType || (ft.Kind() == reflect.Map && ft.Elem() == taskListType) {
			dv.Field(i).Set(sv.Field(i))
		}
	}
}

func fieldByIndex(v reflect.Value, idx []int) reflect.Value {
	for i, x := range idx {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// into decodes a node into any supported property type.
func (d *decoder) into(n *yaml.Node, v reflect.Value, task, prop string) {
	t := v.Type()
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case t == conditionType:
		d.condition(n, v, task, prop)
		return
	case t == taskListType || (t.Kind() == reflect.Map && t.Elem() == taskListType):
		if d.reuseChildren {
			// Fresh copies of a task reuse the children decoded once.
			return
		}
		if t == taskListType {
			v.Set(reflect.ValueOf(d.tasks(n, prop)))
			return
		}
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, task, prop, "expected a duration (PT30S, 5m)")
			return
		}
		dur, err := plugin.ParseDuration(n.Value)
		if err != nil {
			d.errorf(n, task, prop, "%v", err)
			return
		}
		v.SetInt(int64(dur))
		return
	case reflect.PointerTo(t).Implements(textUnmarshT) && t.Kind() != reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, task, prop, "expected a %s", plugin.TypeName(t))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.errorf(n, task, prop, "%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if n.Tag == "!!null" {
			return
		}
		nv := reflect.New(t.Elem())
		d.into(n, nv.Elem(), task, prop)
		v.Set(nv)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			d.errorf(n, task, prop, "expected a string, got %s", nodeKind(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.errorf(n, task, prop, "expected true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.errorf(n, task, prop, "expected an integer, got %s", describe(n))
			return
		}
		if v.OverflowInt(i) {
			d.errorf(n, task, prop, "%d is out of range", i)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(n.Value, 0, 64)
		if n.Kind != yaml.ScalarNode || err != nil || v.OverflowUint(u) {
			d.errorf(n, task, prop, "expected a non-negative integer, got %s", describe(n))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.errorf(n, task, prop, "expected a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && isTemplate(n.Value) && t.Elem().Kind() == reflect.String {
			// A list given as one template ("{{ outputs.split.uris }}")
			// is evaluated at run time.
			s := reflect.MakeSlice(t, 1, 1)
			s.Index(0).SetString(listTemplateMarker + n.Value)
			v.Set(s)
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, task, prop, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.into(item, s.Index(i), task, fmt.Sprintf("%s[%d]", prop, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, task, prop, "expected a mapping, got %s", describe(n))
			return
		}
		if t.Key().Kind() != reflect.String {
			d.errorf(n, task, prop, "unsupported map key type %s", t.Key())
			return
		}
		m := reflect.MakeMapWithSize(t, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := reflect.New(t.Key()).Elem()
			k.SetString(n.Content[i].Value)
			e := reflect.New(t.Elem()).Elem()
			d.into(n.Content[i+1], e, task, prop+"."+n.Content[i].Value)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		spec, err := plugin.SpecOf(t)
		if err != nil {
			d.errorf(n, task, prop, "%v", err)
			return
		}
		d.structInto(n, v, spec, task, prop)
	case reflect.Interface:
		val, err := plainValue(n)
		if err != nil {
			d.errorf(n, task, prop, "%v", err)
			return
		}
		if val != nil {
			v.Set(reflect.ValueOf(val))
		}
	default:
		d.errorf(n, task, prop, "unsupported property type %s", t)
	}
}

// plainValue turns a node into plain Go data with int64 integers and
// string-keyed maps.
func plainValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return plainValue(n.Alias)
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!bool":
			return strconv.ParseBool(n.Value)
		case "!!int":
			i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
			if err != nil {
				return n.Value, nil
			}
			return i, nil
		case "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				switch strings.ToLower(n.Value) {
				case ".nan":
					return math.NaN(), nil
				case ".inf", "+.inf":
					return math.Inf(1), nil
				case "-.inf":
					return math.Inf(-1), nil
				}
				return n.Value, nil
			}
			return f, nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := plainValue(c)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := plainValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported YAML node")
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	if n.Tag == "!!null" {
		return "null"
	}
	return "a scalar"
}

func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return quote(n.Value)
	}
	return nodeKind(n)
}

// listTemplateMarker prefixes the single element standing for a list
// property written as one template; rendering replaces the list.
const listTemplateMarker = "\x00list-template:"

func isTemplate(s string) bool { return strings.Contains(s, "{{") || strings.Contains(s, "{%") }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
