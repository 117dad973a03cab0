package runner

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	cases := map[string]string{
		`tap-github`:                     `[tap-github]`,
		`python3  "my tap.py" --x 'a b'`: `[python3 my tap.py --x a b]`,
		`a\ b "c\"d" 'e\f'`:              `[a b c"d e\f]`,
		`"unterminated`:                  `error`,
		`   `:                            `error`,
	}
	for in, want := range cases {
		got, err := SplitCommand(in)
		s := "error"
		if err == nil {
			s = "[" + strings.Join(got, " ") + "]"
		}
		if s != want {
			t.Errorf("SplitCommand(%q) = %s, want %s", in, s, want)
		}
	}
}

func TestParseLevel(t *testing.T) {
	cases := []struct {
		line  string
		level slog.Level
		msg   string
	}{
		{"INFO Starting sync", slog.LevelInfo, "Starting sync"},
		{"WARNING slow", slog.LevelWarn, "slow"},
		{"CRITICAL boom", slog.LevelError, "boom"},
		{"DEBUG x", slog.LevelDebug, "x"},
		{"time=2024-01-01 name=tap_postgres level=WARNING message=no primary key", slog.LevelWarn, "no primary key"},
		{`{"levelname": "ERROR", "message": "failed"}`, slog.LevelError, "failed"},
		{"2024-01-01 10:00:00,000 - tap - ERROR - bad", slog.LevelError, "bad"},
		{"just text", slog.LevelInfo, "just text"},
	}
	for _, c := range cases {
		l, m, _ := parseLevel(c.line)
		if l != c.level || m != c.msg {
			t.Errorf("parseLevel(%q) = %v %q, want %v %q", c.line, l, m, c.level, c.msg)
		}
	}
}

func TestStderrLogLevelsAndTail(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := NewStderrLog(log, "tap")
	s.Consume(strings.NewReader("INFO METRIC: {\"type\":\"counter\"}\nTraceback (most recent call last):\n  File \"x.py\", line 1\nValueError: no\nINFO back to normal\n"))
	out := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="METRIC: {\"type\":\"counter\"}"`,
		`level=ERROR msg="Traceback (most recent call last):"`,
		`level=ERROR msg="  File \"x.py\", line 1"`,
		`level=ERROR msg="ValueError: no"`,
		`level=INFO msg="back to normal"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	for i := 0; i < 100; i++ {
		s.Line(strings.Repeat("y", 100))
	}
	if tail := s.Tail(); len(tail) > tailMax+200 || strings.Count(tail, "\n") >= tailLines {
		t.Errorf("tail is %d bytes, %d lines", len(tail), strings.Count(tail, "\n")+1)
	}
}

func TestProgramFailsWithStderrTail(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	p, err := Prepare(context.Background(), Options{Command: `sh -c 'echo "CRITICAL it broke" >&2; exit 7'`, WorkDir: t.TempDir(), Name: "tap x", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := p.Start(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	pr.Stdout.Close()
	err = pr.Wait()
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 7 || err.Error() != "tap x exited with code 7; stderr ends with:\nCRITICAL it broke" {
		t.Fatalf("err = %v", err)
	}
}

func TestPrepareErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		o    Options
		env  map[string]string
		want string
	}{
		{o: Options{Command: "no-such-program-xyz"}, want: `command "no-such-program-xyz": exec: "no-such-program-xyz": executable file not found`},
		{o: Options{Runner: "VM", Command: "sh"}, want: `runner "VM": use PROCESS or DOCKER`},
		{o: Options{Runner: "DOCKER", Command: "tap"}, want: "runner DOCKER needs dockerOptions.image"},
		{o: Options{Runner: "DOCKER", Command: "tap", Docker: DockerOptions{Image: "python:3.10"}}, env: map[string]string{"PATH": "/nonexistent"}, want: "runner DOCKER: the docker client is not installed"},
		{o: Options{Command: "tap", PipPackages: []string{"tap-x"}}, env: map[string]string{"SLUICE_PYTHON": "/nonexistent/python3"}, want: "pipPackages needs Python 3"},
		{o: Options{}, want: "no command"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			c.o.WorkDir = t.TempDir()
			_, err := Prepare(ctx, c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%+v: err = %v, want %q", c.o, err, c.want)
			}
		})
	}
}
