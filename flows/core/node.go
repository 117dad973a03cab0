package core

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Node runs Node.js scripts; a package.json among the input files is
// installed with npm first (Kestra 0.4's scripts.Node shape).
type Node struct {
	Shell   `yaml:",inline"`
	NpmPath string `yaml:"npmPath" default:"npm" doc:"The npm executable used when inputFiles has a package.json."`
}

// Run installs dependencies when needed and runs the commands.
func (n *Node) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	if _, ok := n.Shell.InputFiles["package.json"]; ok {
		dir, err := rc.TempDir()
		if err != nil {
			return nil, err
		}
		// npm needs only the manifests; Shell.Run writes every input file.
		for _, name := range []string{"package.json", "package-lock.json"} {
			content, ok := n.Shell.InputFiles[name]
			if !ok {
				continue
			}
			if err := writeInput(ctx, rc, dir, name, content); err != nil {
				return nil, fmt.Errorf("inputFiles %q: %w", name, err)
			}
		}
		if _, err := exec.LookPath(n.NpmPath); err != nil {
			return nil, fmt.Errorf("%s not found: install Node.js and npm", n.NpmPath)
		}
		cmd := exec.CommandContext(ctx, n.NpmPath, "install", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("npm install: %v: %s", err, tail(string(out), 2000))
		}
		if n.Shell.Env == nil {
			n.Shell.Env = map[string]string{}
		}
		n.Shell.Env["NODE_PATH"] = filepath.Join(dir, "node_modules")
		rc.Logger().Info("npm install done", "node_modules", filepath.Join(dir, "node_modules"))
	}
	return n.Shell.Run(ctx, rc)
}

func init() {
	plugin.Register(plugin.Info{
		ID: "scripts.Node", Aliases: []string{"io.kestra.core.tasks.scripts.Node"},
		Title: "Run Node.js scripts (inputFiles main.js, package.json installed with npm).",
		New:   func() any { return &Node{} },
		Outputs: []plugin.Output{
			{Name: "exitCode"}, {Name: "stdOutLineCount"}, {Name: "stdErrLineCount"},
			{Name: "vars", Dynamic: true}, {Name: "outputFiles", Dynamic: true},
		},
	})
}
