package progress

import (
	"strings"
	"testing"
	"time"
)

func TestTotals(t *testing.T) {
	h := NewHub(nil, nil, time.Hour)
	defer h.Close()
	a, b := h.Counter("a"), h.Counter("b")
	a.Add(10, 100)
	b.Add(1, 5)
	a.Done()
	a.Done() // twice: counted once
	b.Add(2, 5)
	if rows, bytes := h.Totals(); rows != 13 || bytes != 110 {
		t.Fatalf("totals %d rows %d bytes, want 13 and 110", rows, bytes)
	}
}

func TestPercentAndETA(t *testing.T) {
	c := NewCounter("load", nil)
	if _, _, ok := c.Percent(); ok {
		t.Fatal("percent without a total")
	}
	if s := c.Summary(); strings.Contains(s, "%") || strings.Contains(s, "ETA") {
		t.Fatalf("summary without a total: %q", s)
	}
	c.start = c.start.Add(-10 * time.Second) // 10 s of work so far
	c.SetTotal(1000)
	c.Add(250, 0)
	pct, eta, ok := c.Percent()
	if !ok || pct != 25 || eta < 29*time.Second || eta > 31*time.Second {
		t.Fatalf("Percent = %v, %v, %v; want 25%%, ~30s", pct, eta, ok)
	}
	s := c.Summary()
	for _, want := range []string{"250 of 1,000 rows (25%)", "ETA 30s", "10s"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary %q lacks %q", s, want)
		}
	}
	c.Add(750, 0)
	if s := c.Summary(); !strings.Contains(s, "(100%)") || strings.Contains(s, "ETA") {
		t.Errorf("done: %q", s)
	}
}
