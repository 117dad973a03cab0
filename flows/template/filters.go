package template

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// call carries the evaluated arguments of a filter or function call. Each
// parameter has a slot; slots of optional parameters that were not given
// hold absentArg.
type call struct {
	s         *state
	name      string
	params    []string
	args      []any
	undefined bool // default filter: its input was undefined
}

func (c *call) argName(i int) string {
	if i < len(c.params) {
		return strconv.Quote(c.params[i])
	}
	return strconv.Itoa(i + 1)
}

func (c *call) has(i int) bool {
	if i >= len(c.args) {
		return false
	}
	_, absent := c.args[i].(absentArg)
	return !absent
}

func (c *call) arg(i int) any {
	if !c.has(i) {
		return nil
	}
	return norm(c.args[i])
}

func (c *call) str(i int, def string) (string, error) {
	if !c.has(i) || c.args[i] == nil {
		return def, nil
	}
	s, ok := norm(c.args[i]).(string)
	if !ok {
		return "", fmt.Errorf("argument %s must be a string, got %s", c.argName(i), kindName(c.args[i]))
	}
	return s, nil
}

func (c *call) int(i int, def int64) (int64, error) {
	if !c.has(i) || c.args[i] == nil {
		return def, nil
	}
	switch v := norm(c.args[i]).(type) {
	case int64:
		return v, nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
			return int64(v), nil
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("argument %s must be an integer, got %s", c.argName(i), kindName(c.args[i]))
}

type filterDef struct {
	params   []string
	required int
	fn       func(c *call, in any) (any, error)
}

type funcDef struct {
	params   []string
	required int
	variadic bool
	fn       func(c *call) (any, error)
}

var dateParams = []string{"format", "timeZone", "existingFormat", "locale"}

var filters = map[string]*filterDef{
	"abbreviate":          {params: []string{"length"}, required: 1, fn: fAbbreviate},
	"abs":                 {fn: fAbs},
	"base64decode":        {fn: fBase64Decode},
	"base64encode":        {fn: fBase64Encode},
	"capitalize":          {fn: stringFilter(capitalize)},
	"date":                {params: dateParams, fn: fDate},
	"dateAdd":             {params: append([]string{"amount", "unit"}, dateParams...), required: 2, fn: fDateAdd},
	"default":             {params: []string{"default"}, required: 1, fn: fDefault},
	"endsWith":            {params: []string{"value"}, required: 1, fn: fEndsWith},
	"first":               {fn: fFirst},
	"join":                {params: []string{"separator"}, fn: fJoin},
	"jq":                  {params: []string{"expression"}, required: 1, fn: fJq},
	"json":                {fn: fJSON},
	"jsonEncode":          {fn: fJSON},
	"toJson":              {fn: fJSON},
	"keys":                {fn: fKeys},
	"last":                {fn: fLast},
	"length":              {fn: fLength},
	"lower":               {fn: stringFilter(strings.ToLower)},
	"number":              {params: []string{"type"}, fn: fNumber},
	"replace":             {params: []string{"replace_pairs", "replacement"}, required: 1, fn: fReplace},
	"reverse":             {fn: fReverse},
	"slice":               {params: []string{"fromIndex", "toIndex"}, fn: fSlice},
	"sort":                {fn: fSort},
	"split":               {params: []string{"delimiter", "limit"}, required: 1, fn: fSplit},
	"startsWith":          {params: []string{"value"}, required: 1, fn: fStartsWith},
	"substringAfter":      {params: []string{"separator"}, required: 1, fn: substringFilter(substringAfter)},
	"substringAfterLast":  {params: []string{"separator"}, required: 1, fn: substringFilter(substringAfterLast)},
	"substringBefore":     {params: []string{"separator"}, required: 1, fn: substringFilter(substringBefore)},
	"substringBeforeLast": {params: []string{"separator"}, required: 1, fn: substringFilter(substringBeforeLast)},
	"timestamp":           {params: []string{"timeZone", "existingFormat"}, fn: timestampFilter(1)},
	"timestampMilli":      {params: []string{"timeZone", "existingFormat"}, fn: timestampFilter(1e3)},
	"timestampMicro":      {params: []string{"timeZone", "existingFormat"}, fn: timestampFilter(1e6)},
	"timestampNano":       {params: []string{"timeZone", "existingFormat"}, fn: timestampFilter(1e9)},
	"title":               {fn: stringFilter(title)},
	"trim":                {fn: stringFilter(strings.TrimSpace)},
	"upper":               {fn: stringFilter(strings.ToUpper)},
	"urldecode":           {fn: fURLDecode},
	"urlencode":           {fn: stringFilter(url.QueryEscape)},
	"values":              {fn: fValues},
}

// inputString converts a filter input to a string; null stays null.
func inputString(in any) (string, bool, error) {
	in = norm(in)
	if in == nil {
		return "", true, nil
	}
	s, err := toString(in)
	return s, false, err
}

func stringFilter(f func(string) string) func(*call, any) (any, error) {
	return func(_ *call, in any) (any, error) {
		s, null, err := inputString(in)
		if null || err != nil {
			return nil, err
		}
		out := f(s)
		return out, checkString(len(out))
	}
}

// capitalize upper-cases the first letter and leaves the rest alone.
func capitalize(s string) string {
	for i, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		return s[:i] + string(unicode.ToTitle(r)) + s[i+utf8.RuneLen(r):]
	}
	return s
}

