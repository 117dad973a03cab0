package plugin

import (
	"context"
	"io"
	"io/fs"

	"github.com/sluicehq/sluice/internal/rows/rowfile"
)

// RowCount returns the number of rows of the row file at location, read
// from its end block without reading the rows, when the store gives
// random access to it (the local folder does; an object store may not):
// a loader sets it as its progress total. ok is false when it cannot be
// known cheaply.
func (rc *RunContext) RowCount(ctx context.Context, location string) (n int64, ok bool) {
	f, err := rc.OpenFile(ctx, location)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	ra, isRA := f.(interface {
		io.ReaderAt
		Stat() (fs.FileInfo, error)
	})
	if !isRA {
		return 0, false
	}
	info, err := ra.Stat()
	if err != nil {
		return 0, false
	}
	n, err = rowfile.TotalRows(ra, info.Size())
	return n, err == nil
}
