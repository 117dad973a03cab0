package singer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/storage"
	"github.com/sluicehq/sluice/singer/catalog"
	"github.com/sluicehq/sluice/singer/fanout"
	"github.com/sluicehq/sluice/singer/message"
	"github.com/sluicehq/sluice/singer/runner"
)

// TapProps are the properties every tap has.
type TapProps struct {
	RunnerProps           `yaml:",inline"`
	StreamsConfigurations []catalog.StreamConfig `yaml:"streamsConfigurations" doc:"Stream and field selection applied to the catalog's metadata, in order (an entry without stream applies to every stream). With none, every stream is selected."`
	Catalog               any                    `yaml:"catalog" doc:"The catalog to use instead of running discovery: an object, JSON text, or a file (storage URI or path). streamsConfigurations still apply."`
	Raw                   bool                   `yaml:"raw" default:"true" doc:"true: store the tap's message stream as-is (outputs.ID.raw) for any number of targets; false: split RECORD messages into one typed row file per stream (outputs.ID.streams.STREAM)."`
	StoreRaw              bool                   `yaml:"storeRaw" doc:"With raw: false, also store the message stream as-is (outputs.ID.raw) so that Singer targets can load it too; the tap still saves the state itself."`
	StateName             string                 `yaml:"stateName" default:"singer-state" doc:"Key of the bookmark state in the flow's state store. With raw: true, targets sharing this stateName move it once all of them acknowledged a STATE."`
	Targets               []string               `yaml:"targets" doc:"IDs of the target tasks that must acknowledge a STATE before it is committed (raw: true). Default: every target task that ever read this tap's output under stateName."`
}

// features are the Singer options a tap supports (Kestra's names).
type features struct {
	catalog, properties, discover, state bool
}

func parseFeatures(list []string) (features, error) {
	var f features
	for _, s := range list {
		switch strings.ToUpper(s) {
		case "CATALOG":
			f.catalog = true
		case "PROPERTIES":
			f.properties = true
		case "DISCOVER":
			f.discover = true
		case "STATE":
			f.state = true
		default:
			return f, fmt.Errorf("unknown feature %q (CATALOG, PROPERTIES, DISCOVER, STATE)", s)
		}
	}
	return f, nil
}

// tapSpec is what a named or generic tap contributes to a run.
type tapSpec struct {
	name            string
	config          map[string]any
	features        features
	defaultCommand  string
	defaultPackages []string
	env             map[string]string
}

// Outputs of every tap.
var tapOutputs = []plugin.Output{
	{Name: "raw", When: "raw: true or storeRaw: true", Doc: "URI of the tap's message stream, stored as-is (raw: true or storeRaw: true): give it to targets as from."},
	{Name: "streams", Dynamic: true, Doc: "streams.STREAM: URI of the typed row file of each stream (raw: false)."},
	{Name: "schemas", Dynamic: true, Doc: "schemas.STREAM: URI of the JSON Schema of each stream (raw: false)."},
	{Name: "state", Doc: "The last STATE value the tap emitted (null when none)."},
	{Name: "count", Dynamic: true, Doc: "Messages by type: RECORD, SCHEMA, STATE, ACTIVATE_VERSION, BATCH and any other type the tap wrote."},
	{Name: "records", Dynamic: true, Doc: "records.STREAM: RECORD messages per stream."},
	{Name: "stateName", Doc: "Key of the bookmark state."},
	{Name: "run", Doc: "Identity of this tap run in the fan-out bookkeeping (raw: true)."},
}

