package jdbcurl

import (
	"net/url"
	"strings"
)

// sqlitePragmas are sqlite-jdbc (xerial) properties that are PRAGMAs; they
// become modernc.org/sqlite _pragma parameters.
var sqlitePragmas = lowerSet(`journal_mode synchronous foreign_keys busy_timeout cache_size page_size
locking_mode temp_store case_sensitive_like recursive_triggers auto_vacuum`)

// parseSQLite accepts jdbc:sqlite:PATH[?props], jdbc:sqlite::memory:, and
// native modernc DSNs (a path or file: URI with optional ?_pragma=...).
func parseSQLite(raw string, isJDBC bool) (*Config, error) {
	s := raw
	if isJDBC {
		sub, rest, err := jdbcSubprotocol(raw)
		if err != nil {
			return nil, err
		}
		if err := wantSub(sub, "sqlite"); err != nil {
			return nil, err
		}
		s = rest
	} else if strings.HasPrefix(strings.ToLower(s), "sqlite://") {
		s = s[len("sqlite://"):]
	} else if strings.HasPrefix(strings.ToLower(s), "sqlite:") {
		s = s[len("sqlite:"):]
	}
	path, query, _ := strings.Cut(s, "?")
	if path == "" {
		return nil, errf("path", "missing database file (jdbc:sqlite:/path/to/file.db or jdbc:sqlite::memory:)")
	}
	if strings.ContainsRune(path, 0) {
		return nil, errf("path", "contains a NUL byte")
	}
	c := &Config{Database: path}
	q := url.Values{}
	if query != "" {
		if strings.ContainsAny(query, ";") {
			return nil, errf("query", "malformed parameters after '?'")
		}
		params, err := parseQuery(query)
		if err != nil {
			return nil, err
		}
		for _, p := range params {
			k, v := p.Key, p.Value
			lk := strings.ToLower(k)
			switch {
			case strings.HasPrefix(k, "_") || k == "vfs" || k == "mode" || k == "cache" || k == "immutable":
				q.Add(k, v)
			case sqlitePragmas[lk]:
				if !pragmaValueOK(v) {
					return nil, errf("property "+k, "%q is not a PRAGMA value", v)
				}
				q.Add("_pragma", lk+"("+v+")")
			default:
				c.Ignored = append(c.Ignored, k)
			}
		}
	}
	hasBusy := false
	for _, p := range q["_pragma"] {
		if strings.HasPrefix(strings.ToLower(p), "busy_timeout") {
			hasBusy = true
		}
	}
	if !hasBusy && q.Get("_busy_timeout") == "" && q.Get("_timeout") == "" {
		// Another process (or the state store) may hold the write lock
		// for a moment; wait instead of failing with SQLITE_BUSY.
		q.Add("_pragma", "busy_timeout(10000)")
	}
	dsn := path
	if enc := q.Encode(); enc != "" {
		dsn += "?" + enc
	}
	c.DSN = dsn
	return c, nil
}

func pragmaValueOK(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
