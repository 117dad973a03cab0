package template

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// Limits bound one rendering so that a template of an untrusted flow
// cannot take the machine down: every limit is enforced as rendering goes,
// not on the result. docs/limits.md lists them with the way to change them.
type Limits struct {
	// Output is the most bytes one render may produce.
	Output int
	// Value is the most bytes any value built while rendering may take: a
	// string, a list (elementBytes an element), a value printed or turned
	// into JSON, the input of a jq query, and the memory a jq query may
	// grow the heap by.
	Value int
	// Steps is the most evaluation steps of one render: expressions,
	// filter and function calls, loop iterations.
	Steps int
	// Time is the most wall time one render may take, jq queries included.
	Time time.Duration
}

// DefaultLimits keep a render of the largest legitimate template (a JSON
// document of a query's rows) possible while a hostile one stays far below
// a 512 MB process.
var DefaultLimits = Limits{
	Output: 32 << 20,
	Value:  32 << 20,
	Steps:  20_000_000,
	Time:   10 * time.Second,
}

// elementBytes is what one list element or map entry counts against the
// Value limit: the interface word pair it takes at least.
const elementBytes = 16

// limits is the setting in force. It is a plain variable, written by
// SetLimits before rendering starts (and by tests).
var limits = DefaultLimits

// SetLimits replaces the limits of every later render; zero fields take
// their default. Call it at start-up, before rendering.
func SetLimits(l Limits) {
	if l.Output <= 0 {
		l.Output = DefaultLimits.Output
	}
	if l.Value <= 0 {
		l.Value = DefaultLimits.Value
	}
	if l.Steps <= 0 {
		l.Steps = DefaultLimits.Steps
	}
	if l.Time <= 0 {
		l.Time = DefaultLimits.Time
	}
	limits = l
}

// CurrentLimits returns the limits in force.
func CurrentLimits() Limits { return limits }

// LimitError reports a render stopped by one of its limits. Limit is
// "output", "value", "steps" or "time"; Max is the limit in bytes, steps or
// a duration.
type LimitError struct {
	Limit string
	Max   string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("template %s limit of %s exceeded (see docs/limits.md to raise it)", e.Limit, e.Max)
}

func limitErr(name string) *LimitError {
	var max string
	switch name {
	case "output":
		max = byteSize(limits.Output)
	case "value":
		max = byteSize(limits.Value)
	case "steps":
		max = fmt.Sprintf("%d steps", limits.Steps)
	case "time":
		max = limits.Time.String()
	}
	return &LimitError{Limit: name, Max: max}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkString fails when a string built while rendering exceeds the Value
// limit; n is its length in bytes.
func checkString(n int) error {
	if n > limits.Value {
		return limitErr("value")
	}
	return nil
}

// checkList fails when a list or map of n elements exceeds the Value limit.
func checkList(n int) error {
	if n > limits.Value/elementBytes {
		return limitErr("value")
	}
	return nil
}

// maxElements is how many elements a list may have under the Value limit.
func maxElements() int { return limits.Value / elementBytes }

// budget is the part of a render's state that counts work and watches the
// clock and the context.
type budget struct {
	ctx      context.Context
	deadline time.Time
	steps    int
}

func newBudget(ctx context.Context) budget {
	if ctx == nil {
		ctx = context.Background()
	}
	return budget{ctx: ctx, deadline: time.Now().Add(limits.Time)}
}

// step counts one unit of work. Every 256 steps it reads the clock and the
// context, so that a cancelled run (SIGTERM) stops rendering promptly.
func (b *budget) step() error {
	b.steps++
	if b.steps > limits.Steps {
		return limitErr("steps")
	}
	if b.steps&255 == 0 {
		return b.check()
	}
	return nil
}

// check fails when the context is done or the time is up.
func (b *budget) check() error {
	if err := b.ctx.Err(); err != nil {
		return fmt.Errorf("rendering stopped: %w", context.Cause(b.ctx))
	}
	if time.Now().After(b.deadline) {
		return limitErr("time")
	}
	return nil
}

// jqContext is the context a jq query runs under: the render's, ending at
// the render's deadline, and cancelled when the heap grows by more than
// the Value limit while the query runs. gojq reads the context at each
// instruction, so the query stops within microseconds. The second result
// reports why the context ended when the budget ended it.
func (b *budget) jqContext() (context.Context, func() error) {
	ctx, cancel := context.WithDeadline(b.ctx, b.deadline)
	var overMemory atomic.Bool
	guard := startHeapGuard(func() { overMemory.Store(true); cancel() })
	return ctx, func() error {
		guard.stop()
		defer cancel()
		switch {
		case overMemory.Load():
			return limitErr("value")
		case b.ctx.Err() != nil:
			return fmt.Errorf("rendering stopped: %w", context.Cause(b.ctx))
		case ctx.Err() != nil:
			return limitErr("time")
		}
		return nil
	}
}

// heapGuard samples the heap while a jq query runs. Most queries end in
// microseconds, so sampling starts only after heapGuardDelay.
type heapGuard struct {
	done  chan struct{}
	timer *time.Timer
}

const (
	heapGuardDelay = 5 * time.Millisecond
	heapGuardEvery = 2 * time.Millisecond
)

// heapBytes is the memory held by heap objects, live or not yet swept.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func startHeapGuard(over func()) *heapGuard {
	g := &heapGuard{done: make(chan struct{})}
	base := heapBytes()
	limit := uint64(limits.Value)
	g.timer = time.AfterFunc(heapGuardDelay, func() {
		tick := time.NewTicker(heapGuardEvery)
		defer tick.Stop()
		// next is the heap size that calls for a collection: base+limit,
		// then limit above what the last collection left, so that other
		// goroutines' garbage costs at most one collection per limit
		// bytes they allocate.
		next := base + limit
		for {
			select {
			case <-g.done:
				return
			case <-tick.C:
			}
			if heapBytes() <= next {
				continue
			}
			// The growth may be garbage of other goroutines: collect it
			// and look again before blaming the query.
			runtime.GC()
			after := heapBytes()
			if after > base+limit {
				over()
				return
			}
			next = max(base, after) + limit
		}
	})
	return g
}

func (g *heapGuard) stop() {
	g.timer.Stop()
	close(g.done)
}

// checkSize fails when v, expanded, is bigger than the Value limit:
// strings count their bytes, list elements and map entries elementBytes
// each. The walk stops as soon as the limit is passed, so it costs at most
// the limit however often v holds the same list.
func checkSize(v any) error {
	left := limits.Value
	if !fitsIn(v, &left, 0) {
		return limitErr("value")
	}
	return nil
}

func fitsIn(v any, left *int, depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	switch x := norm(v).(type) {
	case string:
		*left -= len(x)
		return *left >= 0
	case nil, bool, int64, float64, time.Time:
		return true
	case []any:
		for _, e := range x {
			if *left -= elementBytes; *left < 0 || !fitsIn(e, left, depth+1) {
				return false
			}
		}
		return true
	}
	if keys, ok := mapKeys(norm(v)); ok {
		for _, k := range keys {
			e, _ := getKey(norm(v), k)
			if *left -= elementBytes + len(k); *left < 0 || !fitsIn(e, left, depth+1) {
				return false
			}
		}
		return true
	}
	if l, ok := asList(norm(v)); ok {
		return fitsIn(l, left, depth)
	}
	return true
}
