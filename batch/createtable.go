package batch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

// Creating the target table from the input's schema, and what to do with
// input fields an existing target lacks. The column types come from the
// dialect (dialect.TableCreator.ColumnType); this file decides when to
// run which statement.
//
// When: a table load (Options.Table) with CreateTable creates the table
// if it is missing; Recreate drops it first when it exists. Statements
// (Options.SQL) never create anything. On dialects whose DDL is
// transactional (PostgreSQL, SQL Server, SQLite) and a load in one
// transaction (TxAll) of mode insert or truncate_insert, the DROP and
// CREATE run inside the load's transaction, so a failed load leaves the
// target as it was; otherwise (MySQL and MariaDB commit at DDL,
// Vectorwise, transaction: chunk, merge and replace, whose staging table
// is made from the target before the load's transaction) they run and
// commit before the load.

// New-column policies (Options.OnNewColumn).
const (
	// NewColumnFail fails the load when the input has fields the target
	// lacks (the default).
	NewColumnFail = "fail"
	// NewColumnAdd adds the missing columns (ALTER TABLE … ADD, committed
	// before the load).
	NewColumnAdd = "add"
	// NewColumnIgnore loads only the fields the target has.
	NewColumnIgnore = "ignore"
)

// CreateTableSQL is the CREATE TABLE for the fields of in, with keys as
// its primary key (in the order given; each must be a field).
func CreateTableSQL(d dialect.Dialect, table string, in *rows.Schema, keys []string) (string, error) {
	tc, ok := d.(dialect.TableCreator)
	if !ok {
		return "", fmt.Errorf("the %s dialect cannot create tables", d.Name())
	}
	isKey := map[string]bool{}
	var pk []string
	for _, k := range keys {
		i := indexFold(in, k)
		if i < 0 {
			return "", fmt.Errorf("key %q is not a field of the input (fields: %s)", k, strings.Join(in.Names(), ", "))
		}
		isKey[in.Fields[i].Name] = true
		pk = append(pk, d.QuoteIdent(in.Fields[i].Name))
	}
	defs := make([]string, 0, len(in.Fields)+1)
	for _, f := range in.Fields {
		def, err := columnDef(tc, f, isKey[f.Name])
		if err != nil {
			return "", err
		}
		defs = append(defs, def)
	}
	if len(defs) == 0 {
		return "", errors.New("the input rows have no fields to create columns for")
	}
	if len(pk) > 0 {
		defs = append(defs, "PRIMARY KEY ("+strings.Join(pk, ", ")+")")
	}
	return "CREATE TABLE " + d.QuoteTable(table) + " (\n  " + strings.Join(defs, ",\n  ") + "\n)", nil
}

// columnDef is "name TYPE [NOT NULL]" for one field; key columns are
// NOT NULL.
func columnDef(tc dialect.TableCreator, f rows.Field, key bool) (string, error) {
	typ, err := columnType(tc, f, key)
	if err != nil {
		return "", fmt.Errorf("field %q (%s): %w", f.Name, sourceType(f), err)
	}
	def := tc.QuoteIdent(f.Name) + " " + typ
	if n := tc.NullSQL(f.Nullable && !key); n != "" {
		def += " " + n
	}
	return def, nil
}

// columnType is the dialect's type for field f, as a key column when key.
func columnType(tc dialect.TableCreator, f rows.Field, key bool) (string, error) {
	if kt, ok := tc.(dialect.KeyTypes); ok && key {
		return kt.KeyColumnType(dialect.FieldType(f))
	}
	return tc.ColumnType(dialect.FieldType(f))
}

func sourceType(f rows.Field) string {
	if f.SourceType != "" {
		return f.SourceType
	}
	return f.Kind.String()
}

// createdColumns are the target's column types as the dialect reads its
// own DDL back: what a created table will report, known before it exists
// (inside the load's transaction it cannot be asked).
func createdColumns(tc dialect.TableCreator, in *rows.Schema, keys []string) ([]colType, error) {
	out := make([]colType, len(in.Fields))
	for i, f := range in.Fields {
		key := false
		for _, k := range keys {
			key = key || strings.EqualFold(k, f.Name)
		}
		typ, err := columnType(tc, f, key)
		if err != nil {
			return nil, fmt.Errorf("field %q (%s): %w", f.Name, sourceType(f), err)
		}
		out[i] = colType{name: f.Name, typ: tc.Classify(typ, -1, -1, -1)}
	}
	return out, nil
}

