package odbc

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseConnString(t *testing.T) {
	tests := []struct {
		in   string
		want []Attr
	}{
		{"", nil},
		{"Driver={MariaDB Unicode};Server=127.0.0.1;Port=3306;Database=test;User=root;Password=;",
			[]Attr{{"Driver", "MariaDB Unicode"}, {"Server", "127.0.0.1"}, {"Port", "3306"}, {"Database", "test"}, {"User", "root"}, {"Password", ""}}},
		{"DSN=vw", []Attr{{"DSN", "vw"}}},
		{"PWD={a;b}};c};UID=x", []Attr{{"PWD", "a;b};c"}, {"UID", "x"}}},
		{" Server = h ; ;Port=1", []Attr{{"Server", "h"}, {"Port", "1"}}},
		{"Opt={x} ;Next=1", []Attr{{"Opt", "x"}, {"Next", "1"}}},
		{"Empty={}", []Attr{{"Empty", ""}}},
		{"A=b=c", []Attr{{"A", "b=c"}}},
	}
	for _, tt := range tests {
		got, err := ParseConnString(tt.in)
		if err != nil {
			t.Errorf("ParseConnString(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseConnString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseConnStringErrors(t *testing.T) {
	tests := []struct{ in, wantSub string }{
		{"Server", "has no '='"},
		{"Server;Port=1", "has no '='"},
		{"=x", "empty keyword"},
		{"PWD={abc", "no closing '}'"},
		{"PWD={a}b;", "unexpected 'b'"},
	}
	for _, tt := range tests {
		_, err := ParseConnString(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.wantSub) {
			t.Errorf("ParseConnString(%q) error = %v, want it to contain %q", tt.in, err, tt.wantSub)
		}
	}
}

func TestQuoteValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"a;b", "{a;b}"},
		{"x}y", "{x}}y}"},
		{"{braced}", "{{braced}}}"},
		{" lead", "{ lead}"},
		{"k=v", "{k=v}"},
	}
	for _, tt := range tests {
		if got := QuoteValue(tt.in); got != tt.want {
			t.Errorf("QuoteValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBuildConnString(t *testing.T) {
	got := BuildConnString([]Attr{{"Driver", "MariaDB Unicode"}, {"Server", "h"}, {"PWD", "p;w}d"}, {"Database", ""}})
	want := "Driver={MariaDB Unicode};Server=h;PWD={p;w}}d};Database=;"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLookupIsCaseInsensitiveAndLastWins(t *testing.T) {
	attrs, _ := ParseConnString("driver={A};DRIVER={B};Server=s")
	if v, ok := Lookup(attrs, "Driver"); !ok || v != "B" {
		t.Errorf("Lookup = %q, %v", v, ok)
	}
	if _, ok := Lookup(attrs, "DSN"); ok {
		t.Error("DSN found")
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Driver={X};UID=u;PWD=secret;", "Driver={X};UID=u;PWD=***;"},
		{"Password={a;b};Server=h", "Password=***;Server=h;"},
		{"Password=;", "Password=;"},
		{"PWD={broken", "<unparsable connection string>"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzConnString(f *testing.F) {
	for _, s := range []string{"Driver={A B};Server=h;", "PWD={a;b}}c}", "x=1;;y = 2 ", "A={"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		attrs, err := ParseConnString(s)
		if err != nil {
			return
		}
		// Building and parsing again gives the same pairs.
		again, err := ParseConnString(BuildConnString(attrs))
		if err != nil {
			t.Fatalf("reparse of %q: %v", BuildConnString(attrs), err)
		}
		if len(attrs) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(attrs, again) {
			t.Fatalf("%q: %q != %q", s, attrs, again)
		}
	})
}
