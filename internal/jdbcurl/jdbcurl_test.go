package jdbcurl

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/microsoft/go-mssqldb/msdsn"
)

// The dialect names the tests use; the dialects themselves (batch/dialect)
// own the names and pick their parser.
const (
	MySQL      = "mysql"
	Postgres   = "postgres"
	SQLServer  = "sqlserver"
	SQLite     = "sqlite"
	Vectorwise = "vectorwise"
)

var parsers = map[string]func(string, Options) (*Config, error){
	MySQL: ParseMySQL, Postgres: ParsePostgres, SQLServer: ParseSQLServer, SQLite: ParseSQLite, Vectorwise: ParseVectorwise,
}

// Parse is the test tables' entry point: the parser of dialect d.
func Parse(d, raw string, o Options) (*Config, error) {
	p, ok := parsers[d]
	if !ok {
		return nil, errf("dialect", "unknown dialect %q", d)
	}
	c, err := p(raw, o)
	if c != nil {
		c.Dialect = d
	}
	return c, err
}

func TestParseDSNs(t *testing.T) {
	tests := []struct {
		name, dialect, url string
		opt                Options
		dsn                string
		host, port, db     string
		user               string
		ignored            string
	}{
		{name: "mysql seed", dialect: MySQL, url: "jdbc:mysql://127.0.0.1:56982/", opt: Options{Username: "mysql_user", Password: "mysql_passwd"},
			dsn: "mysql_user:mysql_passwd@tcp(127.0.0.1:56982)/?maxAllowedPacket=0", host: "127.0.0.1", port: "56982", user: "mysql_user"},
		{name: "mysql props", dialect: MySQL, url: "jdbc:mysql://db.local/shop?useSSL=false&user=u&password=p&connectTimeout=1500&zeroDateTimeBehavior=convertToNull",
			dsn: "u:p@tcp(db.local:3306)/shop?timeout=1.5s&tls=false&maxAllowedPacket=0", host: "db.local", port: "3306", db: "shop", user: "u", ignored: "zeroDateTimeBehavior"},
		{name: "mysql override", dialect: MySQL, url: "jdbc:mysql://u:p@h:3307/d", opt: Options{Password: "secret"},
			dsn: "u:secret@tcp(h:3307)/d?maxAllowedPacket=0", host: "h", port: "3307", db: "d", user: "u"},
		{name: "mariadb ssl no verify", dialect: MySQL, url: "jdbc:mariadb://h/d?useSSL=true&verifyServerCertificate=false",
			dsn: "tcp(h:3306)/d?tls=skip-verify&maxAllowedPacket=0", host: "h", port: "3306", db: "d"},
		{name: "mysql native", dialect: MySQL, url: "root@tcp(127.0.0.1:3306)/test?parseTime=true", opt: Options{Password: "pw"},
			dsn: "root:pw@tcp(127.0.0.1:3306)/test?parseTime=true&maxAllowedPacket=0", host: "127.0.0.1", port: "3306", db: "test", user: "root"},
		{name: "mysql ipv6", dialect: MySQL, url: "jdbc:mysql://[::1]:3306/d",
			dsn: "tcp([::1]:3306)/d?maxAllowedPacket=0", host: "::1", port: "3306", db: "d"},
		{name: "mysql session vars", dialect: MySQL, url: "jdbc:mysql://h/d?sessionVariables=sql_mode=ANSI,wait_timeout=60",
			dsn: "tcp(h:3306)/d?maxAllowedPacket=0&sql_mode=ANSI&wait_timeout=60", host: "h", port: "3306", db: "d"},

		{name: "pg basic", dialect: Postgres, url: "jdbc:postgresql://127.0.0.1:5432/test?user=root",
			dsn: "postgres://root@127.0.0.1:5432/test", host: "127.0.0.1", port: "5432", db: "test", user: "root"},
		{name: "pg props", dialect: Postgres, url: "jdbc:postgresql://h/db?ssl=true&currentSchema=s1&ApplicationName=x&prepareThreshold=0", opt: Options{Username: "u", Password: "p@ss:w/rd"},
			dsn: "postgres://u:p%40ss%3Aw%2Frd@h:5432/db?application_name=x&search_path=s1&sslmode=verify-full", host: "h", port: "5432", db: "db", user: "u", ignored: "prepareThreshold"},
		{name: "pg multi host", dialect: Postgres, url: "jdbc:postgresql://h1:5433,h2/db?targetServerType=primary",
			dsn: "postgres://h1:5433,h2:5432/db?target_session_attrs=read-write", host: "h1", port: "5433", db: "db"},
		{name: "pg short", dialect: Postgres, url: "jdbc:postgresql:mydb",
			dsn: "postgres://localhost:5432/mydb", host: "localhost", port: "5432", db: "mydb"},
		{name: "pg native url", dialect: Postgres, url: "postgres://a:b@h:5/d?sslmode=disable", opt: Options{Password: "c"},
			dsn: "postgres://a:c@h:5/d?sslmode=disable", host: "h", port: "5", db: "d", user: "a"},
		{name: "pg keywords", dialect: Postgres, url: "host=h dbname=d user=a", opt: Options{Password: "it's"},
			dsn: `host=h dbname=d user=a password='it\'s'`, host: "h", db: "d", user: "a"},

		{name: "mssql seed", dialect: SQLServer, url: "jdbc:sqlserver://localhost:41433;trustServerCertificate=true", opt: Options{Username: "sa", Password: "Sqls3rv3r_Pa55word!"},
			dsn: "sqlserver://sa:Sqls3rv3r_Pa55word%21@localhost:41433?TrustServerCertificate=true", host: "localhost", port: "41433", user: "sa"},
		{name: "mssql db braces", dialect: SQLServer, url: "jdbc:sqlserver://h:1433;databaseName=shop;user=u;password={a;b}}c};encrypt=false;loginTimeout=5",
			dsn: "sqlserver://u:a;b%7Dc@h:1433?connection+timeout=5&database=shop&dial+timeout=5&encrypt=false", host: "h", port: "1433", db: "shop", user: "u"},
		{name: "mssql instance", dialect: SQLServer, url: `jdbc:sqlserver://h\SQLEXPRESS;databaseName=d;sendStringParametersAsUnicode=false`,
			dsn: "sqlserver://h/SQLEXPRESS?database=d", host: "h", db: "d", ignored: "sendStringParametersAsUnicode"},
		{name: "mssql native", dialect: SQLServer, url: "sqlserver://sa:x@h:1433?database=d", opt: Options{Password: "y"},
			dsn: "sqlserver://sa:y@h:1433?database=d", host: "h", port: "1433", db: "d", user: "sa"},
		{name: "mssql ado", dialect: SQLServer, url: "server=h;database=d", opt: Options{Username: "sa", Password: "a;b"},
			dsn: `server=h;database=d;user id=sa;password="a;b"`, host: "h", db: "d", user: "sa"},

		{name: "sqlite file", dialect: SQLite, url: "jdbc:sqlite:/tmp/x.db",
			dsn: "/tmp/x.db?_pragma=busy_timeout%2810000%29", db: "/tmp/x.db"},
		{name: "sqlite memory", dialect: SQLite, url: "jdbc:sqlite::memory:",
			dsn: ":memory:?_pragma=busy_timeout%2810000%29", db: ":memory:"},
		{name: "sqlite pragmas", dialect: SQLite, url: "jdbc:sqlite:data.db?journal_mode=WAL&busy_timeout=50&date_class=TEXT",
			dsn: "data.db?_pragma=journal_mode%28WAL%29&_pragma=busy_timeout%2850%29", db: "data.db", ignored: "date_class"},
		{name: "sqlite native", dialect: SQLite, url: "file:x.db?_pragma=foreign_keys(1)",
			dsn: "file:x.db?_pragma=foreign_keys%281%29&_pragma=busy_timeout%2810000%29", db: "file:x.db"},

		{name: "vectorwise", dialect: Vectorwise, url: "jdbc:vectorwise://vw.local:VW7/sales", opt: Options{Username: "actian", Password: "p;w"},
			dsn: "DRIVER=Ingres;SERVERTYPE=INGRES;SERVER=@vw.local,tcp_ip,VW7;DATABASE=sales;UID=actian;PWD={p;w}", host: "vw.local", port: "VW7", db: "sales", user: "actian"},
		{name: "ingres attrs", dialect: Vectorwise, url: "jdbc:ingres://h:27832/db;UID=u;PWD=p;ROLE=r;CURSOR=READONLY", opt: Options{ODBCDriver: "Ingres VW"},
			dsn: "DRIVER={Ingres VW};SERVERTYPE=INGRES;SERVER=@h,tcp_ip,27832;DATABASE=db;UID=u;PWD=p;RoleName=r", host: "h", port: "27832", db: "db", user: "u", ignored: "CURSOR"},
		{name: "odbc string", dialect: Vectorwise, url: "Driver={MariaDB Unicode};Server=127.0.0.1;Database=test;UID=root", opt: Options{Password: "x"},
			dsn: "Driver={MariaDB Unicode};Server=127.0.0.1;Database=test;UID=root;PWD=x", host: "127.0.0.1", db: "test", user: "root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.dialect, tt.url, tt.opt)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.DSN != tt.dsn {
				t.Errorf("DSN\n got %s\nwant %s", c.DSN, tt.dsn)
			}
			if c.Host != tt.host || c.Port != tt.port || c.Database != tt.db || c.User != tt.user {
				t.Errorf("host/port/db/user = %q %q %q %q, want %q %q %q %q", c.Host, c.Port, c.Database, c.User, tt.host, tt.port, tt.db, tt.user)
			}
			if got := strings.Join(c.Ignored, ","); got != tt.ignored {
				t.Errorf("ignored = %q, want %q", got, tt.ignored)
			}
			if c.Password != "" && strings.Contains(c.Redacted(), c.Password) {
				t.Errorf("Redacted() shows the password: %s", c.Redacted())
			}
			checkDriverAccepts(t, c)
		})
	}
}

