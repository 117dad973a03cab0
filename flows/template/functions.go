package template

import (
	"encoding/json"
	"fmt"
)

var functions = map[string]*funcDef{
	"now":        {params: []string{"format", "timeZone"}, fn: fNow},
	"json":       {params: []string{"json"}, required: 1, fn: fParseJSON},
	"fromJson":   {params: []string{"json"}, required: 1, fn: fParseJSON},
	"jsonDecode": {params: []string{"json"}, required: 1, fn: fParseJSON},
	"range":      {params: []string{"start", "end", "step"}, required: 2, fn: fRange},
	"max":        {required: 1, variadic: true, fn: fMax},
	"min":        {required: 1, variadic: true, fn: fMin},
	"secret":     {params: []string{"name"}, required: 1, fn: fSecret},
}

// SecretsVar is the variable under which the caller hands secret() its
// lookup, a Secrets value. The name is no identifier, so a template cannot
// read it as a variable: secret('NAME') is the only way in.
const SecretsVar = "\x00secrets"

// Secrets returns the value of the secret name; its errors say where the
// secret was looked for.
type Secrets func(name string) (string, error)

// fSecret is secret('NAME'): the value of a secret from the sources the
// caller configured (docs/secrets.md). Rendering reads no environment
// itself.
func fSecret(c *call) (any, error) {
	name, ok := c.arg(0).(string)
	if !ok {
		return nil, fmt.Errorf("the secret name must be a string, got %s", kindName(c.arg(0)))
	}
	lookup, _ := c.s.vars[SecretsVar].(Secrets)
	if lookup == nil {
		return nil, fmt.Errorf("secret %q: no secret source is configured here", name)
	}
	return lookup(name)
}

// fParseJSON is json('{"a": 1}'): the value a JSON string holds, objects as
// *OrderedMap in document order. A value that is already a list or a map is
// returned as it is; null stays null.
func fParseJSON(c *call) (any, error) {
	v := c.arg(0)
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return parseJSON(x)
	}
	if _, ok := asList(v); ok {
		return v, nil
	}
	if _, ok := mapKeys(v); ok {
		return v, nil
	}
	return nil, fmt.Errorf("need a JSON string, got %s", kindName(v))
}

// fRange is range(start, end[, step]): the integers from start to end
// inclusive, as Pebble's.
func fRange(c *call) (any, error) {
	step, err := c.int(2, 1)
	if err != nil {
		return nil, err
	}
	return rangeList(c.arg(0), c.arg(1), step)
}

func fMax(c *call) (any, error) { return extreme(c, 1) }
func fMin(c *call) (any, error) { return extreme(c, -1) }

// extreme returns the largest (sign 1) or smallest (sign -1) argument; a
// single list argument is searched instead.
func extreme(c *call, sign int) (any, error) {
	vals := c.args
	if len(vals) == 1 {
		if l, ok := asList(norm(vals[0])); ok {
			vals = l
		}
	}
	var best any
	for i, v := range vals {
		if i == 0 {
			best = v
			continue
		}
		cmp, err := compare(v, best)
		if err != nil {
			return nil, err
		}
		if cmp*sign > 0 {
			best = v
		}
	}
	return best, nil
}

// tests are the names after `is` (defined is handled by the evaluator).
var tests = map[string]func(v any) (bool, error){
	"null":     func(v any) (bool, error) { return norm(v) == nil, nil },
	"empty":    func(v any) (bool, error) { return isEmpty(v), nil },
	"even":     func(v any) (bool, error) { return parity(v, 0) },
	"odd":      func(v any) (bool, error) { return parity(v, 1) },
	"iterable": func(v any) (bool, error) { _, ok := asList(norm(v)); return ok, nil },
	"map":      func(v any) (bool, error) { _, ok := mapKeys(norm(v)); return ok, nil },
	// json: a string that holds valid JSON.
	"json": func(v any) (bool, error) {
		s, ok := norm(v).(string)
		return ok && json.Valid([]byte(s)), nil
	},
}

func parity(v any, want int64) (bool, error) {
	switch x := norm(v).(type) {
	case int64:
		return x%2 == want || x%2 == -want, nil
	case float64:
		if x == float64(int64(x)) {
			return int64(x)%2 == want || int64(x)%2 == -want, nil
		}
		return false, nil
	}
	return false, fmt.Errorf("need an integer, got %s", kindName(v))
}
