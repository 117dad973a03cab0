package main

// Scenario singer: one Singer tap fanned out to two targets through sluice,
// against the same programs piped by the shell.
//
//	go run ./bench singer [--records 1000000] [--tap json|fast] [--state-every 10000]
//
// The programs are singer/testdata/tap.py (one stream, "users", 10 fields of
// every Singer type) and singer/testdata/target.py (parses every message,
// appends the records to a JSON-lines file, echoes the state after each
// flush), run by python3. Lines printed:
//
//	pipe        sh -c 'tap | target'            the bare pipe to one target
//	sequential  tap > file; 2 × target < file   the same work as sluice, by the shell
//	sluice      a flow: singer.Tap (raw) then a Parallel of two singer.Target
//
// The sluice line has ratio = sluice seconds / pipe seconds (goal ≤ 1.3),
// overhead = sluice seconds / sequential seconds, sluice_cpu_s (the Go
// process's own CPU: reading, checking and storing the stream, feeding two
// targets) and peak_rss_mb (the Go process's peak resident set; the Python
// programs are not counted). --tap fast makes the tap format its records
// with % instead of json.dumps, so the tap costs little next to the target.
//
// Kestra's model runs the tap to its end before any target starts (so that
// one stored stream feeds any number of targets and a failed target can be
// rerun alone), while the pipe overlaps them: when tap and target cost the
// same, no implementation of separate tasks gets the ratio near 1; the
// overhead figure is what sluice adds to that model.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/storage"
	_ "github.com/sluicehq/sluice/singer"
)

func init() { scenarios["singer"] = runSinger }

