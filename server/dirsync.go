package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
)

// DirSync keeps the flows of a folder in the server's store: every
// *.yml/*.yaml flow file is stored (a new revision when it changed), and a
// flow whose file disappears is deleted. It polls: a folder on any file
// system works, and a file half-written is read again at the next pass.
type DirSync struct {
	Server *Server
	Dir    string
	// Every is the poll interval (default 2 s).
	Every time.Duration

	seen map[string]fileState // path → what was stored from it
}

type fileState struct {
	sum [32]byte
	ref flows.FlowRef
}

// Run syncs once, then at every interval until ctx ends.
func (d *DirSync) Run(ctx context.Context) error {
	if err := d.Sync(ctx); err != nil {
		return err
	}
	every := d.Every
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := d.Sync(ctx); err != nil {
				d.Server.log.Error("flows folder", "dir", d.Dir, "err", err)
			}
		}
	}
}

// Sync makes one pass. Files that do not parse are logged and left as
// they were stored (a flow being edited keeps running its last good
// revision).
func (d *DirSync) Sync(ctx context.Context) error {
	s := d.Server
	s.init()
	if s.Flows == nil {
		return errors.New("flows folder: the server has no flow store")
	}
	if d.seen == nil {
		d.seen = map[string]fileState{}
	}
	present := map[string]bool{}
	var paths []string
	err := filepath.WalkDir(d.Dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			if p == d.Dir {
				return err
			}
			return nil
		}
		if e.IsDir() {
			if strings.HasPrefix(e.Name(), ".") && p != d.Dir {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		present[p] = true
		sum := sha256.Sum256(src)
		if old, ok := d.seen[p]; ok && old.sum == sum {
			continue
		}
		f, err := s.parse(p, src)
		if err != nil {
			if f == nil || f.ID == "" || f.Namespace == "" || !strings.Contains(string(src), "tasks:") {
				continue // not a flow file, or not one yet
			}
			s.log.Warn("flow file does not validate; the stored revision is kept", "file", p, "err", err)
			d.seen[p] = fileState{sum: sum, ref: flows.FlowRef{Namespace: f.Namespace, ID: f.ID}}
			continue
		}
		ref := flows.FlowRef{Namespace: f.Namespace, ID: f.ID}
		stored := src
		if withKeys, keyed, ok := s.keyWebhooks(ref, f, src); ok {
			// A Webhook without key gets one (kept across changes of the
			// file), as through the API; the file itself is not touched.
			stored, f = withKeys, keyed
		}
		rev, created, err := s.Flows.SaveFlow(ctx, ref.Namespace, ref.ID, string(stored))
		if err != nil {
			return err
		}
		s.catalog.put(ref, f, rev.Revision)
		if created {
			s.log.Info("flow stored from folder", "flow", ref.String(), "revision", rev.Revision, "file", p)
		}
		d.seen[p] = fileState{sum: sum, ref: ref}
	}
	for p, fs := range d.seen {
		if present[p] {
			continue
		}
		delete(d.seen, p)
		if _, err := s.Flows.DeleteFlow(ctx, fs.ref.Namespace, fs.ref.ID); err != nil && !errors.Is(err, state.ErrNotFound) {
			return err
		}
		s.catalog.put(fs.ref, nil, 0)
		s.log.Info("flow deleted: its file is gone", "flow", fs.ref.String(), "file", p)
	}
	return nil
}

// keyWebhooks returns the source with keys filled in for the Webhook
// triggers that have none, and the flow parsed from it; ok is false when
// nothing needed a key.
func (s *Server) keyWebhooks(ref flows.FlowRef, f *flows.Flow, src []byte) ([]byte, *flows.Flow, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil || len(doc.Content) == 0 {
		return nil, nil, false
	}
	if !s.fillWebhookKeys(ref, f, doc.Content[0]) {
		return nil, nil, false
	}
	out, err := marshalYAML(doc.Content[0])
	if err != nil {
		return nil, nil, false
	}
	keyed, err := s.parse(f.File, out)
	if err != nil {
		return nil, nil, false
	}
	return out, keyed, true
}
