package jdbc

import (
	"context"
	"errors"
	"fmt"

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
}

func (q *Query) validate(dialectName string) error {
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
	return validateURL(dialectName, q.URL)
}

// maxFetch bounds fetch: outputs live in the execution's state, not in a
// file.
const maxFetch = 1_000_000

func (q *Query) run(ctx context.Context, rc *plugin.RunContext, dialectName string, o *ODBC) (plugin.Outputs, error) {
	v := *q
	if o != nil && o.ODBCConnectionString != "" && v.URL == "" {
		v.URL = "jdbc:vectorwise://odbc:VW7/connection-string" // stands in for the URL
	}
	if err := v.validate(dialectName); err != nil {
		return nil, err
	}
	s, err := open(ctx, rc, dialectName, &q.Connection, o)
	if err != nil {
		return nil, err
	}
	defer s.Close()
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
	err = queryRows(ctx, s.conn, s.d, q.SQL, func(sch *rows.Schema) error {
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
				prog.Add(1024, bytes)
				bytes = 0
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
		return nil, rc.MaskError(fmt.Errorf("query on %s: %w", where(s.cfg), err))
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
