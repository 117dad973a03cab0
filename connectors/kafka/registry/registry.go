// Package registry is sluice's Confluent schema-registry client: subject
// name strategies, register/lookup/latest/by-id with caching (one HTTP call
// per schema and subject, never one per record), basic or bearer auth, TLS,
// and errors that say what a 401, 404, 409 or 422 means for a flow.
//
// It wraps github.com/twmb/franz-go/pkg/sr rather than riferrei/srclient:
// sr takes a context on every call (a cancelled task stops waiting for the
// registry), registers a schema with one POST where srclient's CreateSchema
// makes two, returns typed errors carrying the HTTP status and Confluent
// error code, fails over across several URLs, and has no dependency;
// srclient caches by subject and version only, so a serializer would still
// need its own cache keyed by schema text.
package registry

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// Config says how to reach a registry.
type Config struct {
	URLs        []string
	Username    string // basic auth
	Password    string
	BearerToken string
	TLS         *tls.Config
	Timeout     time.Duration // per HTTP call; 0 = 30 s
}

// Client talks to one schema registry and caches what it learns.
type Client struct {
	sr   *sr.Client
	urls string

	mu        sync.Mutex
	ids       map[subjectSchema]int
	byID      map[int]Schema
	latest    map[string]SubjectSchema
	byVersion map[string]SubjectSchema
	requests  atomic.Int64
}

// Schema is a schema's text and type ("AVRO", "JSON", "PROTOBUF"), and
// the schemas it references (a JSON Schema $ref, a Protobuf import).
type Schema struct {
	Type       string
	Text       string
	References []Reference
}

// Reference names another registered schema: Name is how the referring
// schema spells it (the $ref URL, the import path).
type Reference struct {
	Name    string `yaml:"name"`
	Subject string `yaml:"subject"`
	Version int    `yaml:"version"`
}

func toSR(refs []Reference) []sr.SchemaReference {
	var out []sr.SchemaReference
	for _, r := range refs {
		out = append(out, sr.SchemaReference{Name: r.Name, Subject: r.Subject, Version: r.Version})
	}
	return out
}

func fromSR(refs []sr.SchemaReference) []Reference {
	var out []Reference
	for _, r := range refs {
		out = append(out, Reference{Name: r.Name, Subject: r.Subject, Version: r.Version})
	}
	return out
}

func refsKey(refs []Reference) string {
	var b strings.Builder
	for _, r := range refs {
		fmt.Fprintf(&b, "%s\x00%s\x00%d\x00", r.Name, r.Subject, r.Version)
	}
	return b.String()
}

// SubjectSchema is a schema registered under a subject.
type SubjectSchema struct {
	Subject string
	Version int
	ID      int
	Schema
}

type subjectSchema struct {
	subject, typ, text string
	refs               string // refsKey
	register           bool
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("schema registry: no URL (set serdeProperties schema.registry.url)")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.TLS != nil {
		tr.TLSClientConfig = cfg.TLS
	}
	c := &Client{urls: strings.Join(cfg.URLs, ","), ids: map[subjectSchema]int{}, byID: map[int]Schema{}, latest: map[string]SubjectSchema{}, byVersion: map[string]SubjectSchema{}}
	opts := []sr.ClientOpt{
		sr.URLs(cfg.URLs...),
		sr.HTTPClient(&http.Client{Timeout: timeout, Transport: counting{tr, &c.requests}}),
		sr.UserAgent("sluice"),
	}
	if cfg.Username != "" || cfg.Password != "" {
		opts = append(opts, sr.BasicAuth(cfg.Username, cfg.Password))
	}
	if cfg.BearerToken != "" {
		opts = append(opts, sr.BearerToken(cfg.BearerToken))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("schema registry: %w", err)
	}
	c.sr = cl
	return c, nil
}

// Requests is the number of HTTP requests made so far.
func (c *Client) Requests() int64 { return c.requests.Load() }

type counting struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t counting) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}

func srType(typ string) sr.SchemaType {
	switch strings.ToUpper(typ) {
	case "JSON":
		return sr.TypeJSON
	case "PROTOBUF":
		return sr.TypeProtobuf
	}
	return sr.TypeAvro
}

// compact makes JSON schema text canonical in whitespace so that the same
// schema written twice is one cache entry and one registry version.
func compact(typ, text string) string {
	if strings.EqualFold(typ, "PROTOBUF") {
		return text
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return text
	}
	return b.String()
}

// Register registers a schema under subject (a no-op for the registry when
// it is already there) and returns its ID.
func (c *Client) Register(ctx context.Context, subject, typ, text string, refs ...Reference) (int, error) {
	return c.idFor(ctx, subjectSchema{subject: subject, typ: typ, text: compact(typ, text), refs: refsKey(refs), register: true}, refs)
}

// Lookup returns the ID of a schema already registered under subject.
func (c *Client) Lookup(ctx context.Context, subject, typ, text string, refs ...Reference) (int, error) {
	return c.idFor(ctx, subjectSchema{subject: subject, typ: typ, text: compact(typ, text), refs: refsKey(refs)}, refs)
}

