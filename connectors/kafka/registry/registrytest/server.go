// Package registrytest is a small Confluent-compatible schema registry
// served over HTTP in process, for tests and benchmarks: subjects with
// versions, global schema IDs, lookup, latest, by-ID, optional basic auth,
// and a switch that makes a subject refuse new versions as incompatible
// (HTTP 409), so clients can be tested against every answer a real registry
// gives.
package registrytest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Server is a running registry.
type Server struct {
	*httptest.Server
	// User and Password, when set, are required (basic auth).
	User, Password string

	mu           sync.Mutex
	schemas      []stored // index = id - 1
	subjects     map[string][]int
	incompatible map[string]bool
	requests     atomic.Int64
}

type stored struct {
	Type string
	Text string
	Refs []Ref
}

// Ref is a schema reference as the REST API carries it.
type Ref struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

func sameRefs(a, b []Ref) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// New starts a registry; it is closed by Close.
func New() *Server {
	s := &Server{subjects: map[string][]int{}, incompatible: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests is the number of requests served.
func (s *Server) Requests() int64 { return s.requests.Load() }

// SetIncompatible makes subject refuse any new version with HTTP 409.
func (s *Server) SetIncompatible(subject string, refuse bool) {
	s.mu.Lock()
	s.incompatible[subject] = refuse
	s.mu.Unlock()
}

// Register stores a schema under subject directly and returns its ID.
func (s *Server) Register(subject, typ, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := s.register(subject, typ, text, nil)
	return id
}

// RegisterWithRefs stores a schema that references others.
func (s *Server) RegisterWithRefs(subject, typ, text string, refs []Ref) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := s.register(subject, typ, text, refs)
	return id
}

// Schema returns the text of schema id.
func (s *Server) Schema(id int) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || id > len(s.schemas) {
		return "", false
	}
	return s.schemas[id-1].Text, true
}

// Subjects lists the subjects that have versions.
func (s *Server) Subjects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.subjects {
		out = append(out, k)
	}
	return out
}

func normalize(typ, text string) (string, string) {
	if typ == "" {
		typ = "AVRO"
	}
	var b bytes.Buffer
	if typ != "PROTOBUF" && json.Compact(&b, []byte(text)) == nil {
		text = b.String()
	}
	return typ, text
}

// register must be called with mu held; it returns the id and whether the
// subject already had the schema.
func (s *Server) register(subject, typ, text string, refs []Ref) (int, bool) {
	typ, text = normalize(typ, text)
	id := 0
	for i, st := range s.schemas {
		if st.Type == typ && st.Text == text && sameRefs(st.Refs, refs) {
			id = i + 1
		}
	}
	if id == 0 {
		s.schemas = append(s.schemas, stored{Type: typ, Text: text, Refs: refs})
		id = len(s.schemas)
	}
	for _, v := range s.subjects[subject] {
		if v == id {
			return id, true
		}
	}
	s.subjects[subject] = append(s.subjects[subject], id)
	return id, false
}

type errBody struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status, code int, msg string) {
	reply(w, status, errBody{Code: code, Message: msg})
}

type schemaReq struct {
	Schema     string `json:"schema"`
	SchemaType string `json:"schemaType"`
	References []Ref  `json:"references"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.User != "" || s.Password != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != s.User || p != s.Password {
			fail(w, http.StatusUnauthorized, 401, "Unauthorized")
			return
		}
	}
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i := range parts {
		parts[i], _ = url.PathUnescape(parts[i])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "subjects":
		out := []string{}
		for k := range s.subjects {
			out = append(out, k)
		}
		reply(w, 200, out)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "schemas" && parts[1] == "ids":
		id, _ := strconv.Atoi(parts[2])
		if id < 1 || id > len(s.schemas) {
			fail(w, 404, 40403, "Schema "+parts[2]+" not found")
			return
		}
		st := s.schemas[id-1]
		reply(w, 200, map[string]any{"schema": st.Text, "schemaType": st.Type, "references": st.Refs})
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "subjects" && parts[2] == "versions":
		var req schemaReq
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Schema == "" {
			fail(w, 422, 42201, "Invalid schema")
			return
		}
		typ, text := normalize(req.SchemaType, req.Schema)
		if typ != "PROTOBUF" && !json.Valid([]byte(text)) {
			fail(w, 422, 42201, "Invalid schema "+text)
			return
		}
		for _, ref := range req.References {
			if vs := s.subjects[ref.Subject]; ref.Version < 1 || ref.Version > len(vs) {
				fail(w, 422, 42201, "Invalid schema: reference "+ref.Name+" names a missing subject version")
				return
			}
		}
		if s.incompatible[parts[1]] && !s.has(parts[1], typ, text) {
			fail(w, 409, 409, "Schema being registered is incompatible with an earlier schema for subject \""+parts[1]+"\"")
			return
		}
		id, _ := s.register(parts[1], typ, text, req.References)
		reply(w, 200, map[string]int{"id": id})
	case r.Method == http.MethodPost && len(parts) == 2 && parts[0] == "subjects":
		var req schemaReq
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fail(w, 422, 42201, "Invalid schema")
			return
		}
		versions, ok := s.subjects[parts[1]]
		if !ok {
			fail(w, 404, 40401, "Subject '"+parts[1]+"' not found.")
			return
		}
		typ, text := normalize(req.SchemaType, req.Schema)
		for i, id := range versions {
			if st := s.schemas[id-1]; st.Type == typ && st.Text == text && sameRefs(st.Refs, req.References) {
				reply(w, 200, map[string]any{"subject": parts[1], "id": id, "version": i + 1, "schema": st.Text, "schemaType": st.Type, "references": st.Refs})
				return
			}
		}
		fail(w, 404, 40403, "Schema not found")
	case r.Method == http.MethodGet && len(parts) == 4 && parts[0] == "subjects" && parts[2] == "versions":
		versions, ok := s.subjects[parts[1]]
		if !ok {
			fail(w, 404, 40401, "Subject '"+parts[1]+"' not found.")
			return
		}
		v := len(versions)
		if parts[3] != "latest" && parts[3] != "-1" {
			v, _ = strconv.Atoi(parts[3])
		}
		if v < 1 || v > len(versions) {
			fail(w, 404, 40402, "Version "+parts[3]+" not found.")
			return
		}
		id := versions[v-1]
		st := s.schemas[id-1]
		reply(w, 200, map[string]any{"subject": parts[1], "id": id, "version": v, "schema": st.Text, "schemaType": st.Type, "references": st.Refs})
	default:
		fail(w, 404, 404, "HTTP 404 Not Found")
	}
}

func (s *Server) has(subject, typ, text string) bool {
	for _, id := range s.subjects[subject] {
		if st := s.schemas[id-1]; st.Type == typ && st.Text == text {
			return true
		}
	}
	return false
}
