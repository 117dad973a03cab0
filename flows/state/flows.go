package state

import (
	"context"
	"time"
)

// FlowRevision is one stored revision of a flow.
type FlowRevision struct {
	Namespace, ID string
	// Revision counts from 1; every change of the source adds one.
	Revision int
	// Source is the flow's YAML as it was sent.
	Source string
	// Deleted marks the revision recording the flow's deletion (its
	// Source is that of the revision before).
	Deleted bool
	Updated time.Time
}

// FlowFilter selects flows for ListFlows; zero fields match all.
type FlowFilter struct {
	// Namespace matches it and the namespaces below it (a.b matches a.b
	// and a.b.c, not a.bc).
	Namespace string
}

// FlowStore keeps the flows sent to a server, with their revisions.
// SQLite implements it; a Repository that stores flows satisfies it too.
type FlowStore interface {
	// SaveFlow stores source as the next revision of (namespace, id)
	// unless it equals the latest (then the latest is returned and
	// created is false). Saving a deleted flow revives it.
	SaveFlow(ctx context.Context, namespace, id, source string) (rev *FlowRevision, created bool, err error)
	// GetFlow returns a revision (0: the latest). A deleted or absent
	// flow is an error wrapping ErrNotFound (a deleted flow's older
	// revisions stay readable by number).
	GetFlow(ctx context.Context, namespace, id string, revision int) (*FlowRevision, error)
	// FlowRevisions returns every revision, oldest first, deletions
	// included.
	FlowRevisions(ctx context.Context, namespace, id string) ([]*FlowRevision, error)
	// ListFlows returns the latest revision of every flow that is not
	// deleted, by namespace then id.
	ListFlows(ctx context.Context, f FlowFilter) ([]*FlowRevision, error)
	// DeleteFlow records a deletion revision. Absent or already deleted:
	// an error wrapping ErrNotFound.
	DeleteFlow(ctx context.Context, namespace, id string) (*FlowRevision, error)
}