func (p *TapProps) run(ctx context.Context, rc *plugin.RunContext, s tapSpec) (plugin.Outputs, error) {
	log := rc.Logger()
	maskConfig(rc, s.config)
	dir, err := rc.TempDir()
	if err != nil {
		return nil, err
	}
	cfgPath, err := writeJSON(dir, "config.json", s.config)
	if err != nil {
		return nil, err
	}
	prog, err := p.program(ctx, rc, s.name, s.defaultCommand, s.defaultPackages, dir, s.env)
	if err != nil {
		return nil, err
	}
	args := []string{"--config", cfgPath}

	store := fanout.New(rc.KV(), rc.Namespace()+"/"+rc.FlowID(), p.StateName)
	var base json.RawMessage
	if s.features.state && rc.KV() != nil {
		out, err := store.Settle(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading state %q: %w", p.StateName, err)
		}
		if len(out.Missing) > 0 {
			log.Warn("state held back: some targets acknowledged nothing of the previous tap run", "stateName", p.StateName, "targets", strings.Join(out.Missing, ", "))
		}
		if out.State != nil {
			base = out.State
			path := filepath.Join(dir, "state.json")
			if err := os.WriteFile(path, out.State, 0o600); err != nil {
				return nil, err
			}
			args = append(args, "--state", path)
			log.Info("resuming from the saved state", "stateName", p.StateName, "state", string(out.State))
		} else {
			log.Info("no saved state: the tap starts from the beginning", "stateName", p.StateName)
		}
	}

	if s.features.catalog || s.features.properties {
		cat, err := p.loadCatalog(ctx, rc, prog, cfgPath, s)
		if err != nil {
			return nil, err
		}
		if cat != nil {
			configs := p.StreamsConfigurations
			if len(configs) == 0 && p.Catalog == nil {
				// A discovered catalog selects nothing by default in many
				// taps; a given one says what the user chose.
				configs = []catalog.StreamConfig{{Selected: true}}
			}
			for _, w := range cat.Unknown(configs) {
				log.Warn(w)
			}
			if err := cat.Apply(configs, catalog.Options{Legacy: s.features.properties && !s.features.catalog}); err != nil {
				return nil, err
			}
			b, err := cat.Marshal()
			if err != nil {
				return nil, err
			}
			path := filepath.Join(dir, "catalog.json")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				return nil, err
			}
			flag := "--catalog"
			if !s.features.catalog {
				flag = "--properties"
			}
			args = append(args, flag, path)
		}
	}

	var sink tapSink
	switch {
	case p.Raw:
		sink, err = newRawSink(ctx, rc)
	case p.StoreRaw:
		var r *rawSink
		if r, err = newRawSink(ctx, rc); err == nil {
			sink = &bothSink{raw: r, streams: newStreamSink(ctx, rc)}
		}
	default:
		sink = newStreamSink(ctx, rc)
	}
	if err != nil {
		return nil, err
	}
	defer sink.abort()

	counter := rc.Progress("records")
	defer counter.Done()
	proc, err := prog.Start(ctx, false, args...)
	if err != nil {
		return nil, err
	}
	st := &tapStats{count: map[string]int64{}, records: map[string]*int64{}}
	readErr := readTap(proc.Stdout, s.name, st, sink, counter.Add)
	if readErr != nil {
		// Stop the tap: its output is unusable.
		proc.Kill()
		io.Copy(io.Discard, proc.Stdout)
	}
	waitErr := proc.Wait()
	if readErr != nil {
		if waitErr != nil {
			return nil, fmt.Errorf("%w (the tap was stopped: %v)", readErr, waitErr)
		}
		return nil, readErr
	}
	if waitErr != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s interrupted: %w", s.name, ctx.Err())
		}
		return nil, waitErr
	}
	outs, err := sink.commit(ctx)
	if err != nil {
		return nil, err
	}
	outs["count"] = st.count
	outs["records"] = st.recordCounts()
	outs["stateName"] = p.StateName
	outs["state"] = nil
	if st.lastState != nil {
		var v any
		if json.Unmarshal(st.lastState, &v) == nil {
			outs["state"] = v
		}
	}
	log.Info("tap done", "records", st.count["RECORD"], "states", st.count["STATE"], "streams", len(st.records))

	if s.features.state && rc.KV() != nil {
		if p.Raw {
			run := fanout.Run{
				ID:      rc.ExecutionID() + "/" + rc.TaskRunID(),
				Raw:     normalizeURI(outs["raw"].(string)),
				Base:    base,
				States:  st.count["STATE"],
				Last:    st.lastState,
				Targets: p.Targets,
			}
			if err := store.BeginRun(ctx, run); err != nil {
				return nil, fmt.Errorf("recording the tap run under %q: %w", p.StateName, err)
			}
			outs["run"] = run.ID
		} else if st.lastState != nil {
			// The row files hold every record: the tap is the consumer.
			if err := store.Commit(ctx, st.lastState); err != nil {
				return nil, fmt.Errorf("saving state %q: %w", p.StateName, err)
			}
		}
	}
	return outs, nil
}

