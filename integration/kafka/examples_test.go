package kafka_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	_ "github.com/sluicehq/sluice/connectors/jdbc"
	_ "github.com/sluicehq/sluice/flows/core"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
)

func example(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", name, "flow.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The examples parse and validate (task types, properties, references).
func TestExamplesValidate(t *testing.T) {
	env := flowtest.New(t)
	for _, name := range []string{"json-to-kafka", "mysql-to-kafka"} {
		env.Parse(example(t, name))
	}
}

// examples/json-to-kafka runs as written, with the broker address and the
// file path pointed at this test's broker and the repository's file.
func TestExampleJSONToKafka(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	abs, _ := filepath.Abs(filepath.Join("..", "..", "examples", "json-to-kafka", "orders.jsonl"))
	src := example(t, "json-to-kafka")
	src = strings.Replace(src, "127.0.0.1:9092", c.ListenAddrs()[0], 1)
	src = strings.Replace(src, "from: examples/json-to-kafka/orders.jsonl", "from: "+abs, 1)
	env := flowtest.New(t)
	ex := env.Run(src, nil)
	env.RequireState(ex, state.Success)
	if n := env.Output(ex, "produce", "messagesCount"); fmt.Sprint(n) != "3" {
		t.Fatalf("messagesCount %v", n)
	}
	values := consumeValues(t, c.ListenAddrs()[0], "orders-json", 3)
	want := map[string]bool{
		`{"id":1,"customer":"Ann","amount":12.50,"created":"2024-01-02T03:04:05.123456Z"}`: true,
		`{"id":2,"customer":"Bob","amount":7.05,"created":"2024-01-02T09:30:00Z"}`:         true,
		`{"id":3,"customer":"Chloé","amount":1999.99,"created":"2024-01-03T17:45:12.5Z"}`:  true,
	}
	for _, v := range values {
		if !want[string(v)] {
			t.Errorf("unexpected message %s", v)
		}
	}
}
