// Package runner starts Singer taps and targets: an existing command, a
// command installed from pipPackages into a cached virtualenv, or a command
// in a Docker image. It forwards the program's stderr to the task log with
// the levels Singer's Python logging writes, and keeps its tail for the
// error when the program fails.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Runner kinds (Kestra's names).
const (
	Process = "PROCESS"
	Docker  = "DOCKER"
)

// DockerOptions are Kestra's dockerOptions; sluice uses image, user,
// entryPoint, networkMode, extraHosts, volumes and pullImage, and accepts the
// others so that Kestra flows decode.
type DockerOptions struct {
	Image       string   `yaml:"image" doc:"Docker image with Python (python:3.10)."`
	User        string   `yaml:"user" doc:"User to run as in the container."`
	EntryPoint  []string `yaml:"entryPoint" doc:"Entry point of the container."`
	NetworkMode string   `yaml:"networkMode" doc:"Docker network mode (host, bridge, ...)."`
	ExtraHosts  []string `yaml:"extraHosts" doc:"Extra host:ip entries."`
	Volumes     []string `yaml:"volumes" doc:"Extra volumes (host:container)."`
	PullImage   bool     `yaml:"pullImage" default:"true" doc:"Pull the image before running."`
	DockerHost  string   `yaml:"dockerHost" doc:"Docker engine address (DOCKER_HOST)."`
	Config      any      `yaml:"config" doc:"Docker client configuration (accepted for Kestra compatibility; unused)."`
	Credentials any      `yaml:"credentials" doc:"Registry credentials (accepted for Kestra compatibility; unused)."`
	Cpu         any      `yaml:"cpu" doc:"CPU limits (accepted for Kestra compatibility; unused)."`
	Memory      any      `yaml:"memory" doc:"Memory limits (accepted for Kestra compatibility; unused)."`
}

// Options describe the program to run.
type Options struct {
	Runner string // Process (default) or Docker
	// Command is the program and its leading arguments ("tap-github",
	// "python3 tap.py"); DefaultCommand is used when it is empty.
	Command        string
	DefaultCommand string
	// PipPackages are installed into a virtualenv (PROCESS) or into the
	// container (DOCKER) before the command runs.
	PipPackages []string
	PipIndexURL string
	Docker      DockerOptions
	// Env is added to the environment.
	Env map[string]string
	// WorkDir holds the config, catalog and state files; BaseDir is the
	// flow's folder, against which relative program paths resolve.
	WorkDir string
	BaseDir string
	Logger  *slog.Logger
	// Name labels the program in logs and errors ("tap", "target csv").
	Name string
}

// Program is a prepared command line.
type Program struct {
	argv []string
	env  []string
	dir  string
	name string
	log  *slog.Logger
}

// Prepare resolves the command, building the virtualenv when pipPackages
// are given.
func Prepare(ctx context.Context, o Options) (*Program, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Name == "" {
		o.Name = "program"
	}
	command := strings.TrimSpace(o.Command)
	if command == "" {
		command = o.DefaultCommand
	}
	if command == "" {
		return nil, errors.New("no command: set command (a program on PATH or a path) or pipPackages with command")
	}
	argv, err := SplitCommand(command)
	if err != nil {
		return nil, fmt.Errorf("command %q: %w", command, err)
	}
	// PYTHONUNBUFFERED (set in many images and shells) makes a Python tap
	// issue one write per message, and sluice one read: a third of the
	// machine on a million records. Singer programs flush their state lines
	// and Python flushes stderr lines anyway; env can set it back.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYTHONUNBUFFERED=") {
			env = append(env, kv)
		}
	}
	keys := make([]string, 0, len(o.Env))
	for k := range o.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+o.Env[k])
	}
	env = append(env, "SLUICE_WORKING_DIR="+o.WorkDir)
	p := &Program{env: env, dir: o.WorkDir, name: o.Name, log: o.Logger}
	switch strings.ToUpper(o.Runner) {
	case "", Process:
	case Docker:
		return prepareDocker(ctx, o, argv, p)
	default:
		return nil, fmt.Errorf("runner %q: use PROCESS or DOCKER", o.Runner)
	}
	if len(o.PipPackages) > 0 {
		venv, err := EnsureVenv(ctx, o.PipPackages, o.PipIndexURL, o.Logger)
		if err != nil {
			return nil, err
		}
		bin := filepath.Join(venv, "bin")
		if !strings.Contains(argv[0], "/") {
			cand := filepath.Join(bin, argv[0])
			if _, err := os.Stat(cand); err == nil {
				argv[0] = cand
			} else if _, err := exec.LookPath(argv[0]); err != nil {
				return nil, fmt.Errorf("command %q: not installed by pipPackages %v (not in %s) nor on PATH", argv[0], o.PipPackages, bin)
			}
		}
		p.env = append(p.env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "VIRTUAL_ENV="+venv)
	}
	if strings.Contains(argv[0], "/") && !filepath.IsAbs(argv[0]) && o.BaseDir != "" {
		argv[0] = filepath.Join(o.BaseDir, argv[0])
	}
	// Script arguments given relative to the flow ("python3 tap.py") are
	// resolved there too when such a file exists.
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if o.BaseDir != "" && !strings.HasPrefix(a, "-") && !filepath.IsAbs(a) {
			if _, err := os.Stat(filepath.Join(o.BaseDir, a)); err == nil {
				argv[i] = filepath.Join(o.BaseDir, a)
			}
		}
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, fmt.Errorf("command %q: %w", argv[0], err)
	}
	p.argv = argv
	return p, nil
}

