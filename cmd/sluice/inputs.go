package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/sluicehq/sluice/flows"
)

// inputsFromFiles reads `-i name=@path` values from files, as curl does, so
// that an input larger than the command line allows can be given. A FILE
// input takes a path anyway, so its @ is only dropped. `name=@@text` passes
// the literal "@text".
func inputsFromFiles(f *flows.Flow, inputs map[string]any) error {
	for name, v := range inputs {
		s, ok := v.(string)
		if !ok || !strings.HasPrefix(s, "@") {
			continue
		}
		if strings.HasPrefix(s, "@@") {
			inputs[name] = s[1:]
			continue
		}
		path := s[1:]
		if in := f.Input(name); in != nil && in.Type == flows.InputFile {
			inputs[name] = path
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return invalid(fmt.Errorf("--input %s=@%s: %w (use %s=@@… for a value that starts with @)", name, path, err, name))
		}
		inputs[name] = string(b)
	}
	return nil
}
