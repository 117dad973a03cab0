package plugin

import (
	"bytes"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT30S": 30 * time.Second, "PT1M30S": 90 * time.Second, "P1DT2H": 26 * time.Hour,
		"PT0.5S": 500 * time.Millisecond, "P1W": 7 * 24 * time.Hour, "1m30s": 90 * time.Second,
		"250ms": 250 * time.Millisecond, "-PT1S": -time.Second, "pt2h": 2 * time.Hour,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "P", "PT", "PT5X", "5 minutes", "P1Y"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if s := FormatISODuration(90*time.Minute + 1500*time.Millisecond); s != "PT1H30M1.5S" {
		t.Errorf("format %s", s)
	}
}

type nested struct {
	Host string `yaml:"host" required:"true"`
}

type Common struct {
	URL string `yaml:"url" required:"true" doc:"where"`
}

type props struct {
	Common   `yaml:",inline"`
	Password string            `yaml:"password" secret:"true"`
	Mode     string            `yaml:"mode" enum:"a,b" default:"a"`
	Raw      string            `yaml:"raw" template:"false"`
	Items    []nested          `yaml:"items"`
	Opts     map[string]string `yaml:"opts"`
	Wait     Duration          `yaml:"wait"`
	hidden   int
	Skipped  int `yaml:"-"`
	Implicit bool
}

func (p *props) Run() {}

func TestSpecOf(t *testing.T) {
	s, err := SpecOf(reflect.TypeOf(&props{}))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(s.Names(), ",")
	if got != "url,password,mode,raw,items,opts,wait,implicit" {
		t.Errorf("names %s", got)
	}
	url, _ := s.Property("url")
	pw, _ := s.Property("password")
	mode, _ := s.Property("mode")
	raw, _ := s.Property("raw")
	if !url.Required || url.Doc != "where" || !pw.Secret || mode.Default != "a" || len(mode.Enum) != 2 || raw.Template {
		t.Errorf("tags misread: %+v %+v %+v %+v", url, pw, mode, raw)
	}
	if TypeName(reflect.TypeOf([]nested{})) != "list of object" || TypeName(reflect.TypeOf(Duration(0))) != "duration" {
		t.Error("type names")
	}
	_ = props{}.hidden
}

func TestRunContextMasksSecrets(t *testing.T) {
	var buf bytes.Buffer
	rc := NewRunContext(RunConfig{TaskID: "t", Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	rc.Secret("s3cr3t-pw")
	rc.Secret("ab") // too short to mask
	rc.Logger().Info("connecting with s3cr3t-pw", "dsn", "user:s3cr3t-pw@host", "err", errors.New("auth s3cr3t-pw failed"))
	out := buf.String()
	if strings.Contains(out, "s3cr3t-pw") || strings.Count(out, "******") != 3 {
		t.Errorf("log not masked: %s", out)
	}
	err := rc.MaskError(errors.New("login s3cr3t-pw refused"))
	if err.Error() != "login ****** refused" || errors.Unwrap(err) != nil {
		t.Errorf("error %v", err)
	}
}
