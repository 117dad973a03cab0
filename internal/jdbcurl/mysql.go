package jdbcurl

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// mysqlIgnored are Connector/J and MariaDB Connector/J properties that have
// no equivalent (or no effect) in go-sql-driver/mysql; they are accepted so
// that URLs copied from Kestra flows work, and reported in Config.Ignored.
var mysqlIgnored = lowerSet(`zeroDateTimeBehavior rewriteBatchedStatements useUnicode autoReconnect allowLoadLocalInfile
allowLocalInfile cachePrepStmts useServerPrepStmts prepStmtCacheSize prepStmtCacheSqlLimit
useLegacyDatetimeCode useJDBCCompliantTimezoneShift noAccessToProcedureBodies useCursorFetch
defaultFetchSize allowPublicKeyRetrieval tinyInt1isBit transformedBitIsBoolean
trustCertificateKeyStoreUrl trustCertificateKeyStorePassword clientCertificateKeyStoreUrl
clientCertificateKeyStorePassword enabledTLSProtocols maxReconnects initialTimeout failOverReadOnly
autoDeserialize useAffectedRows cacheResultSetMetadata cacheServerConfiguration elideSetAutoCommits
useLocalSessionState useLocalTransactionState maintainTimeStats yearIsDateType padCharsWithSpace
useOldAliasMetadataBehavior nullDatabaseMeansCurrent nullCatalogMeansCurrent serverRSAPublicKeyFile
permitMysqlScheme pool maxPoolSize minPoolSize dumpQueriesOnException logger profileSQL`)

func parseMySQL(raw string, isJDBC bool, o Options) (*Config, error) {
	if !isJDBC && !strings.HasPrefix(strings.ToLower(raw), "mysql://") && !strings.HasPrefix(strings.ToLower(raw), "mariadb://") {
		return parseMySQLNative(raw, o)
	}
	rest := raw
	if isJDBC {
		sub, r, err := jdbcSubprotocol(raw)
		if err != nil {
			return nil, err
		}
		if err := wantSub(sub, "mysql", "mariadb"); err != nil {
			return nil, err
		}
		rest = r
	} else {
		_, rest, _ = strings.Cut(raw, ":")
	}
	if !strings.HasPrefix(rest, "//") {
		return nil, errf("authority", "expected // after the scheme (jdbc:mysql://host:port/database)")
	}
	rest = rest[2:]
	var query string
	rest, query, _ = strings.Cut(rest, "?")
	auth, path, _ := strings.Cut(rest, "/")
	user, pass, hostpart, err := splitUserInfo(auth)
	if err != nil {
		return nil, err
	}
	if strings.Contains(hostpart, ",") {
		return nil, errf("host", "several hosts (%s) are not supported: name one server", hostpart)
	}
	host, port, err := hostPort(hostpart, "3306")
	if err != nil {
		return nil, err
	}
	if host == "" {
		host = "localhost"
	}
	if strings.ContainsAny(path, "/;") {
		return nil, errf("database", "%q is not a database name", path)
	}
	params, err := parseQuery(query)
	if err != nil {
		return nil, err
	}

	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = joinHostPort(host, port)
	cfg.DBName = path
	c := &Config{Host: host, Port: port, Database: path, User: user, Password: pass}
	useSSL, verify := "", true
	for _, p := range params {
		k := strings.ToLower(p.Key)
		part := "property " + p.Key
		switch k {
		case "user":
			c.User = p.Value
		case "password":
			c.Password = p.Value
		case "usessl", "requiressl":
			b, err := parseBool(part, p.Value)
			if err != nil {
				return nil, err
			}
			if b {
				useSSL = "true"
			} else if useSSL == "" {
				useSSL = "false"
			}
		case "verifyservercertificate":
			b, err := parseBool(part, p.Value)
			if err != nil {
				return nil, err
			}
			verify = b
		case "sslmode":
			switch strings.ToUpper(p.Value) {
			case "DISABLED":
				useSSL = "false"
			case "PREFERRED":
				useSSL = "preferred"
			case "REQUIRED":
				useSSL, verify = "true", false
			case "VERIFY_CA", "VERIFY_IDENTITY":
				useSSL, verify = "true", true
			default:
				return nil, errf(part, "%q is not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY", p.Value)
			}
		case "connecttimeout":
			n, err := parseInt(part, p.Value)
			if err != nil {
				return nil, err
			}
			cfg.Timeout = time.Duration(n) * time.Millisecond
		case "sockettimeout":
			n, err := parseInt(part, p.Value)
			if err != nil {
				return nil, err
			}
			cfg.ReadTimeout = time.Duration(n) * time.Millisecond
			cfg.WriteTimeout = cfg.ReadTimeout
		case "characterencoding":
			cs := strings.ToLower(strings.ReplaceAll(p.Value, "-", ""))
			if cs == "utf8" {
				cs = "utf8mb4"
			}
			cfg.Params = setParam(cfg.Params, "charset", cs)
		case "servertimezone", "connectiontimezone":
			c.TimeZone = p.Value
		case "allowmultiqueries":
			b, err := parseBool(part, p.Value)
			if err != nil {
				return nil, err
			}
			cfg.MultiStatements = b
		case "sessionvariables":
			for _, kv := range strings.Split(p.Value, ",") {
				name, val, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(name) == "" {
					return nil, errf(part, "expected name=value pairs separated by commas")
				}
				cfg.Params = setParam(cfg.Params, strings.TrimSpace(name), strings.TrimSpace(val))
			}
		case "usecompression":
			b, err := parseBool(part, p.Value)
			if err != nil {
				return nil, err
			}
			cfg.Params = setParam(cfg.Params, "compress", strconv.FormatBool(b))
		default:
			if mysqlIgnored[k] {
				c.Ignored = append(c.Ignored, p.Key)
				continue
			}
			// Native go-sql-driver parameter names are accepted as they are,
			// so a JDBC URL can carry tls=skip-verify or time_zone.
			if err := applyMySQLNative(cfg, p.Key, p.Value); err != nil {
				return nil, err
			}
		}
	}
	if useSSL == "true" && !verify {
		useSSL = "skip-verify"
	}
	if useSSL != "" {
		cfg.TLSConfig = useSSL
	}
	override(c, o)
	cfg.User, cfg.Passwd = c.User, c.Password
	return finishMySQL(c, cfg)
}

