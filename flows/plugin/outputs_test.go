package plugin

import "testing"

type outputProps struct {
	Raw      bool   `yaml:"raw"`
	StoreRaw bool   `yaml:"storeRaw"`
	Format   string `yaml:"format"`
}

func TestOutputProduced(t *testing.T) {
	either := Output{Name: "raw", When: "raw: true or storeRaw: true"}
	format := Output{Name: "uri", When: "format: AVRO"}
	for _, tc := range []struct {
		name  string
		o     Output
		props *outputProps
		want  bool
	}{
		{"always", Output{Name: "count"}, &outputProps{}, true},
		{"first alternative", either, &outputProps{Raw: true}, true},
		{"second alternative", either, &outputProps{StoreRaw: true}, true},
		{"neither", either, &outputProps{}, false},
		{"string equal", format, &outputProps{Format: "AVRO"}, true},
		{"string other", format, &outputProps{Format: "CSV"}, false},
		{"string templated", format, &outputProps{Format: "{{ inputs.f }}"}, true},
		{"no properties", either, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var props any
			if tc.props != nil {
				props = tc.props
			}
			if got := tc.o.Produced(props); got != tc.want {
				t.Errorf("Produced(%+v) = %v, want %v", tc.props, got, tc.want)
			}
		})
	}
}

func TestValidateOutputsChecksEveryAlternative(t *testing.T) {
	for _, tc := range []struct {
		when string
		ok   bool
	}{
		{"raw: true or storeRaw: true", true},
		{"raw: true or stored: true", false},
		{"raw: true or storeRaw", false},
	} {
		in := &Info{ID: "t.Outputs", New: func() any { return &outputProps{} }, Outputs: []Output{{Name: "raw", When: tc.when}}}
		if err := in.validateOutputs(); (err == nil) != tc.ok {
			t.Errorf("validateOutputs(When %q) = %v, want ok=%v", tc.when, err, tc.ok)
		}
	}
}
