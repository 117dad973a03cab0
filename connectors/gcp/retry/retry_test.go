//go:build cloud

package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/googleapi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sluicehq/sluice/flows/plugin"
)

// FakeClock records the sleeps instead of sleeping.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func apiErr(code int, reason, msg string) error {
	return &googleapi.Error{Code: code, Message: msg, Errors: []googleapi.ErrorItem{{Reason: reason, Message: msg}}}
}

type jobErr struct{ reasons []string }

func (e jobErr) Error() string          { return "job failed: " + strings.Join(e.reasons, ",") }
func (e jobErr) ErrorReasons() []string { return e.reasons }

func TestClassify(t *testing.T) {
	p := Default()
	cases := []struct {
		name   string
		err    error
		ok     bool
		reason string
	}{
		{"rate limit", apiErr(403, "rateLimitExceeded", "Exceeded rate limits"), true, "rateLimitExceeded"},
		{"backend", apiErr(500, "backendError", "x"), true, "backendError"},
		{"internal", apiErr(400, "internalError", "x"), true, "internalError"},
		{"503 without reason", &googleapi.Error{Code: 503}, true, "HTTP 503"},
		{"502", &googleapi.Error{Code: 502}, true, "HTTP 502"},
		{"504", &googleapi.Error{Code: 504}, true, "HTTP 504"},
		{"500", &googleapi.Error{Code: 500}, true, "HTTP 500"},
		{"concurrent update", apiErr(400, "invalidQuery", "Could not update table due to concurrent update"), true, `message "due to concurrent update"`},
		{"retrying the job", apiErr(400, "jobInternalError", "x"), true, "jobInternalError"},
		{"serialize", apiErr(400, "invalidQuery", "Transaction is aborted: Could not serialize access to table"), true, `message "Could not serialize access"`},
		{"top-level message", &googleapi.Error{Code: 400, Message: "Retrying may solve the problem."}, true, `message "Retrying may solve the problem"`},
		{"wrapped", fmt.Errorf("jobs.insert: %w", apiErr(403, "rateLimitExceeded", "x")), true, "rateLimitExceeded"},
		{"invalid query", apiErr(400, "invalidQuery", "Syntax error"), false, ""},
		{"not found", apiErr(404, "notFound", "Not found: Table p:d.t"), false, ""},
		{"quota exceeded is not a rate limit", apiErr(403, "quotaExceeded", "Quota exceeded"), false, ""},
		{"access denied", apiErr(403, "accessDenied", "Access Denied"), false, ""},
		{"job error retryable", jobErr{[]string{"backendError"}}, true, "backendError"},
		{"job error not", jobErr{[]string{"invalid"}}, false, ""},
		{"grpc unavailable", status.Error(codes.Unavailable, "x"), true, "gRPC UNAVAILABLE"},
		{"grpc internal", status.Error(codes.Internal, "x"), true, "gRPC INTERNAL"},
		{"grpc exhausted", status.Error(codes.ResourceExhausted, "x"), true, "gRPC RESOURCE_EXHAUSTED"},
		{"grpc invalid", status.Error(codes.InvalidArgument, "x"), false, ""},
		{"grpc not found", status.Error(codes.NotFound, "x"), false, ""},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true, "connection: read: unexpected EOF"},
		{"canceled", context.Canceled, false, ""},
		{"permanent", &Permanent{apiErr(503, "backendError", "x")}, false, ""},
		{"plain", errors.New("boom"), false, ""},
		{"nil", nil, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reason, ok := p.Classify(c.err)
			if ok != c.ok || reason != c.reason {
				t.Fatalf("Classify(%v) = %q, %v; want %q, %v", c.err, reason, ok, c.reason, c.ok)
			}
		})
	}
}

func TestClassifyConfigured(t *testing.T) {
	props := Properties{RetryReasons: []string{"quotaExceeded"}, RetryMessages: []string{"try later"}}
	p := props.Policy()
	if _, ok := p.Classify(apiErr(403, "quotaExceeded", "x")); !ok {
		t.Fatal("configured reason not retried")
	}
	if _, ok := p.Classify(apiErr(403, "rateLimitExceeded", "x")); ok {
		t.Fatal("a configured list replaces the default reasons")
	}
	if _, ok := p.Classify(errors.New("server says: try later")); !ok {
		t.Fatal("configured message not retried")
	}
	if _, ok := p.Classify(errors.New("due to concurrent update")); ok {
		t.Fatal("a configured list replaces the default messages")
	}
}

func TestBackoffBounds(t *testing.T) {
	p := Default()
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		n := i + 1
		if got := p.Base(n); got != w {
			t.Fatalf("Base(%d) = %s, want %s", n, got, w)
		}
		if lo := p.Delay(n, 0); lo != w/2 {
			t.Fatalf("Delay(%d, 0) = %s, want %s", n, lo, w/2)
		}
		if hi := p.Delay(n, 0.999999999); hi > w || hi < w-time.Millisecond {
			t.Fatalf("Delay(%d, ~1) = %s, want just under %s", n, hi, w)
		}
	}
	p.Constant = true
	if p.Base(7) != 5*time.Second {
		t.Fatalf("constant Base(7) = %s", p.Base(7))
	}
	p = Default()
	if p.Base(200) != time.Minute {
		t.Fatalf("Base(200) overflowed: %s", p.Base(200))
	}
}

