package template

import (
	"errors"
	"strings"
	"testing"
)

func TestSecretFunction(t *testing.T) {
	lookup := Secrets(func(name string) (string, error) {
		if name == "DB_PASSWORD" {
			return "s3cr3t-value", nil
		}
		return "", errors.New(`secret "` + name + `" is not set; looked in environment variable SLUICE_SECRET_` + name)
	})
	vars := map[string]any{SecretsVar: lookup, "inputs": map[string]any{"name": "DB_PASSWORD"}}
	tests := []struct{ src, want, err string }{
		{`{{ secret('DB_PASSWORD') }}`, "s3cr3t-value", ""},
		{`jdbc:mysql://u:{{ secret("DB_PASSWORD") | urlencode }}@h/db`, "jdbc:mysql://u:s3cr3t-value@h/db", ""},
		{`{{ secret(inputs.name) | upper }}`, "S3CR3T-VALUE", ""},
		{`{{ secret('NOPE') }}`, "", `secret "NOPE" is not set; looked in environment variable SLUICE_SECRET_NOPE`},
		{`{{ secret(42) }}`, "", "the secret name must be a string"},
	}
	for _, tc := range tests {
		got, err := Render(tc.src, vars)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.src, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	if _, err := Render(`{{ secret('X') }}`, map[string]any{}); err == nil || !strings.Contains(err.Error(), "no secret source is configured") {
		t.Errorf("without a lookup: %v", err)
	}
}

func TestSecretRefs(t *testing.T) {
	tpl := MustParse("a {{ secret('ONE') }}\n{{ x | default(secret(\"TWO\")) }} {{ secret(name) }}")
	got := tpl.Secrets()
	if len(got) != 2 || got[0].Name != "ONE" || got[0].Line != 1 || got[0].Col != 6 || got[1].Name != "TWO" || got[1].Line != 2 || got[1].Col != 16 {
		t.Fatalf("Secrets() = %+v", got)
	}
	// secret() reads no variable: only x and name are references.
	var paths []string
	for _, r := range tpl.Refs() {
		paths = append(paths, strings.Join(r.Path, "."))
	}
	if strings.Join(paths, " ") != "x name" {
		t.Errorf("Refs() = %v", paths)
	}
}
