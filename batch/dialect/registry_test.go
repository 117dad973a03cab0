package dialect

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/jdbcurl"
)

// Every dialect registers itself complete: a driver database/sql knows,
// its names, a Kestra name, docs; names and aliases resolve to it.
func TestRegistry(t *testing.T) {
	var got []string
	for _, d := range All() {
		got = append(got, d.Name())
		info := d.Info()
		if !slices.Contains(sql.Drivers(), info.Driver) {
			t.Errorf("%s: driver %q is not registered with database/sql (drivers: %v)", d.Name(), info.Driver, sql.Drivers())
		}
		if info.Kestra == "" || info.Title == "" || info.QueryExample == "" || info.BatchExample == "" {
			t.Errorf("%s: incomplete info %+v", d.Name(), info)
		}
		for _, n := range append([]string{d.Name(), strings.ToUpper(d.Name())}, info.Aliases...) {
			if g, err := Get(n); err != nil || g != d {
				t.Errorf("Get(%q) = %v, %v; want %s", n, g, err, d.Name())
			}
		}
		if d.Limits().MaxParams <= 0 || len(d.TransientCodes()) == 0 {
			t.Errorf("%s: limits %+v, transient codes %v", d.Name(), d.Limits(), d.TransientCodes())
		}
	}
	if want := []string{MySQL, Postgres, SQLite, SQLServer, Vectorwise}; !slices.Equal(got, want) {
		t.Errorf("dialects %v, want %v", got, want)
	}
	if _, err := Get("oracle"); err == nil || !strings.Contains(err.Error(), "known: mysql, postgres") {
		t.Errorf("unknown dialect: %v", err)
	}
}

// ParseURL names the dialect and driver in the connection it returns.
func TestParseURLNamesDialect(t *testing.T) {
	for name, url := range map[string]string{
		MySQL: "jdbc:mysql://h:3306/db", Postgres: "jdbc:postgresql://h/db", SQLServer: "jdbc:sqlserver://h;databaseName=db",
		SQLite: "jdbc:sqlite:/tmp/x.db", Vectorwise: "jdbc:vectorwise://h:VW7/db",
	} {
		d := MustGet(name)
		c, err := d.ParseURL(url, jdbcurl.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Dialect != name || c.Driver != d.Info().Driver {
			t.Errorf("%s: config names %q / %q", name, c.Dialect, c.Driver)
		}
	}
}
