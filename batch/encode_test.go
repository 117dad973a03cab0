package batch

import (
	"database/sql"
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

// TestPGNumeric encodes decimals in PostgreSQL's binary numeric format and
// decodes them with pgx's own codec: the value and the scale must survive.
func TestPGNumeric(t *testing.T) {
	m := pgtype.NewMap()
	for _, s := range []string{"0", "0.00", "1", "-1", "12.50", "-0.01", "10000", "9999.9999", "0.0001", "0.00001",
		"123456789012345678", "-9223372036854775808", "1234567890123456789012345678.0123456789", "-99999999999999999999.5",
		"100000000", "0.05", "5000.0005", "1e3"} {
		v := dec(s)
		b := appendPGNumeric(nil, v)
		var n pgtype.Numeric
		if err := m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, b, &n); err != nil {
			t.Fatalf("%s: pgx cannot decode %x: %v", s, b, err)
		}
		got := new(big.Rat).SetInt(n.Int)
		if n.Exp > 0 {
			got.Mul(got, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.Exp)), nil)))
		} else if n.Exp < 0 {
			got.Quo(got, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-n.Exp)), nil)))
		}
		if got.Cmp(v.Rat()) != 0 {
			t.Errorf("%s: pgx reads %s", s, got.FloatString(12))
		}
		// dscale is the 4th int16: the display scale the server keeps.
		if scale := int(binary.BigEndian.Uint16(b[6:8])); scale != max(int(v.Scale()), 0) {
			t.Errorf("%s: dscale %d, want %d", s, scale, v.Scale())
		}
	}
}

func TestPGBinaryEncoders(t *testing.T) {
	m := pgtype.NewMap()
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	enc := func(typ string, v rows.Value) []byte {
		b, err := pgBinaryEncoder(typ)(nil, v)
		if err != nil {
			t.Fatalf("%s %v: %v", typ, v, err)
		}
		return b
	}
	var d pgtype.Date
	if err := m.Scan(pgtype.DateOID, pgtype.BinaryFormatCode, enc("DATE", rows.DateOf(ts)), &d); err != nil || !d.Time.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date: %v %v", d.Time, err)
	}
	var tsv pgtype.Timestamp
	if err := m.Scan(pgtype.TimestampOID, pgtype.BinaryFormatCode, enc("TIMESTAMP", rows.TimestampOf(ts)), &tsv); err != nil || !tsv.Time.Equal(ts) {
		t.Errorf("timestamp: %v %v", tsv.Time, err)
	}
	var tz pgtype.Timestamptz
	if err := m.Scan(pgtype.TimestamptzOID, pgtype.BinaryFormatCode, enc("TIMESTAMPTZ", rows.TimestampTZOf(ts.In(time.FixedZone("", 3600)))), &tz); err != nil || !tz.Time.Equal(ts) {
		t.Errorf("timestamptz: %v %v", tz.Time, err)
	}
	var u pgtype.UUID
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, enc("UUID", rows.String("6ba7b810-9dad-11d1-80b4-00c04fd430c8")), &u); err != nil || u.Bytes[0] != 0x6b {
		t.Errorf("uuid: %v %v", u, err)
	}
	if _, err := pgBinaryEncoder("INT4")(nil, rows.String("x")); err == nil {
		t.Error("string into INT4 accepted")
	}
	if pgBinaryEncoder("INTERVAL") != nil || pgBinaryEncoder("_INT4") != nil {
		t.Error("types without a binary encoder must fall back to text COPY")
	}
}

