// Command bench runs sluice's benchmarks. Every figure in docs/ comes from
// one of its scenarios:
//
//	go run ./bench SCENARIO [flags]     one scenario (flags are its own)
//	go run ./bench all                  every scenario with its defaults
//	go run ./bench list                 the scenario names
//
// Each result is printed as one JSON line on stdout (see emit); progress and
// notes go to stderr. A scenario lives in its own file and registers itself
// in init():
//
//	func init() { scenarios["rowfile"] = runRowfile }
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
)

// scenarios maps a name to its entry point, which parses its own args
// (typically with a flag.FlagSet named after the scenario).
var scenarios = map[string]func(args []string) error{}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name, args := os.Args[1], os.Args[2:]
	switch name {
	case "list":
		for _, n := range names() {
			fmt.Println(n)
		}
		return
	case "all":
		failed := 0
		for _, n := range names() {
			fmt.Fprintf(os.Stderr, "bench: running %s\n", n)
			if err := scenarios[n](nil); err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s: %v\n", n, err)
				failed++
			}
		}
		if failed > 0 {
			os.Exit(1)
		}
		return
	}
	run, ok := scenarios[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown scenario %q\n", name)
		usage()
		os.Exit(2)
	}
	if err := run(args); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", name, err)
		os.Exit(1)
	}
}

func names() []string {
	out := make([]string, 0, len(scenarios))
	for n := range scenarios {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: go run ./bench SCENARIO [flags]   (SCENARIO: all, list, %s)\n", strings.Join(names(), ", "))
}

var stdout = bufio.NewWriter(os.Stdout)

// emit prints one result as a JSON line (keys sorted, as encoding/json does
// for maps) and flushes it at once so partial runs still leave their lines.
// Every line gets go_version, gomaxprocs and num_cpu so figures can be told
// apart later.
func emit(result map[string]any) {
	result["go_version"] = runtime.Version()
	result["gomaxprocs"] = runtime.GOMAXPROCS(0)
	result["num_cpu"] = runtime.NumCPU()
	b, err := json.Marshal(result)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: cannot encode result: %v\n", err)
		return
	}
	stdout.Write(b)
	stdout.WriteByte('\n')
	stdout.Flush()
}

// peakRSSMB returns the process's peak resident set (VmHWM) in MiB, 0 when
// /proc is unavailable. resetPeakRSS lets a scenario measure one phase.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return round(kb/1024, 1)
		}
	}
	return 0
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux: writing 5 to
// clear_refs), so that the next peakRSSMB covers only what follows. It
// reports whether the reset worked.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// round rounds x to the given number of decimals, for readable JSON.
func round(x float64, decimals int) float64 {
	p := 1.0
	for range decimals {
		p *= 10
	}
	if x < 0 {
		return -float64(int64(-x*p+0.5)) / p
	}
	return float64(int64(x*p+0.5)) / p
}

// startCPUProfile writes a CPU profile to path (none when path is empty)
// until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
