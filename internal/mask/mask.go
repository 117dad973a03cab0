// Package mask hides secret values in everything sluice prints or stores:
// log lines, errors, task outputs, the state database and API answers. One
// Masker is shared by every channel of a process, so a secret resolved for
// one task is hidden wherever it shows up afterwards.
//
// A registered value is hidden as it is, in its common encodings (standard
// and URL-safe base64 at each of the three byte alignments, so that a secret
// inside a larger base64 text such as a Basic auth header is found too; URL
// query and path escaping; JSON string escaping), and as any substring of at
// least MinSubstring bytes of those forms: a secret cut by a filter
// (slice, substringBefore, abbreviate) is still hidden. Values shorter than
// MinSecret bytes are not masked: hiding one or two characters would shred
// every line without protecting anything.
package mask

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
)

// Replacement is what a hidden value is replaced with.
const Replacement = "******"

const (
	// MinSecret is the shortest value that is masked.
	MinSecret = 3
	// MinSubstring is the shortest part of a secret that is still masked.
	MinSubstring = 6
)

// Masker holds the values to hide. The zero value is not usable; call New.
// It is safe for concurrent use.
type Masker struct {
	mu sync.RWMutex
	// short are forms shorter than MinSubstring, matched whole.
	short []string
	// grams holds every MinSubstring-byte window of the longer forms,
	// packed into a uint64; bloom is a 64 Ki-bit prefilter over them so
	// that text without a secret costs one bit test per byte.
	grams map[uint64]struct{}
	bloom []uint64
	seen  map[string]bool
}

// New returns an empty masker.
func New() *Masker {
	return &Masker{grams: map[uint64]struct{}{}, bloom: make([]uint64, 1<<10), seen: map[string]bool{}}
}

// Add registers a secret value; it returns v for convenience.
func (m *Masker) Add(v string) string {
	if len(v) < MinSecret {
		return v
	}
	m.mu.RLock()
	known := m.seen[v]
	m.mu.RUnlock()
	if known {
		return v
	}
	forms := encodings(v)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[v] {
		return v
	}
	m.seen[v] = true
	for _, f := range forms {
		if len(f) < MinSubstring {
			if len(f) >= MinSecret && !contains(m.short, f) {
				m.short = append(m.short, f)
			}
			continue
		}
		for i := 0; i+MinSubstring <= len(f); i++ {
			k := pack(f[i : i+MinSubstring])
			m.grams[k] = struct{}{}
			h := bloomBit(k)
			m.bloom[h>>6] |= 1 << (h & 63)
		}
	}
	return v
}

// Empty reports whether no secret has been registered.
func (m *Masker) Empty() bool {
	if m == nil {
		return true
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.seen) == 0
}

// encodings returns v and the forms it commonly takes in text.
func encodings(v string) []string {
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v)}
	// JSON escaping, with and without HTML escapes (encoding/json's
	// default; slog's JSON handler uses none).
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(v) == nil {
			q := strings.TrimSuffix(b.String(), "\n")
			forms = append(forms, q[1:len(q)-1])
		}
	}
	forms = append(forms, base64.StdEncoding.EncodeToString([]byte(v)), base64.URLEncoding.EncodeToString([]byte(v)))
	// Inside a longer base64 text the secret starts at any of three byte
	// alignments; the characters that encode only its bytes are those of
	// v[j:] cut to whole 3-byte groups.
	for j := 0; j < 3 && j < len(v); j++ {
		s := v[j:]
		s = s[:len(s)/3*3]
		if len(s) == 0 {
			continue
		}
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(s)), base64.URLEncoding.EncodeToString([]byte(s)))
	}
	return forms
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pack(s string) uint64 {
	var k uint64
	for i := 0; i < MinSubstring; i++ {
		k |= uint64(s[i]) << (8 * i)
	}
	return k
}

func bloomBit(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> 48 }

// String returns s with every secret (and every part of one at least
// MinSubstring bytes long) replaced by Replacement.
func (m *Masker) String(s string) string {
	if m == nil || len(s) < MinSecret {
		return s
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(m.seen) == 0 {
		return s
	}
	var hide []span
	if len(s) >= MinSubstring && len(m.grams) > 0 {
		var k uint64
		for i := 0; i < len(s); i++ {
			k = k>>8 | uint64(s[i])<<(8*(MinSubstring-1))
			if i < MinSubstring-1 {
				continue
			}
			h := bloomBit(k)
			if m.bloom[h>>6]&(1<<(h&63)) == 0 {
				continue
			}
			if _, ok := m.grams[k]; ok {
				hide = addSpan(hide, span{i + 1 - MinSubstring, i + 1})
			}
		}
	}
	for _, sh := range m.short {
		for off := 0; ; {
			j := strings.Index(s[off:], sh)
			if j < 0 {
				break
			}
			hide = addSpan(hide, span{off + j, off + j + len(sh)})
			off += j + len(sh)
		}
	}
	if len(hide) == 0 {
		return s
	}
	return replace(s, hide)
}

type span struct{ from, to int }

// addSpan adds sp to spans; spans found in increasing order of start merge
// with the last one when they touch it.
func addSpan(spans []span, sp span) []span {
	for i := range spans {
		if sp.from <= spans[i].to && sp.to >= spans[i].from {
			spans[i].from = min(spans[i].from, sp.from)
			spans[i].to = max(spans[i].to, sp.to)
			return mergeFrom(spans, i)
		}
	}
	return append(spans, sp)
}

// mergeFrom folds spans that overlap spans[i] after it grew.
func mergeFrom(spans []span, i int) []span {
	out := spans[:0]
	for j, sp := range spans {
		if j != i && sp.from <= spans[i].to && sp.to >= spans[i].from {
			spans[i].from = min(spans[i].from, sp.from)
			spans[i].to = max(spans[i].to, sp.to)
			continue
		}
		out = append(out, sp)
	}
	return out
}

func replace(s string, hide []span) string {
	// Spans are few; order them by start.
	for i := 1; i < len(hide); i++ {
		for j := i; j > 0 && hide[j].from < hide[j-1].from; j-- {
			hide[j], hide[j-1] = hide[j-1], hide[j]
		}
	}
	var b strings.Builder
	prev := 0
	for _, sp := range hide {
		b.WriteString(s[prev:sp.from])
		b.WriteString(Replacement)
		prev = sp.to
	}
	b.WriteString(s[prev:])
	return b.String()
}

// Error returns err with secrets masked in its message. A masked error
// keeps no chain (a secret must not leak through Unwrap) but answers
// errors.Is for sentinel errors and keeps the permanent mark that decides
// whether a failure is retried.
func (m *Masker) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if masked := m.String(msg); masked != msg {
		return &maskedError{msg: masked, orig: err}
	}
	return err
}

