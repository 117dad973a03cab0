package progress

import (
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
