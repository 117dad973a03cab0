package runner

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// prepareDocker runs the command inside opts.Docker.Image with the work
// directory mounted at the same path, so file arguments stay valid. The
// pip packages are installed in the container before the command, as
// Kestra does.
func prepareDocker(ctx context.Context, o Options, argv []string, p *Program) (*Program, error) {
	if o.Docker.Image == "" {
		return nil, fmt.Errorf("runner DOCKER needs dockerOptions.image (a Python image such as python:3.10)")
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		return nil, fmt.Errorf("runner DOCKER: the docker client is not installed (%v); use runner: PROCESS with command or pipPackages", err)
	}
	vctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	check := exec.CommandContext(vctx, docker, "version", "--format", "{{.Server.Version}}")
	if o.Docker.DockerHost != "" {
		check.Env = append(p.env, "DOCKER_HOST="+o.Docker.DockerHost)
	}
	if out, err := check.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("runner DOCKER: no Docker engine answers (docker version: %s); start one or use runner: PROCESS with command or pipPackages", strings.TrimSpace(string(out)))
	}
	args := []string{docker, "run", "--rm", "-i", "-v", o.WorkDir + ":" + o.WorkDir, "-w", o.WorkDir}
	if !o.Docker.PullImage {
		args = append(args, "--pull", "never")
	}
	if o.Docker.User != "" {
		args = append(args, "--user", o.Docker.User)
	}
	if o.Docker.NetworkMode != "" {
		args = append(args, "--network", o.Docker.NetworkMode)
	}
	for _, h := range o.Docker.ExtraHosts {
		args = append(args, "--add-host", h)
	}
	for _, v := range o.Docker.Volumes {
		args = append(args, "-v", v)
	}
	for k, v := range o.Env {
		args = append(args, "-e", k+"="+v)
	}
	if len(o.Docker.EntryPoint) > 0 {
		args = append(args, "--entrypoint", o.Docker.EntryPoint[0])
	}
	args = append(args, o.Docker.Image)
	script := "set -e\n"
	if len(o.PipPackages) > 0 {
		script += "pip install --disable-pip-version-check -q"
		if o.PipIndexURL != "" {
			script += " --index-url " + shellQuote(o.PipIndexURL)
		}
		for _, pkg := range o.PipPackages {
			script += " " + shellQuote(pkg)
		}
		script += " >&2\n"
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = shellQuote(a)
	}
	script += "exec " + strings.Join(quoted, " ") + ` "$@"`
	args = append(args, "sh", "-c", script, "sh")
	if o.Docker.DockerHost != "" {
		p.env = append(p.env, "DOCKER_HOST="+o.Docker.DockerHost)
	}
	p.argv = args
	return p, nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
