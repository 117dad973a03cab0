package core

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Python runs a Python script with its requirements in a private
// virtualenv, Kestra 0.4's scripts.Python shape.
type Python struct {
	Shell        `yaml:",inline"`
	Requirements []string `yaml:"requirements" doc:"pip requirements installed into a virtualenv in the working directory before the commands."`
	PythonPath   string   `yaml:"pythonPath" default:"python3" doc:"The Python interpreter used to build the virtualenv."`
}

// Run builds the virtualenv when requirements are given, then runs the
// commands with it first on PATH.
func (p *Python) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	if len(p.Requirements) > 0 {
		dir, err := rc.TempDir()
		if err != nil {
			return nil, err
		}
		venv := filepath.Join(dir, ".venv")
		if _, err := exec.LookPath(p.PythonPath); err != nil {
			return nil, fmt.Errorf("%s not found: install Python 3 (Debian: apt-get install python3 python3-venv)", p.PythonPath)
		}
		if out, err := exec.CommandContext(ctx, p.PythonPath, "-m", "venv", venv).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("creating the virtualenv: %v: %s", err, strings.TrimSpace(string(out)))
		}
		args := append([]string{"-m", "pip", "install", "--quiet", "--disable-pip-version-check"}, p.Requirements...)
		rc.Logger().Info("installing requirements", "requirements", strings.Join(p.Requirements, " "))
		if out, err := exec.CommandContext(ctx, filepath.Join(venv, "bin", "python"), args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("pip install: %v: %s", err, tail(string(out), 2000))
		}
		if p.Shell.Env == nil {
			p.Shell.Env = map[string]string{}
		}
		p.Shell.Env["PATH"] = filepath.Join(venv, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
		p.Shell.Env["VIRTUAL_ENV"] = venv
	}
	return p.Shell.Run(ctx, rc)
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func init() {
	plugin.Register(plugin.Info{
		ID: "scripts.Python", Aliases: []string{"io.kestra.core.tasks.scripts.Python"},
		Title: "Run Python scripts (inputFiles main.py, requirements) in a private virtualenv.",
		New:   func() any { return &Python{Shell: Shell{}} },
		Outputs: []plugin.Output{
			{Name: "exitCode"}, {Name: "stdOutLineCount"}, {Name: "stdErrLineCount"},
			{Name: "vars", Dynamic: true}, {Name: "outputFiles", Dynamic: true},
		},
	})
}
