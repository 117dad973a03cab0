package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// outputFormat is -o: kubectl's convention. "" is the default table for
// people; wide is that table uncut; json and yaml are for programs.
type outputFormat string

const (
	outTable outputFormat = ""
	outWide  outputFormat = "wide"
	outJSON  outputFormat = "json"
	outYAML  outputFormat = "yaml"
)

func addOutputFlag(cmd *cobra.Command, o *outputFormat) {
	cmd.Flags().VarP((*outputFlag)(o), "output", "o", "output format: wide (the table, never cut), json or yaml")
}

type outputFlag outputFormat

func (o *outputFlag) String() string { return string(*o) }
func (o *outputFlag) Type() string   { return "format" }
func (o *outputFlag) Set(s string) error {
	switch f := outputFormat(s); f {
	case outWide, outJSON, outYAML:
		*o = outputFlag(f)
		return nil
	case "table", "text":
		*o = outputFlag(outTable)
		return nil
	}
	return fmt.Errorf("%q is not wide, json or yaml", s)
}

// structured reports whether o is a format for programs.
func (o outputFormat) structured() bool { return o == outJSON || o == outYAML }

// encode writes v as JSON (indented) or YAML.
func (o outputFormat) encode(w io.Writer, v any) error {
	if o == outYAML {
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return err
		}
		return enc.Close()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
