// Package rowstest holds the helpers that the tests of every row reader and
// writer (serdes, the row file, the bench module's interop checks) share:
// reading a stream to the end, writing rows out, decimal literals and a
// sample covering every kind. Only tests import it.
package rowstest

import (
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

// Source is the reading half of rows.Reader: what every decoder has, with
// or without a Close.
type Source interface {
	Next(row *rows.Row) bool
	Err() error
}

// Drain reads every row of r, each cloned (decoders reuse the row they
// fill), and returns them with the error that stopped r, nil at a clean end.
func Drain(r Source) ([]rows.Row, error) {
	var out []rows.Row
	var row rows.Row
	for r.Next(&row) {
		out = append(out, row.Clone())
	}
	return out, r.Err()
}

// MustDrain is Drain that fails t on the error.
func MustDrain(t testing.TB, r Source) []rows.Row {
	t.Helper()
	out, err := Drain(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Sink is the writing half of rows.Writer: what every encoder has.
type Sink interface {
	Write(row *rows.Row) error
	Close() error
}

// WriteAll writes every row of data into w and closes it, failing t on the
// first error.
func WriteAll(t testing.TB, w Sink, data []rows.Row) {
	t.Helper()
	for i := range data {
		if err := w.Write(&data[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Dec is the decimal of a literal written in a test; it panics on a
// malformed one, so that it can stand in a table.
func Dec(s string) rows.Value {
	v, err := rows.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return v
}

// AllKinds is a schema with a field of every kind a writer infers a type
// for (nullable and not, a name that needs escaping) and two rows: one of
// ordinary values, one of extremes, empties and nulls.
func AllKinds() (*rows.Schema, []rows.Row) {
	s := &rows.Schema{Fields: []rows.Field{
		{Name: "id", Kind: rows.KindInt},
		{Name: "name", Kind: rows.KindString, Nullable: true},
		{Name: "amount", Kind: rows.KindDecimal, Precision: 30, Scale: 3, Nullable: true},
		{Name: "ratio", Kind: rows.KindFloat},
		{Name: "ok", Kind: rows.KindBool},
		{Name: "day", Kind: rows.KindDate},
		{Name: "at", Kind: rows.KindTimestampTZ, Nullable: true},
		{Name: "local", Kind: rows.KindTimestamp},
		{Name: "tod", Kind: rows.KindTime},
		{Name: "raw", Kind: rows.KindBytes},
		{Name: "tags", Kind: rows.KindList, Elem: rows.KindString},
		{Name: "meta", Kind: rows.KindMap, Elem: rows.KindAny},
		{Name: "bad name!", Kind: rows.KindString},
	}}
	r := []rows.Row{
		{Values: []rows.Value{rows.Int(1), rows.String("é\"x"), Dec("12.500"), rows.Float(0.1), rows.Bool(true),
			rows.Date(rows.DaysFromCivil(2021, 1, 2)), rows.TimestampTZ(1609556645123456, 0), rows.Timestamp(-1),
			rows.TimeOfDay(86399999999), rows.Bytes([]byte{0, 0xff}), rows.List([]rows.Value{rows.String("a"), rows.Null}),
			rows.MapOf([]rows.Value{rows.String("k"), rows.Int(1)}), rows.String("x")}},
		{Values: []rows.Value{rows.Int(-9223372036854775808), rows.Null, Dec("-123456789012345678901234567.891"), rows.Float(-1e300), rows.Bool(false),
			rows.Date(-1), rows.Null, rows.Timestamp(0), rows.TimeOfDay(0), rows.Bytes(nil), rows.List(nil),
			rows.MapOf(nil), rows.String("")}},
	}
	return s, r
}
