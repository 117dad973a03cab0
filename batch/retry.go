package batch

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultRetryCodes are the server error codes and SQLSTATEs of transient
// failures: deadlocks, lock wait timeouts, serialization failures, and
// Azure SQL throttling and failover.
var DefaultRetryCodes = []string{
	"1213",  // MySQL: deadlock found when trying to get lock
	"1205",  // MySQL: lock wait timeout; SQL Server: chosen as deadlock victim
	"40001", // SQLSTATE serialization failure (PostgreSQL, MySQL, SQL Server via ODBC)
	"40P01", // PostgreSQL deadlock detected
	"55P03", // PostgreSQL lock not available
	"57P01", // PostgreSQL admin shutdown (failover)
	"40613", // Azure SQL: database not currently available
	"40501", // Azure SQL: service busy
	"40197", // Azure SQL: error processing the request (failover)
	"49918", // Azure SQL: not enough resources
	"49919", // Azure SQL: too many create/update operations
	"49920", // Azure SQL: too many operations
	"10928", // Azure SQL: resource limit reached
	"10929", // Azure SQL: resource limit reached
	"SQLITE_BUSY",
	"SQLITE_LOCKED",
}

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

// ErrorCode returns the server error number or SQLSTATE an error carries
// (MySQL number, PostgreSQL SQLSTATE, SQL Server number, SQLite code name),
// or "".
func ErrorCode(err error) (codes []string) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		codes = append(codes, strconv.Itoa(int(me.Number)))
		if me.SQLState != [5]byte{} {
			codes = append(codes, string(me.SQLState[:]))
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		codes = append(codes, pe.Code)
	}
	var ms interface{ SQLErrorNumber() int32 }
	if errors.As(err, &ms) {
		codes = append(codes, strconv.Itoa(int(ms.SQLErrorNumber())))
	}
	var sq interface{ Code() int }
	if errors.As(err, &sq) {
		switch sq.Code() & 0xff { // primary result code of an extended one
		case 5:
			codes = append(codes, "SQLITE_BUSY")
		case 6:
			codes = append(codes, "SQLITE_LOCKED")
		}
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
