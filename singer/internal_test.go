package singer

import "testing"

func TestStreamOfFile(t *testing.T) {
	cases := map[string]string{
		"users.jsonl":                         "users",
		"public-users.jsonl":                  "public-users",
		"public-users-20240101T101010.csv":    "public-users",
		"users-20240101T101010.csv":           "users",
		"orders-2.csv":                        "orders-2",
		"users-2024.jsonl":                    "users-2024",
		"a-b.csv":                             "a-b",
		"test-singer_fan-20261125T125300.csv": "test-singer_fan",
	}
	for in, want := range cases {
		if got := streamOfFile(in); got != want {
			t.Errorf("streamOfFile(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFileNameAndStringList(t *testing.T) {
	if got := fileName("public.users/x y"); got != "public.users_x_y" {
		t.Errorf("fileName = %q", got)
	}
	for _, c := range []struct {
		in   any
		want string
	}{
		{[]any{"a/b", "c/d"}, "[a/b c/d]"},
		{`["a/b","c/d"]`, "[a/b c/d]"},
		{"a/b, c/d", "[a/b c/d]"},
	} {
		got, err := stringList(c.in)
		if err != nil || fmtList(got) != c.want {
			t.Errorf("stringList(%v) = %v, %v", c.in, got, err)
		}
	}
	if _, err := stringList([]any{1}); err == nil {
		t.Error("a non-string repository was accepted")
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

func TestParseFeatures(t *testing.T) {
	f, err := parseFeatures([]string{"catalog", "STATE"})
	if err != nil || !f.catalog || !f.state || f.properties || f.discover {
		t.Fatalf("%+v %v", f, err)
	}
	if _, err := parseFeatures([]string{"SYNC"}); err == nil {
		t.Fatal("unknown feature accepted")
	}
}