func runSinger(args []string) error {
	fs := flag.NewFlagSet("singer", flag.ContinueOnError)
	records := fs.Int("records", 1000000, "records the tap emits")
	tapMode := fs.String("tap", "json", "json: records written with json.dumps (as singer-python does); fast: preformatted")
	stateEvery := fs.Int("state-every", 10000, "records between STATE messages")
	dir := fs.String("dir", "", "work folder (default: a temp folder, removed)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the sluice run to this file")
	typed := fs.Bool("typed", false, "also time raw: false (typed row files) against the tap writing to a file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	py, err := realPython()
	if err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tap := filepath.Join(root, "singer", "testdata", "tap.py")
	target := filepath.Join(root, "singer", "testdata", "target.py")
	work := *dir
	if work == "" {
		if work, err = os.MkdirTemp("", "sluice-bench-singer-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	tapCfg := map[string]any{"records": *records, "streams": []string{"users"}, "state_every": *stateEvery, "fast": *tapMode == "fast"}
	writeCfg := func(name string, v any) (string, error) {
		b, _ := json.Marshal(v)
		p := filepath.Join(work, name)
		return p, os.WriteFile(p, b, 0o644)
	}
	tapPath, err := writeCfg("tap.json", tapCfg)
	if err != nil {
		return err
	}
	targetCfg := func(name string) (string, error) {
		return writeCfg(name+".json", map[string]any{"destination_path": filepath.Join(work, name), "flush_every": *stateEvery})
	}
	base := map[string]any{"scenario": "singer", "records": *records, "tap": *tapMode, "state_every": *stateEvery}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	// pipe: tap | target.
	t1, _ := targetCfg("pipe")
	fmt.Fprintln(os.Stderr, "bench singer: pipe")
	pipeS, pipeChildCPU, err := shell(fmt.Sprintf("%s %s --config %s | %s %s --config %s > /dev/null", py, tap, tapPath, py, target, t1))
	if err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	emit(with(map[string]any{"method": "pipe", "seconds": round(pipeS, 2), "records_per_s": round(float64(*records)/pipeS, 0), "child_cpu_s": round(pipeChildCPU, 2)}))

	// sequential: tap > file, then two targets reading it side by side.
	s1, _ := targetCfg("seq-a")
	s2, _ := targetCfg("seq-b")
	raw := filepath.Join(work, "raw.jsonl")
	fmt.Fprintln(os.Stderr, "bench singer: sequential")
	seqS, seqChildCPU, err := shell(fmt.Sprintf("%s %s --config %s > %s && { %s %s --config %s < %s > /dev/null & %s %s --config %s < %s > /dev/null & wait; }",
		py, tap, tapPath, raw, py, target, s1, raw, py, target, s2, raw))
	if err != nil {
		return fmt.Errorf("sequential: %w", err)
	}
	os.Remove(raw)
	emit(with(map[string]any{"method": "sequential", "targets": 2, "seconds": round(seqS, 2), "records_per_s": round(float64(*records)/seqS, 0), "child_cpu_s": round(seqChildCPU, 2)}))

	// sluice: the flow.
	flowSrc := fmt.Sprintf(`id: bench-singer
namespace: sluice.bench
tasks:
  - id: tap
    type: singer.Tap
    command: %[1]s %[2]s
    features: [STATE]
    configs: %[3]s
  - id: targets
    type: io.kestra.core.tasks.flows.Parallel
    tasks:
      - id: a
        type: singer.Target
        command: %[1]s %[4]s
        from: "{{ outputs.tap.raw }}"
        configs: {destination_path: %[5]s, flush_every: %[7]d}
      - id: b
        type: singer.Target
        command: %[1]s %[4]s
        from: "{{ outputs.tap.raw }}"
        configs: {destination_path: %[6]s, flush_every: %[7]d}
`, py, tap, mustJSON(tapCfg), target, filepath.Join(work, "sluice-a"), filepath.Join(work, "sluice-b"), *stateEvery)
	f, err := flows.Parse("bench-singer.yml", []byte(flowSrc))
	if err != nil {
		return err
	}
	repo, err := state.Open(filepath.Join(work, "state.db"))
	if err != nil {
		return err
	}
	defer repo.Close()
	store, err := storage.NewLocal(filepath.Join(work, "storage"))
	if err != nil {
		return err
	}
	eng := &flows.Engine{Repo: repo, Store: store, LogLevel: slog.LevelWarn,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	fmt.Fprintln(os.Stderr, "bench singer: sluice")
	stop, err := startCPUProfile(*profile)
	if err != nil {
		return err
	}
	defer stop()
	resetPeakRSS()
	c0, ch0 := cpuTime(), childCPU()
	t0 := time.Now()
	ex, err := eng.Run(context.Background(), f, nil)
	if err != nil {
		return err
	}
	sl := time.Since(t0).Seconds()
	cpu, chCPU := (cpuTime() - c0).Seconds(), childCPU()-ch0
	if ex.State != state.Success {
		var msgs []string
		for _, tr := range ex.TaskRuns {
			if tr.Error != "" {
				msgs = append(msgs, tr.TaskID+": "+tr.Error)
			}
		}
		return fmt.Errorf("sluice flow ended %s: %s", ex.State, strings.Join(msgs, "; "))
	}
	var tapS, targetsS float64
	for _, tr := range ex.TaskRuns {
		if tr.End.IsZero() {
			continue
		}
		d := tr.End.Sub(tr.Start).Seconds()
		switch tr.TaskID {
		case "tap":
			tapS = d
		case "targets":
			targetsS = d
		}
	}
	emit(with(map[string]any{"method": "sluice", "targets": 2, "seconds": round(sl, 2), "records_per_s": round(float64(*records)/sl, 0),
		"ratio": round(sl/pipeS, 2), "overhead": round(sl/seqS, 3), "tap_s": round(tapS, 2), "targets_s": round(targetsS, 2),
		"sluice_cpu_s": round(cpu, 2), "child_cpu_s": round(chCPU, 2), "peak_rss_mb": peakRSSMB()}))
	if *typed {
		return benchTyped(work, py, tap, tapPath, tapCfg, *records, repo, store, with)
	}
	return nil
}

// benchTyped times the tap alone into a file, then the tap task with
// raw: false (every record decoded into typed values and written to a row
// file), which overlaps the tap.
func benchTyped(work, py, tap, tapPath string, tapCfg map[string]any, records int, repo state.Repository, store storage.Store, with func(map[string]any) map[string]any) error {
	fmt.Fprintln(os.Stderr, "bench singer: tap to a file")
	fileS, fileCPU, err := shell(fmt.Sprintf("%s %s --config %s > %s", py, tap, tapPath, filepath.Join(work, "tap-only.jsonl")))
	if err != nil {
		return err
	}
	os.Remove(filepath.Join(work, "tap-only.jsonl"))
	emit(with(map[string]any{"method": "tap-file", "seconds": round(fileS, 2), "records_per_s": round(float64(records)/fileS, 0), "child_cpu_s": round(fileCPU, 2)}))
	f, err := flows.Parse("bench-singer-typed.yml", []byte(fmt.Sprintf(`id: bench-singer-typed
namespace: sluice.bench
tasks:
  - id: tap
    type: singer.Tap
    command: %s %s
    features: [STATE]
    raw: false
    configs: %s
`, py, tap, mustJSON(tapCfg))))
	if err != nil {
		return err
	}
	eng := &flows.Engine{Repo: repo, Store: store, LogLevel: slog.LevelWarn,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	fmt.Fprintln(os.Stderr, "bench singer: sluice raw: false")
	resetPeakRSS()
	c0, ch0 := cpuTime(), childCPU()
	t0 := time.Now()
	ex, err := eng.Run(context.Background(), f, nil)
	if err != nil {
		return err
	}
	sec := time.Since(t0).Seconds()
	if ex.State != state.Success {
		return fmt.Errorf("typed flow ended %s", ex.State)
	}
	emit(with(map[string]any{"method": "sluice-typed", "seconds": round(sec, 2), "records_per_s": round(float64(records)/sec, 0),
		"ratio": round(sec/fileS, 2), "sluice_cpu_s": round((cpuTime() - c0).Seconds(), 2), "child_cpu_s": round(childCPU()-ch0, 2), "peak_rss_mb": peakRSSMB()}))
	return nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// shell runs a command line and returns its wall time and the CPU its
// children used.
func shell(cmdline string) (float64, float64, error) {
	c0 := childCPU()
	t0 := time.Now()
	cmd := exec.Command("sh", "-c", cmdline)
	cmd.Stderr = os.Stderr
	// As sluice runs them: PYTHONUNBUFFERED would make the tap write (and
	// the pipe carry) one message per system call.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYTHONUNBUFFERED=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	err := cmd.Run()
	return time.Since(t0).Seconds(), childCPU() - c0, err
}

// childCPU is the user+system CPU of waited-for children, in seconds.
func childCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// realPython resolves python3 to its interpreter (launcher shims such as
// pyenv's add a second or more per start).
func realPython() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("the singer scenario needs python3: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// repoRoot finds the module root (the folder with go.mod) from the working
// directory up.
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("run the bench inside the sluice module")
		}
		d = parent
	}
}
