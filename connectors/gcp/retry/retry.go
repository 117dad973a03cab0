//go:build cloud

// Package retry is the one retry policy of every GCP task: which errors a
// retry fixes (Google's retryable HTTP codes and error reasons, and the
// messages Kestra lists), and an exponential backoff with jitter bounded by
// Kestra's retryAuto properties. BigQuery jobs, BigQuery API calls, Vertex
// AI and Cloud Logging calls all go through Retrier.Do.
package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"google.golang.org/api/googleapi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Kestra's defaults (AbstractBigquery.retryReasons / retryMessages), plus
// "Could not serialize access", which BigQuery multi-statement
// transactions return on a serialization conflict.
var (
	DefaultReasons = []string{
		"rateLimitExceeded", "jobRateLimitExceeded",
		"backendError", "jobBackendError",
		"internalError", "jobInternalError",
	}
	DefaultMessages = []string{
		"due to concurrent update",
		"Retrying the job may solve the problem",
		"Retrying may solve the problem",
		"Could not serialize access",
	}
	// DefaultCodes are the HTTP status codes Google documents as retryable.
	DefaultCodes = []int{500, 502, 503, 504}
)

// Auto is Kestra's retryAuto property: the backoff between attempts.
type Auto struct {
	Type        string          `yaml:"type" enum:"exponential,constant" default:"exponential" doc:"exponential: the delay grows by delayFactor after each attempt; constant: always interval."`
	Interval    plugin.Duration `yaml:"interval" default:"PT5S" doc:"Delay before the first retry."`
	MaxInterval plugin.Duration `yaml:"maxInterval" default:"PT1M" doc:"Upper bound of one delay."`
	MaxAttempt  int             `yaml:"maxAttempt" default:"15" doc:"Attempts in all, the first one included (1: never retry)."`
	MaxDuration plugin.Duration `yaml:"maxDuration" doc:"Stop retrying when the next delay would end after this much time since the first attempt (0: no bound)."`
	DelayFactor float64         `yaml:"delayFactor" default:"2" doc:"Growth of the delay between two exponential retries."`
}

// Properties are the retry properties every GCP task embeds.
type Properties struct {
	RetryAuto     *Auto    `yaml:"retryAuto" doc:"Backoff between automatic retries of transient errors (default: exponential from PT5S to PT1M, 15 attempts)."`
	RetryReasons  []string `yaml:"retryReasons" doc:"Google error reasons that are retried (empty: rateLimitExceeded, jobRateLimitExceeded, backendError, jobBackendError, internalError, jobInternalError)."`
	RetryMessages []string `yaml:"retryMessages" doc:"Error message fragments that are retried (empty: due to concurrent update, Retrying the job may solve the problem, Retrying may solve the problem, Could not serialize access)."`
}

// Policy returns the policy the properties describe, defaults filled in.
func (p *Properties) Policy() Policy {
	pol := Default()
	if a := p.RetryAuto; a != nil {
		if a.Type != "" {
			pol.Constant = a.Type == "constant"
		}
		if a.Interval > 0 {
			pol.Interval = a.Interval.D()
		}
		if a.MaxInterval > 0 {
			pol.MaxInterval = a.MaxInterval.D()
		}
		if a.MaxAttempt > 0 {
			pol.MaxAttempt = a.MaxAttempt
		}
		pol.MaxDuration = a.MaxDuration.D()
		if a.DelayFactor > 0 {
			pol.DelayFactor = a.DelayFactor
		}
	}
	if len(p.RetryReasons) > 0 {
		pol.Reasons = p.RetryReasons
	}
	if len(p.RetryMessages) > 0 {
		pol.Messages = p.RetryMessages
	}
	return pol
}

// Validate checks the retryAuto bounds.
func (p *Properties) Validate() error {
	a := p.RetryAuto
	if a == nil {
		return nil
	}
	switch {
	case a.MaxAttempt < 0:
		return fmt.Errorf("retryAuto.maxAttempt must be at least 1, not %d", a.MaxAttempt)
	case a.Interval < 0 || a.MaxInterval < 0 || a.MaxDuration < 0:
		return errors.New("retryAuto: durations must not be negative")
	case a.MaxInterval > 0 && a.Interval > a.MaxInterval:
		return fmt.Errorf("retryAuto.interval %s is above maxInterval %s", a.Interval, a.MaxInterval)
	case a.DelayFactor != 0 && a.DelayFactor < 1:
		return fmt.Errorf("retryAuto.delayFactor must be at least 1, not %g", a.DelayFactor)
	}
	return nil
}

// Policy says what is retried and how long to wait.
type Policy struct {
	Constant    bool
	Interval    time.Duration
	MaxInterval time.Duration
	MaxAttempt  int
	MaxDuration time.Duration
	DelayFactor float64
	Reasons     []string
	Messages    []string
	Codes       []int
}

// Default is Kestra's retryAuto with the default lists.
func Default() Policy {
	return Policy{
		Interval: 5 * time.Second, MaxInterval: time.Minute, MaxAttempt: 15, DelayFactor: 2,
		Reasons: DefaultReasons, Messages: DefaultMessages, Codes: DefaultCodes,
	}
}

