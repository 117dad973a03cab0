package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/testenv"
)

// yamlLSVersion is the yaml-language-server the schema is tested with (the
// client VS Code's YAML extension and most editors run).
const yamlLSVersion = "1.25.0"

// yamlLanguageServer returns the path of yaml-language-server, installed
// from npm into the cache on first use. Without npm the test skips, except
// in CI.
func yamlLanguageServer(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("SLUICE_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Skip("no home folder for the npm cache")
		}
		cache = filepath.Join(home, ".cache", "sluice")
	}
	dir := filepath.Join(cache, "yaml-language-server-"+yamlLSVersion)
	bin := filepath.Join(dir, "node_modules", ".bin", "yaml-language-server")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if _, err := exec.LookPath("npm"); err != nil {
		if testenv.InCI() {
			t.Fatal("npm is needed to install yaml-language-server")
		}
		t.Skip("npm not found: the editor schema is not tested with yaml-language-server")
	}
	cmd := exec.Command("npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", "yaml-language-server@"+yamlLSVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		if testenv.InCI() {
			t.Fatalf("npm install yaml-language-server: %v\n%s", err, out)
		}
		t.Skipf("npm install yaml-language-server: %v\n%s", err, out)
	}
	return bin
}

// lsp is a minimal Language Server Protocol client over stdio.
type lsp struct {
	t     *testing.T
	in    io.WriteCloser
	msgs  chan map[string]any
	id    int
	yaml  map[string]any
	diags map[string][]map[string]any
}

func startLSP(t *testing.T, bin string, yamlSettings map[string]any) *lsp {
	cmd := exec.Command(bin, "--stdio")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	c := &lsp{t: t, in: in, msgs: make(chan map[string]any, 100), yaml: yamlSettings, diags: map[string][]map[string]any{}}
	go func() {
		r := bufio.NewReader(out)
		for {
			n := 0
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					close(c.msgs)
					return
				}
				line = strings.TrimSpace(line)
				if line == "" {
					break
				}
				if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
					n, _ = strconv.Atoi(v)
				}
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(r, body); err != nil {
				close(c.msgs)
				return
			}
			var m map[string]any
			if json.Unmarshal(body, &m) == nil {
				c.msgs <- m
			}
		}
	}()
	c.request("initialize", map[string]any{"processId": os.Getpid(), "rootUri": nil,
		"capabilities": map[string]any{"workspace": map[string]any{"configuration": true}}})
	c.notify("initialized", map[string]any{})
	c.notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"yaml": yamlSettings}})
	return c
}

func (c *lsp) send(m map[string]any) {
	m["jsonrpc"] = "2.0"
	b, _ := json.Marshal(m)
	if _, err := fmt.Fprintf(c.in, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *lsp) notify(method string, params any) {
	c.send(map[string]any{"method": method, "params": params})
}

// request sends a request and waits for its answer, serving the server's
// own requests meanwhile.
func (c *lsp) request(method string, params any) map[string]any {
	c.id++
	id := c.id
	c.send(map[string]any{"id": id, "method": method, "params": params})
	for {
		m := c.next()
		if mid, ok := m["id"].(float64); ok && int(mid) == id && m["method"] == nil {
			return m
		}
	}
}

// next returns the next message, answering server requests and recording
// diagnostics on the way.
func (c *lsp) next() map[string]any {
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatal("yaml-language-server exited")
		}
		method, _ := m["method"].(string)
		if id, isReq := m["id"]; isReq && method != "" {
			var result any
			if method == "workspace/configuration" {
				var items []any
				if p, ok := m["params"].(map[string]any); ok {
					items, _ = p["items"].([]any)
				}
				res := make([]any, len(items))
				for i, it := range items {
					if sec, _ := it.(map[string]any)["section"].(string); sec == "yaml" {
						res[i] = c.yaml
					}
				}
				result = res
			}
			c.send(map[string]any{"id": id, "result": result})
		}
		if method == "textDocument/publishDiagnostics" {
			p := m["params"].(map[string]any)
			var ds []map[string]any
			for _, d := range p["diagnostics"].([]any) {
				ds = append(ds, d.(map[string]any))
			}
			c.diags[p["uri"].(string)] = ds
		}
		return m
	case <-time.After(2 * time.Minute):
		c.t.Fatal("no answer from yaml-language-server in 2 minutes")
		return nil
	}
}

