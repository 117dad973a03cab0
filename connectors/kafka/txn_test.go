package kafka

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/rows"
)

func numberedRecords(n int, bad int) []any {
	var from []any
	for i := 0; i < n; i++ {
		v := any(fmt.Sprintf("v%d", i))
		if i == bad {
			v = "not-a-number"
		}
		from = append(from, map[string]any{"key": fmt.Sprintf("k%03d", i), "value": v})
	}
	return from
}

// A transactional produce commits everything at the end; one that fails is
// aborted, and a read_committed consumer (Consume's default) sees nothing
// of it while a read_uncommitted one sees the aborted records.
func TestProduceTransaction(t *testing.T) {
	_, addr := fakeCluster(t)
	env := plugintest.New(t)

	out, err := env.Run(&Produce{Properties: props(addr), Topic: "tx", From: numberedRecords(40, -1), Transaction: true}, "p")
	if err != nil || out["messagesCount"] != int64(40) {
		t.Fatalf("%v %v", out, err)
	}
	// Record 31 cannot be serialized as LONG: the transaction is aborted
	// after 30 records were written.
	var from []any
	for i := 0; i < 40; i++ {
		v := any(int64(i))
		if i == 30 {
			v = "x"
		}
		from = append(from, map[string]any{"key": fmt.Sprintf("bad%03d", i), "value": v})
	}
	_, err = env.Run(&Produce{Properties: props(addr, "transactional.id", "sluice-test-tx", "linger.ms", "0"), Topic: "tx", From: from, ValueSerializer: "LONG"}, "p")
	if err == nil || !strings.Contains(err.Error(), "record 31") || !strings.Contains(err.Error(), "transaction sluice-test-tx was aborted") {
		t.Fatalf("failed transaction: %v", err)
	}

	committed, err := env.Run(&Consume{Properties: props(addr), Topic: "tx", Until: UntilEnd}, "c")
	if err != nil {
		t.Fatal(err)
	}
	keys := storedKeys(t, env, committed)
	if len(keys) != 40 {
		t.Fatalf("read_committed read %d records, want the 40 committed", len(keys))
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "bad") {
			t.Fatalf("read_committed consumer saw aborted record %s", k)
		}
	}
	all, err := env.Run(&Consume{Properties: props(addr, "isolation.level", "read_uncommitted"), Topic: "tx", Until: UntilEnd}, "c")
	if err != nil {
		t.Fatal(err)
	}
	if n := all["messagesCount"].(int64); n <= 40 {
		t.Fatalf("read_uncommitted read %d records: the aborted transaction wrote nothing, so the test proves nothing", n)
	}
}

// A record larger than batch.size goes alone, as in Java; only
// max.request.size refuses one, naming its size.
func TestProduceRecordLargerThanBatchSize(t *testing.T) {
	_, addr := fakeCluster(t)
	env := plugintest.New(t)
	big := strings.Repeat("x", 50_000)
	from := []any{map[string]any{"key": "small", "value": "s"}, map[string]any{"key": "big", "value": big}}
	out, err := env.Run(&Produce{Properties: props(addr, "batch.size", "16384"), Topic: "big", From: from}, "p")
	if err != nil || out["messagesCount"] != int64(2) {
		t.Fatalf("%v %v", out, err)
	}
	if got := byKey(readTopic(t, addr, "big", 2)); len(got["big"].Value) != len(big) {
		t.Fatalf("big record %d bytes", len(got["big"].Value))
	}
	_, err = env.Run(&Produce{Properties: props(addr, "max.request.size", "40000"), Topic: "big", From: from}, "p")
	if err == nil || !strings.Contains(err.Error(), "record 2") || !strings.Contains(err.Error(), "50085 bytes") || !strings.Contains(err.Error(), "max.request.size (40000)") {
		t.Fatalf("too large: %v", err)
	}
}

func TestConsumeSkipsControlRecords(t *testing.T) {
	_, addr := fakeCluster(t)
	env := plugintest.New(t)
	schema := &rows.Schema{Fields: []rows.Field{{Name: "key"}, {Name: "value"}}}
	var rs []rows.Row
	for i := 0; i < 10; i++ {
		rs = append(rs, rows.Row{Values: []rows.Value{rows.String(fmt.Sprint(i)), rows.String("v")}})
	}
	uri := env.WriteRows("in", schema, rs)
	for i := 0; i < 3; i++ {
		if _, err := env.Run(&Produce{Properties: props(addr), Topic: "ctl", From: uri, Transaction: true}, "p"); err != nil {
			t.Fatal(err)
		}
	}
	// Each transaction ends with a marker on every partition it wrote to;
	// the group's position moves past them, the row file holds none.
	for _, want := range []int64{30, 0} {
		out, err := env.Run(&Consume{Properties: props(addr), Topic: "ctl", GroupID: "ctl", Until: UntilEnd}, "c")
		if err != nil || out["messagesCount"] != want {
			t.Fatalf("%v %v, want %d", out, err, want)
		}
	}
}
