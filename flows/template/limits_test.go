package template

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// withLimits runs f under l (zero fields default) and restores the limits.
func withLimits(t *testing.T, l Limits, f func()) {
	t.Helper()
	old := limits
	defer func() { limits = old }()
	SetLimits(l)
	f()
}

// doubled is a list holding the same list twice, n levels deep: 2^n
// elements once expanded, n+1 lists in memory.
func doubled(n int) any {
	var l any = []any{int64(1)}
	for i := 0; i < n; i++ {
		l = []any{l, l}
	}
	return l
}

// TestHostileTemplates renders templates that each took a process past
// 4 GB before rendering had a budget; each must now stop at its limit with
// an error that names it. Output and Value are 4 MiB to keep the test fast
// (the binary test in cmd/sluice runs the defaults); a case may lower more.
func TestHostileTemplates(t *testing.T) {
	cases := []struct {
		name, src string
		limits    Limits
		limit     string
	}{
		{"jq range", `{{ 1 | jq('[range(1e9)]') }}`, Limits{}, "value"},
		{"jq string doubling", `{{ '"a"' | jq('until(length > 1e10; . + .)') }}`, Limits{}, "value"},
		{"jq recursion", `{{ 1 | jq('def f: [., f]; f') }}`, Limits{}, "value"},
		{"jq endless loop", `{{ 1 | jq('last(range(1e18))') }}`, Limits{Time: 100 * time.Millisecond}, "time"},
		{"jq input expanded", `{{ doubled | jq('length') }}`, Limits{}, "value"},
		{"list doubling", `{% set l = [1] %}{% for i in range(1, 40) %}{% set l = l + l %}{% endfor %}`, Limits{}, "value"},
		{"nested list printed", `{% set l = [1] %}{% for i in range(1, 60) %}{% set l = [l, l] %}{% endfor %}{{ l }}`, Limits{}, "value"},
		{"nested list to json", `{% set l = [1] %}{% for i in range(1, 60) %}{% set l = [l, l] %}{% endfor %}{{ l | json }}`, Limits{}, "value"},
		{"nested map to json", `{% set m = {'a': 1} %}{% for i in range(1, 60) %}{% set m = {'a': m, 'b': m} %}{% endfor %}x{{ m | json }}`, Limits{}, "value"},
		{"nested list joined", `{{ doubled | join(',') }}`, Limits{}, "value"},
		{"nested list concatenated", `{{ 'x' ~ doubled }}`, Limits{}, "value"},
		{"string doubling", `{% set s = 'ab' %}{% for i in range(1, 40) %}{% set s = s ~ s %}{% endfor %}`, Limits{}, "value"},
		{"replace doubling", `{% set s = 'x' %}{% for i in range(1, 100) %}{% set s = s | replace('x', 'xx') %}{% endfor %}`, Limits{}, "value"},
		{"replace between characters", `{% set s = 'xy' %}{% for i in range(1, 100) %}{% set s = s | replace('', s) %}{% endfor %}`, Limits{}, "value"},
		{"base64 growth", `{% set s = 'xyz' %}{% for i in range(1, 100) %}{% set s = s | base64encode %}{% endfor %}`, Limits{}, "value"},
		{"split into millions", `{% set s = ',' %}{% for i in range(1, 22) %}{% set s = s ~ s %}{% endfor %}{{ s | split(',') | length }}`, Limits{}, "value"},
		{"json of millions", `{% set s = '[],' %}{% for i in range(1, 22) %}{% set s = s ~ s %}{% endfor %}{{ json('[' ~ s ~ '[]]') | length }}`, Limits{}, "value"},
		{"range", `{{ range(1, 1000000000) | length }}`, Limits{}, "value"},
		{"long loop output", `{% for i in range(1, 200000) %}0123456789012345678901234567890123456789{% endfor %}`, Limits{}, "output"},
		{"bare value output", `{{ small }}`, Limits{Output: 1 << 10}, "output"},
		{"nested loops", `{% for i in range(1, 100000) %}{% for j in range(1, 100000) %}{% endfor %}{% endfor %}`, Limits{Steps: 100_000}, "steps"},
		{"endless arithmetic", `{% for i in range(1, 100000) %}{% for j in range(1, 100000) %}{% set x = i * j %}{% endfor %}{% endfor %}`, Limits{Time: 50 * time.Millisecond}, "time"},
	}
	vars := map[string]any{"doubled": doubled(60), "small": doubled(10)}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := c.limits
			if l.Output == 0 {
				l.Output = 4 << 20
			}
			if l.Value == 0 {
				l.Value = 4 << 20
			}
			withLimits(t, l, func() {
				_, err := Render(c.src, vars)
				var le *LimitError
				if !errors.As(err, &le) {
					t.Fatalf("got %v, want a %s limit error", err, c.limit)
				}
				if le.Limit != c.limit {
					t.Fatalf("got %v, want the %s limit", err, c.limit)
				}
				var te *Error
				if !errors.As(err, &te) || te.Line < 1 || te.Col < 1 {
					t.Fatalf("error %v has no position", err)
				}
				if want := "template " + c.limit + " limit of " + le.Max; !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not say %q", err, want)
				}
			})
		})
	}
}

// TestLimitsAllowOrdinaryWork renders templates just under the limits.
func TestLimitsAllowOrdinaryWork(t *testing.T) {
	withLimits(t, Limits{Output: 1 << 20, Value: 1 << 20, Steps: 10_000}, func() {
		for _, src := range []string{
			`{% for i in range(1, 1000) %}{{ i }},{% endfor %}`,
			`{% set s = 'ab' %}{% for i in range(1, 18) %}{% set s = s ~ s %}{% endfor %}{{ s | length }}`,
			`{{ range(1, 60000) | jq('length') | first }}`,
			`{{ range(1, 60000) | json | length }}`,
		} {
			if _, err := Render(src, nil); err != nil {
				t.Errorf("%s: %v", src, err)
			}
		}
	})
}

func TestEvalRefusesValuesOverTheLimit(t *testing.T) {
	_, err := MustParse("{{ doubled }}").Eval(map[string]any{"doubled": doubled(40)})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "value" {
		t.Fatalf("got %v, want the value limit", err)
	}
	v, err := MustParse("{{ doubled }}").Eval(map[string]any{"doubled": doubled(3)})
	if err != nil || v == nil {
		t.Fatalf("small value: %v, %v", v, err)
	}
}

// TestRenderObservesContext cancels renders while they run: a loop of
// the evaluator and a jq query that would otherwise run until the time
// limit. Both must end with the context's error, not the time limit.
func TestRenderObservesContext(t *testing.T) {
	for _, src := range []string{
		`{% for i in range(1, 100000) %}{% for j in range(1, 100000) %}{{ i | replace('1', '2') }}{% endfor %}{% endfor %}`,
		`{{ 1 | jq('last(range(1e18))') }}`,
	} {
		withLimits(t, Limits{Time: time.Hour, Steps: 1 << 62, Output: 1 << 40}, func() {
			ctx, cancel := context.WithCancel(context.Background())
			// Whenever the cancellation lands (before the render or
			// during it), the render must end with it.
			go func() { time.Sleep(20 * time.Millisecond); cancel() }()
			_, err := MustParse(src).RenderContext(ctx, nil)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: got %v, want context.Canceled", src, err)
			}
		})
	}
}