type tapStats struct {
	count     map[string]int64
	records   map[string]*int64 // pointers: counting a stream does not allocate its name
	lastState json.RawMessage
}

func (st *tapStats) record(stream []byte) {
	if n := st.records[string(stream)]; n != nil {
		*n++
		return
	}
	n := int64(1)
	st.records[string(stream)] = &n
}

func (st *tapStats) recordCounts() map[string]int64 {
	out := make(map[string]int64, len(st.records))
	for k, n := range st.records {
		out[k] = *n
	}
	return out
}

// tapSink receives the tap's messages.
type tapSink interface {
	message(line []byte, h *message.Head, lineNo int64) error
	// commit publishes the files and returns their outputs.
	commit(ctx context.Context) (plugin.Outputs, error)
	abort()
	// full says whether the sink needs every member of a message.
	full() bool
}

func readTap(r io.Reader, name string, st *tapStats, sink tapSink, progress func(int64, int64)) error {
	lr := message.NewLineReader(r, name+" output")
	var h message.Head
	full := sink.full()
	for {
		line, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := message.Skim(line, &h, full); err != nil {
			return &message.LineError{Name: name + " output", Line: lr.Line(), Err: fmt.Errorf("%w: %s", err, snippet(line))}
		}
		switch h.Type {
		case message.Record:
			if h.Stream == nil {
				return &message.LineError{Name: name + " output", Line: lr.Line(), Err: fmt.Errorf(`RECORD message without a "stream" string: %s`, snippet(line))}
			}
			st.count["RECORD"]++
			st.record(h.Stream)
			progress(1, int64(len(line)))
		case message.State:
			st.count["STATE"]++
			st.lastState = append(st.lastState[:0], h.Value...)
		case message.Unknown:
			st.count[strings.ToUpper(h.TypeName)]++
		default:
			st.count[h.Type.String()]++
		}
		if err := sink.message(line, &h, lr.Line()); err != nil {
			return &message.LineError{Name: name + " output", Line: lr.Line(), Err: err}
		}
	}
}

func snippet(b []byte) string {
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

// loadCatalog returns the user's catalog, or the tap's discovery output,
// or nil when the tap has neither (it then syncs its defaults).
func (p *TapProps) loadCatalog(ctx context.Context, rc *plugin.RunContext, prog *runner.Program, cfgPath string, s tapSpec) (*catalog.Catalog, error) {
	if p.Catalog != nil {
		return userCatalog(ctx, rc, p.Catalog)
	}
	if !s.features.discover {
		return nil, nil
	}
	rc.Logger().Info("discovering streams", "command", strings.Join(prog.Argv(), " "))
	proc, err := prog.Start(ctx, false, "--config", cfgPath, "--discover")
	if err != nil {
		return nil, err
	}
	data, rerr := io.ReadAll(proc.Stdout)
	if err := proc.Wait(); err != nil {
		return nil, fmt.Errorf("discovery (--discover) failed: %w", err)
	}
	if rerr != nil {
		return nil, fmt.Errorf("discovery: reading the catalog: %w", rerr)
	}
	cat, err := catalog.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w: %s", err, snippet(bytes.TrimSpace(data)))
	}
	names := cat.Streams()
	shown := names
	if len(shown) > 20 {
		shown = append(shown[:20:20], fmt.Sprintf("… (%d more)", len(names)-20))
	}
	rc.Logger().Info("discovered streams", "count", len(names), "streams", strings.Join(shown, ", "))
	return cat, nil
}

