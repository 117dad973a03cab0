package batch

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
)

func TestRetryable(t *testing.T) {
	p := DefaultRetry()
	tests := []struct {
		err  error
		want bool
	}{
		{&mysql.MySQLError{Number: 1213, Message: "Deadlock found"}, true},
		{fmt.Errorf("rows 1 to 10: %w", &mysql.MySQLError{Number: 1205}), true},
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry"}, false},
		{&pgconn.PgError{Code: "40P01"}, true},
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "23505", Message: "duplicate key"}, false},
		{mssql.Error{Number: 1205, Message: "chosen as deadlock victim"}, true},
		{mssql.Error{Number: 40613}, true},
		{mssql.Error{Number: 2627, Message: "Violation of PRIMARY KEY"}, false},
		{fmt.Errorf("write: %w", syscall.ECONNRESET), true},
		{errors.New("[08S01] SQLSTATE 40001 serialization failure"), true},
		{errors.New("read tcp: connection reset by peer"), true},
		{errors.New("syntax error"), false},
		{context.Canceled, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := p.Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	custom := RetryPolicy{MaxAttempts: 3, Codes: []string{"1062"}, Messages: []string{"flaky"}}
	if !custom.Retryable(&mysql.MySQLError{Number: 1062}) || !custom.Retryable(errors.New("a flaky thing")) || custom.Retryable(&mysql.MySQLError{Number: 1213, Message: "x"}) {
		t.Error("retryCodes/retryMessages not honoured")
	}
}

func TestBackoff(t *testing.T) {
	p := RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second}
	for attempt, base := range map[int]time.Duration{2: 100 * time.Millisecond, 3: 200 * time.Millisecond, 4: 400 * time.Millisecond, 10: time.Second} {
		d := p.Backoff(attempt)
		if d < base*8/10 || d > base*12/10 {
			t.Errorf("Backoff(%d) = %v, want %v ±20%%", attempt, d, base)
		}
	}
}