func (c *Client) idFor(ctx context.Context, k subjectSchema, refs []Reference) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, ok := c.ids[k]; ok {
		return id, nil
	}
	s := sr.Schema{Schema: k.text, Type: srType(k.typ), References: toSR(refs)}
	var id int
	if k.register {
		var err error
		if id, err = c.sr.RegisterSchema(ctx, k.subject, s, -1, -1); err != nil {
			return 0, c.explain(err, "registering a schema under subject "+k.subject)
		}
	} else {
		ss, err := c.sr.LookupSchema(ctx, k.subject, s)
		if err != nil {
			return 0, c.explain(err, "looking up the schema under subject "+k.subject)
		}
		id = ss.ID
	}
	c.ids[k] = id
	if _, ok := c.byID[id]; !ok {
		c.byID[id] = Schema{Type: strings.ToUpper(k.typ), Text: k.text, References: refs}
	}
	return id, nil
}

// Latest returns the latest version registered under subject; it is asked
// once per client.
func (c *Client) Latest(ctx context.Context, subject string) (SubjectSchema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.latest[subject]; ok {
		return s, nil
	}
	ss, err := c.sr.SchemaByVersion(ctx, subject, -1)
	if err != nil {
		return SubjectSchema{}, c.explain(err, "reading the latest schema of subject "+subject)
	}
	out := SubjectSchema{Subject: subject, Version: ss.Version, ID: ss.ID, Schema: Schema{Type: typeName(ss.Type), Text: ss.Schema.Schema, References: fromSR(ss.References)}}
	c.latest[subject] = out
	c.byID[out.ID] = out.Schema
	return out, nil
}

// Version returns version v of subject (schema references name one).
func (c *Client) Version(ctx context.Context, subject string, v int) (SubjectSchema, error) {
	key := fmt.Sprintf("%s\x00%d", subject, v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.byVersion[key]; ok {
		return s, nil
	}
	ss, err := c.sr.SchemaByVersion(ctx, subject, v)
	if err != nil {
		return SubjectSchema{}, c.explain(err, fmt.Sprintf("reading version %d of subject %s", v, subject))
	}
	out := SubjectSchema{Subject: subject, Version: ss.Version, ID: ss.ID, Schema: Schema{Type: typeName(ss.Type), Text: ss.Schema.Schema, References: fromSR(ss.References)}}
	c.byVersion[key] = out
	return out, nil
}

// Resolve returns the text of every schema refs name, directly or through
// the references of those, keyed by reference name.
func (c *Client) Resolve(ctx context.Context, refs []Reference) (map[string]Schema, error) {
	out := map[string]Schema{}
	var walk func([]Reference, int) error
	walk = func(refs []Reference, depth int) error {
		if depth > 32 {
			return errors.New("schema references nest more than 32 deep")
		}
		for _, r := range refs {
			if _, ok := out[r.Name]; ok {
				continue
			}
			ss, err := c.Version(ctx, r.Subject, r.Version)
			if err != nil {
				return fmt.Errorf("schema reference %s: %w", r.Name, err)
			}
			out[r.Name] = ss.Schema
			if err := walk(ss.References, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(refs, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// ByID returns the schema with a given ID (consumers read it from the
// message's wire-format header).
func (c *Client) ByID(ctx context.Context, id int) (Schema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.byID[id]; ok {
		return s, nil
	}
	s, err := c.sr.SchemaByID(ctx, id)
	if err != nil {
		return Schema{}, c.explain(err, fmt.Sprintf("reading schema id %d", id))
	}
	out := Schema{Type: typeName(s.Type), Text: s.Schema, References: fromSR(s.References)}
	c.byID[id] = out
	return out, nil
}

func typeName(t sr.SchemaType) string {
	switch t {
	case sr.TypeJSON:
		return "JSON"
	case sr.TypeProtobuf:
		return "PROTOBUF"
	}
	return "AVRO"
}

// Error is a registry failure with its HTTP status and Confluent error code.
type Error struct {
	Op      string
	URL     string
	Status  int
	Code    int
	Message string
	Hint    string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schema registry %s: %s", e.URL, e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
		if e.Code != 0 && e.Code != e.Status {
			fmt.Fprintf(&b, " (error code %d)", e.Code)
		}
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Hint != "" {
		b.WriteString(". ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// explain turns sr's errors into messages that say what to do.
func (c *Client) explain(err error, op string) error {
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("schema registry %s: %s: %w", c.urls, op, err)
		}
		return &Error{Op: op, URL: c.urls, Message: err.Error(), Hint: "Is the registry running and schema.registry.url right?"}
	}
	e := &Error{Op: op, URL: c.urls, Status: re.StatusCode, Code: re.ErrorCode, Message: re.Message}
	if e.Message == "" {
		e.Message = string(re.Raw)
	}
	switch {
	case re.StatusCode == http.StatusUnauthorized:
		e.Hint = "The registry refused the credentials: check basic.auth.user.info (user:password) or bearer.auth.token"
	case re.StatusCode == http.StatusForbidden:
		e.Hint = "The credentials are valid but not allowed to do this: check the registry's ACLs for the subject"
	case re.ErrorCode == 40401:
		e.Hint = "The subject does not exist: register the schema first, or set serdeProperties auto.register.schemas: \"true\""
	case re.ErrorCode == 40403:
		e.Hint = "This schema is not registered under the subject: register it, set auto.register.schemas: \"true\", or use.latest.version: \"true\" to write with the latest registered schema"
	case re.StatusCode == http.StatusNotFound:
		e.Hint = "Not found: check schema.registry.url (it must point at the registry's root) and the subject name strategy"
	case re.StatusCode == http.StatusConflict:
		e.Hint = "The schema is incompatible with the versions already registered under the subject (the subject's compatibility rule refused it): make the change compatible, or change the subject's compatibility level"
	case re.StatusCode == http.StatusUnprocessableEntity:
		e.Hint = "The registry rejected the schema as invalid"
	}
	return e
}
