package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/template"
)

// limitVars are the environment variables that change the limits on
// untrusted flows (docs/limits.md); unset ones keep their default.
var limitVars = []struct {
	name  string
	bytes bool // a size such as 32MiB; otherwise a count or, for *_TIME, a duration
	set   func(fl *flows.Limits, tl *template.Limits, n int64, d time.Duration)
}{
	{"SLUICE_LIMIT_FLOW_BYTES", true, func(fl *flows.Limits, _ *template.Limits, n int64, _ time.Duration) { fl.FlowBytes = int(n) }},
	{"SLUICE_LIMIT_YAML_ALIASES", false, func(fl *flows.Limits, _ *template.Limits, n int64, _ time.Duration) { fl.Aliases = int(n) }},
	{"SLUICE_LIMIT_YAML_EXPANDED_BYTES", true, func(fl *flows.Limits, _ *template.Limits, n int64, _ time.Duration) { fl.ExpandedBytes = int(n) }},
	{"SLUICE_LIMIT_TEMPLATE_OUTPUT_BYTES", true, func(_ *flows.Limits, tl *template.Limits, n int64, _ time.Duration) { tl.Output = int(n) }},
	{"SLUICE_LIMIT_TEMPLATE_VALUE_BYTES", true, func(_ *flows.Limits, tl *template.Limits, n int64, _ time.Duration) { tl.Value = int(n) }},
	{"SLUICE_LIMIT_TEMPLATE_STEPS", false, func(_ *flows.Limits, tl *template.Limits, n int64, _ time.Duration) { tl.Steps = int(n) }},
	{"SLUICE_LIMIT_TEMPLATE_TIME", false, func(_ *flows.Limits, tl *template.Limits, _ int64, d time.Duration) { tl.Time = d }},
}

// applyLimits reads the SLUICE_LIMIT_* variables.
func applyLimits() error {
	fl, tl := flows.DefaultLimits, template.DefaultLimits
	for _, v := range limitVars {
		s := os.Getenv(v.name)
		if s == "" {
			continue
		}
		var n int64
		var d time.Duration
		var err error
		switch {
		case strings.HasSuffix(v.name, "_TIME"):
			d, err = time.ParseDuration(s)
			if err == nil && d <= 0 {
				err = fmt.Errorf("must be positive")
			}
		case v.bytes:
			n, err = parseBytes(s)
		default:
			n, err = strconv.ParseInt(s, 10, 64)
			if err == nil && n <= 0 {
				err = fmt.Errorf("must be positive")
			}
		}
		if err != nil {
			return invalid(fmt.Errorf("%s=%q: %w", v.name, s, err))
		}
		v.set(&fl, &tl, n, d)
	}
	flows.SetLimits(fl)
	template.SetLimits(tl)
	return nil
}

// parseBytes reads a size: a number of bytes with an optional KiB, MiB or
// GiB (or KB, MB, GB, meaning the same powers of 1024) suffix.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("want a positive size such as 64MiB")
	}
	return n * mult, nil
}