func setParam(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// applyMySQLNative applies a go-sql-driver DSN parameter by letting the
// driver parse a one-parameter DSN, so its own validation applies.
func applyMySQLNative(cfg *mysql.Config, k, v string) error {
	probe, err := mysql.ParseDSN("/?" + urlQueryEscape(k) + "=" + urlQueryEscape(v))
	if err != nil {
		return errf("property "+k, "%s", strings.TrimPrefix(err.Error(), "invalid DSN: "))
	}
	// Copy what the probe changed from its defaults.
	def := mysql.NewConfig()
	if probe.TLSConfig != def.TLSConfig {
		cfg.TLSConfig = probe.TLSConfig
	}
	if probe.Timeout != def.Timeout {
		cfg.Timeout = probe.Timeout
	}
	if probe.ReadTimeout != def.ReadTimeout {
		cfg.ReadTimeout = probe.ReadTimeout
	}
	if probe.WriteTimeout != def.WriteTimeout {
		cfg.WriteTimeout = probe.WriteTimeout
	}
	if probe.Collation != def.Collation {
		cfg.Collation = probe.Collation
	}
	if probe.MultiStatements {
		cfg.MultiStatements = true
	}
	if probe.ClientFoundRows {
		cfg.ClientFoundRows = true
	}
	if probe.AllowCleartextPasswords {
		cfg.AllowCleartextPasswords = true
	}
	if probe.ParseTime {
		cfg.ParseTime = true
	}
	if probe.Loc != def.Loc {
		cfg.Loc = probe.Loc
	}
	if probe.MaxAllowedPacket != def.MaxAllowedPacket {
		cfg.MaxAllowedPacket = probe.MaxAllowedPacket
	}
	for pk, pv := range probe.Params {
		cfg.Params = setParam(cfg.Params, pk, pv)
	}
	return nil
}

func urlQueryEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "=", "%3D", "+", "%2B", " ", "%20", "#", "%23")
	return r.Replace(s)
}

func parseMySQLNative(raw string, o Options) (*Config, error) {
	if !strings.Contains(raw, "/") {
		return nil, errf("url", "not a JDBC URL (jdbc:mysql://host:port/db) nor a go-sql-driver DSN (user:pass@tcp(host:port)/db)")
	}
	cfg, err := mysql.ParseDSN(raw)
	if err != nil {
		msg := err.Error()
		// The driver's messages can echo the DSN; keep only the reason.
		if i := strings.Index(msg, ":"); i >= 0 && strings.Contains(msg, raw) {
			msg = msg[:i]
		}
		return nil, errf("dsn", "%s", msg)
	}
	host, port := cfg.Addr, ""
	if h, p, err := splitAddr(cfg.Addr); err == nil {
		host, port = h, p
	}
	c := &Config{Host: host, Port: port, Database: cfg.DBName, User: cfg.User, Password: cfg.Passwd}
	override(c, o)
	cfg.User, cfg.Passwd = c.User, c.Password
	return finishMySQL(c, cfg)
}

func splitAddr(a string) (string, string, error) {
	h, p, ok := strings.Cut(a, ":")
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return a, "", errf("host", "bad address")
		}
		h = a[1:end]
		p = strings.TrimPrefix(a[end+1:], ":")
		return h, p, nil
	}
	if !ok {
		return a, "", nil
	}
	return h, p, nil
}

func finishMySQL(c *Config, cfg *mysql.Config) (*Config, error) {
	// sluice parses temporal text itself (exact, µs) and reads
	// max_allowed_packet from the server for its multi-row INSERTs.
	cfg.MaxAllowedPacket = 0
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil && !isOffset(c.TimeZone) {
			return nil, errf("property serverTimezone", "%q is not a time zone", c.TimeZone)
		}
	}
	c.DSN = cfg.FormatDSN()
	return c, nil
}

func isOffset(s string) bool {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return false
	}
	for _, i := range []int{1, 2, 4, 5} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
