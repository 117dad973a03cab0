// Package connpool shares database handles between task runs of one
// process. A *sql.DB is itself a pool of connections; what connpool adds is
// that task runs asking for the same server with the same credentials get
// the same *sql.DB, so a server running thousands of short JDBC task runs
// reuses a few connections instead of opening (and authenticating) one per
// run.
//
// Handles are keyed by driver name and DSN (the DSN carries the user and
// password, so different credentials never share a connection). Each
// handle holds at most MaxOpen connections; a task run waiting for one
// waits for its context. Connections idle for IdleTimeout are closed by
// database/sql; a handle nobody has acquired for IdleTimeout is closed
// with its connections; beyond MaxHandles handles, the least recently
// released unused one is closed.
package connpool

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"
)

// Options bound a Pool.
type Options struct {
	// MaxOpen is the most connections one handle (one server and user)
	// keeps open; default 8.
	MaxOpen int
	// MaxIdle is the most idle connections kept per handle; default MaxOpen.
	MaxIdle int
	// IdleTimeout closes connections, and handles, unused this long;
	// default 5 minutes.
	IdleTimeout time.Duration
	// MaxHandles bounds the distinct servers and credentials kept open;
	// default 64.
	MaxHandles int
	// Open opens a handle; default sql.Open.
	Open func(driver, dsn string) (*sql.DB, error)
}

// Pool is a set of shared handles. The zero value is not usable; use New.
type Pool struct {
	o       Options
	mu      sync.Mutex
	entries map[[32]byte]*entry
	closed  bool
}

type entry struct {
	key  [32]byte
	db   *sql.DB
	refs int
	// released counts releases, so an idle timer started by an earlier
	// release knows the handle has been used since.
	released uint64
	lastUsed time.Time
	timer    *time.Timer
}

// Default is the process's pool, used by the JDBC tasks.
var Default = New(Options{})

// New returns a pool with o's bounds (zero fields take the defaults).
func New(o Options) *Pool {
	if o.MaxOpen <= 0 {
		o.MaxOpen = 8
	}
	if o.MaxIdle <= 0 || o.MaxIdle > o.MaxOpen {
		o.MaxIdle = o.MaxOpen
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Minute
	}
	if o.MaxHandles <= 0 {
		o.MaxHandles = 64
	}
	if o.Open == nil {
		o.Open = sql.Open
	}
	return &Pool{o: o, entries: map[[32]byte]*entry{}}
}

// Handle is one task run's use of a shared *sql.DB. Release it when done;
// never Close the DB.
type Handle struct {
	DB   *sql.DB
	p    *Pool
	e    *entry
	once sync.Once
}

// ErrClosed is returned by Acquire after Close.
var ErrClosed = errors.New("connpool: pool closed")

// Acquire returns the shared handle for driver and dsn, opening it on
// first use. variant tells apart handles whose sessions differ in what the
// DSN does not say (session statements the caller runs on every
// connection). It does not connect: the first query (or a Ping) does,
// under the caller's context.
func (p *Pool) Acquire(_ context.Context, driver, dsn string, variant ...string) (*Handle, error) {
	key := sha256.Sum256([]byte(driver + "\x00" + dsn + "\x00" + strings.Join(variant, "\x00")))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	e := p.entries[key]
	if e == nil {
		db, err := p.o.Open(driver, dsn)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(p.o.MaxOpen)
		db.SetMaxIdleConns(p.o.MaxIdle)
		db.SetConnMaxIdleTime(p.o.IdleTimeout)
		e = &entry{key: key, db: db}
		p.entries[key] = e
	}
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	e.refs++
	p.evictLocked()
	return &Handle{DB: e.db, p: p, e: e}, nil
}

// Release hands the handle back; it may be called more than once.
func (h *Handle) Release() {
	if h == nil {
		return
	}
	h.once.Do(func() { h.p.release(h.e) })
}

func (p *Pool) release(e *entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e.refs--
	e.released++
	e.lastUsed = time.Now()
	if e.refs > 0 || p.closed || p.entries[e.key] != e {
		return
	}
	gen := e.released
	e.timer = time.AfterFunc(p.o.IdleTimeout, func() { p.expire(e, gen) })
}

// expire closes e if nobody acquired it since the release numbered gen.
func (p *Pool) expire(e *entry, gen uint64) {
	p.mu.Lock()
	if e.refs > 0 || e.released != gen || p.entries[e.key] != e {
		p.mu.Unlock()
		return
	}
	delete(p.entries, e.key)
	p.mu.Unlock()
	e.db.Close()
}

// evictLocked closes the least recently released unused handles while
// there are more than MaxHandles. Handles in use are never closed.
func (p *Pool) evictLocked() {
	for len(p.entries) > p.o.MaxHandles {
		var oldest *entry
		for _, e := range p.entries {
			if e.refs == 0 && (oldest == nil || e.lastUsed.Before(oldest.lastUsed)) {
				oldest = e
			}
		}
		if oldest == nil {
			return // every handle is in use: the bound gives way, not a task
		}
		delete(p.entries, oldest.key)
		if oldest.timer != nil {
			oldest.timer.Stop()
		}
		go oldest.db.Close()
	}
}

// Stats reports the pool's handles and the connections they hold.
type Stats struct {
	Handles int
	InUse   int // handles acquired and not released
	Open    int // connections open across handles
}

// Stats returns the pool's current figures.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	var s Stats
	for _, e := range p.entries {
		s.Handles++
		if e.refs > 0 {
			s.InUse++
		}
		s.Open += e.db.Stats().OpenConnections
	}
	return s
}

// Close closes every handle, in use or not, and refuses new ones.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	entries := p.entries
	p.entries = map[[32]byte]*entry{}
	p.mu.Unlock()
	var errs []error
	for _, e := range entries {
		if e.timer != nil {
			e.timer.Stop()
		}
		errs = append(errs, e.db.Close())
	}
	return errors.Join(errs...)
}
