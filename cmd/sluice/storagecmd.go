package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowfile"
	"github.com/sluicehq/sluice/internal/storage"
)

func newStorageCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "storage", Short: "Read internal storage"}
	var raw bool
	cat := &cobra.Command{
		Use:   "cat URI",
		Short: "Print a stored file; row files print as JSON lines (use --raw for the bytes)",
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
			out := cmd.OutOrStdout()
			if raw {
				_, err = io.Copy(out, f)
				return err
			}
			r, err := rowfile.NewReader(f)
			if err != nil {
				// Not a row file: print as is.
				f.Close()
				f2, err := store.Open(cmd.Context(), u)
				if err != nil {
					return err
				}
				defer f2.Close()
				_, err = io.Copy(out, f2)
				return err
			}
			return printRowsJSON(out, r)
		},
	}
	cat.Flags().BoolVar(&raw, "raw", false, "print the stored bytes as they are")
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
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
			for _, in := range infos {
				fmt.Fprintf(tw, "%d\t  %s\t\n", in.Size, in.URI)
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(cat, ls)
	return cmd
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
