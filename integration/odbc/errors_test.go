package odbc_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/odbc"
)

func TestErrorsCarrySQLState(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			_, err := db.Exec("SELECT * FROM odbc_no_such_table")
			var oe *odbc.Error
			if !errors.As(err, &oe) {
				t.Fatalf("got %T %v", err, err)
			}
			if oe.SQLState() != b.missing.state {
				t.Errorf("SQLSTATE %q, want %q (%v)", oe.SQLState(), b.missing.state, err)
			}
			if b.name == "mariadb" {
				want := "odbc: 42S02 [1146] Table 'test.odbc_no_such_table' doesn't exist"
				if err.Error() != want {
					t.Errorf("message\n got %q\nwant %q", err, want)
				}
				if oe.NativeError() != 1146 || !strings.HasPrefix(oe.Records[0].Source, "[ma-") {
					t.Errorf("native %d source %q", oe.NativeError(), oe.Records[0].Source)
				}
			} else if !strings.Contains(err.Error(), `relation "odbc_no_such_table" does not exist`) {
				t.Errorf("message %q", err)
			}

			// The same through a prepared statement and a query.
			if _, err := db.Prepare("SELECT * FROM odbc_no_such_table"); odbc.SQLState(err) != b.missing.state && b.name == "mariadb" {
				t.Errorf("prepare: %v", err)
			}
			rows, err := db.Query("SELECT * FROM odbc_no_such_table WHERE 1 = ?", 1)
			if err == nil {
				rows.Close()
				t.Fatal("query of a missing table succeeded")
			}
			if odbc.SQLState(err) != b.missing.state {
				t.Errorf("query: %v", err)
			}

			// Syntax errors are class 42 too.
			_, err = db.Exec("SELEC 1")
			if st := odbc.SQLState(err); !strings.HasPrefix(st, "42") {
				t.Errorf("syntax error SQLSTATE %q: %v", st, err)
			}
			// The connection survives errors.
			var one int
			if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Errorf("after errors: %v", err)
			}
		})
	}
}

func TestUnknownDriverListsInstalledOnes(t *testing.T) {
	// The message lists the registered drivers, which up registers.
	backends(t)[0].dsn(t)
	db, err := sql.Open("odbc", "Driver={Actian Vector};Server=vw.example;Database=db;UID=u;PWD=secret;")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Ping()
	var dnf *odbc.DriverNotFoundError
	if !errors.As(err, &dnf) {
		t.Fatalf("got %T %v", err, err)
	}
	msg := err.Error()
	for _, want := range []string{`"Actian Vector" is not registered`, "MariaDB Unicode", "PostgreSQL Unicode", "odbcinst.ini", "Actian"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "secret") {
		t.Errorf("password in message: %s", msg)
	}
}

func TestConnectErrorHidesPassword(t *testing.T) {
	backends(t)[0].dsn(t)
	db, err := sql.Open("odbc", "Driver={MariaDB Unicode};Server=127.0.0.1;Port=1;User=root;Password=hunter2;")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = db.PingContext(ctx)
	if err == nil {
		t.Fatal("connected to port 1")
	}
	if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "Password=***") {
		t.Errorf("message: %v", err)
	}
	if st := odbc.SQLState(err); st == "" {
		t.Errorf("no SQLSTATE: %v", err)
	}
}

// A query blocked in the server is interrupted by SQLCancel when the
// context ends; the error matches both the context and the driver error.
func TestContextCancelInterruptsQuery(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := db.ExecContext(ctx, b.sleep)
			t.Logf("%s: %v", b.name, err)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error does not match context.DeadlineExceeded: %v", err)
			}
			var oe *odbc.Error
			if !errors.As(err, &oe) {
				t.Errorf("error does not carry the driver's diagnostics: %v", err)
			}

			// Through QueryContext, and the connection pool stays usable.
			ctx2, cancel2 := context.WithCancel(context.Background())
			go func() { time.Sleep(200 * time.Millisecond); cancel2() }()
			rows, err := db.QueryContext(ctx2, b.sleep)
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("query: error does not match context.Canceled: %v", err)
			}
			var one int
			if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Errorf("after cancel: %v", err)
			}
		})
	}
}
