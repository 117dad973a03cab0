package registry

import (
	"fmt"
	"strings"
)

// Strategy names the subject a schema is registered under.
type Strategy int

const (
	// TopicName: "<topic>-key" or "<topic>-value" (Confluent's default).
	TopicName Strategy = iota
	// RecordName: the record's full name, whatever the topic.
	RecordName
	// TopicRecordName: "<topic>-<record full name>".
	TopicRecordName
)

func (s Strategy) String() string {
	return [...]string{"TopicNameStrategy", "RecordNameStrategy", "TopicRecordNameStrategy"}[s]
}

// ParseStrategy accepts Confluent's class names
// (io.confluent.kafka.serializers.subject.TopicNameStrategy) or the bare
// names, and "" for the default.
func ParseStrategy(s string) (Strategy, error) {
	name := s
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	switch strings.ToLower(name) {
	case "", "topicnamestrategy", "topicname", "topic":
		return TopicName, nil
	case "recordnamestrategy", "recordname", "record":
		return RecordName, nil
	case "topicrecordnamestrategy", "topicrecordname", "topicrecord":
		return TopicRecordName, nil
	}
	return 0, fmt.Errorf("unknown subject name strategy %q (TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy)", s)
}

// Subject returns the subject for a key or value schema on topic; record is
// the schema's full name (record, enum or fixed), needed by the record
// strategies.
func (s Strategy) Subject(topic string, isKey bool, record string) (string, error) {
	switch s {
	case RecordName:
		if record == "" {
			return "", fmt.Errorf("%s needs a named schema (record, enum or fixed)", s)
		}
		return record, nil
	case TopicRecordName:
		if record == "" {
			return "", fmt.Errorf("%s needs a named schema (record, enum or fixed)", s)
		}
		return topic + "-" + record, nil
	}
	if isKey {
		return topic + "-key", nil
	}
	return topic + "-value", nil
}
