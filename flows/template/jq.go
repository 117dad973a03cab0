package template

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sync"
	"time"

	"github.com/itchyny/gojq"
)

// jq queries compiled once per expression text. The cache stops growing at
// maxJqCache entries; expressions past that are compiled on each use.
var (
	jqCache     sync.Map
	jqCacheSize int
	jqCacheMu   sync.Mutex
)

const maxJqCache = 512

func compileJq(expr string) (*gojq.Code, error) {
	if v, ok := jqCache.Load(expr); ok {
		return v.(*gojq.Code), nil
	}
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid jq expression %q: %w", expr, err)
	}
	// No environment loader: $ENV and env are empty, as rendering must not
	// read the process environment.
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("invalid jq expression %q: %w", expr, err)
	}
	jqCacheMu.Lock()
	if jqCacheSize < maxJqCache {
		jqCache.Store(expr, code)
		jqCacheSize++
	}
	jqCacheMu.Unlock()
	return code, nil
}

// fJq is value | jq('.path'). Like Kestra it returns the list of every
// result of the query (so a single result is [x]; take it with | first),
// and a string input is parsed as JSON first.
func fJq(c *call, in any) (any, error) {
	expr, err := c.str(0, "")
	if err != nil {
		return nil, err
	}
	code, err := compileJq(expr)
	if err != nil {
		return nil, err
	}
	in = norm(in)
	if in == nil {
		return nil, nil // as Kestra: a null input gives null, not [null]
	}
	if s, ok := in.(string); ok {
		if in, err = parseJSON(s); err != nil {
			return nil, fmt.Errorf("input is a string that is not JSON: %w", err)
		}
	}
	left := limits.Value
	input, err := toJq(in, 0, &left)
	if err != nil {
		return nil, err
	}
	// The query runs under the render's budget: its deadline, its context,
	// and a heap growth of at most the Value limit; the results are
	// counted against the Value limit as they come.
	ctx, done := c.s.jqContext()
	out := []any{}
	left = limits.Value
	iter := code.RunWithContext(ctx, input)
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := v.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break
			}
			if berr := done(); berr != nil {
				err = berr
			}
			return nil, fmt.Errorf("jq %q: %w", expr, err)
		}
		v = fromJq(v)
		if left -= elementBytes; left < 0 || !fitsIn(v, &left, 0) {
			done()
			return nil, fmt.Errorf("jq %q: %w", expr, limitErr("value"))
		}
		out = append(out, v)
	}
	if err := done(); err != nil {
		return nil, fmt.Errorf("jq %q: %w", expr, err)
	}
	return out, nil
}

// toJq converts engine values into the types gojq accepts. left is what
// remains of the Value limit: the conversion copies, so a list holding the
// same list many times over must not be expanded past it.
func toJq(v any, depth int, left *int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("value nested too deeply for jq")
	}
	if *left -= elementBytes; *left < 0 {
		return nil, limitErr("value")
	}
	v = norm(v)
	switch x := v.(type) {
	case string:
		if *left -= len(x); *left < 0 {
			return nil, limitErr("value")
		}
		return x, nil
	case nil, bool, float64:
		return x, nil
	case int64:
		if x >= math.MinInt && x <= math.MaxInt {
			return int(x), nil
		}
		return new(big.Int).SetInt64(x), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	}
	if l, ok := asList(v); ok {
		out := make([]any, len(l))
		for i, e := range l {
			var err error
			if out[i], err = toJq(e, depth+1, left); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if keys, ok := mapKeys(v); ok {
		out := make(map[string]any, len(keys))
		for _, k := range keys {
			e, _ := getKey(v, k)
			var err error
			if out[k], err = toJq(e, depth+1, left); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	// Anything else goes through its JSON form.
	b, err := appendJSON(nil, v)
	if err != nil {
		return nil, err
	}
	p, err := parseJSON(string(b))
	if err != nil {
		return nil, err
	}
	return toJq(p, depth+1, left)
}

// fromJq converts gojq results back: int to int64, big integers to int64
// when they fit (float64 otherwise).
func fromJq(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case []any:
		for i, e := range x {
			x[i] = fromJq(e)
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = fromJq(e)
		}
		return x
	}
	return v
}
