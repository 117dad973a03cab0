package template_test

import (
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/flows/template"
)

func Example() {
	tpl, err := template.Parse("{{ outputs.query.uri }}")
	if err != nil {
		panic(err)
	}
	out, err := tpl.Render(map[string]any{
		"outputs": map[string]any{"query": map[string]any{"uri": "sluice:///ns/f/executions/1/tasks/query/0/rows.ion"}},
	})
	fmt.Println(out, err)
	// Output: sluice:///ns/f/executions/1/tasks/query/0/rows.ion <nil>
}

func Example_undefined() {
	_, err := template.Render("from: {{ outputs.quer.uri }}", map[string]any{
		"outputs": map[string]any{"query": map[string]any{"uri": "x"}},
	})
	fmt.Println(err)
	var u *template.UndefinedError
	if errors.As(err, &u) {
		fmt.Println(u.Path, "->", u.Suggestion)
	}
	// Output:
	// 1:10: undefined variable "outputs.quer": outputs has no key "quer" (did you mean "query"?)
	// outputs.quer -> query
}

func ExampleTemplate_Eval() {
	tpl := template.MustParse("{{ outputs.query.rows | jq('.[].id') }}")
	v, _ := tpl.Eval(map[string]any{
		"outputs": map[string]any{"query": map[string]any{"rows": []any{
			map[string]any{"id": 1}, map[string]any{"id": 2},
		}}},
	})
	fmt.Printf("%T %v\n", v, v)
	// Output: []interface {} [1 2]
}

func ExampleTemplate_Refs() {
	tpl := template.MustParse("load:\n  from: {{ inputs.query.uri }}\n  {% if vars.extra is defined %}{{ vars.extra }}{% endif %}")
	for _, r := range tpl.Refs() {
		fmt.Println(r.Path, r.Line, r.Col, r.Optional)
	}
	// Output:
	// [inputs query uri] 2 12 false
	// [vars extra] 3 9 true
	// [vars extra] 3 36 true
}
