// Package progress counts rows and bytes of long-running work and shows
// them: a status line redrawn on a terminal, or a log line every interval
// otherwise (CI logs, --log-format json).
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Counter accumulates the progress of one piece of work. It is safe for
// concurrent use and cheap enough to call per row.
type Counter struct {
	label string
	rows  atomic.Int64
	bytes atomic.Int64
	total atomic.Int64 // rows expected, 0 when unknown
	start time.Time
	hub   *Hub
	done  atomic.Bool
}

// NewCounter returns a counter; with a nil hub it only counts.
func NewCounter(label string, hub *Hub) *Counter {
	return &Counter{label: label, start: time.Now(), hub: hub}
}

// Add records n more rows and b more bytes.
func (c *Counter) Add(n, b int64) {
	if n != 0 {
		c.rows.Add(n)
	}
	if b != 0 {
		c.bytes.Add(b)
	}
}

// SetTotal says how many rows the work has in all (a load knows its input's
// row count), so that the summary shows a percentage and an ETA.
func (c *Counter) SetTotal(rows int64) { c.total.Store(rows) }

// Total is the row count given to SetTotal, 0 when unknown.
func (c *Counter) Total() int64 { return c.total.Load() }

// Percent and ETA are the share done and the time left at the rate so far;
// ok is false when the total is unknown or nothing is done yet.
func (c *Counter) Percent() (pct float64, eta time.Duration, ok bool) {
	total, done := c.Total(), c.Rows()
	if total <= 0 || done <= 0 {
		return 0, 0, false
	}
	pct = min(100, 100*float64(done)/float64(total))
	el := time.Since(c.start)
	if done < total {
		eta = time.Duration(float64(el) * float64(total-done) / float64(done))
	}
	return pct, eta, true
}

// Rows and Bytes return the totals so far.
func (c *Counter) Rows() int64  { return c.rows.Load() }
func (c *Counter) Bytes() int64 { return c.bytes.Load() }

// Done marks the work finished; the hub stops showing it.
func (c *Counter) Done() {
	if c.done.Swap(true) || c.hub == nil {
		return
	}
	c.hub.remove(c)
}

// Summary formats the counter: "120,000 rows  12.3 MB  41,000 rows/s  12s",
// with "of 1,000,000 (12%)  ETA 1m28s" when the total is known.
func (c *Counter) Summary() string {
	elapsed := time.Since(c.start)
	el := elapsed.Seconds()
	rows, b := c.Rows(), c.Bytes()
	var parts []string
	if pct, _, ok := c.Percent(); ok {
		parts = append(parts, fmt.Sprintf("%s of %s rows (%.0f%%)", Thousands(rows), Thousands(c.Total()), pct))
	} else {
		parts = append(parts, Thousands(rows)+" rows")
	}
	if b > 0 {
		parts = append(parts, Bytes(b))
	}
	if el > 0.05 && rows > 0 {
		parts = append(parts, Thousands(int64(float64(rows)/el))+" rows/s")
	}
	parts = append(parts, elapsed.Round(time.Second).String())
	if pct, eta, ok := c.Percent(); ok && pct < 100 {
		parts = append(parts, "ETA "+eta.Round(time.Second).String())
	}
	return strings.Join(parts, "  ")
}

// Hub shows the active counters.
type Hub struct {
	mu       sync.Mutex
	counters map[*Counter]struct{}
	term     io.Writer // non-nil: redraw a status line here
	log      *slog.Logger
	every    time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup
	lastLen  int
	// doneRows and doneBytes total the counters that are done (Totals).
	doneRows, doneBytes int64
}

// NewHub starts a hub. With term set (a terminal), it redraws a line every
// 200 ms; otherwise it logs each active counter every interval.
func NewHub(term io.Writer, log *slog.Logger, interval time.Duration) *Hub {
	h := &Hub{counters: map[*Counter]struct{}{}, term: term, log: log, every: interval, stop: make(chan struct{})}
	if term != nil {
		h.every = 200 * time.Millisecond
	}
	if h.every <= 0 {
		h.every = 10 * time.Second
	}
	h.wg.Add(1)
	go h.loop()
	return h
}

// Counter registers a new counter.
func (h *Hub) Counter(label string) *Counter {
	c := NewCounter(label, h)
	h.mu.Lock()
	h.counters[c] = struct{}{}
	h.mu.Unlock()
	return c
}

func (h *Hub) remove(c *Counter) {
	h.mu.Lock()
	delete(h.counters, c)
	h.doneRows += c.Rows()
	h.doneBytes += c.Bytes()
	h.mu.Unlock()
}

// Totals returns the rows and bytes counted by every counter of the hub so
// far, done or running (for metrics).
func (h *Hub) Totals() (rows, bytes int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rows, bytes = h.doneRows, h.doneBytes
	for c := range h.counters {
		rows += c.Rows()
		bytes += c.Bytes()
	}
	return rows, bytes
}

// Close stops the hub and clears the status line.
func (h *Hub) Close() {
	close(h.stop)
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clearLine()
}

// Clear erases the status line so that other output can be printed.
func (h *Hub) Clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clearLine()
}

func (h *Hub) clearLine() {
	if h.term != nil && h.lastLen > 0 {
		fmt.Fprintf(h.term, "\r%s\r", strings.Repeat(" ", h.lastLen))
		h.lastLen = 0
	}
}

func (h *Hub) loop() {
	defer h.wg.Done()
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			h.show()
		}
	}
}

func (h *Hub) active() []*Counter {
	out := make([]*Counter, 0, len(h.counters))
	for c := range h.counters {
		if time.Since(c.start) > time.Second && (c.Rows() > 0 || c.Bytes() > 0) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].label < out[j].label })
	return out
}

func (h *Hub) show() {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.active()
	if h.term != nil {
		var parts []string
		for _, c := range cs {
			parts = append(parts, c.label+": "+c.Summary())
		}
		line := strings.Join(parts, " | ")
		if len(line) > 160 {
			line = line[:157] + "..."
		}
		pad := ""
		if n := h.lastLen - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(h.term, "\r%s%s", line, pad)
		h.lastLen = len(line)
		return
	}
	if h.log != nil {
		for _, c := range cs {
			attrs := []any{"task", c.label, "rows", c.Rows(), "bytes", c.Bytes(),
				"rows_per_s", int64(float64(c.Rows()) / time.Since(c.start).Seconds()),
				"elapsed", time.Since(c.start).Round(time.Second).String()}
			if pct, eta, ok := c.Percent(); ok {
				attrs = append(attrs, "total", c.Total(), "percent", int(pct), "eta", eta.Round(time.Second).String())
			}
			h.log.Info("progress", attrs...)
		}
	}
}

// Thousands formats n with comma separators.
func Thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Bytes formats a byte count with a binary unit.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
