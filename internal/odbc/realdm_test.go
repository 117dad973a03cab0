package odbc

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
)

// These tests use the system's driver manager when it is installed, but no
// database server.

func TestUnknownDriverWithRealDriverManager(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	db, err := sql.Open("odbc", "Driver={No Such ODBC Driver 9};Server=h;PWD=secret;")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.PingContext(context.Background())
	var dnf *DriverNotFoundError
	if !errors.As(err, &dnf) {
		t.Fatalf("got %T: %v", err, err)
	}
	if dnf.Driver != "No Such ODBC Driver 9" || !strings.Contains(err.Error(), "installed drivers: ") {
		t.Errorf("got %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("password in %v", err)
	}
	if dnf.Err == nil || dnf.Err.SQLState() == "" {
		t.Errorf("driver manager diagnostics missing: %+v", dnf.Err)
	}
}

func TestOpenRejectsMalformedConnectionString(t *testing.T) {
	_, err := sql.Open("odbc", "Driver={unterminated")
	if err == nil || !strings.Contains(err.Error(), "no closing '}'") {
		t.Errorf("got %v", err)
	}
}
