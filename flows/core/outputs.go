package core

import (
	"encoding/json"
	"strings"
)

func parseOutputs(s string) map[string]any {
	var v struct {
		Outputs map[string]any `json:"outputs"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v.Outputs
}
