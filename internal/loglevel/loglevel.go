// Package loglevel names the log levels sluice shares with Kestra: slog's
// DEBUG, INFO, WARN and ERROR, and TRACE below DEBUG (Kestra's Echo and Log
// tasks log at TRACE). Stored log entries, the terminal and JSON output all
// use these names, so a TRACE line never shows as slog's "DEBUG-4".
package loglevel

import (
	"fmt"
	"log/slog"
	"strings"
)

// Trace is Kestra's TRACE, below slog.LevelDebug.
const Trace = slog.LevelDebug - 4

// Name returns TRACE, DEBUG, INFO, WARN or ERROR for those levels and
// slog's name (DEBUG+2, …) for the levels between them.
func Name(l slog.Level) string {
	if l == Trace {
		return "TRACE"
	}
	return l.String()
}

// Parse reads a level name, case-insensitively: trace, debug, info, warn
// (or warning) and error.
func Parse(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace":
		return Trace, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not trace, debug, info, warn or error", s)
}

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that writes the level
// with Name.
func ReplaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.LevelKey {
		if l, ok := a.Value.Any().(slog.Level); ok {
			a.Value = slog.StringValue(Name(l))
		}
	}
	return a
}