// prepareTable creates, recreates or widens the target as the options ask
// and returns the DDL it ran or, with DDLOnly, would run. Statements
// meant for the load's transaction are left in l.ddlInTx.
func (l *loader) prepareTable(ctx context.Context, in *rows.Schema) ([]string, error) {
	o := l.o
	if o.Table == "" || (!o.CreateTable && !o.Recreate && o.OnNewColumn != NewColumnAdd && o.OnNewColumn != NewColumnIgnore) {
		return nil, nil
	}
	tc, ok := o.Dialect.(dialect.TableCreator)
	if !ok {
		if o.Recreate {
			return nil, permanentError{fmt.Errorf("mode recreate: the %s dialect cannot create tables", o.Dialect.Name())}
		}
		return nil, nil
	}
	exists, err := l.tableExists(ctx, tc)
	if err != nil {
		if o.Recreate {
			return nil, fmt.Errorf("mode recreate: checking whether %s exists: %w", o.Table, err)
		}
		// A catalog the server does not have (a Vectorwise dialect over
		// another server's ODBC driver) or may not show: load as before,
		// into the table as it is.
		l.log.Info("cannot tell whether the table exists: not creating it", "table", o.Table, "error", err)
		return nil, nil
	}
	if exists && !o.Recreate {
		return l.newColumns(ctx, tc, in)
	}
	if !exists && !o.CreateTable && !o.Recreate {
		return nil, nil // the load fails on the missing table, as it names it
	}
	// The created table's columns are the input's fields, in order.
	src := in
	if len(o.Columns) > 0 {
		src = &rows.Schema{}
		for _, c := range o.Columns {
			i := indexFold(in, c)
			if i < 0 {
				return nil, permanentError{fmt.Errorf("creating %s: column %q is not a field of the input (fields: %s)", o.Table, c, strings.Join(in.Names(), ", "))}
			}
			src.Fields = append(src.Fields, in.Fields[i])
		}
	}
	create, err := CreateTableSQL(o.Dialect, o.Table, src, o.Keys)
	if err != nil {
		return nil, permanentError{fmt.Errorf("creating %s: %w", o.Table, err)}
	}
	var ddl []string
	if exists {
		ddl = append(ddl, "DROP TABLE "+o.Dialect.QuoteTable(o.Table))
	}
	ddl = append(ddl, create)
	if l.created, err = createdColumns(tc, src, o.Keys); err != nil {
		return nil, permanentError{err}
	}
	if o.DDLOnly {
		return ddl, nil
	}
	inTx := tc.TransactionalDDL() && o.Transaction == TxAll && (o.Mode == dialect.Insert || o.Mode == dialect.TruncateInsert)
	for _, q := range ddl {
		l.log.Info("create table", "table", o.Table, "sql", q, "in the load's transaction", inTx)
	}
	if inTx {
		l.ddlInTx = ddl
		return ddl, nil
	}
	for _, q := range ddl {
		if _, err := l.sess.conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", firstLine(q), err)
		}
	}
	return ddl, nil
}

// newColumns applies OnNewColumn to the input fields the existing target
// lacks (only when the fields are matched by name: columns not given).
func (l *loader) newColumns(ctx context.Context, tc dialect.TableCreator, in *rows.Schema) ([]string, error) {
	o := l.o
	if len(o.Columns) > 0 {
		return nil, nil
	}
	cts, err := l.sess.columnTypes(ctx, o.Dialect, o.Table, nil)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, c := range cts {
		has[strings.ToLower(c.name)] = true
	}
	var missing []rows.Field
	var present []string
	for _, f := range in.Fields {
		if has[strings.ToLower(f.Name)] {
			present = append(present, f.Name)
		} else {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	names := make([]string, len(missing))
	for i, f := range missing {
		names[i] = f.Name
	}
	switch o.OnNewColumn {
	case NewColumnIgnore:
		l.log.Info("input fields the target lacks are not loaded (onNewColumn: ignore)", "table", o.Table, "fields", strings.Join(names, ", "))
		if len(present) == 0 {
			return nil, permanentError{fmt.Errorf("%s has none of the input's fields (%s)", o.Table, strings.Join(in.Names(), ", "))}
		}
		l.o.Columns = present
		return nil, nil
	case NewColumnAdd:
		var ddl []string
		for _, f := range missing {
			// An added column is nullable: the rows already there have
			// no value for it.
			f.Nullable = true
			def, err := columnDef(tc, f, false)
			if err != nil {
				return nil, permanentError{fmt.Errorf("adding to %s: %w", o.Table, err)}
			}
			ddl = append(ddl, tc.AddColumnSQL(o.Table, def))
		}
		if o.DDLOnly {
			return ddl, nil
		}
		for _, q := range ddl {
			l.log.Info("add column (onNewColumn: add)", "table", o.Table, "sql", q)
			if _, err := l.sess.conn.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("%s: %w", q, err)
			}
		}
		return ddl, nil
	}
	return nil, permanentError{fmt.Errorf("%s has no column for the input fields %s: add them to the table, or set onNewColumn: add (ALTER TABLE) or ignore (not loaded), or list the columns to load",
		o.Table, strings.Join(names, ", "))}
}

// tableExists: a query of the table that reads no row answers for every
// server and every kind of table (temporary, a view, another schema on
// the search path); only when it fails does the catalog say whether the
// table is missing or the query failed for another reason. It runs
// outside any transaction (PostgreSQL aborts one at a failed statement).
func (l *loader) tableExists(ctx context.Context, tc dialect.TableCreator) (bool, error) {
	if rs, err := l.sess.conn.QueryContext(ctx, tc.SelectNoRowsSQL(l.o.Table, nil)); err == nil {
		rs.Close()
		return true, nil
	}
	q, args := tc.TableExistsSQL(l.o.Table)
	var n int64
	if err := l.sess.conn.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return false, err
	}
	return n != 0, nil
}

// targetColumns are the types of the named target columns: those of the
// table this load creates, else the server's.
func (l *loader) targetColumns(ctx context.Context, names []string) ([]colType, error) {
	if l.created == nil {
		return l.sess.columnTypes(ctx, l.o.Dialect, l.table, names)
	}
	if len(names) == 0 {
		return l.created, nil
	}
	out := make([]colType, len(names))
	for i, n := range names {
		found := false
		for _, c := range l.created {
			if strings.EqualFold(c.name, n) {
				out[i], found = colType{name: n, typ: c.typ}, true
				break
			}
		}
		if !found {
			return nil, permanentError{fmt.Errorf("%s has no column %q", l.table, n)}
		}
	}
	return out, nil
}

// runDDLInTx runs the DDL left for the load's transaction.
func (l *loader) runDDLInTx(ctx context.Context, tx *sql.Tx) error {
	for _, q := range l.ddlInTx {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
