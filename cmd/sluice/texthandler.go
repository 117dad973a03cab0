package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/internal/loglevel"
)

// textHandler prints log records as aligned lines:
//
//	12:00:01.234 INFO  load       inserted rows=1000
type textHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Level
	color bool
	attrs []slog.Attr
	// before is called (under the lock) before a line is written, to clear
	// a progress line.
	before func()
}

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	var task, value string
	var b strings.Builder
	add := func(a slog.Attr) {
		switch a.Key {
		case flows.LogTaskID:
			task = a.Value.String()
			return
		case flows.LogValue:
			value = a.Value.String()
			return
		case flows.LogExecutionID, flows.LogTaskRunID:
			// One execution per run: the ids are in the result and in the
			// JSON log lines.
			return
		case flows.LogAttempt:
			if a.Value.Resolve().String() == "1" {
				return
			}
		}
		v := a.Value.Resolve().String()
		if strings.ContainsAny(v, " \t\n\"=") {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, v)
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool { add(a); return true })
	if value != "" {
		task += "[" + value + "]"
	}
	level := loglevel.Name(r.Level)
	if h.color {
		switch {
		case r.Level >= slog.LevelError:
			level = "\x1b[31m" + fmt.Sprintf("%-5s", level) + "\x1b[0m"
		case r.Level >= slog.LevelWarn:
			level = "\x1b[33m" + fmt.Sprintf("%-5s", level) + "\x1b[0m"
		}
	}
	line := fmt.Sprintf("%s %-5s %-14s %s%s\n", r.Time.Format("15:04:05.000"), level, task, r.Message, b.String())
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.before != nil {
		h.before()
	}
	_, err := io.WriteString(h.w, line)
	return err
}

func (h *textHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

func (h *textHandler) WithGroup(string) slog.Handler { return h }