type seq struct{ errs []error }

func (s *seq) call(_ context.Context, attempt int) error {
	if attempt <= len(s.errs) {
		return s.errs[attempt-1]
	}
	return nil
}

func TestDo(t *testing.T) {
	rate := apiErr(403, "rateLimitExceeded", "Exceeded rate limits: too many table update operations")
	bad := apiErr(400, "invalidQuery", "Syntax error: Unexpected end of script")
	auto := &Auto{Interval: plugin.Duration(time.Second), MaxInterval: plugin.Duration(8 * time.Second), MaxAttempt: 4}
	cases := []struct {
		name     string
		props    Properties
		errs     []error
		attempts int
		sleeps   [][2]time.Duration // bounds of each sleep
		fail     string             // error text expected ("": success)
	}{
		{"rate limit twice then ok", Properties{RetryAuto: auto}, []error{rate, rate}, 3,
			[][2]time.Duration{{500 * time.Millisecond, time.Second}, {time.Second, 2 * time.Second}}, ""},
		{"non retryable fails at once", Properties{RetryAuto: auto}, []error{bad}, 1, nil, "Syntax error"},
		{"retryable then non retryable", Properties{RetryAuto: auto}, []error{rate, bad}, 2,
			[][2]time.Duration{{500 * time.Millisecond, time.Second}}, "Syntax error"},
		{"exhausted", Properties{RetryAuto: auto}, []error{rate, rate, rate, rate, rate}, 4,
			[][2]time.Duration{{500 * time.Millisecond, time.Second}, {time.Second, 2 * time.Second}, {2 * time.Second, 4 * time.Second}}, "still failing after 4 attempts"},
		{"maxAttempt 1 never retries", Properties{RetryAuto: &Auto{MaxAttempt: 1}}, []error{rate}, 1, nil, "after 1 attempts"},
		{"max duration", Properties{RetryAuto: &Auto{Interval: plugin.Duration(time.Second), MaxInterval: plugin.Duration(time.Minute), MaxAttempt: 100, MaxDuration: plugin.Duration(2500 * time.Millisecond)}},
			[]error{rate, rate, rate, rate}, 2, [][2]time.Duration{{999 * time.Millisecond, time.Second}}, "still failing after 2 attempts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1000, 0)}
			var logs bytes.Buffer
			r := &Retrier{Policy: c.props.Policy(), Clock: clock, Rand: func() float64 { return 0.999 },
				Log: slog.New(slog.NewTextHandler(&logs, nil))}
			if c.name == "max duration" {
				r.Rand = func() float64 { return 0.999999999999 }
			}
			s := &seq{errs: c.errs}
			attempts := 0
			err := r.Do(context.Background(), "jobs.insert", func(ctx context.Context, a int) error {
				attempts++
				if a != attempts {
					t.Fatalf("attempt number %d, want %d", a, attempts)
				}
				return s.call(ctx, a)
			})
			if attempts != c.attempts {
				t.Fatalf("%d attempts, want %d", attempts, c.attempts)
			}
			if c.fail == "" && err != nil || c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)) {
				t.Fatalf("err = %v, want %q", err, c.fail)
			}
			if len(clock.sleeps) != len(c.sleeps) {
				t.Fatalf("sleeps %v, want %d", clock.sleeps, len(c.sleeps))
			}
			for i, b := range c.sleeps {
				if d := clock.sleeps[i]; d < b[0] || d > b[1] {
					t.Fatalf("sleep %d = %s, outside [%s, %s]", i, d, b[0], b[1])
				}
			}
			if got := strings.Count(logs.String(), "retrying after a transient error"); got != len(c.sleeps) {
				t.Fatalf("%d retry log lines, want %d:\n%s", got, len(c.sleeps), logs.String())
			}
			if len(c.sleeps) > 0 && !strings.Contains(logs.String(), "reason=rateLimitExceeded") {
				t.Fatalf("the log does not give the reason:\n%s", logs.String())
			}
		})
	}
}

func TestDoCanceledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	attempts := 0
	r := &Retrier{Policy: Default(), Clock: &fakeClock{}}
	err := r.Do(ctx, "op", func(context.Context, int) error {
		attempts++
		cancel()
		return apiErr(503, "backendError", "x")
	})
	if attempts != 1 || err == nil {
		t.Fatalf("attempts %d err %v", attempts, err)
	}
}

func TestValidate(t *testing.T) {
	for _, a := range []*Auto{
		{MaxAttempt: -1},
		{Interval: plugin.Duration(time.Minute), MaxInterval: plugin.Duration(time.Second)},
		{DelayFactor: 0.5},
		{Interval: -1},
	} {
		if err := (&Properties{RetryAuto: a}).Validate(); err == nil {
			t.Fatalf("%+v accepted", a)
		}
	}
	if err := (&Properties{RetryAuto: &Auto{Interval: plugin.Duration(time.Second), MaxAttempt: 3}}).Validate(); err != nil {
		t.Fatal(err)
	}
}
