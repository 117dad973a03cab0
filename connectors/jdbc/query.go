package jdbc

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
)

// Query is the properties of jdbc.DIALECT.Query.
type Query struct {
	Connection `yaml:",inline"`
	SQL        string `yaml:"sql" required:"true" doc:"The statement to run. Output keys are the column labels (aliases kept)."`
	FetchOne   bool   `yaml:"fetchOne" doc:"Output the first row as row (no row when the result is empty)."`
	Fetch      bool   `yaml:"fetch" doc:"Output all rows as rows (held in memory: use store for large results)."`
	Store      bool   `yaml:"store" doc:"Stream all rows into a row file in internal storage as they arrive (output uri); memory does not grow with the result."`
	FetchSize  int    `yaml:"fetchSize" default:"10000" doc:"Rows fetched per round trip where the driver lets the client choose; results are streamed in every case."`

	d    dialect.Dialect // the dialect the task was declared for
	sess *session        // from Provision, released by Cleanup
}

func (q *Query) validate(o *ODBC) error {
	if q.d == nil {
		return errNoDialect
	}
	n := 0
	for _, b := range []bool{q.FetchOne, q.Fetch, q.Store} {
		if b {
			n++
		}
	}
	if n > 1 {
		return errors.New("set at most one of fetchOne, fetch and store")
	}
	if q.FetchSize < 0 {
		return errors.New("fetchSize must not be negative")
	}
	if err := q.Connection.Validate(); err != nil {
		return err
	}
	return validateURL(q.d, q.URL, o)
}

// maxFetch bounds fetch: outputs live in the execution's state, not in a
// file.
const maxFetch = 1_000_000

// provision checks the properties and takes a pooled connection.
func (q *Query) provision(ctx context.Context, rc *plugin.RunContext, o *ODBC) error {
	if err := q.validate(o); err != nil {
		return err
	}
	s, err := open(ctx, rc, q.d, &q.Connection, o)
	if err != nil {
		return err
	}
	q.sess = s
	return nil
}

func (q *Query) cleanup() error {
	q.sess.Close()
	q.sess = nil
	return nil
}

func (q *Query) run(ctx context.Context, rc *plugin.RunContext, o *ODBC) (plugin.Outputs, error) {
	if q.sess == nil { // run without the life cycle (plugin.Execute)
		if err := q.provision(ctx, rc, o); err != nil {
			return nil, err
		}
		defer q.cleanup()
	}
	s := q.sess
	prog := rc.Progress("rows")
	defer prog.Done()

	var (
		schema *rows.Schema
		w      *plugin.RowsWriter
		out    = plugin.Outputs{}
		list   []any
		size   int64
		bytes  int64
		errOne = errors.New("first row read")
	)
	defer func() {
		if w != nil {
			w.Abort()
		}
	}()
	err := queryRows(ctx, s.conn, s.d, q.SQL, func(sch *rows.Schema) error {
		schema = sch
		if q.Store {
			var err error
			w, err = rc.CreateRows(ctx, "result", sch)
			return err
		}
		return nil
	}, func(r *rows.Row) error {
		size++
		switch {
		case q.Store:
			if err := w.Write(r); err != nil {
				return fmt.Errorf("row %d: %w", size, err)
			}
			if size%1024 == 0 {
				// The stored bytes so far, so that the piped progress log
				// of a Query reports them.
				cur := w.Bytes()
				prog.Add(1024, cur-bytes)
				bytes = cur
			}
		case q.FetchOne:
			out["row"] = rows.RowToMap(schema, r)
			return errOne
		case q.Fetch:
			if size > maxFetch {
				return fmt.Errorf("fetch holds rows in memory and stops at %d rows; use store: true for larger results", maxFetch)
			}
			list = append(list, rows.RowToMap(schema, r))
		}
		return nil
	})
	if err != nil && !errors.Is(err, errOne) {
		s.failed = true
		return nil, rc.MaskError(fmt.Errorf("query on %s: %w", where(s.cfg), err))
	}
	if w != nil {
		bytes = w.Bytes() - bytes
	} else {
		bytes = 0
	}
	prog.Add(size%1024, bytes)
	switch {
	case q.Store:
		if schema == nil {
			// A statement without a result set still stores an empty file,
			// so the uri output always exists.
			if w, err = rc.CreateRows(ctx, "result", &rows.Schema{}); err != nil {
				return nil, err
			}
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("storing the result: %w", err)
		}
		out["uri"] = w.URI().String()
		w = nil
	case q.FetchOne:
		if _, ok := out["row"]; !ok {
			out["row"] = nil // empty result: no row, not an error
		}
	case q.Fetch:
		if list == nil {
			list = []any{}
		}
		out["rows"] = list
	}
	out["size"] = size
	rc.Logger().Info("query done", "rows", size)
	return out, nil
}
