package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

// chunk is a run of converted rows that owns its memory: values point into
// arena, not into the reader's buffers, so the reader can move on while the
// chunk is written.
type chunk struct {
	first int64 // 1-based number of the first row in the input
	n     int   // rows
	ncols int
	vals  []rows.Value // n × ncols
	arena []byte
	bytes int64 // approximate payload size, for progress
}

func (c *chunk) reset(first int64) {
	c.first, c.n, c.bytes = first, 0, 0
	clear(c.vals)
	c.vals = c.vals[:0]
	c.arena = c.arena[:0]
}

// row returns the values of row i of the chunk.
func (c *chunk) row(i int) []rows.Value { return c.vals[i*c.ncols : (i+1)*c.ncols] }

func (c *chunk) copyBytes(b []byte) []byte {
	// Appending may move the arena; slices handed out earlier keep
	// pointing at the old array, which stays alive and unchanged.
	start := len(c.arena)
	c.arena = append(c.arena, b...)
	return c.arena[start:len(c.arena):len(c.arena)]
}

// keep returns v with its payload copied into the chunk.
func (c *chunk) keep(v rows.Value) rows.Value {
	switch v.Kind() {
	case rows.KindString:
		c.bytes += int64(len(v.AsBytes()))
		return rows.StringBytes(c.copyBytes(v.AsBytes()))
	case rows.KindBytes:
		c.bytes += int64(len(v.AsBytes()))
		return rows.Bytes(c.copyBytes(v.AsBytes()))
	case rows.KindDecimal:
		c.bytes += 8
		if v.IsBigDecimal() {
			return rows.DecimalRaw(c.copyBytes(v.DecimalBytes()), v.Scale())
		}
	case rows.KindList, rows.KindMap:
		return v.Clone()
	default:
		c.bytes += 8
	}
	return v
}

// column is one target column and where its value comes from.
type column struct {
	Name string
	Type dialect.Type
	// In is the index of the input field feeding the column.
	In int
}

// pipeline reads, converts and chunks rows in its own goroutine so that
// decoding the next chunk overlaps writing the previous one.
type pipeline struct {
	out    chan *chunk
	free   chan *chunk
	err    error // valid once out is closed
	read   int64 // rows read, valid once out is closed
	cancel context.CancelFunc
	done   chan struct{}
}

// startPipeline starts reading r. nbuf chunks circulate: with 3, one is
// being filled, one waits, one is being written.
func startPipeline(ctx context.Context, r rows.Reader, cols []column, loc *time.Location, chunkRows, nbuf int) *pipeline {
	ctx, cancel := context.WithCancel(ctx)
	p := &pipeline{
		out:    make(chan *chunk, nbuf),
		free:   make(chan *chunk, nbuf),
		cancel: cancel,
		done:   make(chan struct{}),
	}
	for i := 0; i < nbuf; i++ {
		p.free <- &chunk{ncols: len(cols), vals: make([]rows.Value, 0, chunkRows*len(cols))}
	}
	go func() {
		defer close(p.done)
		defer close(p.out)
		p.err = p.produce(ctx, r, cols, loc, chunkRows)
	}()
	return p
}

func (p *pipeline) produce(ctx context.Context, r rows.Reader, cols []column, loc *time.Location, chunkRows int) error {
	var row rows.Row
	var n int64
	var ch *chunk
	get := func() error {
		select {
		case ch = <-p.free:
			ch.reset(n + 1)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	send := func() error {
		select {
		case p.out <- ch:
			ch = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := get(); err != nil {
		return err
	}
	schema := r.Schema()
	for r.Next(&row) {
		n++
		for i := range cols {
			c := &cols[i] // not a copy: &c.Type would make one escape per value
			if c.In >= len(row.Values) {
				p.read = n
				return &rows.RowError{Row: n, Column: c.Name, Err: fmt.Errorf("row has %d values, the input schema %d", len(row.Values), len(schema.Fields))}
			}
			v := row.Values[c.In]
			cv, err := Convert(v, &c.Type, loc)
			if err != nil {
				p.read = n
				return &rows.RowError{Row: n, Column: c.Name, Value: v.String(), Err: err}
			}
			ch.vals = append(ch.vals, ch.keep(cv))
		}
		ch.n++
		if ch.n >= chunkRows {
			if err := send(); err != nil {
				return err
			}
			if err := get(); err != nil {
				return err
			}
		}
	}
	p.read = n
	if err := r.Err(); err != nil {
		return fmt.Errorf("reading the input after row %d: %w", n, err)
	}
	if ch != nil && ch.n > 0 {
		return send()
	}
	return nil
}

// stop ends the producer and waits for it.
func (p *pipeline) stop() {
	p.cancel()
	for range p.out {
	}
	<-p.done
}

// recycle hands a written chunk back to the producer.
func (p *pipeline) recycle(c *chunk) {
	select {
	case p.free <- c:
	default:
	}
}
