package mask

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

const secret = "Zq8#vP2!kX9@wL4&"

func TestString(t *testing.T) {
	m := New()
	m.Add(secret)
	m.Add("ab") // too short: ignored
	m.Add("k7Q")
	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	basic := base64.StdEncoding.EncodeToString([]byte("loader:" + secret))
	tests := []struct{ name, in, want string }{
		{"plain", "password=" + secret + " ok", "password=" + Replacement + " ok"},
		{"twice", secret + "/" + secret, Replacement + "/" + Replacement},
		{"in a URL", "jdbc:mysql://loader:" + secret + "@db:3306/shop", "jdbc:mysql://loader:" + Replacement + "@db:3306/shop"},
		{"url-encoded", "dsn=postgres://u:" + url.QueryEscape(secret) + "@h/db", "dsn=postgres://u:" + Replacement + "@h/db"},
		{"path-escaped", "/v1/" + url.PathEscape(secret), "/v1/" + Replacement},
		{"base64", "token " + b64, "token " + Replacement},
		{"json-escaped", `{"p":"` + strings.ReplaceAll(strings.ReplaceAll(secret, "&", `\u0026`), "!", "!") + `"}`, `{"p":"` + Replacement + `"}`},
		{"prefix substring", "cut " + secret[:6] + " end", "cut " + Replacement + " end"},
		{"middle substring", "x" + secret[4:12] + "y", "x" + Replacement + "y"},
		{"five chars are not enough", "x" + secret[3:8] + "y", "x" + secret[3:8] + "y"},
		{"short secret", "key k7Q!", "key " + Replacement + "!"},
		{"two-byte values are not masked", "ab cd", "ab cd"},
		{"nothing", "plain text", "plain text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.String(tc.in); got != tc.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
	// A secret inside a larger base64 text (a Basic auth header) leaves at
	// most the characters that mix its bytes with its neighbours'.
	got := m.String("Authorization: Basic " + basic)
	if !strings.Contains(got, Replacement) {
		t.Fatalf("basic auth header not masked: %q", got)
	}
	// "loader:" is 7 bytes: its first 6 encode cleanly into 8 characters.
	if rest := strings.TrimPrefix(got, "Authorization: Basic "+basic[:8]); len(rest) > len(Replacement)+8 {
		t.Errorf("too much of the base64 left: %q", got)
	}
}

func TestEmptyMaskerPassesThrough(t *testing.T) {
	var nilM *Masker
	if nilM.String("x"+secret) != "x"+secret || New().String(secret) != secret {
		t.Fatal("an empty masker changed text")
	}
}

var errSentinel = errors.New("permanent")

func TestError(t *testing.T) {
	m := New()
	m.Add(secret)
	if m.Error(nil) != nil {
		t.Fatal("nil error became non-nil")
	}
	plain := errors.New("no secret here")
	if m.Error(plain) != plain {
		t.Fatal("an error without a secret must be returned as is")
	}
	err := m.Error(fmt.Errorf("connect with %s: %w", secret, errSentinel))
	if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), Replacement) {
		t.Fatalf("not masked: %v", err)
	}
	if !errors.Is(err, errSentinel) {
		t.Error("errors.Is lost the sentinel of the masked chain")
	}
	if errors.Unwrap(err) != nil {
		t.Error("a masked error must not unwrap to the secret-bearing chain")
	}
}

type omap struct {
	keys []string
	vals map[string]any
}

func (o *omap) Keys() []string           { return o.keys }
func (o *omap) Get(k string) (any, bool) { v, ok := o.vals[k]; return v, ok }
func (o *omap) Set(k string, v any)      { o.vals[k] = v }

func TestValue(t *testing.T) {
	m := New()
	m.Add(secret)
	om := &omap{keys: []string{"dsn"}, vals: map[string]any{"dsn": "u:" + secret + "@h"}}
	v := m.Value(map[string]any{
		"s":    secret,
		"list": []any{"a", secret, 3},
		"strs": []string{secret},
		"env":  map[string]string{"P": secret},
		"om":   om,
		"n":    42,
	}).(map[string]any)
	if v["s"] != Replacement || v["list"].([]any)[1] != Replacement || v["strs"].([]string)[0] != Replacement ||
		v["env"].(map[string]string)["P"] != Replacement || om.vals["dsn"] != "u:"+Replacement+"@h" || v["n"] != 42 {
		t.Fatalf("Value: %#v", v)
	}
}

func TestWriter(t *testing.T) {
	m := New()
	var buf bytes.Buffer
	w := m.Writer(&buf)
	fmt.Fprintf(w, "before %s\n", secret) // not yet registered
	m.Add(secret)
	n, err := fmt.Fprintf(w, "after %s\n", secret)
	if err != nil || n != len("after \n")+len(secret) {
		t.Fatalf("Write returned %d, %v: it must report the bytes it was given", n, err)
	}
	if got := buf.String(); got != "before "+secret+"\nafter "+Replacement+"\n" {
		t.Fatalf("got %q", got)
	}
}

func TestHandler(t *testing.T) {
	m := New()
	var buf bytes.Buffer
	log := slog.New(m.Handler(slog.NewJSONHandler(&buf, nil))).With("bound", "dsn "+secret)
	m.Add(secret) // registered after the attribute was bound
	log.Info("login "+secret, "password", secret, "err", fmt.Errorf("auth %s failed", secret),
		slog.Group("conn", "url", "mysql://u:"+secret+"@h"), "list", []string{secret}, "n", 3)
	log.WithGroup("g").Info("grouped", "p", secret)
	out := buf.String()
	if strings.Contains(out, secret) || strings.Contains(out, secret[:6]) {
		t.Fatalf("secret in log output: %s", out)
	}
	for _, want := range []string{`"msg":"login ******"`, `"password":"******"`, `"bound":"dsn ******"`, `"err":"auth ****** failed"`, `"url":"mysql://u:******@h"`, `"n":3`, `"g":{"p":"******"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("log output lacks %s:\n%s", want, out)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add(secret, "x"+secret+"y")
	f.Add("abcdefgh", "zzabcdefabcdefghzz")
	f.Add("ééé", "aéééb")
	f.Fuzz(func(t *testing.T, sec, text string) {
		m := New()
		m.Add(sec)
		got := m.String(text)
		if len(sec) >= MinSecret && strings.Contains(got, sec) && !strings.Contains(Replacement, sec) {
			t.Fatalf("secret %q left in %q (from %q)", sec, got, text)
		}
		if len(sec) < MinSecret && got != text {
			t.Fatalf("a too-short secret changed the text: %q → %q", text, got)
		}
	})
}
