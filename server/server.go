// Package server is `sluice server`'s HTTP API: Kestra 0.4's endpoints
// (its webserver controllers at v0.4.0 are the contract) over the flow
// store, the executor and the triggers, plus an OpenAPI document,
// Prometheus metrics and a health check.
//
// Routing uses net/http's method-and-wildcard patterns (Go 1.22+): the
// API's paths need nothing more, conflicting patterns are refused when the
// route table is registered (so a test catches them), and it keeps the
// dependency list short. One route table drives both the mux and the
// OpenAPI document, so they cannot drift apart.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/queue"
)

// Server serves the API. Set the fields, then call Handler or Serve.
type Server struct {
	// Repo holds executions, logs and KV state; Flows the stored flows
	// (usually the same SQLite repository).
	Repo  state.Repository
	Flows state.FlowStore
	// Parse decodes a flow (nil: flows.Parse).
	Parse func(file string, src []byte) (*flows.Flow, error)
	// Logger receives request errors (nil: discarded).
	Logger *slog.Logger
	// MaxBodyBytes bounds every request body (default 16 MiB); FILE inputs
	// of a trigger request are the only large bodies.
	MaxBodyBytes int64
	// Metrics is exported at /metrics (nil: a new registry).
	Metrics *Metrics
	// Engine runs executions (nil: the flows API only). Register
	// OnExecutionEnd as its end hook (Start does).
	Engine *flows.Engine
	// OnFlowTrigger, when set, is told the delay between an execution's end
	// and the creation of each execution a Flow trigger starts from it
	// (benchmarks); it must not block.
	OnFlowTrigger func(time.Duration)

	once sync.Once
	// triggerSem bounds the triggered executions being created at once.
	triggerSem chan struct{}
	triggerWG  sync.WaitGroup
	condMu     sync.Mutex // conditions with state (MultipleCondition) one at a time
	log        *slog.Logger
	// streams is closed when shutdown starts: long-lived answers (follow)
	// end then instead of holding the shutdown.
	streams     chan struct{}
	streamsOnce sync.Once
	catalog     *catalog
	mux         *http.ServeMux
}

// DefaultMaxBody is the default bound of a request body.
const DefaultMaxBody = 16 << 20

func (s *Server) maxBody() int64 {
	if s.MaxBodyBytes > 0 {
		return s.MaxBodyBytes
	}
	return DefaultMaxBody
}

func (s *Server) parse(file string, src []byte) (*flows.Flow, error) {
	if s.Parse != nil {
		return s.Parse(file, src)
	}
	return flows.Parse(file, src)
}

// route is one endpoint: the mux pattern, its OpenAPI description and the
// handler.
type route struct {
	method, path string
	summary      string
	tag          string
	params       []param
	body         string // request media types, "" for none
	h            handler
	raw          http.HandlerFunc // for endpoints that stream (SSE, metrics)
}

type param struct {
	name, in, doc string
	required      bool
}

func q(name, doc string) param { return param{name: name, in: "query", doc: doc} }