// Argv is the command line without the per-run arguments.
func (p *Program) Argv() []string { return append([]string{}, p.argv...) }

// Cmd builds the process for one run with extra arguments. The process
// runs in its own process group, killed as a whole when ctx ends.
func (p *Program) Cmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.argv[0], append(p.argv[1:], args...)...)
	cmd.Env = p.env
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Proc is a started program.
type Proc struct {
	Cmd    *exec.Cmd
	Stdin  io.WriteCloser // nil unless requested
	Stdout io.ReadCloser
	stderr *StderrLog
	done   chan struct{}
	name   string
}

// Start starts the program with args; withStdin opens a pipe to its stdin
// (otherwise it reads /dev/null). Stdout must be read to the end before
// Wait.
func (p *Program) Start(ctx context.Context, withStdin bool, args ...string) (*Proc, error) {
	cmd := p.Cmd(ctx, args...)
	pr := &Proc{Cmd: cmd, name: p.name, done: make(chan struct{})}
	var err error
	var childEnds []*os.File
	closeAll := func() {
		for _, f := range childEnds {
			f.Close()
		}
	}
	if withStdin {
		r, w, err := bigPipe()
		if err != nil {
			return nil, err
		}
		cmd.Stdin, pr.Stdin = r, w
		childEnds = append(childEnds, r)
	}
	r, w, err := bigPipe()
	if err != nil {
		closeAll()
		return nil, err
	}
	cmd.Stdout, pr.Stdout = w, r
	childEnds = append(childEnds, w)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		closeAll()
		return nil, err
	}
	pr.stderr = NewStderrLog(p.log, p.name)
	err = cmd.Start()
	// The child has its copies; ours would keep the pipes open.
	closeAll()
	if err != nil {
		if pr.Stdin != nil {
			pr.Stdin.Close()
		}
		pr.Stdout.Close()
		return nil, fmt.Errorf("%s: starting %s: %w", p.name, p.argv[0], err)
	}
	go func() {
		defer close(pr.done)
		pr.stderr.Consume(errPipe)
	}()
	return pr, nil
}

// bigPipe returns a blocking pipe with a 1 MiB buffer. Messages flow
// through these pipes by the hundred megabytes: blocking reads and writes of
// large chunks cost a fraction of the scheduler round trips a non-blocking
// 64 KiB pipe takes per few kilobytes.
func bigPipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("pipe: %w", err)
	}
	// Best effort: the default (64 KiB) works, only slower.
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(fds[1]), syscall.F_SETPIPE_SZ, 1<<20)
	return os.NewFile(uintptr(fds[0]), "pipe-r"), os.NewFile(uintptr(fds[1]), "pipe-w"), nil
}

// Wait waits for the program and its stderr; a non-zero exit becomes an
// error that ends with the program's last stderr lines. Stdin must have
// been closed and stdout read to its end (or the program killed).
func (pr *Proc) Wait() error {
	<-pr.done
	err := pr.Cmd.Wait()
	if pr.Stdin != nil {
		pr.Stdin.Close()
	}
	pr.Stdout.Close()
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Name: pr.name, Code: ee.ExitCode(), Tail: pr.stderr.Tail()}
	}
	return fmt.Errorf("%s: %w", pr.name, err)
}

// Kill stops the program's process group at once.
func (pr *Proc) Kill() {
	if pr.Cmd.Process != nil {
		syscall.Kill(-pr.Cmd.Process.Pid, syscall.SIGKILL)
	}
}

// ExitError is a program that exited non-zero (or was killed: Code -1).
type ExitError struct {
	Name string
	Code int
	Tail string
}

func (e *ExitError) Error() string {
	what := fmt.Sprintf("exited with code %d", e.Code)
	if e.Code < 0 {
		what = "was killed"
	}
	if e.Tail == "" {
		return fmt.Sprintf("%s %s (no stderr output)", e.Name, what)
	}
	return fmt.Sprintf("%s %s; stderr ends with:\n%s", e.Name, what, e.Tail)
}

// SplitCommand splits a command line into words, honouring single and
// double quotes and backslash escapes (no other shell syntax).
func SplitCommand(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\' && quote != '\'':
			esc, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if esc {
		return nil, errors.New("trailing backslash")
	}
	if inWord {
		out = append(out, cur.String())
	}
	if len(out) == 0 {
		return nil, errors.New("empty command")
	}
	return out, nil
}
