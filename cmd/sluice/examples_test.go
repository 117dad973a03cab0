package main

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
)

// upstream stands for the task an example reads the outputs of.
type upstream struct{}

func (*upstream) Run(context.Context, *plugin.RunContext) (plugin.Outputs, error) { return nil, nil }

var (
	outputRef = regexp.MustCompile(`outputs\.([A-Za-z0-9_-]+)`)
	inputRef  = regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`)
)

// exampleFlow wraps a documented task example into a flow: the inputs it
// reads are declared, tasks it reads outputs of become stand-ins (their
// outputs are not checked), the rest is validated as written.
func exampleFlow(ex string) (src string, id string, keys []string, err error) {
	var m map[string]any
	if err := yaml.Unmarshal([]byte(ex), &m); err != nil {
		return "", "", nil, err
	}
	id, _ = m["id"].(string)
	if id == "" || m["type"] == nil {
		return "", "", nil, errors.New("the example is not a whole task: it needs id and type")
	}
	var b strings.Builder
	b.WriteString("id: docs-example\nnamespace: docs.examples\n")
	inputs := map[string]bool{}
	for _, ref := range inputRef.FindAllStringSubmatch(ex, -1) {
		if !inputs[ref[1]] {
			if len(inputs) == 0 {
				b.WriteString("inputs:\n")
			}
			inputs[ref[1]] = true
			b.WriteString("  - name: " + ref[1] + "\n    type: STRING\n")
		}
	}
	b.WriteString("tasks:\n")
	seen := map[string]bool{id: true}
	for _, ref := range outputRef.FindAllStringSubmatch(ex, -1) {
		if !seen[ref[1]] {
			seen[ref[1]] = true
			b.WriteString("  - id: " + ref[1] + "\n    type: test.Upstream\n")
		}
	}
	for i, line := range strings.Split(strings.TrimRight(ex, "\n"), "\n") {
		if i == 0 {
			b.WriteString("  - " + line + "\n")
		} else {
			b.WriteString("    " + line + "\n")
		}
	}
	for k := range m {
		if k != "id" && k != "type" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return b.String(), id, keys, nil
}

// withoutKey removes a top-level key (and its indented block) of a task
// example.
func withoutKey(ex, key string) string {
	var out []string
	skipping := false
	for _, line := range strings.Split(ex, "\n") {
		if strings.HasPrefix(line, key+":") {
			skipping = true
			continue
		}
		if skipping && (strings.HasPrefix(line, " ") || line == "") {
			continue
		}
		skipping = false
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// TestPluginExamplesValidate: every example of docs/plugins is a whole
// task that validates, and the required column says what validation
// requires: leaving out a property marked required is an error naming it,
// leaving out any other is not.
func TestPluginExamplesValidate(t *testing.T) {
	reg := plugin.Default.Clone()
	reg.Register(plugin.Info{ID: "test.Upstream", New: func() any { return &upstream{} }})
	n := 0
	for _, in := range plugin.All() {
		spec, err := plugin.SpecOf(typeOf(in.New()))
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range in.Examples {
			n++
			name := in.ID + ": " + ex.Title
			src, _, keys, err := exampleFlow(ex.YAML)
			if err != nil {
				t.Errorf("%s: %v\n%s", name, err, ex.YAML)
				continue
			}
			if _, err := flows.ParseWith(reg, "example.yml", []byte(src)); err != nil {
				t.Errorf("%s does not validate:\n%v\n%s", name, err, src)
				continue
			}
			for _, k := range keys {
				p, ok := spec.Property(k)
				if !ok {
					continue
				}
				src, _, _, _ := exampleFlow(withoutKey(ex.YAML, k))
				_, err := flows.ParseWith(reg, "example.yml", []byte(src))
				missing := false
				var errs flows.Errors
				if errors.As(err, &errs) {
					for _, e := range errs {
						if e.Property == k && strings.Contains(e.Msg, "required property is missing") {
							missing = true
						}
					}
				}
				if missing != p.Required {
					t.Errorf("%s: property %q is documented required=%v, but leaving it out gives: %v", name, k, p.Required, err)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d examples found", n)
	}
}

func typeOf(v any) reflect.Type { return reflect.TypeOf(v) }

// A Singer tap's raw output exists only with raw: true: validate says so
// instead of the run failing on a missing key.
func TestSingerRawOutputNeedsRaw(t *testing.T) {
	src := `id: s
namespace: t
tasks:
  - id: tap
    type: singer.Tap
    command: tap-x
    raw: false
  - id: target
    type: singer.Target
    command: target-x
    from: "{{ outputs.tap.raw }}"
`
	_, err := flows.Parse("s.yml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `has output "raw" only with raw: true`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := flows.Parse("s.yml", []byte(strings.Replace(src, "raw: false", "raw: true", 1))); err != nil {
		t.Fatalf("raw: true: %v", err)
	}
}