// Base is the delay before retry n (1: the first retry), before jitter.
func (p Policy) Base(n int) time.Duration {
	d := p.Interval
	if !p.Constant && n > 1 {
		f := math.Pow(p.DelayFactor, float64(n-1))
		if x := float64(p.Interval) * f; x < float64(math.MaxInt64) {
			d = time.Duration(x)
		} else {
			d = math.MaxInt64
		}
	}
	if p.MaxInterval > 0 && d > p.MaxInterval {
		d = p.MaxInterval
	}
	return d
}

// Delay is the jittered delay before retry n: uniform in
// [Base(n)/2, Base(n)] ("equal jitter"), so that concurrent task runs
// hitting the same rate limit spread out while each wait keeps a floor.
// r is in [0, 1).
func (p Policy) Delay(n int, r float64) time.Duration {
	b := p.Base(n)
	return b/2 + time.Duration(r*float64(b-b/2))
}

// ReasonError is implemented by errors that carry Google error reasons
// without being a googleapi.Error (a BigQuery job's errorResult).
type ReasonError interface {
	error
	ErrorReasons() []string
}

// Permanent marks an error as never retried whatever its text.
type Permanent struct{ Err error }

func (e *Permanent) Error() string { return e.Err.Error() }
func (e *Permanent) Unwrap() error { return e.Err }

// Classify says whether err is one a retry may fix, and why.
func (p Policy) Classify(err error) (reason string, retryable bool) {
	if err == nil {
		return "", false
	}
	var perm *Permanent
	if errors.As(err, &perm) || errors.Is(err, context.Canceled) {
		return "", false
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		for _, e := range gerr.Errors {
			if slices.Contains(p.Reasons, e.Reason) {
				return e.Reason, true
			}
		}
		if m, ok := p.message(gerr.Message); ok {
			return fmt.Sprintf("message %q", m), true
		}
		for _, e := range gerr.Errors {
			if m, ok := p.message(e.Message); ok {
				return fmt.Sprintf("message %q", m), true
			}
		}
		if slices.Contains(p.Codes, gerr.Code) {
			return fmt.Sprintf("HTTP %d", gerr.Code), true
		}
		return "", false
	}
	var rerr ReasonError
	if errors.As(err, &rerr) {
		for _, r := range rerr.ErrorReasons() {
			if slices.Contains(p.Reasons, r) {
				return r, true
			}
		}
		if m, ok := p.message(rerr.Error()); ok {
			return fmt.Sprintf("message %q", m), true
		}
		return "", false
	}
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		switch st.Code() {
		case codes.Unavailable:
			return "gRPC UNAVAILABLE", true
		case codes.Internal:
			return "gRPC INTERNAL", true
		case codes.ResourceExhausted:
			if slices.Contains(p.Reasons, "rateLimitExceeded") {
				return "gRPC RESOURCE_EXHAUSTED", true
			}
		}
		if m, ok := p.message(st.Message()); ok {
			return fmt.Sprintf("message %q", m), true
		}
		return "", false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return "connection: " + err.Error(), true
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() && !errors.Is(err, context.DeadlineExceeded) {
		return "network timeout", true
	}
	if m, ok := p.message(err.Error()); ok {
		return fmt.Sprintf("message %q", m), true
	}
	return "", false
}

func (p Policy) message(s string) (string, bool) {
	for _, m := range p.Messages {
		if m != "" && strings.Contains(s, m) {
			return m, true
		}
	}
	return "", false
}

// Clock is what a Retrier waits with; tests inject a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RealClock is the wall clock.
var RealClock Clock = realClock{}

// Retrier runs calls under a policy.
type Retrier struct {
	Policy Policy
	Clock  Clock          // nil: RealClock
	Rand   func() float64 // nil: math/rand/v2
	Log    *slog.Logger   // nil: no log
}

// Exhausted wraps the last error once the attempts or the time are used up.
type Exhausted struct {
	Attempts int
	Err      error
}

func (e *Exhausted) Error() string {
	return fmt.Sprintf("still failing after %d attempts: %v", e.Attempts, e.Err)
}
func (e *Exhausted) Unwrap() error { return e.Err }

// Do calls fn until it succeeds, fails with an error no retry fixes, or the
// policy's attempts or duration are used up. fn gets the attempt number
// (1-based). op names the call in the log.
func (r *Retrier) Do(ctx context.Context, op string, fn func(ctx context.Context, attempt int) error) error {
	clock := r.Clock
	if clock == nil {
		clock = RealClock
	}
	rnd := r.Rand
	if rnd == nil {
		rnd = rand.Float64
	}
	max := r.Policy.MaxAttempt
	if max < 1 {
		max = 1
	}
	start := clock.Now()
	for attempt := 1; ; attempt++ {
		err := fn(ctx, attempt)
		if err == nil {
			return nil
		}
		reason, ok := r.Policy.Classify(err)
		if !ok || ctx.Err() != nil {
			return err
		}
		if attempt >= max {
			return &Exhausted{Attempts: attempt, Err: err}
		}
		d := r.Policy.Delay(attempt, rnd())
		if r.Policy.MaxDuration > 0 && clock.Now().Add(d).Sub(start) > r.Policy.MaxDuration {
			return &Exhausted{Attempts: attempt, Err: err}
		}
		if r.Log != nil {
			r.Log.Warn("retrying after a transient error", "call", op, "attempt", attempt, "maxAttempt", max,
				"reason", reason, "delay", d.String(), "error", err.Error())
		}
		if serr := clock.Sleep(ctx, d); serr != nil {
			return fmt.Errorf("%s: waiting to retry: %w (last error: %v)", op, serr, err)
		}
	}
}
