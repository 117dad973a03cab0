package singer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/storage"
	"github.com/sluicehq/sluice/singer/runner"
)

// RunnerProps say how the Singer program runs; every tap and target has
// them.
type RunnerProps struct {
	Runner        string                `yaml:"runner" enum:"PROCESS,DOCKER" default:"PROCESS" doc:"PROCESS runs the program on this machine (command, or pipPackages installed into a cached virtualenv); DOCKER runs it in dockerOptions.image with the Docker engine."`
	DockerOptions *runner.DockerOptions `yaml:"dockerOptions" doc:"Docker image and options for runner: DOCKER."`
	Command       string                `yaml:"command" doc:"The program and its leading arguments (\"tap-github\", \"python3 tap.py\"). Named taps and targets default to their program; without pipPackages it must be on PATH or a path (relative to the flow's folder)."`
	PipPackages   []string              `yaml:"pipPackages" doc:"Python packages installed into a virtualenv cached under ${SLUICE_CACHE:-~/.cache/sluice}/venvs, keyed by this list and the Python version. Named taps and targets default to their package when no command is given."`
	PipIndexURL   string                `yaml:"pipIndexUrl" doc:"pip index URL (default: pip's own configuration, PIP_INDEX_URL)."`
	Env           map[string]string     `yaml:"env" doc:"Environment variables added to the program's."`
}

// program prepares the program: explicit command and/or packages, or the
// named connector's defaults.
func (p *RunnerProps) program(ctx context.Context, rc *plugin.RunContext, name, defCommand string, defPackages []string, dir string, env map[string]string) (*runner.Program, error) {
	o := runner.Options{
		Runner: p.Runner, Command: p.Command, DefaultCommand: defCommand,
		PipPackages: p.PipPackages, PipIndexURL: p.PipIndexURL,
		WorkDir: dir, BaseDir: rc.LocalPath(""), Logger: rc.Logger(), Name: name,
		Env: map[string]string{},
	}
	if o.BaseDir == "" {
		o.BaseDir, _ = os.Getwd()
	}
	if p.DockerOptions != nil {
		o.Docker = *p.DockerOptions
	}
	// A named connector installs its package unless the user points at an
	// installed command.
	if len(o.PipPackages) == 0 && p.Command == "" {
		o.PipPackages = defPackages
	}
	if strings.EqualFold(o.Runner, runner.Docker) && len(p.PipPackages) == 0 {
		o.PipPackages = defPackages
	}
	for k, v := range env {
		o.Env[k] = v
	}
	for k, v := range p.Env {
		o.Env[k] = v
	}
	return runner.Prepare(ctx, o)
}

// writeJSON writes v as a JSON file readable only by its owner (configs
// hold credentials).
func writeJSON(dir, name string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", err
	}
	return path, nil
}

var secretKey = regexp.MustCompile(`(?i)(password|passwd|secret|token|private_key|api_key|apikey|access_key|credentials)`)

// maskConfig registers the values of secret-looking config keys, and the
// password inside any URL-shaped value (dsn: postgres://u:PASS@h/db), as
// JDBC URLs are masked.
func maskConfig(rc *plugin.RunContext, cfg map[string]any) {
	for k, v := range cfg {
		maskValue(rc, v, secretKey.MatchString(k))
	}
}

func maskValue(rc *plugin.RunContext, v any, secret bool) {
	switch t := v.(type) {
	case string:
		if secret {
			rc.Secret(t)
		}
		if raw, decoded, ok := jdbcurl.UserInfoPassword(t); ok {
			rc.Secret(raw)
			rc.Secret(decoded)
		}
	case map[string]any:
		maskConfig(rc, t)
	case []any:
		for _, e := range t {
			maskValue(rc, e, secret)
		}
	}
}

// normalizeURI makes kestra:/// and sluice:/// forms of a storage URI
// compare equal.
func normalizeURI(s string) string {
	if storage.IsURI(s) {
		if u, err := storage.ParseURI(s); err == nil {
			return u.String()
		}
	}
	return s
}

// member is the fan-out identity of a target task run: its task ID, plus
// the iteration value inside Each, plus the sub-target name of a list.
func member(rc *plugin.RunContext, sub string) string {
	id := rc.TaskID()
	if v := rc.Vars(); v != nil {
		if tr, ok := v["taskrun"].(map[string]any); ok {
			if val, ok := tr["value"]; ok && val != nil && fmt.Sprint(val) != "" {
				id += "[" + fmt.Sprint(val) + "]"
			}
		}
	}
	if sub != "" {
		id += "." + sub
	}
	return id
}
