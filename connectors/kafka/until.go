package kafka

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// endOffsets is what until: END still has to read: per partition, the end
// offset taken at the start, for the partitions whose starting position is
// before it.
type endOffsets struct {
	left map[string]map[int32]int64
}

// advance records that the consumer's position on topic[part] is next.
func (e *endOffsets) advance(topic string, part int32, next int64) {
	ps := e.left[topic]
	if end, ok := ps[part]; ok && next >= end {
		delete(ps, part)
		if len(ps) == 0 {
			delete(e.left, topic)
		}
	}
}

func (e *endOffsets) reached() bool { return len(e.left) == 0 }

func (e *endOffsets) String() string {
	var parts []string
	for t, ps := range e.left {
		for p, end := range ps {
			parts = append(parts, fmt.Sprintf("%s[%d]<%d", t, p, end))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// endOffsets takes the end offset of every partition to read (the last
// stable offset when reading committed records: records past it are not
// delivered until their transaction ends) and keeps those the consumer
// starts before: the group's committed offset, else the start offset
// (since / auto.offset.reset), never before the log start.
func (c *Consume) endOffsets(ctx context.Context, cl *kgo.Client, readCommitted bool, topics []string, pattern *regexp.Regexp, start startPos) (*endOffsets, error) {
	adm := kadm.NewClient(cl)
	if pattern != nil {
		tds, err := adm.ListTopics(ctx)
		if err != nil {
			return nil, fmt.Errorf("until END: listing topics: %w", err)
		}
		topics = nil
		for _, t := range tds.Names() {
			if pattern.MatchString(t) {
				topics = append(topics, t)
			}
		}
		if len(topics) == 0 {
			return &endOffsets{}, nil
		}
	}
	list := adm.ListEndOffsets
	if readCommitted {
		list = adm.ListCommittedOffsets
	}
	ends, err := list(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("until END: listing end offsets: %w", err)
	}
	logStarts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("until END: listing start offsets: %w", err)
	}
	var committed kadm.OffsetResponses
	if c.GroupID != "" {
		// A group that does not exist yet has committed nothing.
		if committed, err = adm.FetchOffsets(ctx, c.GroupID); err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
			return nil, fmt.Errorf("until END: reading the offsets of group %s: %w", c.GroupID, err)
		}
	}
	var after kadm.ListedOffsets
	if start.afterMilli >= 0 {
		if after, err = adm.ListOffsetsAfterMilli(ctx, start.afterMilli, topics...); err != nil {
			return nil, fmt.Errorf("until END: listing offsets after %d ms: %w", start.afterMilli, err)
		}
	}
	wanted := map[int32]bool{}
	for _, p := range c.Partitions {
		wanted[int32(p)] = true
	}
	e := &endOffsets{left: map[string]map[int32]int64{}}
	var ferr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			// A topic that does not exist has nothing to read.
			if !errors.Is(o.Err, kerr.UnknownTopicOrPartition) && ferr == nil {
				ferr = fmt.Errorf("until END: end offset of %s[%d]: %w", o.Topic, o.Partition, o.Err)
			}
			return
		}
		if len(wanted) > 0 && !wanted[o.Partition] {
			return
		}
		var from int64 // the earliest offset, raised to the log start below
		switch r, ok := committed.Lookup(o.Topic, o.Partition); {
		case ok && r.Err == nil && r.At >= 0:
			from = r.At
		case start.latest:
			from = o.Offset
		case start.at >= 0:
			from = start.at
		case start.afterMilli >= 0:
			from = o.Offset
			if a, ok := after.Lookup(o.Topic, o.Partition); ok && a.Err == nil && a.Offset >= 0 {
				from = a.Offset
			}
		}
		if ls, ok := logStarts.Lookup(o.Topic, o.Partition); ok && ls.Err == nil && from < ls.Offset {
			from = ls.Offset
		}
		if from < o.Offset {
			if e.left[o.Topic] == nil {
				e.left[o.Topic] = map[int32]int64{}
			}
			e.left[o.Topic][o.Partition] = o.Offset
		}
	})
	if ferr != nil {
		return nil, ferr
	}
	return e, nil
}
