package runner

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
)

// CacheDir is ${SLUICE_CACHE:-~/.cache/sluice}.
func CacheDir() (string, error) {
	if d := os.Getenv("SLUICE_CACHE"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no SLUICE_CACHE and no home directory for ~/.cache/sluice: %w", err)
	}
	return filepath.Join(home, ".cache", "sluice"), nil
}

// Python returns the interpreter used to build virtualenvs: $SLUICE_PYTHON
// or python3 on PATH, checked to have the venv and ensurepip modules.
func Python(ctx context.Context) (path, version string, err error) {
	name := os.Getenv("SLUICE_PYTHON")
	if name == "" {
		name = "python3"
	}
	path, err = exec.LookPath(name)
	if err != nil {
		return "", "", fmt.Errorf("pipPackages needs Python 3: %q is not on PATH (install python3 and python3-venv, or set SLUICE_PYTHON, or give an installed command without pipPackages)", name)
	}
	out, err := exec.CommandContext(ctx, path, "-c", "import sys, venv, ensurepip; print(sys.version)").CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("pipPackages needs Python 3 with the venv and ensurepip modules; %s fails: %s (on Debian/Ubuntu: apt-get install python3-venv)", path, strings.TrimSpace(string(out)))
	}
	return path, strings.TrimSpace(string(out)), nil
}

// EnsureVenv returns a virtualenv with packages installed, keyed by the
// package list, the index and the Python version, under
// CacheDir()/venvs/KEY. It is built once (under a file lock, so parallel
// tasks wait for one build), reused while it works, and rebuilt when it is
// incomplete or broken (no stamp, or its python does not start).
func EnsureVenv(ctx context.Context, packages []string, indexURL string, log *slog.Logger) (string, error) {
	py, version, err := Python(ctx)
	if err != nil {
		return "", err
	}
	pkgs := append([]string{}, packages...)
	sort.Strings(pkgs)
	h := sha256.New()
	fmt.Fprintf(h, "python %s\nindex %s\n", version, indexURL)
	for _, p := range pkgs {
		fmt.Fprintf(h, "pkg %s\n", p)
	}
	key := hex.EncodeToString(h.Sum(nil))[:20]
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	root := filepath.Join(cache, "venvs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("virtualenv cache %s: %w", root, err)
	}
	dir := filepath.Join(root, key)
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := flock(ctx, lock); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	stamp := filepath.Join(dir, ".sluice-stamp")
	want := fmt.Sprintf("python %s\nindex %s\npackages %s\n", version, indexURL, strings.Join(pkgs, " "))
	if got, err := os.ReadFile(stamp); err == nil && string(got) == want {
		if exec.CommandContext(ctx, filepath.Join(dir, "bin", "python"), "-c", "pass").Run() == nil {
			return dir, nil
		}
		log.Warn("virtualenv is broken, rebuilding", "dir", dir)
	}
	log.Info("building virtualenv", "packages", strings.Join(pkgs, " "), "dir", dir)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := runLogged(ctx, log, py, "-m", "venv", dir); err != nil {
		return "", fmt.Errorf("creating virtualenv %s: %w", dir, err)
	}
	args := []string{"-m", "pip", "install", "--disable-pip-version-check", "--no-input"}
	if indexURL != "" {
		args = append(args, "--index-url", indexURL)
	}
	args = append(args, packages...)
	if err := runLogged(ctx, log, filepath.Join(dir, "bin", "python"), args...); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("pip install %s: %w", strings.Join(packages, " "), err)
	}
	if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
		return "", err
	}
	return dir, nil
}

// flock takes an exclusive lock, giving up when ctx ends.
func flock(ctx context.Context, f *os.File) error {
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("waiting for the virtualenv lock %s: %w", f.Name(), ctx.Err())
	}
}

// runLogged runs a command, logging its output at debug level; the error
// carries the output's tail.
func runLogged(ctx context.Context, log *slog.Logger, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var tail []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			log.Debug(line, "source", "pip")
			tail = append(tail, line)
			if len(tail) > 20 {
				tail = tail[1:]
			}
		}
		io.Copy(io.Discard, pr)
	}()
	err := cmd.Run()
	pw.Close()
	<-done
	if err != nil {
		msg := strings.Join(tail, "\n")
		if msg == "" {
			return err
		}
		return errors.New(err.Error() + ":\n" + msg)
	}
	return nil
}
