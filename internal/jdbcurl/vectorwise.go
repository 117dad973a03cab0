package jdbcurl

import (
	"strconv"
	"strings"
)

// DefaultODBCDriver is the driver name Actian's client installs register
// ("Ingres" always points at the most recent installation; "Ingres VW" at
// installation VW).
const DefaultODBCDriver = "Ingres"

// ingresJDBCToODBC maps Ingres JDBC attributes to Ingres ODBC keywords.
var ingresJDBCToODBC = map[string]string{
	"role": "RoleName", "rolepwd": "RolePWD", "group": "Group", "dbms_user": "", "dbms_pwd": "DBMS_PWD",
	"servertype": "ServerType", "cursor": "", "autocommit": "", "select_loop": "",
	"char_encode": "", "timezone": "", "decimal_char": "", "date_format": "", "money_format": "",
	"money_precision": "", "encrypt": "", "vnode_usage": "", "login_type": "",
}

// parseVectorwise turns jdbc:vectorwise://host:VW7/db or
// jdbc:ingres://host:VW7/db;UID=u;PWD=p into an Ingres ODBC connection
// string using a dynamic vnode (@host,tcp_ip,port), so no vnode or DSN needs
// to be defined on the client. Any other string with '=' is taken as an
// ODBC connection string.
func parseVectorwise(raw string, isJDBC bool, o Options) (*Config, error) {
	driver := o.ODBCDriver
	if driver == "" {
		driver = DefaultODBCDriver
	}
	if !isJDBC {
		if !strings.Contains(raw, "=") {
			return nil, errf("url", "not a JDBC URL (jdbc:vectorwise://host:VW7/db) nor an ODBC connection string (Driver=...;Server=...)")
		}
		kv, err := ParseODBC(raw)
		if err != nil {
			return nil, err
		}
		c := &Config{User: kv.Get("UID"), Password: kv.Get("PWD"), Database: kv.Get("DATABASE")}
		if c.Database == "" {
			c.Database = kv.Get("DB")
		}
		if o.ODBCDriver != "" {
			kv.Set("DRIVER", o.ODBCDriver)
		}
		override(c, o)
		if o.Username != "" {
			kv.Set("UID", c.User)
		}
		if o.Password != "" {
			kv.Set("PWD", c.Password)
		}
		c.Host = kv.Get("SERVER")
		c.DSN = kv.String()
		return c, nil
	}
	sub, rest, err := jdbcSubprotocol(raw)
	if err != nil {
		return nil, err
	}
	if err := wantSub(sub, "vectorwise", "ingres", "actian"); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(rest, "//") {
		return nil, errf("authority", "expected // after jdbc:%s:", sub)
	}
	rest = rest[2:]
	main, attrs, _ := strings.Cut(rest, ";")
	hostport, db, _ := strings.Cut(main, "/")
	c := &Config{Database: db}
	if strings.ContainsAny(db, "/?") {
		return nil, errf("database", "%q is not a database name", db)
	}
	host, port := hostport, "VW7"
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i+1:]
		if !ingresPort(port) {
			return nil, errf("port", "%q is neither a port number nor an Ingres instance code such as VW7 or II7", port)
		}
	}
	if host == "" {
		return nil, errf("host", "missing host (jdbc:vectorwise://host:VW7/db)")
	}
	if err := checkHost(host); err != nil {
		return nil, err
	}
	if db == "" {
		return nil, errf("database", "missing database name (jdbc:vectorwise://host:VW7/db)")
	}
	c.Host, c.Port = host, port
	kv := &ODBCString{}
	kv.Set("DRIVER", driver)
	kv.Set("SERVERTYPE", "INGRES")
	props, err := parseSQLServerProps(attrs)
	if err != nil {
		return nil, err
	}
	extra := &ODBCString{}
	for _, p := range props {
		lk := strings.ToLower(p.Key)
		switch lk {
		case "uid", "user":
			c.User = p.Value
		case "pwd", "password":
			c.Password = p.Value
		default:
			odbcKey, known := ingresJDBCToODBC[lk]
			if !known || odbcKey == "" {
				c.Ignored = append(c.Ignored, p.Key)
				continue
			}
			extra.Set(odbcKey, p.Value)
		}
	}
	if v := extra.Get("ServerType"); v != "" {
		kv.Set("SERVERTYPE", v)
		extra.Del("ServerType")
	}
	override(c, o)
	kv.Set("SERVER", "@"+host+",tcp_ip,"+port)
	kv.Set("DATABASE", db)
	if c.User != "" {
		kv.Set("UID", c.User)
	}
	if c.Password != "" {
		kv.Set("PWD", c.Password)
	}
	for _, e := range extra.pairs {
		kv.Set(e.Key, e.Value)
	}
	c.DSN = kv.String()
	return c, nil
}

// ingresPort accepts a TCP port or an Ingres listen address: two letters
// (the installation code) optionally followed by a digit 0-7.
func ingresPort(p string) bool {
	if n, err := strconv.Atoi(p); err == nil {
		return n > 0 && n <= 65535
	}
	if len(p) != 2 && len(p) != 3 {
		return false
	}
	isAlpha := func(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }
	isAlnum := func(b byte) bool { return isAlpha(b) || b >= '0' && b <= '9' }
	if !isAlpha(p[0]) || !isAlnum(p[1]) {
		return false
	}
	return len(p) == 2 || p[2] >= '0' && p[2] <= '7'
}

// ODBCString is an ODBC connection string: ordered keyword=value pairs,
// keywords case-insensitive.
type ODBCString struct{ pairs []param }

// ParseODBC parses "Driver={X};Server=h;..." (values in braces may contain
// ';', "}}" is a brace).
func ParseODBC(s string) (*ODBCString, error) {
	ps, err := parseSQLServerProps(s)
	if err != nil {
		return nil, err
	}
	o := &ODBCString{}
	for _, p := range ps {
		o.Set(p.Key, p.Value)
	}
	return o, nil
}

// Get returns the value of keyword k.
func (o *ODBCString) Get(k string) string {
	for _, p := range o.pairs {
		if strings.EqualFold(p.Key, k) {
			return p.Value
		}
	}
	return ""
}

// Set replaces or appends keyword k.
func (o *ODBCString) Set(k, v string) {
	for i, p := range o.pairs {
		if strings.EqualFold(p.Key, k) {
			o.pairs[i].Value = v
			return
		}
	}
	o.pairs = append(o.pairs, param{k, v})
}

// Del removes keyword k.
func (o *ODBCString) Del(k string) {
	for i, p := range o.pairs {
		if strings.EqualFold(p.Key, k) {
			o.pairs = append(o.pairs[:i], o.pairs[i+1:]...)
			return
		}
	}
}

// String formats the connection string, bracing values that need it.
func (o *ODBCString) String() string {
	var b strings.Builder
	for i, p := range o.pairs {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(p.Key)
		b.WriteByte('=')
		b.WriteString(odbcQuote(p.Value))
	}
	return b.String()
}

func odbcQuote(v string) string {
	if strings.ContainsAny(v, ";{} ") {
		return "{" + strings.ReplaceAll(v, "}", "}}") + "}"
	}
	return v
}
