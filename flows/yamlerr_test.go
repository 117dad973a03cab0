package flows_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows"
)

func TestYAMLSyntaxErrorsShowTheLine(t *testing.T) {
	head := "id: f\nnamespace: t\ntasks:\n  - id: x\n"
	tests := []struct {
		name, src, pos, context, hint string
	}{
		{"tab", head + "\ttype: core.Log\n", "f.yml:5:1:", "  5 | →type: core.Log\n    | ^", "replace the tab with spaces"},
		{"bad dedent", head + "    type: core.Log\n    message: hi\n   bad: 1\n", "f.yml:7:4:", "  7 |    bad: 1\n    |    ^", "align it with the '-' of its list"},
		{"colon in a value", head + "    type: core.Log\n    message: a: b\n", "f.yml:6:5:", "  6 |     message: a: b\n    |     ^", "quote the value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := flows.Parse("f.yml", []byte(tc.src))
			var errs flows.Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("want one error, got %v", err)
			}
			e := errs[0]
			got := e.Error()
			if !strings.HasPrefix(got, tc.pos) || e.Context != tc.context || !strings.Contains(e.Hint, tc.hint) {
				t.Errorf("got\n%s\ncontext %q\nwant position %s, context %q, hint with %q", got, e.Context, tc.pos, tc.context, tc.hint)
			}
		})
	}
}
