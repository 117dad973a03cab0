package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

var _ FlowStore = (*sqliteRepo)(nil)

const sqlLatestFlow = `SELECT namespace, id, revision, source, deleted, updated_us FROM flows
	WHERE namespace = ? AND id = ? ORDER BY revision DESC LIMIT 1`

func scanFlow(sc interface{ Scan(...any) error }) (*FlowRevision, error) {
	var r FlowRevision
	var deleted int
	var us int64
	if err := sc.Scan(&r.Namespace, &r.ID, &r.Revision, &r.Source, &deleted, &us); err != nil {
		return nil, err
	}
	r.Deleted = deleted != 0
	r.Updated = time.UnixMicro(us).UTC()
	return &r, nil
}

func (s *sqliteRepo) SaveFlow(ctx context.Context, namespace, id, source string) (*FlowRevision, bool, error) {
	if namespace == "" || id == "" {
		return nil, false, errors.New("state: save flow: empty namespace or id")
	}
	var out *FlowRevision
	var created bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		latest, err := scanFlow(tx.QueryRowContext(ctx, sqlLatestFlow, namespace, id))
		next := 1
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if !latest.Deleted && latest.Source == source {
				out = latest
				return nil
			}
			next = latest.Revision + 1
		}
		now := time.Now().Truncate(time.Microsecond).UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO flows (namespace, id, revision, source, deleted, updated_us) VALUES (?, ?, ?, ?, 0, ?)`,
			namespace, id, next, source, now.UnixMicro()); err != nil {
			return err
		}
		out = &FlowRevision{Namespace: namespace, ID: id, Revision: next, Source: source, Updated: now}
		created = true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("state: save flow %s.%s: %w", namespace, id, err)
	}
	return out, created, nil
}

func (s *sqliteRepo) GetFlow(ctx context.Context, namespace, id string, revision int) (*FlowRevision, error) {
	var row *sql.Row
	if revision <= 0 {
		row = s.r.QueryRowContext(ctx, sqlLatestFlow, namespace, id)
	} else {
		row = s.r.QueryRowContext(ctx, `SELECT namespace, id, revision, source, deleted, updated_us FROM flows
			WHERE namespace = ? AND id = ? AND revision = ?`, namespace, id, revision)
	}
	r, err := scanFlow(row)
	if errors.Is(err, sql.ErrNoRows) || err == nil && revision <= 0 && r.Deleted {
		return nil, fmt.Errorf("state: flow %s.%s: %w", namespace, id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("state: get flow %s.%s: %w", namespace, id, err)
	}
	return r, nil
}

func (s *sqliteRepo) FlowRevisions(ctx context.Context, namespace, id string) ([]*FlowRevision, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT namespace, id, revision, source, deleted, updated_us FROM flows
		WHERE namespace = ? AND id = ? ORDER BY revision`, namespace, id)
	if err != nil {
		return nil, fmt.Errorf("state: flow revisions %s.%s: %w", namespace, id, err)
	}
	defer rows.Close()
	var out []*FlowRevision
	for rows.Next() {
		r, err := scanFlow(rows)
		if err != nil {
			return nil, fmt.Errorf("state: flow revisions %s.%s: %w", namespace, id, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: flow revisions %s.%s: %w", namespace, id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("state: flow %s.%s: %w", namespace, id, ErrNotFound)
	}
	return out, nil
}

func (s *sqliteRepo) ListFlows(ctx context.Context, f FlowFilter) ([]*FlowRevision, error) {
	q := `SELECT f.namespace, f.id, f.revision, f.source, f.deleted, f.updated_us FROM flows f
		JOIN (SELECT namespace, id, MAX(revision) AS revision FROM flows GROUP BY namespace, id) l
		ON f.namespace = l.namespace AND f.id = l.id AND f.revision = l.revision
		WHERE f.deleted = 0`
	var args []any
	if f.Namespace != "" {
		// Prefix match without LIKE, whose wildcards namespaces may hold.
		q += ` AND (f.namespace = ? OR substr(f.namespace, 1, ?) = ?)`
		prefix := strings.TrimSuffix(f.Namespace, ".") + "."
		args = append(args, f.Namespace, len(prefix), prefix)
	}
	q += ` ORDER BY f.namespace, f.id`
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("state: list flows: %w", err)
	}
	defer rows.Close()
	var out []*FlowRevision
	for rows.Next() {
		r, err := scanFlow(rows)
		if err != nil {
			return nil, fmt.Errorf("state: list flows: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: list flows: %w", err)
	}
	return out, nil
}

func (s *sqliteRepo) DeleteFlow(ctx context.Context, namespace, id string) (*FlowRevision, error) {
	var out *FlowRevision
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		latest, err := scanFlow(tx.QueryRowContext(ctx, sqlLatestFlow, namespace, id))
		if errors.Is(err, sql.ErrNoRows) || err == nil && latest.Deleted {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := time.Now().Truncate(time.Microsecond).UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO flows (namespace, id, revision, source, deleted, updated_us) VALUES (?, ?, ?, ?, 1, ?)`,
			namespace, id, latest.Revision+1, latest.Source, now.UnixMicro()); err != nil {
			return err
		}
		out = &FlowRevision{Namespace: namespace, ID: id, Revision: latest.Revision + 1, Source: latest.Source, Deleted: true, Updated: now}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: delete flow %s.%s: %w", namespace, id, err)
	}
	return out, nil
}