// title upper-cases the first letter of every whitespace-separated word.
func title(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	next := true
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			next = true
		case next:
			r = unicode.ToTitle(r)
			next = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fAbbreviate(c *call, in any) (any, error) {
	s, null, err := inputString(in)
	if null || err != nil {
		return nil, err
	}
	max, err := c.int(0, 0)
	if err != nil {
		return nil, err
	}
	if max < 0 {
		return nil, errors.New("length must not be negative")
	}
	// Pebble's rules, quirks included: a string of exactly max characters
	// is abbreviated too.
	runes := []rune(s)
	n := int64(len(runes))
	switch {
	case n < max, n <= 3:
		return s, nil
	case max <= 3:
		return string(runes[:max]), nil
	}
	return string(runes[:max-3]) + "...", nil
}

func fAbs(_ *call, in any) (any, error) {
	switch v := norm(in).(type) {
	case nil:
		return nil, nil
	case int64:
		if v == math.MinInt64 {
			return -float64(v), nil
		}
		if v < 0 {
			return -v, nil
		}
		return v, nil
	case float64:
		return math.Abs(v), nil
	}
	return nil, fmt.Errorf("need a number, got %s", kindName(in))
}

func fBase64Encode(_ *call, in any) (any, error) {
	s, null, err := inputString(in)
	if null || err != nil {
		return nil, err
	}
	if err := checkString(base64.StdEncoding.EncodedLen(len(s))); err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fBase64Decode(_ *call, in any) (any, error) {
	s, null, err := inputString(in)
	if null || err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("invalid base64: %w", err)
	}
	return string(b), nil
}

// fDefault returns its argument when the input is undefined, null or "".
func fDefault(c *call, in any) (any, error) {
	if c.undefined {
		return c.arg(0), nil
	}
	switch v := norm(in).(type) {
	case nil:
		return c.arg(0), nil
	case string:
		if v == "" {
			return c.arg(0), nil
		}
	}
	return in, nil
}

func fStartsWith(c *call, in any) (any, error) {
	s, null, err := inputString(in)
	if err != nil {
		return nil, err
	}
	p, err := c.str(0, "")
	if null || err != nil {
		return false, err
	}
	return strings.HasPrefix(s, p), nil
}

func fEndsWith(c *call, in any) (any, error) {
	s, null, err := inputString(in)
	if err != nil {
		return nil, err
	}
	p, err := c.str(0, "")
	if null || err != nil {
		return false, err
	}
	return strings.HasSuffix(s, p), nil
}

func fFirst(_ *call, in any) (any, error) {
	in = norm(in)
	switch v := in.(type) {
	case nil:
		return nil, nil
	case string:
		for _, r := range v {
			return string(r), nil
		}
		return nil, nil
	}
	l, ok := asList(in)
	if !ok {
		return nil, fmt.Errorf("need a list or a string, got %s", kindName(in))
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l[0], nil
}

func fLast(_ *call, in any) (any, error) {
	in = norm(in)
	switch v := in.(type) {
	case nil:
		return nil, nil
	case string:
		r, size := utf8.DecodeLastRuneInString(v)
		if size == 0 {
			return nil, nil
		}
		return string(r), nil
	}
	l, ok := asList(in)
	if !ok {
		return nil, fmt.Errorf("need a list or a string, got %s", kindName(in))
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l[len(l)-1], nil
}

func fJoin(c *call, in any) (any, error) {
	in = norm(in)
	if in == nil {
		return nil, nil
	}
	sep, err := c.str(0, "")
	if err != nil {
		return nil, err
	}
	l, ok := asList(in)
	if !ok {
		return nil, fmt.Errorf("need a list, got %s", kindName(in))
	}
	parts := make([]string, len(l))
	total := 0
	for i, e := range l {
		if parts[i], err = toString(e); err != nil {
			return nil, err
		}
		if total += len(parts[i]) + len(sep); total > limits.Value {
			return nil, limitErr("value")
		}
	}
	return strings.Join(parts, sep), nil
}

func fJSON(_ *call, in any) (any, error) {
	b, err := appendJSON(nil, in)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func fKeys(_ *call, in any) (any, error) {
	in = norm(in)
	if in == nil {
		return nil, nil
	}
	keys, ok := mapKeys(in)
	if !ok {
		if l, ok := asList(in); ok {
			out := make([]any, len(l))
			for i := range l {
				out[i] = int64(i)
			}
			return out, nil
		}
		return nil, fmt.Errorf("need a map, got %s", kindName(in))
	}
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out, nil
}

func fValues(_ *call, in any) (any, error) {
	in = norm(in)
	if in == nil {
		return nil, nil
	}
	keys, ok := mapKeys(in)
	if !ok {
		return nil, fmt.Errorf("need a map, got %s", kindName(in))
	}
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i], _ = getKey(in, k)
	}
	return out, nil
}

func fLength(_ *call, in any) (any, error) {
	n, ok := length(in)
	if !ok {
		s, err := toString(in)
		if err != nil {
			return nil, err
		}
		n = utf8.RuneCountInString(s)
	}
	return int64(n), nil
}

// fNumber parses a string into int64 (when it is an integer) or float64.
// The optional type (INT, LONG, FLOAT, DOUBLE, BIGDECIMAL, BIGINTEGER) is
// Kestra's; sluice maps the integer types to int64 and the others to float64.
func fNumber(c *call, in any) (any, error) {
	in = norm(in)
	switch in.(type) {
	case nil:
		return nil, nil
	case int64, float64:
		return in, nil
	}
	s, ok := in.(string)
	if !ok {
		return nil, fmt.Errorf("need a string, got %s", kindName(in))
	}
	typ, err := c.str(0, "")
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	switch strings.ToUpper(typ) {
	case "":
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case "INT", "LONG", "BIGINTEGER":
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return i, nil
	case "FLOAT", "DOUBLE", "BIGDECIMAL":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	}
	return nil, fmt.Errorf("unknown type %q (want INT, LONG, FLOAT, DOUBLE, BIGDECIMAL or BIGINTEGER)", typ)
}

// fReplace is replace({'from': 'to', ...}) (Pebble, pairs applied in order)
// or replace('from', 'to').
func fReplace(c *call, in any) (any, error) {
	s, null, err := inputString(in)
	if null || err != nil {
		return nil, err
	}
	pairs := c.arg(0)
	if from, ok := pairs.(string); ok {
		if !c.has(1) {
			return nil, errors.New("replace('from', 'to') needs the replacement")
		}
		to, err := toString(c.arg(1))
		if err != nil {
			return nil, err
		}
		if err := checkReplace(s, from, to); err != nil {
			return nil, err
		}
		return strings.ReplaceAll(s, from, to), nil
	}
	keys, ok := mapKeys(pairs)
	if !ok {
		return nil, fmt.Errorf("need a map of replacements or two strings, got %s", kindName(pairs))
	}
	for _, k := range keys {
		v, _ := getKey(pairs, k)
		to, err := toString(v)
		if err != nil {
			return nil, err
		}
		if err := checkReplace(s, k, to); err != nil {
			return nil, err
		}
		s = strings.ReplaceAll(s, k, to)
	}
	return s, nil
}

// checkReplace fails when replacing from with to in s would build a string
// over the Value limit, before building it.
func checkReplace(s, from, to string) error {
	if len(to) <= len(from) {
		return nil
	}
	n := 1 + utf8.RuneCountInString(s) // "" matches between every character
	if from != "" {
		n = strings.Count(s, from)
	}
	return checkString(len(s) + n*(len(to)-len(from)))
}

func fReverse(_ *call, in any) (any, error) {
	in = norm(in)
	switch v := in.(type) {
	case nil:
		return nil, nil
	case string:
		r := []rune(v)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	}
	l, ok := asList(in)
	if !ok {
		return nil, fmt.Errorf("need a list or a string, got %s", kindName(in))
	}
	out := make([]any, len(l))
	for i, e := range l {
		out[len(l)-1-i] = e
	}
	return out, nil
}

// fSlice cuts a list or a string from fromIndex (default 0) to toIndex
// (default the end, exclusive). Negative indexes count from the end;
// indexes beyond the ends are clamped.
func fSlice(c *call, in any) (any, error) {
	in = norm(in)
	if in == nil {
		return nil, nil
	}
	var n int
	str, isStr := in.(string)
	var runes []rune
	var l []any
	if isStr {
		runes = []rune(str)
		n = len(runes)
	} else {
		var ok bool
		if l, ok = asList(in); !ok {
			return nil, fmt.Errorf("need a list or a string, got %s", kindName(in))
		}
		n = len(l)
	}
	from, err := c.int(0, 0)
	if err != nil {
		return nil, err
	}
	to, err := c.int(1, int64(n))
	if err != nil {
		return nil, err
	}
	clamp := func(i int64) int {
		if i < 0 {
			i += int64(n)
		}
		return int(max(0, min(i, int64(n))))
	}
	a, b := clamp(from), clamp(to)
	if b < a {
		b = a
	}
	if isStr {
		return string(runes[a:b]), nil
	}
	return append([]any(nil), l[a:b]...), nil
}

func fSort(_ *call, in any) (any, error) {
	in = norm(in)
	if in == nil {
		return nil, nil
	}
	l, ok := asList(in)
	if !ok {
		return nil, fmt.Errorf("need a list, got %s", kindName(in))
	}
	out := append([]any(nil), l...)
	var cmpErr error
	sort.SliceStable(out, func(i, j int) bool {
		c, err := compare(out[i], out[j])
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		return c < 0
	})
	if cmpErr != nil {
		return nil, cmpErr
	}
	return out, nil
}

// fSplit splits on a literal delimiter (Pebble uses a regular expression);
// limit > 0 caps the number of parts. Trailing empty parts are kept.
func fSplit(c *call, in any) (any, error) {
	s, null, err := inputString(in)
	if null || err != nil {
		return nil, err
	}
	sep, err := c.str(0, "")
	if err != nil {
		return nil, err
	}
	limit, err := c.int(1, 0)
	if err != nil {
		return nil, err
	}
	n := 1 + strings.Count(s, sep)
	if sep == "" {
		n = utf8.RuneCountInString(s)
	}
	if limit > 0 {
		n = int(min(int64(n), limit))
	}
	if err := checkList(n); err != nil {
		return nil, err
	}
	var parts []string
	if limit > 0 {
		parts = strings.SplitN(s, sep, int(min(limit, int64(maxElements())+1)))
	} else {
		parts = strings.Split(s, sep)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func substringFilter(f func(s, sep string) string) func(*call, any) (any, error) {
	return func(c *call, in any) (any, error) {
		s, null, err := inputString(in)
		if null || err != nil {
			return nil, err
		}
		sep, err := c.str(0, "")
		if err != nil {
			return nil, err
		}
		return f(s, sep), nil
	}
}

// The substring filters follow Apache Commons StringUtils, as Kestra does.
func substringBefore(s, sep string) string {
	if i := strings.Index(s, sep); i >= 0 {
		return s[:i]
	}
	return s
}

func substringBeforeLast(s, sep string) string {
	if sep == "" {
		return s
	}
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i]
	}
	return s
}

func substringAfter(s, sep string) string {
	if i := strings.Index(s, sep); i >= 0 {
		return s[i+len(sep):]
	}
	return ""
}

func substringAfterLast(s, sep string) string {
	if sep == "" {
		return ""
	}
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[i+len(sep):]
	}
	return ""
}

func fURLDecode(_ *call, in any) (any, error) {
	s, null, err := inputString(in)
	if null || err != nil {
		return nil, err
	}
	out, err := url.QueryUnescape(s)
	if err != nil {
		return nil, fmt.Errorf("invalid URL encoding: %w", err)
	}
	return out, nil
}
