package avro

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
	"github.com/sluicehq/sluice/connectors/kafka/serde"
	"github.com/sluicehq/sluice/internal/rows"
)

// TestFileAndKafkaAgree writes the same values into the same Avro schema
// through the Avro file writer and through Kafka's AVRO serializer: both
// accept or refuse each one alike, and what they accept is the same bytes
// (after the file's container and Kafka's 5-byte framing). The boolean
// rows are the case the two copies of the codec used to disagree on (the
// file writer turned a boolean into an int, the serializer refused it).
func TestFileAndKafkaAgree(t *testing.T) {
	srv := registrytest.New()
	defer srv.Close()
	props, err := serde.ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		typ string
		v   rows.Value
		ok  bool
	}{
		{`"int"`, rows.Bool(true), true},        // a boolean is 1 or 0: exact
		{`"long"`, rows.Bool(false), true},      // idem
		{`"boolean"`, rows.Int(1), true},        // 0 and 1 are booleans (Kestra)
		{`"boolean"`, rows.Int(2), false},       // 2 is not
		{`"boolean"`, rows.String("Yes"), true}, // trueValues, any case
		{`"boolean"`, rows.String("maybe"), false},
		{`"double"`, rows.Int(1 << 53), true},
		{`"double"`, rows.Int(1<<53 + 1), false}, // a double would round it
		{`{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}`, rows.Decimal(1239, 3), false},
		{`{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}`, rows.Bool(true), true},
		{`{"type":"long","logicalType":"timestamp-millis"}`, rows.String("1577362391123"), true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s %s", c.typ, c.v.Kind(), c.v), func(t *testing.T) {
			schema := `{"type":"record","name":"R","fields":[{"name":"x","type":` + c.typ + `}]}`
			rs := &rows.Schema{Fields: []rows.Field{{Name: "x"}}}
			row := rows.Row{Values: []rows.Value{c.v}}

			var file bytes.Buffer
			w, err := NewWriter(&file, rs, WriteOptions{Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			ferr := w.Write(&row)

			s, err := serde.New(serde.Config{Type: serde.Avro, AvroSchema: schema, Registry: props.For(false)})
			if err != nil {
				t.Fatal(err)
			}
			msg, _, kerr := s.AppendRow(context.Background(), nil, "t-samecodec", rs, &row)

			if (ferr == nil) != c.ok || (kerr == nil) != c.ok {
				t.Fatalf("file writer: %v; Kafka serializer: %v; want accepted=%v", ferr, kerr, c.ok)
			}
			if !c.ok {
				var re *rows.RowError
				if !errors.As(ferr, &re) || re.Column != "x" {
					t.Fatalf("file error does not name the column: %v", ferr)
				}
				return
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			// One record, null codec: the record's bytes end the only
			// block, before the 16-byte sync marker.
			body := msg[5:]
			fb := file.Bytes()
			if len(fb) < 16+len(body) || !bytes.Equal(fb[len(fb)-16-len(body):len(fb)-16], body) {
				t.Fatalf("file record and Kafka record differ: file %x, kafka %x", fb, body)
			}
		})
	}
}
