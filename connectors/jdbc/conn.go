// Package jdbc provides the Query and Batch tasks for every SQL dialect
// registered in package batch/dialect (MySQL/MariaDB, SQL Server, Actian
// Vectorwise, PostgreSQL, SQLite), under sluice's IDs (jdbc.mysql.Query,
// ...) and Kestra's type names (io.kestra.plugin.jdbc.mysql.Query, ...).
// Task runs share connections through the process's pool
// (internal/connpool): Provision takes one, Cleanup hands it back. Connections are given as JDBC
// URLs or the Go drivers' own DSNs (see jdbcurl). Query streams result sets
// into row files with exact types; Batch loads any row file with the
// fastest protocol each server offers (see package batch).
package jdbc

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/connpool"
	"github.com/sluicehq/sluice/internal/jdbcurl"
)

// Connection holds the properties every JDBC task has.
type Connection struct {
	URL        string `yaml:"url" doc:"Required. JDBC URL (jdbc:mysql://host:3306/db, jdbc:sqlserver://host:1433;databaseName=db, jdbc:postgresql://host:5432/db, jdbc:vectorwise://host:VW7/db, jdbc:sqlite:/path/file.db) or the Go driver's native DSN."`
	Username   string `yaml:"username" doc:"User name; overrides the one in the URL."`
	Password   string `yaml:"password" secret:"true" doc:"Password; overrides the one in the URL. Never logged."`
	TimeZoneID string `yaml:"timeZoneId" doc:"Time zone (IANA name such as Europe/Paris) in which date-times without a zone meet instants: when a TIMESTAMP WITH TIME ZONE is written to a DATETIME column or the other way round. Default UTC."`
}

// ODBC holds the Vectorwise tasks' extra properties.
type ODBC struct {
	Driver               string `yaml:"driver" doc:"ODBC driver name as registered in odbcinst.ini (default Ingres; Actian installs also register \"Ingres XX\" for installation code XX)."`
	ODBCConnectionString string `yaml:"odbcConnectionString" secret:"true" doc:"A complete ODBC connection string, used instead of url (username and password still override UID and PWD)."`
}

// Validate checks the URL and the time zone at validation time.
func (c *Connection) Validate() error {
	if c.TimeZoneID != "" && !strings.Contains(c.TimeZoneID, "{{") {
		if _, err := time.LoadLocation(c.TimeZoneID); err != nil {
			return fmt.Errorf("timeZoneId: %q is not a time zone", c.TimeZoneID)
		}
	}
	return nil
}

// validateURL checks url; it is required unless an ODBC connection string
// stands in for it.
func validateURL(d dialect.Dialect, url string, o *ODBC) error {
	if o != nil && o.ODBCConnectionString != "" {
		if url != "" || strings.Contains(o.ODBCConnectionString, "{{") {
			return nil
		}
		if _, err := d.ParseURL(o.ODBCConnectionString, jdbcurl.Options{}); err != nil {
			return fmt.Errorf("odbcConnectionString: %w", err)
		}
		return nil
	}
	if url == "" {
		return fmt.Errorf("url is required")
	}
	if strings.Contains(url, "{{") {
		return nil
	}
	if _, err := d.ParseURL(url, jdbcurl.Options{}); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	return nil
}

// session is a pooled database handle with one dedicated connection.
type session struct {
	h    *connpool.Handle
	db   *sql.DB
	conn *sql.Conn
	cfg  *jdbcurl.Config
	d    dialect.Dialect
	loc  *time.Location
	// failed: a statement failed on conn, which is then discarded rather
	// than handed to the next task run.
	failed bool
}

// Close returns the connection and the handle to the pool.
func (s *session) Close() {
	if s == nil {
		return
	}
	if s.conn != nil {
		if s.failed {
			s.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		s.conn.Close()
		s.conn = nil
	}
	s.h.Release()
}

// open parses the connection, registers its secrets with rc, takes the
// server's shared handle from the process's pool and a connection from it.
func open(ctx context.Context, rc *plugin.RunContext, d dialect.Dialect, c *Connection, o *ODBC) (*session, error) {
	rc.Secret(c.Password)
	url := c.URL
	opt := jdbcurl.Options{Username: c.Username, Password: c.Password}
	if o != nil {
		opt.ODBCDriver = o.Driver
		if o.ODBCConnectionString != "" {
			url = o.ODBCConnectionString
			rc.Secret(url)
		}
	}
	cfg, err := d.ParseURL(url, opt)
	if err != nil {
		return nil, rc.MaskError(fmt.Errorf("url: %w", err))
	}
	rc.Secret(cfg.Password)
	if len(cfg.Ignored) > 0 {
		rc.Logger().Info("JDBC URL properties that have no effect with the Go driver", "properties", strings.Join(cfg.Ignored, ", "))
	}
	loc := time.UTC
	if c.TimeZoneID != "" {
		if loc, err = time.LoadLocation(c.TimeZoneID); err != nil {
			return nil, fmt.Errorf("timeZoneId: %q is not a time zone", c.TimeZoneID)
		}
	}
	h, err := connpool.Default.Acquire(ctx, cfg.Driver, cfg.DSN, cfg.SessionSQL...)
	if err != nil {
		return nil, rc.MaskError(fmt.Errorf("opening %s: %w", cfg.Redacted(), err))
	}
	s := &session{h: h, db: h.DB, cfg: cfg, d: d, loc: loc}
	if s.conn, err = s.db.Conn(ctx); err != nil {
		s.Close()
		return nil, rc.MaskError(fmt.Errorf("connecting to %s: %w", where(cfg), err))
	}
	if err := s.conn.PingContext(ctx); err != nil {
		s.Close()
		return nil, rc.MaskError(fmt.Errorf("connecting to %s: %w", where(cfg), err))
	}
	for _, q := range append(d.SessionSQL(""), cfg.SessionSQL...) {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			s.Close()
			return nil, rc.MaskError(fmt.Errorf("%s: %w", q, err))
		}
	}
	return s, nil
}

// where names the server for messages, without credentials.
func where(c *jdbcurl.Config) string {
	var b strings.Builder
	b.WriteString(c.Dialect)
	if c.Host != "" {
		b.WriteString(" at " + c.Host)
		if c.Port != "" {
			b.WriteString(":" + c.Port)
		}
	}
	if c.Database != "" {
		b.WriteString(", database " + c.Database)
	}
	if c.User != "" {
		b.WriteString(", user " + c.User)
	}
	return b.String()
}