// checkDriverAccepts parses the DSN with the Go driver's own parser, so a
// DSN sluice builds is one the driver understands.
func checkDriverAccepts(t *testing.T, c *Config) {
	t.Helper()
	switch c.Dialect {
	case MySQL:
		cfg, err := mysql.ParseDSN(c.DSN)
		if err != nil {
			t.Fatalf("mysql.ParseDSN: %v", err)
		}
		if cfg.User != c.User || cfg.Passwd != c.Password {
			t.Errorf("driver sees user %q", cfg.User)
		}
	case Postgres:
		cfg, err := pgx.ParseConfig(c.DSN)
		if err != nil {
			t.Fatalf("pgx.ParseConfig: %v", err)
		}
		if cfg.User != c.User && c.User != "" || cfg.Password != c.Password {
			t.Errorf("driver sees user %q", cfg.User)
		}
	case SQLServer:
		cfg, err := msdsn.Parse(c.DSN)
		if err != nil {
			t.Fatalf("msdsn.Parse: %v", err)
		}
		if cfg.User != c.User || cfg.Password != c.Password || cfg.Database != c.Database {
			t.Errorf("driver sees user %q db %q", cfg.User, cfg.Database)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		dialect, url, part string
	}{
		{MySQL, "", "url"},
		{MySQL, "jdbc:mysql://h:33x6/db", "port"},
		{MySQL, "jdbc:mysql://h:70000/db", "port"},
		{MySQL, "jdbc:mysql:h/db", "authority"},
		{MySQL, "jdbc:postgresql://h/db", "scheme"},
		{MySQL, "jdbc:mysql://h1,h2/db", "host"},
		{MySQL, "jdbc:mysql://h/db?useSSL=maybe", "property useSSL"},
		{MySQL, "jdbc:mysql://h/db?tls=bogus", "property tls"},
		{MySQL, "jdbc:mysql://h/db?sslMode=sometimes", "property sslMode"},
		{MySQL, "jdbc:mysql://h/db?connectTimeout=soon", "property connectTimeout"},
		{MySQL, "jdbc:mysql://h/a/b", "database"},
		{MySQL, "jdbc:mysql://h/d?serverTimezone=Mars/Olympus", "property serverTimezone"},
		{MySQL, "mysqlserver", "url"},
		{Postgres, "jdbc:postgresql://h:0/db", "port"},
		{Postgres, "jdbc:postgresql://h/db?sslmode=always", "property sslmode"},
		{Postgres, "jdbc:postgresql://h,/db", "host"},
		{Postgres, "jdbc", "url"},
		{Postgres, "host='h", "dsn host"},
		{SQLServer, "jdbc:sqlserver://h:1433;databaseName", "property"},
		{SQLServer, "jdbc:sqlserver://h:14x33", "port"},
		{SQLServer, "jdbc:sqlserver://h;password={abc", "property password"},
		{SQLServer, "jdbc:sqlserver://h;integratedSecurity=true", "property integratedSecurity"},
		{SQLServer, "jdbc:sqlserver://h;frobnicate=1", "property frobnicate"},
		{SQLServer, "jdbc:sqlserver:h", "authority"},
		{SQLite, "jdbc:sqlite:", "path"},
		{SQLite, "jdbc:sqlite:x.db?journal_mode=WAL;drop", "query"},
		{SQLite, "jdbc:sqlite:x.db?journal_mode=W%20AL", "property journal_mode"},
		{Vectorwise, "jdbc:vectorwise://h:VW9/db", "port"},
		{Vectorwise, "jdbc:vectorwise://h:VW7/", "database"},
		{Vectorwise, "jdbc:vectorwise://:VW7/db", "host"},
		{Vectorwise, "vectorwise", "url"},
		{"oracle", "jdbc:oracle:thin:@h:1521/x", "dialect"},
	}
	for _, tt := range tests {
		t.Run(tt.dialect+" "+tt.url, func(t *testing.T) {
			_, err := Parse(tt.dialect, tt.url, Options{Password: "hunter2secret"})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Part != tt.part {
				t.Errorf("part = %q, want %q (%v)", e.Part, tt.part, err)
			}
		})
	}
}

func TestPasswordNeverInErrors(t *testing.T) {
	const pw = "S3cr3t-P4ss"
	bad := []struct{ dialect, url string }{
		{MySQL, "jdbc:mysql://u:" + pw + "@h:bad/db"},
		{MySQL, "jdbc:mysql://h/db?password=" + pw + "&tls=bogus"},
		{MySQL, "u:" + pw + "@tcp(h:3306/db"},
		{Postgres, "jdbc:postgresql://u:" + pw + "@h:99999/db"},
		{Postgres, "postgres://u:" + pw + "@h:x/db"},
		{SQLServer, "jdbc:sqlserver://h:1;password=" + pw + ";nope"},
		{SQLServer, "sqlserver://u:" + pw + "@h:%zz"},
		{Vectorwise, "jdbc:ingres://h:XX9/db;PWD=" + pw},
	}
	for _, b := range bad {
		_, err := Parse(b.dialect, b.url, Options{})
		if err == nil {
			t.Errorf("%s: no error", b.url)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestODBCString(t *testing.T) {
	o, err := ParseODBC("Driver={A;B}; Server = h ;PWD={x}}y}")
	if err != nil {
		t.Fatal(err)
	}
	if o.Get("driver") != "A;B" || o.Get("SERVER") != "h" || o.Get("pwd") != "x}y" {
		t.Fatalf("got %q %q %q", o.Get("driver"), o.Get("SERVER"), o.Get("pwd"))
	}
	o.Set("uid", "me")
	o.Del("server")
	if got, want := o.String(), "Driver={A;B};PWD={x}}y};uid=me"; got != want {
		t.Fatalf("String() = %s, want %s", got, want)
	}
}

// FuzzParse checks that no input panics, that errors are *Error and never
// carry the password, and that every accepted URL yields a DSN the Go
// driver parses back to the same credentials.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"jdbc:mysql://127.0.0.1:56982/", "jdbc:mysql://u:p@h/db?useSSL=false&sessionVariables=a=1",
		"u:p@tcp(h:1)/d?parseTime=true", "jdbc:postgresql://h1,h2:5433/db?ssl=true&user=x",
		"postgres://a:b@h/d", "host=h dbname='x y'", "jdbc:sqlserver://h\\i:1433;databaseName={a;b}",
		"sqlserver://sa:p@h?database=d", "server=h;user id=u", "jdbc:sqlite::memory:", "jdbc:sqlite:a.db?journal_mode=WAL",
		"jdbc:vectorwise://h:VW7/db;UID=u", "Driver={X};Server=h", "jdbc:ingres://[::1]:II7/db",
	}
	for _, s := range seeds {
		f.Add(s, "user", "pass")
	}
	dialects := []string{MySQL, Postgres, SQLServer, SQLite, Vectorwise}
	f.Fuzz(func(t *testing.T, raw, user, pass string) {
		// A distinctive password, so finding it in a message means a leak.
		pass = "Zq9!" + pass
		for _, d := range dialects {
			c, err := Parse(d, raw, Options{Username: user, Password: pass})
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%s %q: error %T %v is not *Error", d, raw, err, err)
				}
				if strings.Contains(err.Error(), pass) && !strings.Contains(raw, pass) {
					t.Fatalf("%s: error contains the password: %v", d, err)
				}
				continue
			}
			if c.Password != pass && d != SQLite {
				t.Fatalf("%s %q: password option not applied", d, raw)
			}
			switch d {
			case MySQL:
				cfg, err := mysql.ParseDSN(c.DSN)
				if err != nil {
					// Only native DSNs are passed through as written.
					if strings.HasPrefix(strings.ToLower(raw), "jdbc:") {
						t.Fatalf("%q → DSN the driver rejects: %v", raw, err)
					}
					continue
				}
				if user != "" && cfg.User != user && !strings.ContainsAny(user, "@:/") {
					t.Fatalf("%q: driver sees user %q, want %q", raw, cfg.User, user)
				}
			case Postgres:
				if strings.HasPrefix(strings.ToLower(raw), "jdbc:") {
					if _, err := url.Parse(strings.Replace(c.DSN, ",", "", -1)); err != nil {
						t.Fatalf("%q → unparseable DSN: %v", raw, err)
					}
				}
			}
		}
	})
}

// lockTimeout has no go-mssqldb setting: it becomes a session statement.
func TestSQLServerLockTimeout(t *testing.T) {
	for url, want := range map[string]string{
		"jdbc:sqlserver://h;databaseName=d;lockTimeout=500": "SET LOCK_TIMEOUT 500",
		"jdbc:sqlserver://h;lockTimeout=-1":                 "",
		"jdbc:sqlserver://h":                                "",
	} {
		c, err := ParseSQLServer(url, Options{})
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if got := strings.Join(c.SessionSQL, ";"); got != want {
			t.Errorf("%s: session SQL %q, want %q", url, got, want)
		}
	}
	if _, err := ParseSQLServer("jdbc:sqlserver://h;lockTimeout=soon", Options{}); err == nil || !strings.Contains(err.Error(), "lockTimeout") {
		t.Errorf("bad lockTimeout: %v", err)
	}
}
