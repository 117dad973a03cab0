package plugin

import (
	"context"
	"fmt"
)

// A task's life cycle, as Caddy's modules have it: a task run gets a fresh
// properties struct (decoded, templates rendered), then
//
//	Provision(ctx, rc)  if the task implements Provisioner: acquire what Run
//	                    needs (a pooled connection, a client), fail early
//	Run(ctx, rc)
//	Cleanup()           if it implements CleanerUpper: release what Provision
//	                    acquired; called after every run, even when Provision
//	                    or Run failed, so it must tolerate a partial Provision
//
// Both are optional and found by type assertion, so a task that needs
// neither implements neither. Provision is where a task takes a shared
// resource from a per-process pool (internal/connpool) and Cleanup where it
// hands it back, so that a server running thousands of task runs against
// the same database reuses connections instead of opening one per run.

// Provisioner is implemented by tasks that set themselves up before Run.
type Provisioner interface {
	Provision(ctx context.Context, rc *RunContext) error
}

// CleanerUpper is implemented by tasks that release resources after Run.
type CleanerUpper interface {
	Cleanup() error
}

// Execute runs one task run through its life cycle: Provision, Run,
// Cleanup. A Cleanup error is returned only when Run succeeded (the task's
// own failure is the one worth reporting); the outputs are kept either way.
func Execute(ctx context.Context, task Task, rc *RunContext) (out Outputs, err error) {
	if c, ok := task.(CleanerUpper); ok {
		defer func() {
			if cerr := c.Cleanup(); cerr != nil && err == nil {
				err = fmt.Errorf("cleanup: %w", cerr)
			}
		}()
	}
	if p, ok := task.(Provisioner); ok {
		if err := p.Provision(ctx, rc); err != nil {
			return nil, fmt.Errorf("provision: %w", err)
		}
	}
	return task.Run(ctx, rc)
}