func (s *Server) routes() []route {
	page := []param{q("page", "page number, from 1 (default 1)"), q("size", "results per page (default 10, at most 1000)"), q("sort", "field:asc or field:desc")}
	return []route{
		{method: "GET", path: "/health", summary: "Health check", tag: "misc", h: s.health},
		{method: "GET", path: "/metrics", summary: "Prometheus metrics", tag: "misc", raw: s.metricsHandler()},
		{method: "GET", path: "/api/v1/openapi.json", summary: "This OpenAPI document", tag: "misc", h: s.openapi},

		{method: "GET", path: "/api/v1/flows", summary: "List flows (latest revisions)", tag: "flows", params: append([]param{q("namespace", "namespace and the ones below it")}, page...), h: s.listFlows},
		{method: "POST", path: "/api/v1/flows", summary: "Create a flow (JSON, or YAML with Content-Type application/x-yaml)", tag: "flows", body: "json,yaml", h: s.createFlow},
		{method: "GET", path: "/api/v1/flows/search", summary: "Search flows", tag: "flows", params: append([]param{q("q", "text found in the namespace or the id"), q("namespace", "namespace and the ones below it")}, page...), h: s.searchFlows},
		{method: "GET", path: "/api/v1/flows/distinct-namespaces", summary: "Namespaces that have flows", tag: "flows", h: s.distinctNamespaces},
		{method: "POST", path: "/api/v1/flows/{namespace}", summary: "Replace a namespace's flows: create or update those given, delete the others", tag: "flows", params: []param{q("force", "delete flows others depend on")}, body: "json,yaml", h: s.updateNamespace},
		{method: "GET", path: "/api/v1/flows/{namespace}/{id}", summary: "Get a flow", tag: "flows", params: []param{q("revision", "a revision number (default the latest)")}, h: s.getFlow},
		{method: "PUT", path: "/api/v1/flows/{namespace}/{id}", summary: "Update a flow (a new revision when it changed)", tag: "flows", body: "json,yaml", h: s.updateFlow},
		{method: "DELETE", path: "/api/v1/flows/{namespace}/{id}", summary: "Delete a flow; refused (409) while others depend on it unless force=true", tag: "flows", params: []param{q("force", "delete even when other flows depend on it")}, h: s.deleteFlow},
		{method: "GET", path: "/api/v1/flows/{namespace}/{id}/revisions", summary: "Every revision of a flow", tag: "flows", h: s.flowRevisions},
		{method: "GET", path: "/api/v1/flows/{namespace}/{id}/graph", summary: "The flow's tasks as a graph", tag: "flows", params: []param{q("revision", "a revision number (default the latest)")}, h: s.flowGraph},
		{method: "GET", path: "/api/v1/flows/{namespace}/{id}/dependencies", summary: "Flows this one uses and flows that use it", tag: "flows", params: []param{q("recursive", "follow dependencies transitively (default true)")}, h: s.flowDependencies},

		{method: "GET", path: "/api/v1/executions", summary: "Executions of a flow", tag: "executions", params: append([]param{q("namespace", "namespace"), q("flowId", "flow id")}, page...), h: s.searchExecutions},
		{method: "GET", path: "/api/v1/executions/search", summary: "Search executions", tag: "executions", params: append([]param{q("q", "text in the id, namespace or flow id"), q("namespace", "namespace"), q("flowId", "flow id"), q("state", "states, repeated or comma-separated")}, page...), h: s.searchExecutions},
		{method: "GET", path: "/api/v1/taskruns/search", summary: "Search task runs (of the most recent executions)", tag: "executions", params: append([]param{q("q", "text in the task id, execution id or flow"), q("namespace", "namespace"), q("flowId", "flow id"), q("state", "states")}, page...), h: s.searchTaskRuns},
		{method: "POST", path: "/api/v1/executions/trigger/{namespace}/{id}", summary: "Start an execution; inputs as multipart form fields, FILE inputs as file parts", tag: "executions", body: "multipart", h: s.triggerExecution},
		{method: "GET", path: "/api/v1/executions/webhook/{namespace}/{id}/{key}", summary: "Start an execution from a Webhook trigger", tag: "executions", h: s.webhook},
		{method: "POST", path: "/api/v1/executions/webhook/{namespace}/{id}/{key}", summary: "Start an execution from a Webhook trigger", tag: "executions", body: "any", h: s.webhook},
		{method: "PUT", path: "/api/v1/executions/webhook/{namespace}/{id}/{key}", summary: "Start an execution from a Webhook trigger", tag: "executions", body: "any", h: s.webhook},
		{method: "GET", path: "/api/v1/executions/{id}", summary: "Get an execution with its task runs", tag: "executions", h: s.getExecution},
		{method: "GET", path: "/api/v1/executions/{id}/graph", summary: "The execution's flow graph with task run states", tag: "executions", h: s.executionGraph},
		{method: "GET", path: "/api/v1/executions/{id}/file", summary: "Download a file of the execution", tag: "executions", params: []param{{name: "path", in: "query", doc: "the file's storage URI", required: true}}, h: s.executionFile},
		{method: "GET", path: "/api/v1/executions/{id}/file/metas", summary: "Size of a file of the execution", tag: "executions", params: []param{{name: "path", in: "query", doc: "the file's storage URI", required: true}}, h: s.executionFileMetas},
		{method: "POST", path: "/api/v1/executions/{id}/restart", summary: "Restart a failed execution (same id)", tag: "executions", params: []param{q("revision", "run this flow revision")}, h: s.restartExecution},
		{method: "POST", path: "/api/v1/executions/{id}/replay", summary: "Replay an execution from a task run (a new execution)", tag: "executions", params: []param{q("taskRunId", "the task run to start again from (default the first)"), q("revision", "run this flow revision")}, h: s.replayExecution},
		{method: "POST", path: "/api/v1/executions/{id}/state", summary: "Mark a task run's state and resume (markAs)", tag: "executions", body: "json", h: s.changeState},
		{method: "DELETE", path: "/api/v1/executions/{id}/kill", summary: "Kill a running execution", tag: "executions", h: s.killExecution},
		{method: "GET", path: "/api/v1/executions/{id}/follow", summary: "Follow an execution (Server-Sent Events: progress, then end)", tag: "executions", h: s.followExecution},
		{method: "GET", path: "/api/v1/logs/{id}", summary: "Logs of an execution", tag: "logs", params: []param{q("minLevel", "TRACE, DEBUG, INFO, WARN or ERROR"), q("taskRunId", "one task run"), q("taskId", "one task")}, h: s.executionLogs},
		{method: "GET", path: "/api/v1/logs/{id}/follow", summary: "Follow an execution's logs (Server-Sent Events)", tag: "logs", params: []param{q("minLevel", "TRACE, DEBUG, INFO, WARN or ERROR")}, h: s.followLogs},
	}
}