func userCatalog(ctx context.Context, rc *plugin.RunContext, v any) (*catalog.Catalog, error) {
	switch t := v.(type) {
	case map[string]any:
		b, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		return catalog.Parse(b)
	case string:
		s := strings.TrimSpace(t)
		if strings.HasPrefix(s, "{") {
			return catalog.Parse([]byte(s))
		}
		f, err := rc.OpenFile(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("catalog %q: %w", s, err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return nil, fmt.Errorf("catalog %q: %w", s, err)
		}
		cat, err := catalog.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("catalog %q: %w", s, err)
		}
		return cat, nil
	}
	return nil, fmt.Errorf("catalog: expected an object, JSON text or a file, got %T", v)
}

// rawSink stores the message stream as-is.
type rawSink struct {
	up  storage.Upload
	uri storage.URI
	w   *bufWriter
}

func newRawSink(ctx context.Context, rc *plugin.RunContext) (*rawSink, error) {
	up, u, err := rc.CreateFile(ctx, "raw.jsonl")
	if err != nil {
		return nil, err
	}
	return &rawSink{up: up, uri: u, w: newBufWriter(up, 1<<20)}, nil
}

func (r *rawSink) full() bool { return false }

func (r *rawSink) message(line []byte, _ *message.Head, _ int64) error {
	return r.w.writeLine(line)
}

func (r *rawSink) commit(ctx context.Context) (plugin.Outputs, error) {
	if err := r.w.flush(); err != nil {
		return nil, err
	}
	if err := r.up.Commit(); err != nil {
		return nil, err
	}
	return plugin.Outputs{"raw": r.uri.String(), "streams": map[string]any{}, "schemas": map[string]any{}}, nil
}

func (r *rawSink) abort() { r.up.Close() }

// bufWriter is a minimal buffered line writer that keeps the first error.
type bufWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func newBufWriter(w io.Writer, size int) *bufWriter {
	return &bufWriter{w: w, buf: make([]byte, 0, size)}
}

func (b *bufWriter) writeLine(line []byte) error {
	if b.err != nil {
		return b.err
	}
	if len(b.buf)+len(line)+1 > cap(b.buf) {
		if err := b.flush(); err != nil {
			return err
		}
		if len(line)+1 > cap(b.buf) {
			if _, err := b.w.Write(line); err != nil {
				b.err = err
				return err
			}
			b.buf = append(b.buf, '\n')
			return nil
		}
	}
	b.buf = append(b.buf, line...)
	b.buf = append(b.buf, '\n')
	return nil
}

func (b *bufWriter) flush() error {
	if b.err != nil {
		return b.err
	}
	if len(b.buf) > 0 {
		if _, err := b.w.Write(b.buf); err != nil {
			b.err = err
			return err
		}
		b.buf = b.buf[:0]
	}
	return nil
}

// bothSink stores the raw stream and the typed streams (raw: false with
// storeRaw).
type bothSink struct {
	raw     *rawSink
	streams *streamSink
}

func (b *bothSink) full() bool { return true }

func (b *bothSink) message(line []byte, h *message.Head, n int64) error {
	if err := b.raw.message(line, h, n); err != nil {
		return err
	}
	return b.streams.message(line, h, n)
}

func (b *bothSink) commit(ctx context.Context) (plugin.Outputs, error) {
	outs, err := b.streams.commit(ctx)
	if err != nil {
		return nil, err
	}
	r, err := b.raw.commit(ctx)
	if err != nil {
		return nil, err
	}
	outs["raw"] = r["raw"]
	return outs, nil
}

func (b *bothSink) abort() {
	b.raw.abort()
	b.streams.abort()
}
