package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/storage"
)

// Shell runs commands in a shell, in a private working directory.
type Shell struct {
	Commands        []string          `yaml:"commands" required:"true" doc:"Commands run one after the other in one shell script."`
	Interpreter     string            `yaml:"interpreter" default:"/bin/sh" doc:"The shell (bash, sh, ...)."`
	InterpreterArgs []string          `yaml:"interpreterArgs" doc:"Arguments before the script (default -c)."`
	ExitOnFailed    bool              `yaml:"exitOnFailed" default:"true" doc:"Stop at the first failing command (set -e)."`
	Env             map[string]string `yaml:"env" doc:"Environment variables added to the process."`
	InputFiles      map[string]string `yaml:"inputFiles" doc:"Files created in the working directory before running: name → content, or name → a sluice:/// URI to copy."`
	OutputFiles     []string          `yaml:"outputFiles" doc:"Files the commands create in the working directory, stored in internal storage (outputs.ID.outputFiles.NAME)."`
	WarningOnStdErr bool              `yaml:"warningOnStdErr" default:"true" doc:"End in WARNING when the commands wrote to stderr (Kestra's default); false to end in SUCCESS."`
}

const shellTail = 4 << 10

// Run writes input files, runs the script, streams its output to the log
// and stores the output files.
func (s *Shell) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	dir, err := rc.TempDir()
	if err != nil {
		return nil, err
	}
	for name, content := range s.InputFiles {
		if err := writeInput(ctx, rc, dir, name, content); err != nil {
			return nil, fmt.Errorf("inputFiles %q: %w", name, err)
		}
	}
	script := strings.Join(s.Commands, "\n")
	if s.ExitOnFailed {
		script = "set -e\n" + script
	}
	args := s.InterpreterArgs
	if len(args) == 0 {
		args = []string{"-c"}
	}
	cmd := exec.CommandContext(ctx, s.Interpreter, append(args, script)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+s.Env[k])
	}
	cmd.Env = append(cmd.Env, "SLUICE_WORKING_DIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderrTail tailBuffer
	stdout := &logWriter{log: func(l string) { rc.Logger().Info(l) }}
	stderr := &logWriter{log: func(l string) { rc.Logger().Warn(l) }, tee: &stderrTail}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	runErr := cmd.Run()
	stdout.Flush()
	stderr.Flush()
	outputs := plugin.Outputs{"exitCode": 0, "stdOutLineCount": stdout.lines, "stdErrLineCount": stderr.lines}
	vars := stdout.vars
	if len(vars) > 0 {
		outputs["vars"] = vars
	}
	if runErr != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(runErr, &ee) {
			code = ee.ExitCode()
		}
		outputs["exitCode"] = code
		if ctx.Err() != nil {
			return outputs, fmt.Errorf("commands interrupted: %w", ctx.Err())
		}
		tail := strings.TrimSpace(stderrTail.String())
		if tail != "" {
			return outputs, fmt.Errorf("commands exited with code %d; stderr ends with:\n%s", code, tail)
		}
		return outputs, fmt.Errorf("commands exited with code %d", code)
	}
	files := map[string]any{}
	for _, name := range s.OutputFiles {
		u, err := storeOutput(ctx, rc, dir, name)
		if err != nil {
			return outputs, fmt.Errorf("outputFiles %q: %w", name, err)
		}
		files[name] = u
	}
	if len(s.OutputFiles) > 0 {
		outputs["outputFiles"] = files
	}
	if s.WarningOnStdErr && stderr.lines > 0 {
		return outputs, plugin.Warn(fmt.Errorf("commands wrote %d lines to stderr", stderr.lines))
	}
	return outputs, nil
}

func safeJoin(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	if rel, err := filepath.Rel(dir, p); err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("file name must stay inside the working directory")
	}
	return p, nil
}

func writeInput(ctx context.Context, rc *plugin.RunContext, dir, name, content string) error {
	p, err := safeJoin(dir, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if storage.IsURI(strings.TrimSpace(content)) {
		src, err := rc.OpenFile(ctx, strings.TrimSpace(content))
		if err != nil {
			return err
		}
		defer src.Close()
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, src); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return os.WriteFile(p, []byte(content), 0o644)
}

func storeOutput(ctx context.Context, rc *plugin.RunContext, dir, name string) (string, error) {
	p, err := safeJoin(dir, name)
	if err != nil {
		return "", err
	}
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("the commands did not create it: %w", err)
	}
	defer f.Close()
	up, u, err := rc.CreateFile(ctx, filepath.Base(name))
	if err != nil {
		return "", err
	}
	defer up.Close()
	if _, err := io.Copy(up, f); err != nil {
		return "", err
	}
	return u.String(), up.Commit()
}

// outputLine is Kestra's convention for scripts returning outputs:
// a stdout line ::{"outputs":{"key":"value"}}::
var outputLine = regexp.MustCompile(`^::(\{.*\})::$`)

// logWriter splits a stream into lines for the log.
type logWriter struct {
	mu    sync.Mutex
	buf   []byte
	log   func(string)
	tee   io.Writer
	lines int
	vars  map[string]any
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tee != nil {
		w.tee.Write(p)
	}
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 {
		w.line(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

func (w *logWriter) line(l string) {
	l = strings.TrimRight(l, "\r")
	if m := outputLine.FindStringSubmatch(l); m != nil {
		if v := parseOutputs(m[1]); v != nil {
			if w.vars == nil {
				w.vars = map[string]any{}
			}
			for k, x := range v {
				w.vars[k] = x
			}
			return
		}
	}
	w.lines++
	w.log(l)
}

func (w *logWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
}

// tailBuffer keeps the last shellTail bytes written.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > shellTail {
		t.b = t.b[len(t.b)-shellTail:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

func init() {
	plugin.Register(plugin.Info{
		ID: "scripts.Shell",
		Aliases: []string{"io.kestra.core.tasks.scripts.Bash", "io.kestra.plugin.scripts.shell.Commands",
			"io.kestra.plugin.scripts.shell.Script"},
		Title: "Run shell commands in a private working directory.",
		Doc: "Commands run in one shell script (`set -e` unless exitOnFailed is false) in a temporary " +
			"directory. stdout lines are logged at INFO, stderr at WARN; a run that wrote to stderr ends WARNING " +
			"unless warningOnStdErr is false, as Kestra's Bash. A line `::{\"outputs\":{\"k\":\"v\"}}::` " +
			"on stdout sets outputs.ID.vars.k, as in Kestra. On failure the error carries the exit code and the end of stderr.",
		New: func() any { return &Shell{} },
		Outputs: []plugin.Output{
			{Name: "exitCode", Doc: "The exit code."},
			{Name: "stdOutLineCount"}, {Name: "stdErrLineCount"},
			{Name: "vars", Doc: "Values set with ::{\"outputs\":{...}}:: lines.", Dynamic: true},
			{Name: "outputFiles", Doc: "Storage URIs of the declared output files, by name.", Dynamic: true},
		},
	})
}
