package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	_ "github.com/sluicehq/sluice/connectors/kafka"
)

// io.kestra.plugin.kafka.Trigger through the server: records produced to
// a topic start executions whose trigger.uri holds them, each record in
// one execution only.
func TestKafkaTrigger(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 5 {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "orders", Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	ts := newEngineServer(t, t.TempDir())
	flow := "id: on-orders\nnamespace: kafka.tests\ntasks:\n  - id: count\n    type: io.kestra.core.tasks.debugs.Return\n    format: \"{{ trigger.messagesCount }}\"\ntriggers:\n  - id: orders\n    type: io.kestra.plugin.kafka.Trigger\n    topic: orders\n    groupId: sluice-server-test\n    properties:\n      bootstrap.servers: " + addr + "\n    maxRecords: 2\n    pollDuration: PT0.3S\n    interval: PT0.1S\n"
	if code := ts.do("POST", "/api/v1/flows", yamlType, flow, nil); code != 200 {
		t.Fatalf("store: %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ts.srv.RunWatchers(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	total := 0
	ts.waitFor("5 records in executions", func() bool {
		total = 0
		for _, e := range ts.executionsOf("kafka.tests", "on-orders") {
			ex := ts.ended(e.ID)
			if ex.State.Current != "SUCCESS" || ex.Trigger == nil {
				t.Fatalf("execution %+v", ex)
			}
			var n int
			fmt.Sscan(fmt.Sprint(ex.TaskRunList[0].Outputs["value"]), &n)
			total += n
			if uri := fmt.Sprint(ex.Trigger.Variables["uri"]); uri == "" || ex.Trigger.Type != "io.kestra.plugin.kafka.Trigger" {
				t.Fatalf("trigger %+v", ex.Trigger)
			}
		}
		return total >= 5
	})
	if total != 5 {
		t.Fatalf("%d records in executions, want 5", total)
	}
	ex := ts.ended(ts.executionsOf("kafka.tests", "on-orders")[0].ID)
	resp, err := http.Get(ts.url + "/api/v1/executions/" + ex.ID + "/file/metas?path=" + fmt.Sprint(ex.Trigger.Variables["uri"]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the batch file of %s: %d", ex.ID, resp.StatusCode)
	}
}
