package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
)

// StderrLog forwards a program's stderr to a logger line by line, with the
// level the line announces, and keeps the last lines for error messages.
//
// Recognised shapes: singer-python's "LEVEL message", pipelinewise's
// "time=... name=... level=LEVEL message=...", JSON lines with
// "levelname"/"level", and Python tracebacks (logged as errors).
type StderrLog struct {
	log  *slog.Logger
	name string

	mu        sync.Mutex
	tail      []string
	tailBytes int
	inTrace   bool
	// Lines counts the lines seen.
	Lines int64
}

const (
	tailLines = 30
	tailMax   = 4 << 10
	lineMax   = 64 << 10
)

// NewStderrLog returns a forwarder labelled name.
func NewStderrLog(l *slog.Logger, name string) *StderrLog {
	return &StderrLog{log: l, name: name}
}

// Consume reads r to its end.
func (s *StderrLog) Consume(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			s.Line(strings.TrimRight(line, "\r\n"))
		}
		if err != nil {
			return
		}
	}
}

var (
	levelWord = regexp.MustCompile(`^(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\b[:\s]?\s*`)
	levelKV   = regexp.MustCompile(`\blevel(?:name)?=(\w+)`)
	// "2021-01-01 10:00:00,000 - name - INFO - message" and similar.
	levelDash = regexp.MustCompile(`^\S.*? - (DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL) - `)
)

// Line logs one line.
func (s *StderrLog) Line(line string) {
	if len(line) > lineMax {
		line = line[:lineMax] + "…"
	}
	s.mu.Lock()
	s.Lines++
	s.tail = append(s.tail, line)
	s.tailBytes += len(line) + 1
	for len(s.tail) > tailLines || (s.tailBytes > tailMax && len(s.tail) > 1) {
		s.tailBytes -= len(s.tail[0]) + 1
		s.tail = s.tail[1:]
	}
	level, msg, known := parseLevel(line)
	switch {
	case known:
		s.inTrace = false
	case strings.HasPrefix(line, "Traceback (most recent call last)"):
		s.inTrace = true
		level = slog.LevelError
	case s.inTrace:
		level = slog.LevelError
	}
	s.mu.Unlock()
	if strings.HasPrefix(msg, "METRIC: ") {
		level = slog.LevelDebug
	}
	if strings.TrimSpace(msg) == "" {
		return
	}
	s.log.Log(context.Background(), level, msg, "source", s.name)
}

// Tail returns the last lines (at most 30 lines, about 4 KiB).
func (s *StderrLog) Tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

func toLevel(w string) slog.Level {
	switch strings.ToUpper(w) {
	case "DEBUG":
		return slog.LevelDebug
	case "WARNING", "WARN":
		return slog.LevelWarn
	case "ERROR", "CRITICAL", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// parseLevel finds the level a line announces; unknown lines are INFO.
func parseLevel(line string) (slog.Level, string, bool) {
	if m := levelWord.FindStringSubmatch(line); m != nil {
		return toLevel(m[1]), line[len(m[0]):], true
	}
	if strings.HasPrefix(line, "{") {
		var j map[string]any
		if json.Unmarshal([]byte(line), &j) == nil {
			lv, _ := j["levelname"].(string)
			if lv == "" {
				lv, _ = j["level"].(string)
			}
			msg, _ := j["message"].(string)
			if msg == "" {
				msg = line
			}
			if lv != "" {
				return toLevel(lv), msg, true
			}
		}
	}
	if m := levelKV.FindStringSubmatch(line); m != nil {
		msg := line
		if i := strings.Index(line, "message="); i >= 0 {
			msg = line[i+len("message="):]
		}
		return toLevel(m[1]), msg, true
	}
	if m := levelDash.FindStringSubmatch(line); m != nil {
		return toLevel(m[1]), line[len(m[0]):], true
	}
	return slog.LevelInfo, line, false
}
