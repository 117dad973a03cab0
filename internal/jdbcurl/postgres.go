package jdbcurl

import (
	"net/url"
	"strings"
)

var pgIgnored = lowerSet(`prepareThreshold preparedStatementCacheQueries preparedStatementCacheSizeMiB
defaultRowFetchSize reWriteBatchedInserts stringtype binaryTransfer binaryTransferEnable binaryTransferDisable
preferQueryMode assumeMinServerVersion loggerLevel loggerFile logUnclosedConnections socketTimeout
cancelSignalTimeout tcpKeepAlive readOnly readOnlyMode autosave cleanupSavepoints disableColumnSanitiser
hostRecheckSeconds loadBalanceHosts sslfactory sslfactoryarg sslhostnameverifier sslpasswordcallback
allowEncodingChanges logServerErrorDetail quoteReturningIdentifiers receiveBufferSize sendBufferSize
unknownLength gssEncMode kerberosServerName jaasApplicationName jaasLogin useSpnego gsslib sspiServiceClass
escapeSyntaxCallMode groupStartupParameters`)

func parsePostgres(raw string, isJDBC bool, o Options) (*Config, error) {
	if !isJDBC {
		return parsePostgresNative(raw, o)
	}
	sub, rest, err := jdbcSubprotocol(raw)
	if err != nil {
		return nil, err
	}
	if err := wantSub(sub, "postgresql", "postgres", "pgsql"); err != nil {
		return nil, err
	}
	rest, query, _ := strings.Cut(rest, "?")
	c := &Config{}
	var hosts []string
	if strings.HasPrefix(rest, "//") {
		auth, db, _ := strings.Cut(rest[2:], "/")
		user, pass, hostlist, err := splitUserInfo(auth)
		if err != nil {
			return nil, err
		}
		c.User, c.Password = user, pass
		for _, hp := range strings.Split(hostlist, ",") {
			h, p, err := hostPort(hp, "5432")
			if err != nil {
				return nil, err
			}
			if h == "" {
				if hostlist != "" {
					return nil, errf("host", "empty host in %q", hostlist)
				}
				h = "localhost"
			}
			if c.Host == "" {
				c.Host, c.Port = h, p
			}
			hosts = append(hosts, joinHostPort(h, p))
		}
		c.Database = db
	} else {
		// jdbc:postgresql:database and jdbc:postgresql:/ name a local server.
		c.Host, c.Port = "localhost", "5432"
		hosts = []string{"localhost:5432"}
		c.Database = strings.TrimPrefix(rest, "/")
	}
	if strings.ContainsAny(c.Database, "/;") {
		return nil, errf("database", "%q is not a database name", c.Database)
	}
	if db, err := url.PathUnescape(c.Database); err == nil {
		c.Database = db
	} else {
		return nil, errf("database", "bad percent-encoding in %q", c.Database)
	}
	params, err := parseQuery(query)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range params {
		part := "property " + p.Key
		switch strings.ToLower(p.Key) {
		case "user":
			c.User = p.Value
		case "password":
			c.Password = p.Value
		case "ssl":
			b, err := parseBool(part, p.Value)
			if err != nil {
				return nil, err
			}
			if q.Get("sslmode") == "" {
				// pgjdbc: ssl=true without sslmode verifies the server
				// fully; ssl=false disables TLS.
				if b {
					q.Set("sslmode", "verify-full")
				} else {
					q.Set("sslmode", "disable")
				}
			}
		case "sslmode":
			switch p.Value {
			case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
				q.Set("sslmode", p.Value)
			default:
				return nil, errf(part, "%q is not one of disable, allow, prefer, require, verify-ca, verify-full", p.Value)
			}
		case "sslcert", "sslkey", "sslrootcert", "sslpassword":
			q.Set(strings.ToLower(p.Key), p.Value)
		case "currentschema":
			q.Set("search_path", p.Value)
		case "applicationname":
			q.Set("application_name", p.Value)
		case "connecttimeout", "logintimeout":
			if _, err := parseInt(part, p.Value); err != nil {
				return nil, err
			}
			q.Set("connect_timeout", p.Value)
		case "options":
			q.Set("options", p.Value)
		case "targetservertype":
			switch strings.ToLower(p.Value) {
			case "any":
			case "primary", "master":
				q.Set("target_session_attrs", "read-write")
			case "secondary", "slave":
				q.Set("target_session_attrs", "standby")
			case "preferprimary", "prefersecondary", "preferslave":
				q.Set("target_session_attrs", "prefer-standby")
			default:
				return nil, errf(part, "%q is not a target server type", p.Value)
			}
		default:
			if pgIgnored[strings.ToLower(p.Key)] {
				c.Ignored = append(c.Ignored, p.Key)
				continue
			}
			// libpq/pgx parameter names (search_path, sslmode, ...) pass.
			if strings.Contains(p.Key, "_") || isLower(p.Key) {
				q.Set(p.Key, p.Value)
				continue
			}
			c.Ignored = append(c.Ignored, p.Key)
		}
	}
	override(c, o)
	var b strings.Builder
	b.WriteString("postgres://")
	writeUserInfo(&b, c)
	b.WriteString(strings.Join(hosts, ","))
	b.WriteByte('/')
	b.WriteString(url.PathEscape(c.Database))
	if len(q) > 0 {
		b.WriteByte('?')
		b.WriteString(q.Encode())
	}
	c.DSN = b.String()
	return c, nil
}

