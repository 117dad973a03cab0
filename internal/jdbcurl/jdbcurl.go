// Package jdbcurl turns the connection strings users copy from Kestra flows
// (JDBC URLs such as jdbc:mysql://h:3306/db?useSSL=false or
// jdbc:sqlserver://h:1433;databaseName=d) and the Go drivers' own DSNs into
// the DSN of the database/sql driver sluice uses for each dialect.
//
// JDBC URLs carry many driver-specific knobs. The ones with a Go equivalent
// are translated (useSSL → tls, connectTimeout → timeout, databaseName →
// database, ...); the ones without are listed in Config.Ignored so the task
// can log them, never passed on blindly (the MySQL driver would turn an
// unknown parameter into a SET statement that the server rejects).
//
// Passwords never appear in errors: an Error names the part of the URL that
// is wrong and quotes only that part, and Config.Redacted is the form to log.
package jdbcurl

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Options are the task properties that complete or override the URL.
type Options struct {
	// Username and Password override the URL's user and password.
	Username, Password string
	// ODBCDriver is the ODBC driver name for Vectorwise ("Ingres" when empty).
	ODBCDriver string
}

// Config is a parsed connection.
type Config struct {
	// Dialect and Driver (the database/sql driver name) are set by the
	// dialect whose parser made the Config.
	Dialect string
	Driver  string
	// DSN is what sql.Open(Driver, DSN) takes. It contains the password:
	// never log it, log Redacted.
	DSN      string
	Host     string
	Port     string
	Database string
	User     string
	Password string
	// TimeZone is a session time zone the URL asked for (serverTimezone,
	// connectionTimeZone), empty when none.
	TimeZone string
	// Ignored lists JDBC properties that have no meaning for the Go driver.
	Ignored []string
	// SessionSQL are statements every new session runs for URL properties
	// the Go driver has no setting for (SQL Server lockTimeout).
	SessionSQL []string
}

// Redacted is the DSN with the password replaced, safe to log.
func (c *Config) Redacted() string {
	if c.Password == "" {
		return c.DSN
	}
	return strings.ReplaceAll(c.DSN, c.Password, "******")
}

// Error is a malformed connection string. Part names what is wrong ("port",
// "scheme", "property useSSL", ...); the message never contains the password.
type Error struct {
	Part string
	Msg  string
}

func (e *Error) Error() string { return "connection url: " + e.Part + ": " + e.Msg }

func errf(part, format string, args ...any) error {
	return &Error{Part: part, Msg: fmt.Sprintf(format, args...)}
}

// Each dialect's URL syntax has its parser here (ParseMySQL, ParsePostgres,
// ParseSQLServer, ParseSQLite, ParseVectorwise); the dialect (package
// batch/dialect) picks its parser and fills in Config.Dialect and
// Config.Driver. A parser takes a JDBC URL or the Go driver's native DSN.

// prepare trims raw and tells whether it is a JDBC URL.
func prepare(raw string) (string, bool, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", false, errf("url", "empty")
	}
	return raw, strings.HasPrefix(strings.ToLower(raw), "jdbc:"), nil
}

// ParseMySQL parses a jdbc:mysql: or jdbc:mariadb: URL or a
// go-sql-driver/mysql DSN.
func ParseMySQL(raw string, o Options) (*Config, error) {
	raw, isJDBC, err := prepare(raw)
	if err != nil {
		return nil, err
	}
	return parseMySQL(raw, isJDBC, o)
}

// ParsePostgres parses a jdbc:postgresql: URL, a postgres:// URL or a
// libpq keyword string.
func ParsePostgres(raw string, o Options) (*Config, error) {
	raw, isJDBC, err := prepare(raw)
	if err != nil {
		return nil, err
	}
	return parsePostgres(raw, isJDBC, o)
}

// ParseSQLServer parses a jdbc:sqlserver: (or jTDS) URL or a go-mssqldb DSN.
func ParseSQLServer(raw string, o Options) (*Config, error) {
	raw, isJDBC, err := prepare(raw)
	if err != nil {
		return nil, err
	}
	return parseSQLServer(raw, isJDBC, o)
}

// ParseSQLite parses jdbc:sqlite:PATH or a file name.
func ParseSQLite(raw string, _ Options) (*Config, error) {
	raw, isJDBC, err := prepare(raw)
	if err != nil {
		return nil, err
	}
	return parseSQLite(raw, isJDBC)
}

// ParseVectorwise parses a jdbc:vectorwise: / jdbc:ingres: URL or an ODBC
// connection string into an ODBC connection string.
func ParseVectorwise(raw string, o Options) (*Config, error) {
	raw, isJDBC, err := prepare(raw)
	if err != nil {
		return nil, err
	}
	return parseVectorwise(raw, isJDBC, o)
}

// jdbcSubprotocol splits "jdbc:mysql://rest" into "mysql" and "//rest".
func jdbcSubprotocol(raw string) (sub, rest string, err error) {
	s := raw[len("jdbc:"):]
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return "", "", errf("scheme", "expected jdbc:<subprotocol>:..., got no subprotocol")
	}
	return strings.ToLower(s[:i]), s[i+1:], nil
}

