package flows

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// withLimits runs f under l (zero fields default) and restores the limits.
func withLimits(t testing.TB, l Limits, f func()) {
	t.Helper()
	old := limits
	defer func() { limits = old }()
	SetLimits(l)
	f()
}

// bomb is a flow whose variables nest `levels` lists of nine aliases of
// the level below: 9^levels strings once expanded, from a few hundred bytes.
func bomb(levels int) string {
	var b strings.Builder
	b.WriteString("id: bomb\nnamespace: t\nvariables:\n  l0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 9), ","))
	}
	b.WriteString("tasks:\n  - id: hello\n    type: core.Return\n    format: hi\n")
	return b.String()
}

// TestAliasLimits parses the alias bombs of the issue (464 and 645 bytes,
// which took validate to 900 MB and past 3 GB) and other alias abuse: each
// fails at the line of the alias that passes the limit.
func TestAliasLimits(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("../integration/limits/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	selfRef := "id: f\nnamespace: n\nvariables:\n  a: &a [1, *a]\ntasks: [{id: t, type: core.Return, format: x}]\n"
	var many strings.Builder
	many.WriteString("id: f\nnamespace: n\nvariables:\n  a: &a 1\n  list: [")
	for i := 0; i < 1001; i++ {
		many.WriteString("*a,")
	}
	many.WriteString("]\ntasks: [{id: t, type: core.Return, format: x}]\n")
	cases := []struct {
		name, src, want string
		line            int
	}{
		{"bomb of 464 bytes", read("bomb464.yml"), "YAML aliases expand the flow past 16 MiB", 10},
		{"bomb of 645 bytes", read("bomb645.yml"), "YAML aliases expand the flow past 16 MiB", 10},
		{"generated bomb", bomb(9), "YAML aliases expand the flow past 16 MiB", 9},
		{"alias of itself", selfRef, "YAML alias *a contains itself", 4},
		{"too many aliases", many.String(), "more than 1000 YAML aliases", 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bomb.yml", []byte(c.src))
			errs, ok := err.(Errors)
			if !ok || len(errs) != 1 {
				t.Fatalf("got %v, want one error", err)
			}
			if !strings.Contains(errs[0].Msg, c.want) || errs[0].Pos.Line != c.line {
				t.Fatalf("got %v, want %q at line %d", errs[0], c.want, c.line)
			}
		})
	}
	// Aliases under the limits are expanded as before.
	f, err := Parse("ok.yml", []byte(bomb(4)))
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := f.Variables["l3"].([]any); !ok || len(l) != 9 {
		t.Fatalf("l3 = %v", f.Variables["l3"])
	}
}

func TestFlowSizeLimit(t *testing.T) {
	withLimits(t, Limits{FlowBytes: 1000}, func() {
		src := "id: f\nnamespace: n\ndescription: " + strings.Repeat("x", 1000) + "\ntasks: [{id: t, type: core.Return, format: x}]\n"
		_, err := Parse("big.yml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "more than the limit of 1000 bytes") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestIdentifierLimits: a 300-character id used to validate and then fail
// creating its storage folder; a 10 MB one was quoted whole in messages.
func TestIdentifierLimits(t *testing.T) {
	long := strings.Repeat("a", 300)
	huge := strings.Repeat("b", 5<<20)
	flow := func(id, ns, task, input string) string {
		return fmt.Sprintf("id: %s\nnamespace: %s\ninputs: [{name: %s, type: STRING}]\ntasks: [{id: %s, type: core.Return, format: x}]\n", id, ns, input, task)
	}
	cases := []struct {
		name, src, want string
	}{
		{"flow id", flow(long, "n", "t", "i"), "flow id \"aaaa"},
		{"namespace", flow("f", long, "t", "i"), "namespace \"aaaa"},
		{"task id", flow("f", "n", long, "i"), "task id \"aaaa"},
		{"input name", flow("f", "n", "t", long), "input name \"aaaa"},
		{"5 MB flow id", flow(huge, "n", "t", "i"), "flow id \"bbbb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("ids.yml", []byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "is longer than") {
				t.Fatalf("got %.300v", err)
			}
			if len(err.Error()) > 500 {
				t.Fatalf("message of %d bytes quotes the value whole", len(err.Error()))
			}
		})
	}
	if _, err := Parse("ok.yml", []byte(flow(strings.Repeat("a", 100), strings.Repeat("n", 150), strings.Repeat("t", 100), strings.Repeat("i", 100)))); err != nil {
		t.Fatalf("identifiers at the limit: %v", err)
	}
}

func TestMessagesCutQuotedValues(t *testing.T) {
	huge := strings.Repeat("z", 1<<20)
	for _, src := range []string{
		"id: f\nnamespace: n\ntasks: [{id: t, type: " + huge + "}]\n",
		"id: f\nnamespace: n\ninputs: [{name: i, type: " + huge + "}]\ntasks: [{id: t, type: core.Return, format: x}]\n",
		"id: f\nnamespace: n\ndisabled: " + huge + "\ntasks: [{id: t, type: core.Return, format: x}]\n",
		"id: f\nnamespace: n\ntasks: [{id: t, type: core.Log, message: x, level: " + huge + "}]\n",
	} {
		_, err := Parse("cut.yml", []byte(src))
		if err == nil {
			t.Fatal("no error")
		}
		if msg := err.Error(); len(msg) > 1000 || !strings.Contains(msg, "(1048576 bytes)") {
			t.Errorf("message of %d bytes: %.300s", len(msg), msg)
		}
	}
}

// FuzzAliases decodes flows built from anchors and aliases in shapes the
// fuzzer picks, under small limits: decoding must never panic, must stop
// at a located error when the expansion passes the limit, and must accept
// what stays under it.
func FuzzAliases(f *testing.F) {
	f.Add(uint64(1), uint8(9), uint8(9), "lol")
	f.Add(uint64(2), uint8(3), uint8(2), "{{ vars.l1 | length }}")
	f.Add(uint64(3), uint8(20), uint8(30), "")
	f.Fuzz(func(t *testing.T, seed uint64, levels, fan uint8, leaf string) {
		r := rand.New(rand.NewPCG(seed, uint64(levels)))
		var b strings.Builder
		fmt.Fprintf(&b, "id: fuzz\nnamespace: t\nvariables:\n  l0: &l0 %q\n", leaf)
		for i := 1; i <= int(levels%32); i++ {
			fmt.Fprintf(&b, "  l%d: &l%d ", i, i)
			if r.IntN(2) == 0 {
				b.WriteString("[")
				for j := 0; j < int(fan%40); j++ {
					fmt.Fprintf(&b, "*l%d,", r.IntN(i))
				}
				b.WriteString("]\n")
			} else {
				b.WriteString("{")
				for j := 0; j < int(fan%40); j++ {
					fmt.Fprintf(&b, "k%d: *l%d,", j, r.IntN(i))
				}
				b.WriteString("}\n")
			}
		}
		b.WriteString("tasks:\n  - id: t\n    type: core.Return\n    format: x\n")
		src := b.String()
		withLimits(t, Limits{Aliases: 500, ExpandedBytes: 1 << 20}, func() {
			fl, err := Parse("fuzz.yml", []byte(src))
			if err != nil {
				errs, ok := err.(Errors)
				if !ok {
					t.Fatalf("error %T", err)
				}
				lines := strings.Count(src, "\n")
				for _, e := range errs {
					if e.Pos.Line < 1 || e.Pos.Line > lines {
						t.Fatalf("error %v outside the %d lines", e, lines)
					}
				}
				return
			}
			if fl == nil {
				t.Fatal("no flow and no error")
			}
		})
	})
}