// Handler returns the API's handler.
func (s *Server) Handler() http.Handler {
	s.init()
	return s.mux
}

func (s *Server) init() {
	s.once.Do(func() {
		s.log = s.Logger
		if s.log == nil {
			s.log = discardLogger
		}
		if s.Metrics == nil {
			s.Metrics = NewMetrics()
		}
		if s.Repo != nil {
			s.Metrics.watchRepo(s.Repo)
		}
		s.streams = make(chan struct{})
		s.triggerSem = make(chan struct{}, 32)
		s.catalog = newCatalog()
		if e := s.Engine; e != nil {
			if e.Flows == nil {
				e.Flows = storedLoader{s}
			}
			if e.Queue == nil {
				// The server's own queue, so that its depth is a metric.
				e.Queue = queue.NewLocal()
			}
			if e.StartDelay == nil {
				e.StartDelay = s.Metrics.ObserveStartDelay
			}
			s.Metrics.watchEngine(e)
		}
		if err := s.loadCatalog(context.Background()); err != nil {
			s.log.Error("loading stored flows", "err", err)
		}
		mux := http.NewServeMux()
		for _, rt := range s.routes() {
			h := rt.raw
			if h == nil {
				h = s.wrap(rt.h)
			}
			mux.Handle(rt.method+" "+rt.path, h)
		}
		mux.Handle("/", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
			return errorf(http.StatusNotFound, "no endpoint %s %s (see /api/v1/openapi.json)", r.Method, r.URL.Path)
		}))
		s.mux = mux
	})
}

// Serve answers on l until ctx is cancelled, then shuts down gracefully:
// no new connections, requests in flight get up to grace to finish
// (streams such as follow are closed at once).
func (s *Server) Serve(ctx context.Context, l net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: follow streams for as long as the execution
		// runs; a slow reader only holds its own goroutine.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(s.closeStreams)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) closeStreams() { s.streamsOnce.Do(func() { close(s.streams) }) }

// storedLoader finds the flows a subflow task runs among the stored ones.
type storedLoader struct{ s *Server }

func (l storedLoader) Load(namespace, id string) (*flows.Flow, error) {
	if sf, ok := l.s.catalog.get(flows.FlowRef{Namespace: namespace, ID: id}); ok {
		return sf.Flow, nil
	}
	return nil, fmt.Errorf("flow %s.%s is not stored in this server", namespace, id)
}
