package loglevel

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestNamesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want slog.Level
		name string
	}{
		{"trace", Trace, "TRACE"},
		{"TRACE", Trace, "TRACE"},
		{"debug", slog.LevelDebug, "DEBUG"},
		{"Info", slog.LevelInfo, "INFO"},
		{"warn", slog.LevelWarn, "WARN"},
		{"warning", slog.LevelWarn, "WARN"},
		{"error", slog.LevelError, "ERROR"},
	} {
		l, err := Parse(tc.in)
		if err != nil || l != tc.want || Name(l) != tc.name {
			t.Errorf("Parse(%q) = %v, %v; Name %q, want %v %q", tc.in, l, err, Name(l), tc.want, tc.name)
		}
	}
	if _, err := Parse("verbose"); err == nil || !strings.Contains(err.Error(), "trace, debug, info, warn or error") {
		t.Errorf("Parse(verbose) error %v", err)
	}
}

func TestReplaceAttrNamesTrace(t *testing.T) {
	var b bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{Level: Trace, ReplaceAttr: ReplaceAttr}))
	l.Log(t.Context(), Trace, "deep")
	if !strings.Contains(b.String(), `"level":"TRACE"`) {
		t.Errorf("got %s", b.String())
	}
}
