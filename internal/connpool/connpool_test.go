package connpool

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingDriver counts the connections it opens and has open.
type countingDriver struct{ opened, open atomic.Int64 }

func (d *countingDriver) Open(string) (driver.Conn, error) {
	d.opened.Add(1)
	d.open.Add(1)
	return &fakeConn{d: d}, nil
}

type fakeConn struct{ d *countingDriver }

func (c *fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (c *fakeConn) Close() error                        { c.d.open.Add(-1); return nil }
func (c *fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }
func (c *fakeConn) Ping(context.Context) error          { return nil }

var (
	registerOnce sync.Once
	fake         = &countingDriver{}
)

func fakePool(t *testing.T, o Options) *Pool {
	registerOnce.Do(func() { sql.Register("connpool-fake", fake) })
	p := New(o)
	t.Cleanup(func() { p.Close() })
	return p
}

// One handle per DSN; concurrent users share its bounded connections.
func TestSharedAndBounded(t *testing.T) {
	p := fakePool(t, Options{MaxOpen: 3})
	before := fake.opened.Load()
	ctx := context.Background()
	var wg sync.WaitGroup
	var maxInUse atomic.Int64
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := p.Acquire(ctx, "connpool-fake", "user=a password=x")
			if err != nil {
				t.Error(err)
				return
			}
			defer h.Release()
			c, err := h.DB.Conn(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			if n := int64(h.DB.Stats().InUse); n > maxInUse.Load() {
				maxInUse.Store(n)
			}
			c.Close()
		}()
	}
	wg.Wait()
	if got := fake.opened.Load() - before; got < 1 || got > 3 {
		t.Errorf("200 users opened %d connections, want 1..3", got)
	}
	if maxInUse.Load() > 3 {
		t.Errorf("%d connections in use at once, bound is 3", maxInUse.Load())
	}
	if s := p.Stats(); s.Handles != 1 || s.InUse != 0 {
		t.Errorf("stats %+v, want one handle, none in use", s)
	}
	// Other credentials: another handle, never the same connections.
	h1, _ := p.Acquire(ctx, "connpool-fake", "user=a password=x")
	h2, _ := p.Acquire(ctx, "connpool-fake", "user=b password=y")
	if h1.DB == h2.DB {
		t.Error("two users share a handle")
	}
	h1.Release()
	h1.Release() // a second release is harmless
	h2.Release()
	if s := p.Stats(); s.Handles != 2 || s.InUse != 0 {
		t.Errorf("stats %+v after releasing twice", s)
	}
}

// A handle nobody uses for IdleTimeout is closed with its connections; one
// acquired again in time is kept.
func TestIdleHandlesClose(t *testing.T) {
	p := fakePool(t, Options{IdleTimeout: 20 * time.Millisecond})
	ctx := context.Background()
	h, err := p.Acquire(ctx, "connpool-fake", "idle")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.DB.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	db := h.DB
	h.Release()
	deadline := time.Now().Add(10 * time.Second)
	for p.Stats().Handles != 0 {
		if time.Now().After(deadline) {
			t.Fatal("idle handle still open after 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := db.PingContext(ctx); err == nil {
		t.Error("the expired handle's DB still answers")
	}
	// In use: never expired, however long.
	h, _ = p.Acquire(ctx, "connpool-fake", "busy")
	time.Sleep(60 * time.Millisecond)
	if p.Stats().InUse != 1 {
		t.Error("a handle in use was closed")
	}
	h.Release()
}

// Beyond MaxHandles the least recently released unused handle goes.
func TestMaxHandles(t *testing.T) {
	p := fakePool(t, Options{MaxHandles: 2})
	ctx := context.Background()
	for _, dsn := range []string{"a", "b", "c"} {
		h, err := p.Acquire(ctx, "connpool-fake", dsn)
		if err != nil {
			t.Fatal(err)
		}
		h.Release()
	}
	if s := p.Stats(); s.Handles != 2 {
		t.Errorf("%d handles, bound is 2", s.Handles)
	}
	held := []*Handle{}
	for _, dsn := range []string{"x", "y", "z"} {
		h, _ := p.Acquire(ctx, "connpool-fake", dsn)
		held = append(held, h)
	}
	if s := p.Stats(); s.InUse != 3 {
		t.Errorf("handles in use were evicted: %+v", s)
	}
	for _, h := range held {
		h.Release()
	}
	p.Close()
	if _, err := p.Acquire(ctx, "connpool-fake", "a"); !errors.Is(err, ErrClosed) {
		t.Errorf("acquire after close: %v", err)
	}
}
