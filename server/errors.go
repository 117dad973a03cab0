package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/sluicehq/sluice/flows"
)

// apiError is an error answered with a status and Kestra's JSON error body
// (Micronaut's JsonError: message, _links.self, _embedded.errors).
type apiError struct {
	Status  int
	Message string
	Details []errorDetail
	Err     error // logged, never sent
}

type errorDetail struct {
	Message string `json:"message"`
	Path    string `json:"path,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// invalidFlow turns flow validation errors into a 422 listing each one
// with its line:column as path.
func invalidFlow(err error) *apiError {
	e := &apiError{Status: http.StatusUnprocessableEntity, Message: "Invalid entity: " + err.Error()}
	var es flows.Errors
	if errors.As(err, &es) {
		for _, fe := range es {
			msg := fe.Msg
			if fe.Suggestion != "" {
				msg += " (did you mean " + fe.Suggestion + "?)"
			}
			path := strconv.Itoa(fe.Pos.Line) + ":" + strconv.Itoa(fe.Pos.Col)
			if fe.TaskID != "" {
				path += " task " + fe.TaskID
			}
			if fe.Property != "" {
				path += " property " + fe.Property
			}
			e.Details = append(e.Details, errorDetail{Message: msg, Path: path})
		}
	}
	return e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			ae = errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", mbe.Limit)
		case errors.Is(err, io.ErrUnexpectedEOF):
			ae = errorf(http.StatusBadRequest, "request body ended early")
		default:
			ae = &apiError{Status: http.StatusInternalServerError, Message: "internal server error", Err: err}
		}
	}
	if ae.Status >= 500 {
		s.log.Error("api", "method", r.Method, "path", r.URL.Path, "status", ae.Status, "err", errors.Join(ae.Err, errors.New(ae.Message)))
	}
	body := map[string]any{
		"message": ae.Message,
		"_links":  map[string]any{"self": map[string]any{"href": r.URL.RequestURI()}},
	}
	if len(ae.Details) > 0 {
		body["_embedded"] = map[string]any{"errors": ae.Details}
	}
	writeJSON(w, ae.Status, body)
}

// handler is an API endpoint: it answers, or returns an error that
// becomes a JSON error body.
type handler func(w http.ResponseWriter, r *http.Request) error

// wrap bounds the body, turns errors into JSON error bodies and a panic
// into a 500 (logged with its stack) instead of a dropped connection.
func (s *Server) wrap(h handler) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		w := &statusWriter{ResponseWriter: rw}
		defer func() {
			if w.status == 0 {
				w.status = http.StatusOK
			}
			s.Metrics.HTTPRequests.WithLabelValues(strconv.Itoa(w.status/100) + "xx").Inc()
		}()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("api panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				s.writeError(w, r, &apiError{Status: http.StatusInternalServerError, Message: "internal server error"})
			}
		}()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(rw, r.Body, s.maxBody())
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// discardLogger is used when Server.Logger is nil.
var discardLogger = slog.New(slog.DiscardHandler)

// statusWriter remembers the status written (for the requests metric); it
// passes Flush through for event streams.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
