package jdbcurl

import (
	"net/url"
	"strconv"
	"strings"
)

var mssqlIgnored = lowerSet(`sendStringParametersAsUnicode selectMethod responseBuffering lastUpdateCount
multiSubnetFailover transparentNetworkIPResolution sendTimeAsDatetime socketTimeout queryTimeout
cancelQueryTimeout disableStatementPooling statementPoolingCacheSize enablePrepareOnFirstPreparedStatementCall
serverPreparedStatementDiscardThreshold useBulkCopyForBatchInsert xopenStates trustStore trustStorePassword
trustStoreType sslProtocol fips fipsProvider useFmtOnly delayLoadingLobs sendTemporalDataTypesAsStringForBulkCopy
columnEncryptionSetting keyStoreAuthentication keyStoreLocation keyStoreSecret prepareMethod calcBigDecimalPrecision
maxResultBuffer connectRetryCount connectRetryInterval`)

// parseSQLServerProps splits ";a=b;c={x;y}" into properties; values in
// braces may contain semicolons, "}}" is a literal brace.
func parseSQLServerProps(s string) ([]param, error) {
	var out []param
	for len(s) > 0 {
		if s[0] == ';' {
			s = s[1:]
			continue
		}
		eq := strings.IndexByte(s, '=')
		semi := strings.IndexByte(s, ';')
		if eq < 0 || (semi >= 0 && semi < eq) {
			end := semi
			if end < 0 {
				end = len(s)
			}
			return nil, errf("property", "%q has no '=' (expected ;name=value)", strings.TrimSpace(s[:end]))
		}
		key := strings.TrimSpace(s[:eq])
		if key == "" {
			return nil, errf("property", "empty property name")
		}
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(strings.TrimLeft(s, " "), "{") {
			s = strings.TrimLeft(s, " ")[1:]
			var b strings.Builder
			closed := false
			for len(s) > 0 {
				if s[0] == '}' {
					if len(s) > 1 && s[1] == '}' {
						b.WriteByte('}')
						s = s[2:]
						continue
					}
					s = s[1:]
					closed = true
					break
				}
				b.WriteByte(s[0])
				s = s[1:]
			}
			if !closed {
				return nil, errf("property "+key, "value opened with '{' is not closed")
			}
			val = b.String()
			rest := strings.TrimLeft(s, " ")
			if rest != "" && rest[0] != ';' {
				return nil, errf("property "+key, "unexpected text after the closing '}'")
			}
			s = rest
		} else {
			end := strings.IndexByte(s, ';')
			if end < 0 {
				end = len(s)
			}
			val = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		out = append(out, param{key, val})
	}
	return out, nil
}

func parseSQLServer(raw string, isJDBC bool, o Options) (*Config, error) {
	if !isJDBC {
		return parseSQLServerNative(raw, o)
	}
	sub, rest, err := jdbcSubprotocol(raw)
	if err != nil {
		return nil, err
	}
	if err := wantSub(sub, "sqlserver", "jtds"); err != nil {
		return nil, err
	}
	if sub == "jtds" {
		// jdbc:jtds:sqlserver://host:port/db;prop=value
		if !strings.HasPrefix(strings.ToLower(rest), "sqlserver:") {
			return nil, errf("scheme", "only jdbc:jtds:sqlserver: is supported")
		}
		rest = rest[len("sqlserver:"):]
	}
	if !strings.HasPrefix(rest, "//") {
		return nil, errf("authority", "expected // after jdbc:sqlserver:")
	}
	rest = rest[2:]
	server, props, _ := strings.Cut(rest, ";")
	c := &Config{}
	var instance, db string
	if sub == "jtds" {
		var path string
		server, path, _ = strings.Cut(server, "/")
		db = path
	}
	if server != "" {
		hostInst, port := server, ""
		if i := strings.LastIndexByte(server, ':'); i >= 0 && !strings.HasSuffix(server, "]") {
			hostInst = server[:i]
			if port, err = checkPort(server[i+1:]); err != nil {
				return nil, err
			}
		}
		h, inst, _ := strings.Cut(hostInst, `\`)
		if err := checkHost(h); err != nil {
			return nil, err
		}
		c.Host, c.Port, instance = strings.Trim(h, "[]"), port, inst
	}
	params, err := parseSQLServerProps(props)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range params {
		part := "property " + p.Key
		switch strings.ToLower(p.Key) {
		case "databasename", "database":
			db = p.Value
		case "user", "username", "userid", "user id":
			c.User = p.Value
		case "password":
			c.Password = p.Value
		case "servername", "server":
			c.Host = p.Value
		case "instancename":
			instance = p.Value
		case "portnumber", "port":
			if c.Port, err = checkPort(p.Value); err != nil {
				return nil, errf(part, "%q is not a port number", p.Value)
			}
		case "encrypt":
			switch strings.ToLower(p.Value) {
			case "true", "mandatory", "yes":
				q.Set("encrypt", "true")
			case "false", "optional", "no":
				q.Set("encrypt", "false")
			case "strict":
				q.Set("encrypt", "strict")
			default:
				return nil, errf(part, "%q is not true, false or strict", p.Value)
			}
		case "trustservercertificate":
			b, err := parseBool(part, p.Value)
			if err != nil {
				return nil, err
			}
			q.Set("TrustServerCertificate", strconv.FormatBool(b))
		case "hostnameincertificate":
			q.Set("hostNameInCertificate", p.Value)
		case "servercertificate":
			q.Set("serverCertificate", p.Value)
		case "logintimeout":
			if _, err := parseInt(part, p.Value); err != nil {
				return nil, err
			}
			q.Set("dial timeout", p.Value)
			q.Set("connection timeout", p.Value)
		case "locktimeout":
			// Milliseconds a statement waits for a lock (-1, the default:
			// for ever); go-mssqldb has no such setting, so each session
			// runs SET LOCK_TIMEOUT.
			if strings.TrimSpace(p.Value) == "-1" {
				continue
			}
			n, err := parseInt(part, p.Value)
			if err != nil {
				return nil, err
			}
			c.SessionSQL = append(c.SessionSQL, "SET LOCK_TIMEOUT "+strconv.Itoa(n))
		case "applicationname":
			q.Set("app name", p.Value)
		case "workstationid":
			q.Set("workstation id", p.Value)
		case "packetsize":
			if _, err := parseInt(part, p.Value); err != nil {
				return nil, err
			}
			q.Set("packet size", p.Value)
		case "applicationintent":
			q.Set("ApplicationIntent", p.Value)
		case "failoverpartner":
			q.Set("failoverpartner", p.Value)
		case "integratedsecurity":
			b, err := parseBool(part, p.Value)
			if err != nil {
				return nil, err
			}
			if b {
				return nil, errf(part, "Windows integrated security is not supported; use username and password")
			}
		case "authentication":
			if !strings.EqualFold(p.Value, "SqlPassword") && !strings.EqualFold(p.Value, "NotSpecified") {
				return nil, errf(part, "%q is not supported; use SqlPassword (username and password)", p.Value)
			}
		default:
			if mssqlIgnored[strings.ToLower(p.Key)] {
				c.Ignored = append(c.Ignored, p.Key)
				continue
			}
			return nil, errf(part, "unknown SQL Server JDBC property")
		}
	}
	if c.Host == "" {
		c.Host = "localhost"
	}
	c.Database = db
	override(c, o)
	if db != "" {
		q.Set("database", db)
	}
	u := url.URL{Scheme: "sqlserver", Host: c.Host}
	if c.Port != "" {
		u.Host = joinHostPort(c.Host, c.Port)
	} else if instance == "" {
		c.Port = "1433"
	}
	if instance != "" {
		u.Path = "/" + instance
	}
	if c.User != "" {
		u.User = url.UserPassword(c.User, c.Password)
	}
	u.RawQuery = q.Encode()
	c.DSN = u.String()
	return c, nil
}

func parseSQLServerNative(raw string, o Options) (*Config, error) {
	low := strings.ToLower(raw)
	if strings.HasPrefix(low, "sqlserver://") {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, errf("url", "malformed sqlserver:// URL")
		}
		c := &Config{Host: u.Hostname(), Port: u.Port(), Database: u.Query().Get("database")}
		if u.User != nil {
			c.User = u.User.Username()
			c.Password, _ = u.User.Password()
		}
		override(c, o)
		if c.User != "" {
			u.User = url.UserPassword(c.User, c.Password)
		}
		c.DSN = u.String()
		return c, nil
	}
	if !strings.Contains(raw, "=") {
		return nil, errf("url", "not a JDBC URL (jdbc:sqlserver://host:port;databaseName=db) nor a go-mssqldb DSN (sqlserver://... or server=...;user id=...)")
	}
	// ADO style: later keys win in go-mssqldb, so overrides are appended.
	params, err := parseSQLServerProps(raw)
	if err != nil {
		return nil, err
	}
	c := &Config{}
	for _, p := range params {
		switch strings.ToLower(p.Key) {
		case "server", "data source", "address", "addr", "network address":
			c.Host = p.Value
		case "port":
			c.Port = p.Value
		case "database", "initial catalog":
			c.Database = p.Value
		case "user id", "uid", "user":
			c.User = p.Value
		case "password", "pwd":
			c.Password = p.Value
		}
	}
	override(c, o)
	c.DSN = strings.TrimRight(raw, "; ") + credentialPairs(o, ";user id=", ";password=", adoQuote)
	return c, nil
}

// adoQuote quotes a value for go-mssqldb's ADO format: double quotes,
// doubled inside.
func adoQuote(s string) string {
	if strings.ContainsAny(s, ";\"= '") || strings.TrimSpace(s) != s {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
