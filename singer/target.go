package singer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/singer/fanout"
	"github.com/sluicehq/sluice/singer/message"
	"github.com/sluicehq/sluice/singer/runner"
)

// TargetProps are the properties every target has.
type TargetProps struct {
	RunnerProps `yaml:",inline"`
	From        string `yaml:"from" required:"true" doc:"The raw message stream of a tap: \"{{ outputs.TAP.raw }}\" (a storage URI or a local file of Singer messages)."`
	StateName   string `yaml:"stateName" default:"singer-state" doc:"The tap's stateName: the target's acknowledgements move the bookmark state saved under it once every target of the fan-out acknowledged."`
}

// targetSpec is one target program of a run.
type targetSpec struct {
	name            string // for logs: "target-csv"
	sub             string // sub-target ID in a list, "" for a single target
	config          map[string]any
	defaultCommand  string
	defaultPackages []string
	env             map[string]string
	props           *RunnerProps
	// outDir, when set, is a folder (relative to the target's working
	// directory) whose files are stored as outputs.uris.
	outDir string
	// prepare may write files into the working directory before the config
	// is written (credentials files).
	prepare func(dir string, cfg map[string]any, env map[string]string) error
}

// targetResult is what one target program did.
type targetResult struct {
	spec      targetSpec
	member    string
	acked     int64
	state     []byte
	err       error
	unmatched int64
	uris      map[string]any
	dir       string
}

var targetOutputs = []plugin.Output{
	{Name: "state", Doc: "The last STATE value the target acknowledged (null when none)."},
	{Name: "acknowledged", Doc: "Number of STATE messages the target acknowledged (of states)."},
	{Name: "states", Doc: "Number of STATE messages sent to the target."},
	{Name: "records", Dynamic: true, Doc: "records.STREAM: RECORD messages sent per stream."},
	{Name: "committed", Doc: "The bookmark state committed under stateName after this target ended (null when none)."},
	{Name: "stateName", Doc: "Key of the bookmark state."},
	{Name: "stateKey", Doc: "Same as stateName (Kestra's name)."},
	{Name: "fanout", Doc: "true when the target took part in the fan-out state agreement of the tap run that wrote from."},
	{Name: "uris", Dynamic: true, Doc: "uris.STREAM: files the target wrote (Csv, Jsonl)."},
	{Name: "targets", Dynamic: true, Doc: "targets.ID: the same keys for each target of a list."},
}

// ackEvery bounds how often progress is saved while a target runs.
const ackEvery = time.Second

