package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowfile"
	"github.com/sluicehq/sluice/internal/storage"
	"github.com/sluicehq/sluice/serdes/avro"
)

func newStorageCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "storage", Short: "Read internal storage"}
	var raw bool
	cat := &cobra.Command{
		Use:   "cat URI",
		Short: "Print a stored file: row and Avro files as JSON lines, text as it is; other binary files only with --raw or when piped",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.openStore()
			if err != nil {
				return err
			}
			u, err := storage.ParseURI(args[0])
			if err != nil {
				return invalid(err)
			}
			f, err := store.Open(cmd.Context(), u)
			if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrLinkEscapes) {
				return invalid(err)
			}
			if err != nil {
				return err
			}
			defer f.Close()
			return catFile(cmd.OutOrStdout(), f, args[0], raw)
		},
	}
	cat.Flags().BoolVar(&raw, "raw", false, "print the stored bytes as they are")
	var lsOut outputFormat
	ls := &cobra.Command{
		Use:   "ls URI",
		Short: "List files under a storage prefix",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.openStore()
			if err != nil {
				return err
			}
			u, err := storage.ParseURI(args[0])
			if err != nil {
				return invalid(err)
			}
			infos, err := store.List(cmd.Context(), u)
			if err != nil {
				return err
			}
			if lsOut.structured() {
				type file struct {
					URI      string    `json:"uri" yaml:"uri"`
					Size     int64     `json:"size" yaml:"size"`
					Modified time.Time `json:"modified" yaml:"modified"`
				}
				files := []file{}
				for _, in := range infos {
					files = append(files, file{in.URI.String(), in.Size, in.ModTime})
				}
				return lsOut.encode(cmd.OutOrStdout(), files)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
			for _, in := range infos {
				fmt.Fprintf(tw, "%d\t  %s\t\n", in.Size, in.URI)
			}
			return tw.Flush()
		},
	}
	addOutputFlag(ls, &lsOut)
	cmd.AddCommand(cat, ls)
	return cmd
}

// avroMagic starts an Avro Object Container File.
const avroMagic = "Obj\x01"

// catFile prints a stored file: a row file or an Avro container as JSON
// lines (one object per row, as the rows are), text as it is, and any
// other binary file as its bytes only with --raw or when stdout is not a
// terminal (it would garble the screen).
func catFile(out io.Writer, f io.Reader, name string, raw bool) error {
	if raw {
		_, err := io.Copy(out, f)
		return err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(8 << 10)
	switch {
	case bytes.HasPrefix(head, []byte(rowfile.Magic)):
		r, err := rowfile.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return printRowsJSON(out, r)
	case bytes.HasPrefix(head, []byte(avroMagic)):
		r, err := avro.NewReader(br, avro.ReadOptions{Name: name})
		if err != nil {
			return err
		}
		defer r.Close()
		return printRowsJSON(out, r)
	case isText(head):
		_, err := io.Copy(out, br)
		return err
	case isTerminal(out):
		return invalid(fmt.Errorf("%s is a binary file that sluice cannot show as rows; use --raw to print its bytes, or redirect them to a file", name))
	}
	_, err := io.Copy(out, br)
	return err
}

// isText reports whether the start of a file is UTF-8 text without NUL
// bytes (a rune cut at the end of the sample is allowed).
func isText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		b = b[n:]
	}
	return true
}

func printRowsJSON(w io.Writer, r rows.Reader) error {
	s := r.Schema()
	var row rows.Row
	buf := make([]byte, 0, 1024)
	for r.Next(&row) {
		buf = append(buf[:0], '{')
		for i, f := range s.Fields {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = rows.AppendJSONString(buf, f.Name)
			buf = append(buf, ':')
			var err error
			if i < len(row.Values) {
				buf, err = rows.AppendJSON(buf, row.Values[i])
			} else {
				buf = append(buf, "null"...)
			}
			if err != nil {
				return err
			}
		}
		buf = append(buf, '}', '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return r.Err()
}
