package batch

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sluicehq/sluice/batch/dialect"
)

// DefaultRetryCodes are the server error codes and SQLSTATEs of transient
// failures (deadlocks, lock timeouts, serialization failures, Azure SQL
// throttling and failover): every registered dialect's TransientCodes.
var DefaultRetryCodes = func() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range dialect.All() {
		for _, c := range d.TransientCodes() {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}()

// DefaultRetryMessages are substrings of error messages of transient
// failures that carry no code (network errors, ODBC drivers).
var DefaultRetryMessages = []string{
	"connection reset",
	"connection refused",
	"broken pipe",
	"bad connection",
	"invalid connection",
	"server has gone away",
	"Lost connection to",
	"deadlock",
	"Deadlock",
	"try restarting transaction",
	"could not serialize access",
	"database is locked",
	"rateLimitExceeded",
	"due to concurrent update",
	// PostgreSQL's lock_timeout, as Babelfish reports it for SQL Server's
	// LOCK_TIMEOUT (error 33557097, not SQL Server's 1222).
	"canceling statement due to lock timeout",
}

// RetryPolicy retries transient errors with exponential backoff and jitter.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt; 1 disables retries.
	MaxAttempts int
	// Initial is the first wait, doubled after each attempt up to Max.
	Initial, Max time.Duration
	// Codes and Messages select retryable errors (see the defaults).
	Codes    []string
	Messages []string
}

// DefaultRetry is the policy tasks use unless told otherwise.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{MaxAttempts: 5, Initial: 500 * time.Millisecond, Max: 30 * time.Second,
		Codes: DefaultRetryCodes, Messages: DefaultRetryMessages}
}

// ErrorCode returns the server error numbers and SQLSTATEs an error
// carries (MySQL number, PostgreSQL SQLSTATE, SQL Server number, SQLite
// code name, ...): what each dialect's driver error says.
func ErrorCode(err error) (codes []string) {
	for _, d := range dialect.All() {
		codes = append(codes, d.ErrorCodes(err)...)
	}
	return codes
}

// Retryable reports whether err is transient under the policy.
func (p RetryPolicy) Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	for _, c := range ErrorCode(err) {
		for _, want := range p.Codes {
			if strings.EqualFold(c, want) {
				return true
			}
		}
	}
	if isConnectionError(err) {
		return true
	}
	msg := err.Error()
	for _, m := range p.Messages {
		if m != "" && strings.Contains(msg, m) {
			return true
		}
	}
	// ODBC and other drivers put the SQLSTATE in the message only.
	for _, c := range p.Codes {
		if len(c) == 5 && strings.Contains(msg, "SQLSTATE "+c) || strings.Contains(msg, "["+c+"]") {
			return true
		}
	}
	return false
}

func isConnectionError(err error) bool {
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF)
}

// Backoff is the wait before attempt (2 = first retry).
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	d := p.Initial
	if d <= 0 {
		d = 500 * time.Millisecond
	}
	for i := 2; i < attempt; i++ {
		d *= 2
		if p.Max > 0 && d >= p.Max {
			d = p.Max
			break
		}
	}
	// ±20% jitter so that two loads that deadlocked each other do not
	// retry in lockstep.
	j := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return j
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