type maskedError struct {
	msg  string
	orig error
}

func (e *maskedError) Error() string { return e.msg }

// Is lets errors.Is see sentinel errors of the original chain (sentinels
// carry no secret: they are package-level values).
func (e *maskedError) Is(target error) bool { return errors.Is(e.orig, target) }

// Permanent keeps the mark of an error that retrying cannot fix (see
// plugin.IsPermanent), so that masking never makes a failure retried.
func (e *maskedError) Permanent() bool {
	var p interface{ Permanent() bool }
	return errors.As(e.orig, &p) && p.Permanent()
}

// Value returns v with every string inside it masked: strings, lists and
// maps (also ordered maps with Keys/Get/Set) are walked; maps and lists
// are changed in place.
func (m *Masker) Value(v any) any {
	if m.Empty() {
		return v
	}
	return m.value(v)
}

type orderedMap interface {
	Keys() []string
	Get(string) (any, bool)
	Set(string, any)
}

func (m *Masker) value(v any) any {
	switch t := v.(type) {
	case string:
		return m.String(t)
	case []any:
		for i := range t {
			t[i] = m.value(t[i])
		}
	case []string:
		for i := range t {
			t[i] = m.String(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = m.value(t[k])
		}
	case map[string]string:
		for k := range t {
			t[k] = m.String(t[k])
		}
	case orderedMap:
		for _, k := range t.Keys() {
			x, _ := t.Get(k)
			t.Set(k, m.value(x))
		}
	case error:
		return m.String(t.Error())
	}
	return v
}

// Writer returns a writer that masks each Write before passing it to w.
// Every line printer of sluice writes whole lines or table cells at a time,
// so a secret is never split between two writes.
func (m *Masker) Writer(w io.Writer) io.Writer { return &writer{m: m, w: w} }

type writer struct {
	m *Masker
	w io.Writer
}

func (w *writer) Write(p []byte) (int, error) {
	if w.m.Empty() {
		return w.w.Write(p)
	}
	s := string(p)
	if masked := w.m.String(s); masked != s {
		if _, err := io.WriteString(w.w, masked); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return w.w.Write(p)
}

// Fd lets terminal detection see through the writer.
func (w *writer) Fd() uintptr {
	if f, ok := w.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// Unwrap returns the writer written to.
func (w *writer) Unwrap() io.Writer { return w.w }

// Handler returns a slog handler that masks messages and attributes before
// passing records to next.
func (m *Masker) Handler(next slog.Handler) slog.Handler { return &handler{m: m, next: next} }

type handler struct {
	m    *Masker
	next slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if h.m.Empty() {
		return h.next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, h.m.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.m.Attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// Unwrap returns the handler records are passed to.
func (h *handler) Unwrap() slog.Handler { return h.next }

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	// Attributes bound now may hold a secret registered later: keep them
	// here and mask them with every record.
	return &boundHandler{handler: handler{m: h.m, next: h.next}, attrs: as}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{m: h.m, next: h.next.WithGroup(name)}
}

// boundHandler is a handler with attributes bound by WithAttrs, masked at
// each record.
type boundHandler struct {
	handler
	attrs []slog.Attr
}

func (h *boundHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(h.attrs...)
	r.Attrs(func(a slog.Attr) bool { out.AddAttrs(a); return true })
	return h.handler.Handle(ctx, out)
}

func (h *boundHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &boundHandler{handler: h.handler, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *boundHandler) WithGroup(name string) slog.Handler {
	// Bound attributes belong outside the group: hand them to next first.
	next := h.next
	if len(h.attrs) > 0 {
		masked := make([]slog.Attr, len(h.attrs))
		for i, a := range h.attrs {
			masked[i] = h.m.Attr(a)
		}
		next = next.WithAttrs(masked)
	}
	return &handler{m: h.m, next: next.WithGroup(name)}
}

// Attr returns a with its value masked (groups recursively; errors and
// other values by their text when it holds a secret).
func (m *Masker) Attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, m.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = m.Attr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, m.String(x.Error()))
		case fmt.Stringer:
			s := x.String()
			if ms := m.String(s); ms != s {
				return slog.String(a.Key, ms)
			}
		default:
			s := fmt.Sprint(x)
			if ms := m.String(s); ms != s {
				return slog.String(a.Key, ms)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
