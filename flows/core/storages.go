package core

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
)

// Concat joins files of internal storage (or local paths) into one file.
type Concat struct {
	Files     []string `yaml:"files" required:"true" doc:"Storage URIs or local paths, in order."`
	Separator string   `yaml:"separator" doc:"Written between files (for example a newline)."`
	Extension string   `yaml:"extension" default:".txt" doc:"Extension of the result file."`
}

// Run streams every file into one.
func (c *Concat) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	up, u, err := rc.CreateFile(ctx, "concat"+c.Extension)
	if err != nil {
		return nil, err
	}
	defer up.Close()
	var total int64
	for i, name := range c.Files {
		if i > 0 && c.Separator != "" {
			n, _ := io.WriteString(up, c.Separator)
			total += int64(n)
		}
		f, err := rc.OpenFile(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("files[%d]: %w", i, err)
		}
		n, err := io.Copy(up, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("files[%d] %s: %w", i, name, err)
		}
		total += n
	}
	if err := up.Commit(); err != nil {
		return nil, err
	}
	return plugin.Outputs{"uri": u.String(), "size": total}, nil
}

// Split cuts a file into parts: a row file by rows, any other file by
// lines or bytes.
type Split struct {
	From  string `yaml:"from" required:"true" doc:"Storage URI of the file to split."`
	Rows  int64  `yaml:"rows" doc:"Rows (row files) or lines (text files) per part."`
	Bytes string `yaml:"bytes" doc:"Approximate size per part for text files (e.g. 10MB); parts end on a line."`
}

// Validate requires one way of splitting.
func (s *Split) Validate() error {
	if (s.Rows > 0) == (s.Bytes != "") {
		return fmt.Errorf("set exactly one of rows and bytes")
	}
	if s.Bytes != "" {
		if _, err := parseSize(s.Bytes); err != nil {
			return err
		}
	}
	return nil
}

// Run splits.
func (s *Split) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	if s.Rows > 0 {
		if r, err := rc.OpenRows(ctx, s.From); err == nil {
			defer r.Close()
			return s.splitRows(ctx, rc, r)
		}
	}
	f, err := rc.OpenFile(ctx, s.From)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	limit := int64(0)
	if s.Bytes != "" {
		limit, _ = parseSize(s.Bytes)
	}
	br := bufio.NewReaderSize(f, 1<<20)
	var uris []any
	for part := 1; ; part++ {
		up, u, err := rc.CreateFile(ctx, fmt.Sprintf("part-%05d.txt", part))
		if err != nil {
			return nil, err
		}
		var lines, size int64
		for (s.Rows == 0 || lines < s.Rows) && (limit == 0 || size < limit) {
			line, err := br.ReadSlice('\n')
			if len(line) > 0 {
				up.Write(line)
				size += int64(len(line))
				if err == nil {
					lines++
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				up.Close()
				return nil, err
			}
		}
		if size == 0 {
			up.Close()
			break
		}
		if err := up.Commit(); err != nil {
			return nil, err
		}
		uris = append(uris, u.String())
	}
	return plugin.Outputs{"uris": uris}, nil
}

func (s *Split) splitRows(ctx context.Context, rc *plugin.RunContext, r rows.Reader) (plugin.Outputs, error) {
	var uris []any
	var row rows.Row
	var w *plugin.RowsWriter
	defer func() {
		if w != nil {
			w.Abort()
		}
	}()
	part := 0
	for r.Next(&row) {
		if w == nil {
			part++
			var err error
			if w, err = rc.CreateRows(ctx, fmt.Sprintf("part-%05d", part), r.Schema()); err != nil {
				return nil, err
			}
		}
		if err := w.Write(&row); err != nil {
			return nil, err
		}
		if w.Rows() == s.Rows {
			if err := w.Close(); err != nil {
				return nil, err
			}
			uris = append(uris, w.URI().String())
			w = nil
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if w != nil {
		if err := w.Close(); err != nil {
			return nil, err
		}
		uris = append(uris, w.URI().String())
		w = nil
	}
	return plugin.Outputs{"uris": uris}, nil
}

func parseSize(s string) (int64, error) {
	units := map[string]int64{"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
	for _, u := range []string{"KB", "MB", "GB", "B"} {
		if len(s) > len(u) && s[len(s)-len(u):] == u {
			n, err := strconv.ParseInt(s[:len(s)-len(u)], 10, 64)
			if err != nil || n <= 0 {
				break
			}
			return n * units[u], nil
		}
	}
	return 0, fmt.Errorf("bytes: %q is not a size like 512KB, 10MB or 1GB", s)
}

func init() {
	plugin.Register(plugin.Info{
		ID: "storage.Concat", Aliases: []string{"io.kestra.core.tasks.storages.Concat", "io.kestra.plugin.core.storage.Concat"},
		Title: "Join files into one.", New: func() any { return &Concat{} },
		Outputs: []plugin.Output{{Name: "uri", Doc: "The joined file."}, {Name: "size", Doc: "Its size in bytes."}},
	})
	plugin.Register(plugin.Info{
		ID: "storage.Split", Aliases: []string{"io.kestra.core.tasks.storages.Split", "io.kestra.plugin.core.storage.Split"},
		Title: "Split a file into parts by rows, lines or size.", New: func() any { return &Split{} },
		Outputs: []plugin.Output{{Name: "uris", Doc: "The parts, in order (use with EachParallel)."}},
	})
}
