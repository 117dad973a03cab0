package kafka

import (
	"context"
	"errors"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/storage"
)

func storageURI(s string) (storage.URI, error) { return storage.ParseURI(s) }

// Trigger is io.kestra.plugin.kafka.Trigger: it consumes with a consumer
// group as Consume does and starts one execution per batch (maxRecords
// records, or what maxDuration / a quiet pollDuration gathered), the batch
// stored as a row file at {{ trigger.uri }}. The group's offsets are
// committed only once the execution is stored: a server stopped between
// the two reads the batch again (at least once, never lost).
type Trigger struct {
	Consume  `yaml:",inline"`
	Interval plugin.Duration `yaml:"interval" default:"PT60S" doc:"Wait between two polls that found nothing."`
}

func init() {
	plugin.RegisterTrigger(plugin.Info{
		ID:      "kafka.Trigger",
		Aliases: []string{"io.kestra.plugin.kafka.Trigger"},
		Title:   "Start an execution for each batch of records read from Kafka topics.",
		Doc: `Run by sluice server. Each batch is read exactly as kafka.Consume reads (the same properties),
stored as one row file, and an execution is created with {{ trigger.uri }} and
{{ trigger.messagesCount }}; the group's offsets are committed after the execution is stored.
When a poll finds no record the trigger waits interval before polling again. A groupId is required:
without one every poll would read the topic again.`,
		New: func() any { return &Trigger{Interval: plugin.Duration(time.Minute)} },
		Outputs: []plugin.Output{
			{Name: "uri", Doc: "Row file of the batch: key, value, topic, partition, offset, timestamp, headers."},
			{Name: "messagesCount", Doc: "Records in the batch."},
		},
		Examples: []plugin.Example{{Title: "an execution per 1000 orders", YAML: `triggers:
  - id: orders
    type: io.kestra.plugin.kafka.Trigger
    topic: orders
    groupId: sluice-orders
    properties:
      bootstrap.servers: localhost:9092
    maxRecords: 1000
    interval: PT30S`}},
	})
}

// Validate requires a group on top of Consume's checks.
func (t *Trigger) Validate() error {
	if t.GroupID == "" {
		return errors.New("groupId is required: the trigger resumes from the group's committed offsets")
	}
	return t.Consume.Validate()
}

// Watch implements plugin.Watcher.
func (t *Trigger) Watch(ctx context.Context, wc *plugin.WatchContext) error {
	interval := t.Interval.D()
	if interval <= 0 {
		interval = time.Minute
	}
	for ctx.Err() == nil {
		id, rc := wc.NewRun()
		b, err := t.readBatch(ctx, rc, func(b Batch) error {
			if b.Count == 0 {
				return nil
			}
			return wc.Emit(ctx, id, map[string]any{"uri": b.URI, "messagesCount": b.Count})
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if b.Count > 0 {
			continue // more may be waiting
		}
		if u, err := storageURI(b.URI); err == nil {
			_ = rc.Storage().Delete(ctx, u) // the empty batch's file: no execution reads it
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
	return nil
}