func TestTextEncodings(t *testing.T) {
	ts := rows.TimestampOf(time.Date(2024, 1, 2, 3, 4, 5, 600000, time.UTC))
	tz := rows.TimestampTZ(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro(), -5*3600)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"pg text escapes", string(appendPGText(nil, rows.String("a\tb\nc\\d\re"))), `a\tb\nc\\d\re`},
		{"pg text null", string(appendPGText(nil, rows.Null)), `\N`},
		{"pg text bytes", string(appendPGText(nil, rows.Bytes([]byte{0, 0xff}))), `\\x00ff`},
		{"pg text timestamp", string(appendPGText(nil, ts)), "2024-01-02 03:04:05.000600"},
		{"pg text timestamptz", string(appendPGText(nil, tz)), "2024-01-01 22:04:05-05:00"},
		{"pg text bool", string(appendPGText(nil, rows.Bool(true))), "t"},
		{"load data escapes", string(appendTextEscaped(nil, []byte("a\tb\nc\\d\x00e"), true)), `a\tb\nc\\d\0e`},
		{"copy escapes", string(appendTextEscaped(nil, []byte("a\tb\r\\c\x00"), false)), "a\\tb\\r\\\\c\x00"},
		{"mysql literal", mustLit(rows.String("it's a \\ \n test\x1a"), false), `'it''s a \\ \n test\Z'`},
		{"mysql literal no backslash", mustLit(rows.String(`it's a \ test`), true), `'it''s a \ test'`},
		{"mysql literal bytes", mustLit(rows.Bytes([]byte{1, 0xab}), false), "X'01ab'"},
		{"mysql literal empty bytes", mustLit(rows.Bytes(nil), false), "''"},
		{"mysql literal decimal", mustLit(dec("-0.05"), false), "-0.05"},
		{"mysql literal timestamptz is UTC", mustLit(tz, false), "'2024-01-02 03:04:05'"},
		{"mysql literal date", mustLit(rows.Date(-1), false), "'1969-12-31'"},
		{"decimal small", string(appendDecimal(nil, rows.Decimal(5, 3))), "0.005"},
		{"decimal negative", string(appendDecimal(nil, rows.Decimal(-123, 2))), "-1.23"},
		{"decimal min int64", string(appendDecimal(nil, rows.Decimal(-9223372036854775808, 0))), "-9223372036854775808"},
		{"wall before 1970", string(appendWall(nil, -1, ' ')), "1969-12-31 23:59:59.999999"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if _, err := appendMySQLLiteral(nil, rows.Float(math.NaN()), false); err == nil {
		t.Error("NaN accepted by MySQL literal")
	}
}

func mustLit(v rows.Value, noBackslash bool) string {
	b, err := appendMySQLLiteral(nil, v, noBackslash)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestLoadDataChunk(t *testing.T) {
	c := &chunk{ncols: 3, first: 1}
	c.vals = []rows.Value{rows.Int(1), rows.Null, rows.Bool(true), rows.Int(2), rows.String("x\ty"), rows.Bool(false)}
	c.n = 2
	b, err := encodeLoadData(nil, c, []column{{Name: "a"}, {Name: "b"}, {Name: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "1\t\\N\t1\n2\tx\\ty\t0\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDriverArgs(t *testing.T) {
	ms := dialect.MustGet(dialect.SQLServer)
	sq := dialect.MustGet(dialect.SQLite)
	bytesT := ms.Classify("VARBINARY", -1, -1, 16)
	intT := ms.Classify("INT", -1, -1, -1)
	if v, ok := driverArg(bindingOf(ms), &bytesT, rows.Null).([]byte); !ok || v != nil {
		t.Errorf("SQL Server NULL varbinary = %#v", driverArg(bindingOf(ms), &bytesT, rows.Null))
	}
	if got := driverArg(bindingOf(ms), &intT, rows.Null); got != (sql.NullInt64{}) {
		t.Errorf("SQL Server NULL int = %#v, want a typed NULL", got)
	}
	if got := driverArg(bindingOf(sq), &intT, rows.Null); got != nil {
		t.Errorf("SQLite NULL int = %#v, want nil", got)
	}
	ts := rows.TimestampOf(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	if got := driverArg(bindingOf(sq), &intT, ts); got != "2024-01-02 03:04:05" {
		t.Errorf("SQLite timestamp = %v", got)
	}
	if got := driverArg(bindingOf(sq), &intT, rows.Bool(true)); got != int64(1) {
		t.Errorf("SQLite bool = %v", got)
	}
	if got := driverArg(bindingOf(ms), &intT, dec("12.50")); got != "12.50" {
		t.Errorf("decimal = %v", got)
	}
	guid := ms.Classify("UNIQUEIDENTIFIER", -1, -1, -1)
	a, err := mssqlBulkArg(&column{Type: guid}, rows.String("6F9619FF-8B86-D011-B42D-00C04FC964FF"))
	if err != nil {
		t.Fatal(err)
	}
	var back mssql.UniqueIdentifier
	if err := back.Scan(a); err != nil || back.String() != "6F9619FF-8B86-D011-B42D-00C04FC964FF" {
		t.Errorf("uniqueidentifier round trip: %v %v", back, err)
	}
	if _, err := mssqlBulkArg(&column{Type: guid}, rows.String("nope")); err == nil || !strings.Contains(err.Error(), "UUID") {
		t.Errorf("bad GUID error = %v", err)
	}
	tm, _ := mssqlBulkArg(&column{}, rows.TimeOfDay((13*3600+1)*1e6+5))
	if tt := tm.(time.Time); tt.Hour() != 13 || tt.Second() != 1 || tt.Nanosecond() != 5000 {
		t.Errorf("time of day = %v", tt)
	}
}

func bindingOf(d dialect.Dialect) *dialect.Binding {
	b := d.Binding()
	return &b
}