// diagnose opens a document and returns the diagnostics published for it.
func (c *lsp) diagnose(uri, text string) []map[string]any {
	delete(c.diags, uri)
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
	for {
		m := c.next()
		if m["method"] == "textDocument/publishDiagnostics" && m["params"].(map[string]any)["uri"] == uri {
			return c.diags[uri]
		}
	}
}

func messages(ds []map[string]any) []string {
	var out []string
	for _, d := range ds {
		pos := d["range"].(map[string]any)["start"].(map[string]any)
		out = append(out, fmt.Sprintf("%v:%v %v", pos["line"].(float64)+1, pos["character"].(float64)+1, d["message"]))
	}
	return out
}

// TestSchemaWithYAMLLanguageServer checks `sluice plugins schema` the way an
// editor uses it: every example flow has no diagnostic, and each broken flow
// gets the one diagnostic it deserves, at its line.
func TestSchemaWithYAMLLanguageServer(t *testing.T) {
	bin := yamlLanguageServer(t)
	dir := t.TempDir()
	schema, errOut, code := sluice(t, "plugins", "schema")
	if code != 0 {
		t.Fatalf("plugins schema: %s", errOut)
	}
	schemaPath := filepath.Join(dir, "sluice.schema.json")
	if err := os.WriteFile(schemaPath, []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	c := startLSP(t, bin, map[string]any{"validate": true, "schemas": map[string]any{"file://" + schemaPath: []string{"*.yml", "*.yaml"}}})

	examples, _ := filepath.Glob("../../examples/*/*.yml")
	if len(examples) == 0 {
		t.Fatal("no examples found")
	}
	for _, ex := range examples {
		b, err := os.ReadFile(ex)
		if err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(ex)
		if ds := c.diagnose("file://"+abs, string(b)); len(ds) > 0 {
			t.Errorf("%s: %v", ex, messages(ds))
		}
	}

	head := "id: broken\nnamespace: t\n"
	tests := []struct {
		name, text string
		want       []string // "line:col substring", one per diagnostic
	}{
		{"unknown type", head + "tasks:\n  - id: a\n    type: core.Retrun\n", []string{"5:11 Value is not accepted"}},
		{"task without type", head + "tasks:\n  - id: a\n    message: hi\n", []string{`4:5 Missing property "type"`}},
		{"no tasks", head + "tasks: []\n", []string{"3:8 Array has too few items"}},
		{"unknown property of a known type", head + "tasks:\n  - id: a\n    type: core.Log\n    mesage: hi\n", []string{`6:5 Property mesage is not allowed`}},
		{"bad input type", head + "inputs:\n  - name: n\n    type: INTEGER\ntasks:\n  - id: a\n    type: core.Log\n    message: hi\n", []string{"5:11 Value is not accepted"}},
		{"bad retry", head + "tasks:\n  - id: a\n    type: core.Log\n    message: hi\n    retry:\n      type: sometimes\n", []string{"8:13 Value is not accepted"}},
		{"listener without tasks", head + "tasks:\n  - id: a\n    type: core.Log\n    message: hi\nlisteners:\n  - description: x\n", []string{`8:5 Missing property "tasks"`}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(c.diagnose(fmt.Sprintf("file://%s/broken%d.yml", dir, i), tc.text))
			if len(got) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for j, w := range tc.want {
				pos, sub, _ := strings.Cut(w, " ")
				if !strings.HasPrefix(got[j], pos+" ") || !strings.Contains(got[j], sub) {
					t.Errorf("diagnostic %d: %q, want %q", j, got[j], w)
				}
			}
		})
	}
}
