package taskio

import (
	"context"
	"fmt"
	"io"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
)

// WriteFile is the body of every serdes writer task: it streams the row
// file from into a file named name in internal storage through the encoder
// newEnc builds over the upload. The file is published only when every row
// was encoded; outputs are uri and count.
func WriteFile(ctx context.Context, rc *plugin.RunContext, from, name string,
	newEnc func(w io.Writer, schema *rows.Schema) (rows.Writer, error)) (plugin.Outputs, error) {
	src, err := rc.OpenRows(ctx, from)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	up, uri, err := rc.CreateFile(ctx, name)
	if err != nil {
		return nil, err
	}
	defer up.Close() // discards unless committed
	enc, err := newEnc(up, src.Schema())
	if err != nil {
		return nil, err
	}
	defer enc.Abort()
	c := rc.Progress("rows")
	defer c.Done()
	n, err := Pump(ctx, enc, src, c, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if err := up.Commit(); err != nil {
		return nil, err
	}
	return plugin.Outputs{"uri": uri.String(), "count": n}, nil
}

// ReadFile is the body of a serdes reader task: it opens from (a storage
// URI or a local path) and streams what the decoder newDec builds over it
// into a row file. The row file is published only when every record was
// read; outputs are uri and count.
func ReadFile(ctx context.Context, rc *plugin.RunContext, from string,
	newDec func(r io.Reader) (rows.Reader, error)) (plugin.Outputs, error) {
	f, err := Open(ctx, rc, from)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := &CountingReader{R: f}
	d, err := newDec(cr)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	w, err := rc.CreateRows(ctx, "data", d.Schema())
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	c := rc.Progress("rows")
	defer c.Done()
	n, err := Pump(ctx, w, d, c, func() int64 { return cr.N })
	if err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return plugin.Outputs{"uri": w.URI().String(), "count": n}, nil
}
