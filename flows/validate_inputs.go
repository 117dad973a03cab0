package flows

import (
	"context"
	"fmt"
)

// checkInputDefaults converts each input's default to the input's type, so
// that `type: INT, defaults: one` fails validation at its line rather than
// every run without that input.
func checkInputDefaults(f *Flow, d *decoder) {
	for _, in := range f.Inputs {
		if in.Default == nil || in.Type == InputFile {
			continue // a FILE default is a path read at run time
		}
		if s, ok := in.Default.(string); ok && isTemplate(s) {
			continue
		}
		if _, err := convertInput(context.Background(), in, in.Default, f, nil, ""); err != nil {
			d.errs = append(d.errs, &Error{Pos: in.Pos, Property: "inputs", Msg: fmt.Sprintf("input %q (%s): defaults: %v", in.Name, in.Type, err)})
		}
	}
}
