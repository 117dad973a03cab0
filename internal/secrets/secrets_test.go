package secrets

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/mask"
)

func env(m map[string]string) Env {
	return Env{LookupEnv: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

func TestEnv(t *testing.T) {
	e := env(map[string]string{
		"SLUICE_SECRET_DB_PASSWORD": "plain-value",
		"SECRET_API_TOKEN":          base64.StdEncoding.EncodeToString([]byte("kestra-style")),
		"SECRET_BROKEN":             "not base64!",
		"SECRET_DB_PASSWORD":        base64.StdEncoding.EncodeToString([]byte("loses to SLUICE_SECRET_")),
	})
	tests := []struct {
		name, want string
		ok         bool
		err        string
	}{
		{"DB_PASSWORD", "plain-value", true, ""},
		{"db-password", "plain-value", true, ""},
		{"api_token", "kestra-style", true, ""},
		{"BROKEN", "", false, "SECRET_BROKEN must be base64"},
		{"ABSENT", "", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, ok, err := e.Lookup(context.Background(), tc.name)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || ok != tc.ok || v != tc.want {
				t.Fatalf("Lookup = %q, %v, %v; want %q, %v", v, ok, err, tc.want, tc.ok)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	dotenv := writeFile(t, dir, "s.env", `# comment
export A=one
B = 'two # not a comment'
C="th\"ree\n"
D=four # comment
E=
`, 0o600)
	m, err := LoadFile(dotenv)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "one", "B": "two # not a comment", "C": "th\"ree\n", "D": "four", "E": ""}
	for k, v := range want {
		if m.Values[k] != v {
			t.Errorf("%s = %q, want %q", k, m.Values[k], v)
		}
	}
	y := writeFile(t, dir, "s.yml", "MYSQL_PASSWORD: \"p@ss: w0rd\"\nTOKEN: abc123\n", 0o600)
	if m, err = LoadFile(y); err != nil || m.Values["MYSQL_PASSWORD"] != "p@ss: w0rd" || m.Values["TOKEN"] != "abc123" {
		t.Fatalf("yaml: %v %v", m, err)
	}
}

func TestLoadFileErrorsNeverShowValues(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, content, want string }{
		{"bad.env", "OK=1\nno equals sign hunter2-secret\n", "line 2: expected NAME=value"},
		{"quote.env", "P='hunter2-secret\n", `line 1: secret "P": unterminated quote`},
		{"bad.yml", "P: [hunter2-secret\n", "not valid YAML"},
		{"nested.yaml", "P:\n  x: hunter2-secret\n", `secret "P": the value must be a string`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFile(writeFile(t, dir, tc.name, tc.content, 0o600))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error shows the value: %v", err)
			}
		})
	}
}

func TestLoadFileRefusedWhenOthersCanRead(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX permissions")
	}
	p := writeFile(t, t.TempDir(), "s.env", "A=1\n", 0o644)
	_, err := LoadFile(p)
	if err == nil || !strings.Contains(err.Error(), "chmod go-rwx") {
		t.Fatalf("err = %v, want a refusal naming chmod", err)
	}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "mysql-password", "from-k8s\n", 0o644)
	writeFile(t, dir, "TOKEN", "crlf\r\n", 0o600)
	writeFile(t, dir, "kept", "two\n\n", 0o600)
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"MYSQL_PASSWORD": "from-k8s", "mysql-password": "from-k8s", "TOKEN": "crlf", "kept": "two\n"} {
		v, ok, err := d.Lookup(context.Background(), name)
		if err != nil || !ok || v != want {
			t.Errorf("%s = %q, %v, %v; want %q", name, v, ok, err, want)
		}
	}
	for _, name := range []string{"absent", "../etc/passwd", "a/b"} {
		if _, ok, err := d.Lookup(context.Background(), name); ok || err != nil {
			t.Errorf("%s: found (%v, %v)", name, ok, err)
		}
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "s.env", "A=1\n", 0o600)
	for _, loc := range []string{dir, f, "dir://" + dir, "file://" + f} {
		if _, err := Open(loc); err != nil {
			t.Errorf("Open(%s): %v", loc, err)
		}
	}
	if _, err := Open("vault://vault:8200/secret"); err == nil || !strings.Contains(err.Error(), "no backend for vault://") {
		t.Errorf("unknown scheme: %v", err)
	}
}

func TestResolver(t *testing.T) {
	m := mask.New()
	dir := t.TempDir()
	writeFile(t, dir, "FROM_DIR", "dir-value-123\n", 0o600)
	d, _ := OpenDir(dir)
	r := NewResolver(m, env(map[string]string{"SLUICE_SECRET_FROM_ENV": "env-value-456"}), d)
	for name, want := range map[string]string{"FROM_ENV": "env-value-456", "FROM_DIR": "dir-value-123"} {
		v, err := r.Get(context.Background(), name)
		if err != nil || v != want {
			t.Fatalf("%s = %q, %v", name, v, err)
		}
		if got := m.String("x " + want); got != "x "+mask.Replacement {
			t.Errorf("%s not registered with the masker: %q", name, got)
		}
	}
	_, err := r.Get(context.Background(), "NOPE")
	var me *MissingError
	if !errors.As(err, &me) || !errors.Is(err, ErrMissing) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{`secret "NOPE" is not set`, "SLUICE_SECRET_NOPE", filepath.Join(dir, "NOPE")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := r.Get(context.Background(), "../x"); err == nil || !strings.Contains(err.Error(), "not a valid secret name") {
		t.Errorf("bad name: %v", err)
	}
}

func FuzzParseDotenv(f *testing.F) {
	f.Add([]byte("A=1\nexport B='x'\nC=\"a\\nb\"\n# c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vals, err := ParseDotenv(b)
		if err != nil {
			return
		}
		for k := range vals {
			if !ValidName(k) {
				t.Fatalf("invalid name %q accepted", k)
			}
		}
	})
}
