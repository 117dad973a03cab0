package secrets

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvName is the environment form of a secret name: upper case, every
// character but letters and digits as '_' (db-password → DB_PASSWORD).
func EnvName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
}

// Env reads secrets from environment variables: SLUICE_SECRET_NAME holds
// the value as it is; SECRET_NAME holds it base64-encoded (Kestra's
// convention, so a Kestra deployment's environment works unchanged).
type Env struct {
	// LookupEnv is os.LookupEnv when nil (tests pass their own).
	LookupEnv func(string) (string, bool)
}

func (e Env) lookupEnv(k string) (string, bool) {
	if e.LookupEnv != nil {
		return e.LookupEnv(k)
	}
	return os.LookupEnv(k)
}

// Lookup implements Backend.
func (e Env) Lookup(_ context.Context, name string) (string, bool, error) {
	n := EnvName(name)
	if v, ok := e.lookupEnv("SLUICE_SECRET_" + n); ok {
		return v, true, nil
	}
	if v, ok := e.lookupEnv("SECRET_" + n); ok {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			// The error of the decoder names an offset, never the value.
			return "", false, fmt.Errorf("SECRET_%s must be base64 (Kestra's convention; use SLUICE_SECRET_%s for a plain value): %w", n, n, err)
		}
		return string(b), true, nil
	}
	return "", false, nil
}

// Where implements Backend.
func (Env) Where(name string) string {
	n := EnvName(name)
	return "environment variables SLUICE_SECRET_" + n + " and SECRET_" + n + " (base64)"
}

// Map is a fixed set of secrets, as read from a secrets file.
type Map struct {
	Source string
	Values map[string]string
}

// Lookup implements Backend.
func (m *Map) Lookup(_ context.Context, name string) (string, bool, error) {
	v, ok := m.Values[name]
	return v, ok, nil
}

// Where implements Backend.
func (m *Map) Where(string) string { return "secrets file " + m.Source }

// checkPrivate refuses a file or folder that users other than its owner
// can read or write, as ssh does for private keys.
func checkPrivate(path string, info fs.FileInfo) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s is readable or writable by other users (mode %04o): run chmod go-rwx %s", path, perm, path)
	}
	return nil
}

// LoadFile reads a secrets file: YAML (a mapping of names to values, .yml
// or .yaml) or dotenv (NAME=value lines, # comments, optional quotes and
// "export "). The file must be private to its owner.
func LoadFile(path string) (*Map, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return nil, fmt.Errorf("%s is a folder; use it as a secrets folder (one file per secret)", path)
	}
	if err := checkPrivate(path, info); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var vals map[string]string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yml", ".yaml":
		vals, err = parseYAML(b)
	default:
		vals, err = ParseDotenv(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Map{Source: path, Values: vals}, nil
}

func parseYAML(b []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		// yaml.v3 quotes the offending text, which may be a secret: keep
		// only the position.
		return nil, errors.New(positionOnly(err.Error()))
	}
	vals := map[string]string{}
	if len(doc.Content) == 0 {
		return vals, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: expected a mapping of secret names to values", root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: secret %q: the value must be a string", v.Line, k.Value)
		}
		if !ValidName(k.Value) {
			return nil, fmt.Errorf("line %d: %q is not a valid secret name", k.Line, k.Value)
		}
		vals[k.Value] = v.Value
	}
	return vals, nil
}

// positionOnly keeps "yaml: line N" of a yaml.v3 error.
func positionOnly(msg string) string {
	if i := strings.Index(msg, "line "); i >= 0 {
		j := i + len("line ")
		for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
			j++
		}
		return msg[i:j] + ": not valid YAML"
	}
	return "not valid YAML"
}

// ParseDotenv parses NAME=value lines. Values may be single-quoted
// (literal), double-quoted (with \n, \t, \" and \\ escapes) or bare (cut
// at " #"). Errors name the line, never the value.
func ParseDotenv(b []byte) (map[string]string, error) {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || !ValidName(k) {
			return nil, fmt.Errorf("line %d: expected NAME=value", n)
		}
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			v = v[1 : len(v)-1]
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			u, err := strconv.Unquote(v)
			if err != nil {
				return nil, fmt.Errorf("line %d: secret %q: bad escape in double quotes", n, k)
			}
			v = u
		case strings.HasPrefix(v, "'") || strings.HasPrefix(v, `"`):
			return nil, fmt.Errorf("line %d: secret %q: unterminated quote", n, k)
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		vals[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return vals, nil
}

// Dir reads one secret per file from a folder, as Kubernetes (a Secret
// volume) and Docker (/run/secrets) mount them: the file named NAME holds
// the value; one trailing newline is dropped (echo adds it). The name is
// tried as written, then lower-cased, then lower-cased with '_' as '-'
// (MYSQL_PASSWORD → mysql-password, Kubernetes' usual key style).
type Dir struct{ Path string }

// OpenDir checks that path is a folder. Its permissions are not checked:
// Kubernetes mounts a Secret volume with files 0644 by default, and the
// folder is private to the pod or container, not to a user.
func OpenDir(path string) (*Dir, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", path)
	}
	return &Dir{Path: path}, nil
}

// Lookup implements Backend.
func (d *Dir) Lookup(_ context.Context, name string) (string, bool, error) {
	if !ValidName(name) {
		return "", false, nil
	}
	for _, n := range dirNames(name) {
		b, err := os.ReadFile(filepath.Join(d.Path, n))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", false, err
		}
		v := string(b)
		if strings.HasSuffix(v, "\r\n") {
			v = v[:len(v)-2]
		} else {
			v = strings.TrimSuffix(v, "\n")
		}
		return v, true, nil
	}
	return "", false, nil
}

func dirNames(name string) []string {
	out := []string{name}
	for _, n := range []string{strings.ToLower(name), strings.ReplaceAll(strings.ToLower(name), "_", "-")} {
		if n != out[len(out)-1] && n != out[0] {
			out = append(out, n)
		}
	}
	return out
}

// Where implements Backend.
func (d *Dir) Where(name string) string {
	return "secrets folder " + filepath.Join(d.Path, name)
}
