package odbc

import (
	"fmt"
	"strings"
)

// Attr is one keyword=value pair of an ODBC connection string.
type Attr struct {
	Key   string
	Value string
}

// ParseConnString splits an ODBC connection string into its pairs, in order.
// Values may be braced ({a;b}); inside braces "}}" stands for "}". Keys keep
// their spelling; ODBC compares them case-insensitively (see Lookup).
func ParseConnString(s string) ([]Attr, error) {
	var out []Attr
	i := 0
	for i < len(s) {
		// Skip separators and blanks between pairs.
		for i < len(s) && (s[i] == ';' || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		eq := strings.IndexByte(s[i:], '=')
		semi := strings.IndexByte(s[i:], ';')
		if eq < 0 || (semi >= 0 && semi < eq) {
			return nil, fmt.Errorf("odbc: connection string: %q at offset %d has no '='", cut(s[start:], semi), start)
		}
		key := strings.TrimSpace(s[i : i+eq])
		if key == "" {
			return nil, fmt.Errorf("odbc: connection string: empty keyword at offset %d", start)
		}
		i += eq + 1
		// Blanks before a braced value are not part of it.
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		var val string
		if j < len(s) && s[j] == '{' {
			var b strings.Builder
			k := j + 1
			closed := false
			for k < len(s) {
				if s[k] == '}' {
					if k+1 < len(s) && s[k+1] == '}' {
						b.WriteByte('}')
						k += 2
						continue
					}
					closed = true
					k++
					break
				}
				b.WriteByte(s[k])
				k++
			}
			if !closed {
				return nil, fmt.Errorf("odbc: connection string: value of %s starting at offset %d has no closing '}'", key, j)
			}
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if k < len(s) && s[k] != ';' {
				return nil, fmt.Errorf("odbc: connection string: unexpected %q after the braced value of %s at offset %d (expected ';')", s[k], key, k)
			}
			val = b.String()
			i = k
		} else {
			end := strings.IndexByte(s[i:], ';')
			if end < 0 {
				end = len(s) - i
			}
			val = strings.TrimSpace(s[i : i+end])
			i += end
		}
		out = append(out, Attr{Key: key, Value: val})
	}
	return out, nil
}

func cut(s string, n int) string {
	if n >= 0 && n < len(s) {
		return s[:n]
	}
	return s
}

// Lookup returns the last value of key (case-insensitive), as ODBC drivers do
// when a keyword repeats.
func Lookup(attrs []Attr, key string) (string, bool) {
	v, ok := "", false
	for _, a := range attrs {
		if strings.EqualFold(a.Key, key) {
			v, ok = a.Value, true
		}
	}
	return v, ok
}

// QuoteValue returns v ready to follow "key=": braced when it contains a
// character that would end or confuse the value, with "}" doubled.
func QuoteValue(v string) string {
	if v == "" {
		return ""
	}
	if !strings.ContainsAny(v, ";{}=") && strings.TrimSpace(v) == v {
		return v
	}
	return "{" + strings.ReplaceAll(v, "}", "}}") + "}"
}

// BuildConnString joins pairs into a connection string. Driver names are
// always braced, as drivers' names contain blanks and ODBC documents them so.
func BuildConnString(attrs []Attr) string {
	var b strings.Builder
	for _, a := range attrs {
		b.WriteString(a.Key)
		b.WriteByte('=')
		if strings.EqualFold(a.Key, "Driver") && a.Value != "" {
			b.WriteString("{" + strings.ReplaceAll(a.Value, "}", "}}") + "}")
		} else {
			b.WriteString(QuoteValue(a.Value))
		}
		b.WriteByte(';')
	}
	return b.String()
}

// secretKeys are keywords whose values Redact hides.
var secretKeys = []string{"pwd", "password", "pass", "passwd", "authentication", "token", "accesstoken", "secret"}

// Redact returns the connection string with password-like values replaced
// by "***", for logs and error messages. An unparsable string is hidden whole.
func Redact(s string) string {
	attrs, err := ParseConnString(s)
	if err != nil {
		return "<unparsable connection string>"
	}
	for i, a := range attrs {
		for _, k := range secretKeys {
			if strings.EqualFold(a.Key, k) && a.Value != "" {
				attrs[i].Value = "***"
			}
		}
	}
	return BuildConnString(attrs)
}
