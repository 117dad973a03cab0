package kafka_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/connectors/kafka"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/integration/testenv"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowfile"
)

// The child process of TestProduceKilledMidTransaction: a transactional
// Produce reading its rows from a FIFO that never ends, until it is killed.
func TestProduceKilledMidTransactionChild(t *testing.T) {
	fifo := os.Getenv("SLUICE_TXN_CHILD_FIFO")
	if fifo == "" {
		t.Skip("runs only as the child process of TestProduceKilledMidTransaction")
	}
	env := plugintest.New(t)
	_, err := env.Run(&kafka.Produce{
		Properties: map[string]any{"bootstrap.servers": os.Getenv("SLUICE_TXN_CHILD_BROKER"), "transactional.id": os.Getenv("SLUICE_TXN_CHILD_ID"), "linger.ms": 0},
		Topic:      os.Getenv("SLUICE_TXN_CHILD_TOPIC"), From: fifo,
	}, "produce")
	t.Fatalf("the child was meant to be killed, but Produce returned: %v", err)
}

// txnRows is a row file of n records k<i> / v<i>.
func txnRows(t *testing.T, prefix string, n int) []byte {
	var buf bytes.Buffer
	w, err := rowfile.NewWriter(&buf, &rows.Schema{Fields: []rows.Field{{Name: "key", Kind: rows.KindString}, {Name: "value", Kind: rows.KindString}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := w.Write(&rows.Row{Values: []rows.Value{rows.String(fmt.Sprintf("%s%06d", prefix, i)), rows.String(fmt.Sprintf("value %d of a transaction", i))}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func endOffsets(t *testing.T, adm *kadm.Client, topic string, committed bool) int64 {
	t.Helper()
	list := adm.ListEndOffsets
	if committed {
		list = adm.ListCommittedOffsets
	}
	offs, err := list(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	offs.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			sum += o.Offset
		}
	})
	return sum
}

// A Produce process killed (SIGKILL) in the middle of its transaction, with
// records already written to the real broker, leaves nothing visible to a
// read_committed consumer; the rerun with the same transactional.id fences
// and aborts the old transaction and commits its own records, which are then
// all a read_committed consumer sees.
func TestProduceKilledMidTransaction(t *testing.T) {
	broker := testenv.Kafka(t)
	topic := uniqueTopic("txn-kill")
	txnID := topic
	fifo := filepath.Join(t.TempDir(), "rows.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProduceKilledMidTransactionChild$", "-test.v")
	cmd.Env = append(os.Environ(), "SLUICE_TXN_CHILD_FIFO="+fifo, "SLUICE_TXN_CHILD_BROKER="+broker,
		"SLUICE_TXN_CHILD_TOPIC="+topic, "SLUICE_TXN_CHILD_ID="+txnID)
	var childOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &childOut, &childOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	// Opening blocks until the child opens the FIFO for reading.
	f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Half a row file: the child's reader decodes the complete blocks and
	// then waits for more, in the middle of its transaction.
	file := txnRows(t, "killed", 20000)
	if _, err := f.Write(file[:len(file)/2]); err != nil {
		t.Fatal(err)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	deadline := time.Now().Add(90 * time.Second)
	for endOffsets(t, adm, topic, false) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the child wrote no record in 90 s:\n%s", childOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true

	env := plugintest.New(t)
	props := map[string]any{"bootstrap.servers": broker}
	consume := func(p map[string]any) int64 {
		t.Helper()
		out, err := env.Run(&kafka.Consume{Properties: p, Topic: topic, Until: kafka.UntilEnd}, "consume")
		if err != nil {
			t.Fatal(err)
		}
		return out["messagesCount"].(int64)
	}
	if n := consume(props); n != 0 {
		t.Fatalf("a read_committed consumer sees %d records of the killed transaction", n)
	}
	// The records are in the log: a read_uncommitted consumer reads them.
	if n := consume(map[string]any{"bootstrap.servers": broker, "isolation.level": "read_uncommitted"}); n == 0 {
		t.Fatal("read_uncommitted saw no record: the killed transaction wrote nothing, so the test proves nothing")
	}

	// The rerun, as a restarted task would, with the same transactional.id.
	uri := env.WriteRows("again", &rows.Schema{Fields: []rows.Field{{Name: "key", Kind: rows.KindString}, {Name: "value", Kind: rows.KindString}}},
		[]rows.Row{{Values: []rows.Value{rows.String("rerun0"), rows.String("a")}}, {Values: []rows.Value{rows.String("rerun1"), rows.String("b")}}})
	out, err := env.Run(&kafka.Produce{Properties: map[string]any{"bootstrap.servers": broker, "transactional.id": txnID}, Topic: topic, From: uri}, "produce")
	if err != nil || out["messagesCount"] != int64(2) {
		t.Fatalf("rerun: %v %v", out, err)
	}
	out, err = env.Run(&kafka.Consume{Properties: props, Topic: topic, Until: kafka.UntilEnd}, "consume")
	if err != nil {
		t.Fatal(err)
	}
	_, rs := env.ReadRows(out["uri"].(string))
	if len(rs) != 2 || rs[0].Values[0].AsString()[:5] != "rerun" || rs[1].Values[0].AsString()[:5] != "rerun" {
		var keys []string
		for _, r := range rs {
			keys = append(keys, r.Values[0].AsString())
		}
		t.Fatalf("read_committed after the rerun: %d records %v, want rerun0 and rerun1 only", len(rs), keys)
	}
}
