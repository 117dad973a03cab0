package jsonschema

import (
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

const benchSchema = `{"type":["null","object"],"properties":{"id":{"type":["integer"]},"name":{"type":["null","string"]},
"email":{"type":["null","string"]},"created_at":{"type":["null","string"],"format":"date-time"},
"birthday":{"type":["null","string"],"format":"date"},"wake_up":{"type":["null","string"],"format":"time"},
"balance":{"type":["null","number"],"multipleOf":0.01},"active":{"type":["null","boolean"]},
"tags":{"type":["null","array"],"items":{"type":"string"}},
"address":{"type":["null","object"],"properties":{"city":{"type":"string"},"zip":{"type":["null","string"]}}}}}`

const benchRecord = `{"id": 123456, "name": "user 123456", "email": "u123456@example.com", "created_at": "2033-12-02T16:13:12.123456Z", "birthday": "1994-03-01", "wake_up": "00:36:12.123456", "balance": 370368.56, "active": true, "tags": ["t1", "all"], "address": {"city": "City 6", "zip": "123456"}}`

func BenchmarkMap(b *testing.B) {
	n, err := Parse([]byte(benchSchema))
	if err != nil {
		b.Fatal(err)
	}
	m, _ := NewMapper(n)
	rec := []byte(benchRecord)
	var row rows.Row
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Map(rec, &row); err != nil {
			b.Fatal(err)
		}
	}
}
