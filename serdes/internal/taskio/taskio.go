// Package taskio holds what every serdes task does around its codec: open
// the input (storage URI or local path), pump rows with progress and
// cancellation, and publish the output only when everything succeeded.
package taskio

import (
	"context"
	"fmt"
	"io"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/rows"
)

// batch is how many rows pass between progress updates and context checks.
const batch = 4096

// CountingReader counts bytes read, for progress.
type CountingReader struct {
	R io.Reader
	N int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// Open opens from (sluice:///..., kestra:///... or a local path). Reads
// fail with ctx's error once it is done, so that passes that read without
// producing rows (schema scans) stop when the task is killed.
func Open(ctx context.Context, rc *plugin.RunContext, from string) (io.ReadCloser, error) {
	if from == "" {
		return nil, fmt.Errorf("from: empty")
	}
	f, err := rc.OpenFile(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", from, err)
	}
	return &ctxReader{ctx: ctx, rc: f}, nil
}

type ctxReader struct {
	ctx context.Context
	rc  io.ReadCloser
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.rc.Read(p)
}

func (c *ctxReader) Close() error { return c.rc.Close() }

// Pump copies every row of src into dst, checking ctx and adding to c
// every few thousand rows; bytes reports input bytes consumed so far (nil
// for none). Row errors carry the 1-based row number.
func Pump(ctx context.Context, dst rows.Writer, src rows.Reader, c *progress.Counter, bytes func() int64) (int64, error) {
	var row rows.Row
	var n, lastBytes int64
	report := func() {
		var b int64
		if bytes != nil {
			nb := bytes()
			b, lastBytes = nb-lastBytes, nb
		}
		c.Add(n%batch, b)
	}
	for src.Next(&row) {
		if err := dst.Write(&row); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
		if n%batch == 0 {
			var b int64
			if bytes != nil {
				nb := bytes()
				b, lastBytes = nb-lastBytes, nb
			}
			c.Add(batch, b)
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
	}
	report()
	return n, src.Err()
}