// writeUserInfo writes a postgres:// URL's "user:password@" (escaped; none
// without a user).
func writeUserInfo(b *strings.Builder, c *Config) {
	if c.User == "" {
		return
	}
	if c.Password != "" {
		b.WriteString(url.UserPassword(c.User, c.Password).String())
	} else {
		b.WriteString(url.User(c.User).String())
	}
	b.WriteByte('@')
}

func isLower(s string) bool { return strings.ToLower(s) == s }

func parsePostgresNative(raw string, o Options) (*Config, error) {
	low := strings.ToLower(raw)
	if strings.HasPrefix(low, "postgres://") || strings.HasPrefix(low, "postgresql://") {
		// url.Parse rejects several hosts; parse the authority by hand.
		scheme, rest, _ := strings.Cut(raw, "://")
		rest, query, hasQ := strings.Cut(rest, "?")
		auth, db, _ := strings.Cut(rest, "/")
		user, pass, hostlist, err := splitUserInfo(auth)
		if err != nil {
			return nil, err
		}
		c := &Config{User: user, Password: pass, Database: db}
		for _, hp := range strings.Split(hostlist, ",") {
			h, p, err := hostPort(hp, "5432")
			if err != nil {
				return nil, err
			}
			if c.Host == "" {
				c.Host, c.Port = h, p
			}
		}
		if _, err := url.ParseQuery(query); err != nil {
			return nil, errf("query", "malformed parameters")
		}
		override(c, o)
		var b strings.Builder
		b.WriteString(scheme + "://")
		writeUserInfo(&b, c)
		b.WriteString(hostlist)
		b.WriteByte('/')
		b.WriteString(db)
		if hasQ {
			b.WriteByte('?')
			b.WriteString(query)
		}
		c.DSN = b.String()
		return c, nil
	}
	if !strings.Contains(raw, "=") {
		return nil, errf("url", "not a JDBC URL (jdbc:postgresql://host:port/db) nor a PostgreSQL DSN (postgres://... or host=... dbname=...)")
	}
	// keyword=value DSN: later keys win in pgx, so overrides are appended.
	kv, err := parsePGKeywords(raw)
	if err != nil {
		return nil, err
	}
	c := &Config{Host: kv["host"], Port: kv["port"], Database: kv["dbname"], User: kv["user"], Password: kv["password"]}
	override(c, o)
	c.DSN = raw + credentialPairs(o, " user=", " password=", pgQuote)
	return c, nil
}

func pgQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// parsePGKeywords parses libpq's key=value format, enough to find the
// parts sluice reports (host, port, dbname, user, password).
func parsePGKeywords(s string) (map[string]string, error) {
	m := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return m, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, errf("dsn", "expected key=value")
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			s = s[1:]
			closed := false
			for len(s) > 0 {
				c := s[0]
				s = s[1:]
				if c == '\\' && len(s) > 0 {
					val.WriteByte(s[0])
					s = s[1:]
					continue
				}
				if c == '\'' {
					closed = true
					break
				}
				val.WriteByte(c)
			}
			if !closed {
				return nil, errf("dsn "+key, "unterminated quoted value")
			}
		} else {
			end := strings.IndexAny(s, " \t\n\r")
			if end < 0 {
				end = len(s)
			}
			val.WriteString(s[:end])
			s = s[end:]
		}
		m[key] = val.String()
	}
}