func runTargets(ctx context.Context, rc *plugin.RunContext, p *TargetProps, specs []targetSpec) (plugin.Outputs, error) {
	log := rc.Logger()
	from := strings.TrimSpace(p.From)
	src, err := rc.OpenFile(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("from %q: %w", from, err)
	}
	defer src.Close()

	var store *fanout.Store
	var run *fanout.Run
	if rc.KV() != nil {
		store = fanout.New(rc.KV(), rc.Namespace()+"/"+rc.FlowID(), p.StateName)
		r, err := store.CurrentRun(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading state %q: %w", p.StateName, err)
		}
		switch {
		case r != nil && r.Raw == normalizeURI(from):
			run = r
		case r == nil:
			log.Info("no tap run waits for acknowledgements under this stateName (raw: false taps save their state themselves): the target does not move the state", "stateName", p.StateName)
		default:
			log.Warn("the bookmark state will not move: from is not the latest raw output of a tap with this stateName", "stateName", p.StateName, "from", from)
		}
	}

	base, err := rc.TempDir()
	if err != nil {
		return nil, err
	}
	type live struct {
		res     *targetResult
		proc    *runner.Proc
		in      *bufio.Writer
		tracker *fanout.Tracker
		dead    bool
		outDone chan struct{}
	}
	var targets []*live
	defer func() {
		// Programs still running here are abandoned on an error: stop and
		// reap them.
		for _, t := range targets {
			if t.proc != nil {
				t.proc.Kill()
				t.proc.Stdin.Close()
				<-t.outDone
				t.proc.Wait()
			}
		}
	}()
	for i, s := range specs {
		dir := base
		if len(specs) > 1 {
			dir = filepath.Join(base, fmt.Sprintf("%d-%s", i+1, fileName(s.sub)))
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, err
			}
		}
		env := map[string]string{}
		for k, v := range s.env {
			env[k] = v
		}
		if s.outDir != "" {
			if err := os.MkdirAll(filepath.Join(dir, s.outDir), 0o700); err != nil {
				return nil, err
			}
		}
		if s.prepare != nil {
			if err := s.prepare(dir, s.config, env); err != nil {
				return nil, fmt.Errorf("%s: %w", s.name, err)
			}
		}
		maskConfig(rc, s.config)
		cfgPath, err := writeJSON(dir, "config.json", s.config)
		if err != nil {
			return nil, err
		}
		prog, err := s.props.program(ctx, rc, s.name, s.defaultCommand, s.defaultPackages, dir, env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		res := &targetResult{spec: s, member: member(rc, s.sub), acked: -1, dir: dir}
		if run != nil {
			if err := store.Join(ctx, run.ID, res.member); err != nil {
				return nil, fmt.Errorf("joining the fan-out of %q: %w", p.StateName, err)
			}
		}
		proc, err := prog.Start(ctx, true, "--config", cfgPath)
		if err != nil {
			return nil, err
		}
		t := &live{res: res, proc: proc, in: bufio.NewWriterSize(proc.Stdin, 256<<10), tracker: fanout.NewTracker(), outDone: make(chan struct{})}
		targets = append(targets, t)
		go func() {
			defer close(t.outDone)
			lr := message.NewLineReader(proc.Stdout, s.name+" output")
			last := time.Now()
			for {
				line, err := lr.Next()
				if err != nil {
					if err != io.EOF {
						log.Warn("reading the target's output", "target", s.name, "error", err)
					}
					io.Copy(io.Discard, proc.Stdout)
					return
				}
				if t.tracker.Echoed(line) {
					if run != nil && time.Since(last) >= ackEvery {
						last = time.Now()
						idx, st := t.tracker.Acked()
						if err := store.PutAck(ctx, res.member, fanout.Ack{Run: run.ID, Index: idx, State: st}); err != nil {
							log.Warn("saving the target's progress", "target", s.name, "error", err)
						}
					}
					continue
				}
				log.Info(string(line), "source", s.name+" stdout")
			}
		}()
	}

	counter := rc.Progress("records")
	defer counter.Done()
	st := &tapStats{records: map[string]*int64{}}
	var states int64
	lr := message.NewLineReader(bufio.NewReaderSize(src, 1<<20), from)
	var h message.Head
	var readErr error
	for {
		line, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		if err := message.Skim(line, &h, false); err != nil {
			readErr = &message.LineError{Name: from, Line: lr.Line(), Err: err}
			break
		}
		switch h.Type {
		case message.Record:
			st.record(h.Stream)
			counter.Add(1, int64(len(line)))
		case message.State:
			states++
			for _, t := range targets {
				if !t.dead {
					t.tracker.Sent(h.Value)
				}
			}
		}
		alive := 0
		for _, t := range targets {
			if t.dead {
				continue
			}
			_, werr := t.in.Write(line)
			if werr == nil {
				werr = t.in.WriteByte('\n')
			}
			if werr != nil {
				// The target stopped reading (it exited): its exit status
				// says why; the others go on.
				t.dead = true
				continue
			}
			alive++
		}
		if alive == 0 {
			break
		}
		if ctx.Err() != nil {
			readErr = ctx.Err()
			break
		}
	}
	for _, t := range targets {
		if !t.dead {
			if err := t.in.Flush(); err != nil {
				t.dead = true
			}
		}
		t.proc.Stdin.Close()
	}
	if readErr != nil {
		for _, t := range targets {
			t.proc.Kill()
		}
	}
	results := make([]*targetResult, len(targets))
	var errs []error
	for i, t := range targets {
		<-t.outDone
		werr := t.proc.Wait()
		t.proc = nil
		res := t.res
		results[i] = res
		switch {
		case werr != nil:
			res.err = werr
		case readErr != nil:
			res.err = readErr
		case t.dead:
			res.err = fmt.Errorf("%s stopped reading its input before the end but exited 0", t.res.spec.name)
		default:
			// Exit 0 after the whole stream: everything is loaded.
			t.tracker.AckAll()
		}
		res.acked, res.state = t.tracker.Acked()
		res.unmatched = t.tracker.Unmatched
		if run != nil {
			if err := store.PutAck(ctx, res.member, fanout.Ack{Run: run.ID, Index: res.acked, State: res.state, Done: true}); err != nil {
				errs = append(errs, fmt.Errorf("saving the acknowledgement of %s: %w", res.member, err))
			}
		}
		if res.err == nil && res.spec.outDir != "" {
			uris, err := storeDir(ctx, rc, filepath.Join(res.dir, res.spec.outDir))
			if err != nil {
				res.err = err
			}
			res.uris = uris
		}
		if res.err != nil {
			errs = append(errs, res.err)
		}
		if res.err == nil && res.unmatched > 0 && res.acked < states-1 {
			log.Debug("target printed lines that acknowledged no STATE", "target", res.spec.name, "lines", res.unmatched)
		}
	}
	var committed any
	if run != nil {
		out, err := store.Settle(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("committing state %q: %w", p.StateName, err))
		} else {
			committed = rawToAny(out.State)
			if out.Changed {
				log.Info("bookmark state committed", "stateName", p.StateName, "index", out.Index, "of", run.States)
			}
			if len(out.Missing) > 0 {
				log.Info("bookmark state waits for other targets", "stateName", p.StateName, "targets", strings.Join(out.Missing, ", "))
			}
		}
	}
	if readErr != nil && len(errs) == 0 {
		errs = append(errs, readErr)
	}
	outs := plugin.Outputs{
		"states": states, "records": st.recordCounts(), "committed": committed,
		"stateName": p.StateName, "stateKey": p.StateName, "fanout": run != nil,
	}
	per := map[string]any{}
	for _, r := range results {
		o := map[string]any{"state": rawToAny(r.state), "acknowledged": r.acked + 1}
		if r.uris != nil {
			o["uris"] = r.uris
		}
		if r.err != nil {
			o["error"] = r.err.Error()
		}
		key := r.spec.sub
		if key == "" {
			key = r.spec.name
		}
		per[key] = o
	}
	if len(results) == 1 {
		outs["state"] = rawToAny(results[0].state)
		outs["acknowledged"] = results[0].acked + 1
		if results[0].uris != nil {
			outs["uris"] = results[0].uris
		}
	} else {
		outs["targets"] = per
	}
	if len(errs) > 0 {
		return outs, errors.Join(errs...)
	}
	return outs, nil
}

func rawToAny(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	return v
}

// storeDir stores every file a target wrote into dir, keyed by stream name
// (the file name without its extension and target-csv's time stamp:
// users-20240101T000000.csv → users, users.jsonl → users).
func storeDir(ctx context.Context, rc *plugin.RunContext, dir string) (map[string]any, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		up, u, err := rc.CreateFile(ctx, name)
		if err != nil {
			f.Close()
			return nil, err
		}
		_, err = io.Copy(up, f)
		f.Close()
		if err == nil {
			err = up.Commit()
		}
		up.Close()
		if err != nil {
			return nil, fmt.Errorf("storing %s: %w", name, err)
		}
		out[streamOfFile(name)] = u.String()
	}
	return out, nil
}

// csvStamp is the -YYYYMMDDTHHMMSS suffix target-csv adds to file names.
var csvStamp = regexp.MustCompile(`-[0-9]{8}T[0-9]{6}$`)

func streamOfFile(name string) string {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	return csvStamp.ReplaceAllString(base, "")
}