func wantSub(sub string, allowed ...string) error {
	for _, a := range allowed {
		if sub == a {
			return nil
		}
	}
	return errf("scheme", "jdbc:%s: is not a URL for this task (expected jdbc:%s:)", sub, allowed[0])
}

// hostPort splits "host:port", "[v6]:port", "host" and validates the port.
func hostPort(s, defPort string) (host, port string, err error) {
	if s == "" {
		return "", defPort, nil
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", errf("host", "unterminated IPv6 address %q", s)
		}
		host, rest := s[1:end], s[end+1:]
		if rest == "" {
			return host, defPort, nil
		}
		if rest[0] != ':' {
			return "", "", errf("host", "unexpected %q after IPv6 address", rest)
		}
		port, err := checkPort(rest[1:])
		return host, port, err
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if strings.Count(s, ":") > 1 {
			return "", "", errf("host", "IPv6 address %q must be written in brackets", s)
		}
		port, err := checkPort(s[i+1:])
		if err != nil {
			return "", "", err
		}
		if s[:i] == "" {
			return "", "", errf("host", "empty host before port %s", port)
		}
		return s[:i], port, nil
	}
	if err := checkHost(s); err != nil {
		return "", "", err
	}
	return s, defPort, nil
}

func checkPort(p string) (string, error) {
	if p == "" {
		return "", errf("port", "empty port after ':'")
	}
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		return "", errf("port", "%q is not a port number (1-65535)", p)
	}
	return p, nil
}

func checkHost(h string) error {
	if strings.ContainsAny(h, " /?#@;\\\t\n") {
		return errf("host", "%q is not a host name", h)
	}
	return nil
}

// UserInfoPassword returns the password of any URL-shaped value
// (scheme://user:password@host/..., a DSN in a Singer config, a broker
// URL) as written and percent-decoded, for a caller to register as
// secrets; ok is false when there is none. It reads the user information
// as the JDBC URL parser does, generously: up to the last '@' before any
// query, so that a password with an unencoded '/' or '@' is still found
// whole.
func UserInfoPassword(s string) (raw, decoded string, ok bool) {
	_, rest, found := strings.Cut(s, "://")
	if !found {
		return "", "", false
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	i := strings.LastIndexByte(rest, '@')
	if i < 0 {
		return "", "", false
	}
	_, raw, found = strings.Cut(rest[:i], ":")
	if !found || raw == "" {
		return "", "", false
	}
	decoded = raw
	if _, p, _, err := splitUserInfo(rest[:i+1]); err == nil {
		decoded = p
	}
	return raw, decoded, true
}

// splitUserInfo cuts "user:pass@" off an authority.
func splitUserInfo(auth string) (user, pass, rest string, err error) {
	i := strings.LastIndexByte(auth, '@')
	if i < 0 {
		return "", "", auth, nil
	}
	ui := auth[:i]
	u, p, _ := strings.Cut(ui, ":")
	if user, err = url.PathUnescape(u); err != nil {
		return "", "", "", errf("user", "bad percent-encoding in the user name")
	}
	if pass, err = url.PathUnescape(p); err != nil {
		return "", "", "", errf("password", "bad percent-encoding in the password")
	}
	return user, pass, auth[i+1:], nil
}

// queryParams parses "a=1&b=2" keeping order; keys are returned as written.
type param struct{ Key, Value string }

func parseQuery(q string) ([]param, error) {
	var out []param
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		uk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, errf("property", "bad percent-encoding in property name %q", k)
		}
		uv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, errf("property "+uk, "bad percent-encoding in its value")
		}
		if uk == "" {
			return nil, errf("property", "empty property name")
		}
		out = append(out, param{uk, uv})
	}
	return out, nil
}

func parseBool(part, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1", "on":
		return true, nil
	case "false", "no", "0", "off":
		return false, nil
	}
	return false, errf(part, "%q is not true or false", v)
}

func parseInt(part, v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, errf(part, "%q is not a non-negative integer", v)
	}
	return n, nil
}

// credentialPairs is what a keyword DSN gets appended so that --username
// and --password win over its own (both drivers let a later key win): user
// then password, each as its prefix (separator and key) and quoted value.
func credentialPairs(o Options, userPrefix, passwordPrefix string, quote func(string) string) string {
	var s string
	if o.Username != "" {
		s += userPrefix + quote(o.Username)
	}
	if o.Password != "" {
		s += passwordPrefix + quote(o.Password)
	}
	return s
}

func override(c *Config, o Options) {
	if o.Username != "" {
		c.User = o.Username
	}
	if o.Password != "" {
		c.Password = o.Password
	}
}

func joinHostPort(h, p string) string {
	if p == "" {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return net.JoinHostPort(h, p)
}

// lowerSet builds a set of the lower-cased words of s.
func lowerSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[strings.ToLower(w)] = true
	}
	return m
}
