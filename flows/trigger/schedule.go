package trigger

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Schedule is the Schedule trigger.
type Schedule struct {
	Cron               string                 `yaml:"cron" required:"true" doc:"Cron expression: 5 fields, or 6 with seconds first, or a descriptor (@daily)."`
	Timezone           string                 `yaml:"timezone" doc:"IANA time zone the cron is read in (default UTC)."`
	Backfill           *Backfill              `yaml:"backfill" doc:"Fire the slots missed since a date when the schedule is first seen."`
	ScheduleConditions []*plugin.ConditionDef `yaml:"scheduleConditions" doc:"Conditions on the slot ({{ trigger.date }}); a slot where one fails is skipped."`
	Inputs             map[string]string      `yaml:"inputs" doc:"Inputs of the new execution (templates over trigger.*)."`
	Interval           plugin.Duration        `yaml:"interval" doc:"Accepted for Kestra compatibility; the cron decides."`

	sched cron.Schedule
	loc   *time.Location
}

// Backfill is the schedule's backfill.
type Backfill struct {
	Start time.Time `yaml:"start" doc:"First date to fire from (ISO-8601 with offset); unset: no backfill."`
}

var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Validate parses the cron and the time zone.
func (s *Schedule) Validate() error {
	loc := time.UTC
	if s.Timezone != "" {
		l, err := time.LoadLocation(s.Timezone)
		if err != nil {
			return fmt.Errorf("timezone %q: %w", s.Timezone, err)
		}
		loc = l
	}
	if strings.HasPrefix(strings.TrimSpace(s.Cron), "CRON_TZ=") || strings.HasPrefix(strings.TrimSpace(s.Cron), "TZ=") {
		return fmt.Errorf("cron %q: give the zone in timezone, not in the expression", s.Cron)
	}
	sched, err := cronParser.Parse(s.Cron)
	if err != nil {
		return fmt.Errorf("cron %q: %w", s.Cron, err)
	}
	s.sched, s.loc = sched, loc
	return nil
}

func (s *Schedule) schedule() cron.Schedule {
	if s.sched == nil {
		if err := s.Validate(); err != nil {
			// Decoding validated it; a hand-built Schedule must be valid.
			panic(err)
		}
	}
	return s.sched
}

// Next is the first slot strictly after t.
func (s *Schedule) Next(t time.Time) time.Time {
	return s.schedule().Next(t.In(s.loc)).UTC()
}

// Previous is the last slot strictly before slot, searching back at most
// a year (zero when there is none).
func (s *Schedule) Previous(slot time.Time) time.Time {
	// Walk forward from a point far enough back: cron schedules are
	// forward-only. Doubling the look-back keeps this cheap for frequent
	// schedules.
	for back := time.Minute; back <= 366*24*time.Hour; back *= 4 {
		var prev time.Time
		for t := s.Next(slot.Add(-back)); t.Before(slot); t = s.Next(t) {
			prev = t
		}
		if !prev.IsZero() {
			return prev
		}
	}
	return time.Time{}
}

// First is the first slot to fire for a schedule that has no cursor yet:
// the first slot at or after backfill.start when there is one, else the
// first after now.
func (s *Schedule) First(now time.Time) time.Time {
	if s.Backfill != nil && !s.Backfill.Start.IsZero() {
		return s.Next(s.Backfill.Start.Add(-time.Nanosecond))
	}
	return s.Next(now)
}

// Due lists the slots to fire at now, in order: from next (the slot after
// the cursor, or First) while they are not in the future, at most max of
// them (the caller loops; a long backfill is fired in bounded batches).
func (s *Schedule) Due(next, now time.Time, max int) []time.Time {
	var out []time.Time
	for t := next; !t.IsZero() && !t.After(now) && len(out) < max; t = s.Next(t) {
		out = append(out, t)
	}
	return out
}

// Vars are the trigger variables of the execution fired at slot.
func (s *Schedule) Vars(slot time.Time) map[string]any {
	v := map[string]any{
		"date": formatTime(slot.In(s.loc)),
		"next": formatTime(s.Next(slot).In(s.loc)),
	}
	if p := s.Previous(slot); !p.IsZero() {
		v["previous"] = formatTime(p.In(s.loc))
	}
	return v
}

func formatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }
