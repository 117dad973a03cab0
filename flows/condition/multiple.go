package condition

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Multiple is MultipleCondition: several conditions, each satisfied by
// some execution (not necessarily the same one) within one time window.
type Multiple struct {
	ID            string                          `yaml:"id" required:"true" doc:"Names the window's state; unique within the flow."`
	Window        plugin.Duration                 `yaml:"window" required:"true" doc:"Length of a window (P1D, PT1H)."`
	WindowAdvance plugin.Duration                 `yaml:"windowAdvance" required:"true" doc:"Offset of the window start from its aligned boundary (P0D: midnight for a day)."`
	Conditions    map[string]*plugin.ConditionDef `yaml:"conditions" required:"true" doc:"Named conditions that must all have held within the window."`
}

// Validate checks the shape Kestra requires.
func (c *Multiple) Validate() error {
	if !idPattern(c.ID) {
		return fmt.Errorf("id %q must be letters, digits, '_' and '-'", c.ID)
	}
	if c.Window <= 0 {
		return errors.New("window must be positive")
	}
	if len(c.Conditions) == 0 {
		return errors.New("conditions must not be empty")
	}
	return nil
}

func idPattern(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Window is the stored state of one MultipleCondition window.
type Window struct {
	Start   time.Time       `json:"start"`
	End     time.Time       `json:"end"`
	Results map[string]bool `json:"results"`
}

// valid reports whether now lies inside the window (bounds excluded, as
// Kestra's isValid).
func (w *Window) valid(now time.Time) bool { return now.After(w.Start) && now.Before(w.End) }

// WindowKey is the KV key of a MultipleCondition's window in the
// listening flow's state.
func WindowKey(id string) string { return "condition.multiple/" + id }

// newWindow aligns a window on its boundary as Kestra's getOrCreate does:
// a window of a day or more starts at midnight, of an hour or more on the
// hour, of minutes on a multiple of its minutes; windowAdvance shifts it.
func (c *Multiple) newWindow(now time.Time) Window {
	w := c.Window.D()
	start := now.Truncate(time.Second)
	y, mo, d := start.Date()
	h, mi, s := start.Clock()
	switch {
	case w >= 24*time.Hour:
		h, mi, s = 0, 0, 0
	case w >= time.Hour:
		mi, s = 0, 0
	case w >= time.Minute:
		step := int(w / time.Minute)
		mi, s = step*(mi/step), 0
	}
	start = time.Date(y, mo, d, h, mi, s, 0, now.Location()).Add(c.WindowAdvance.D())
	return Window{Start: start, End: start.Add(w - time.Nanosecond), Results: map[string]bool{}}
}

// Test records which named conditions the ended execution satisfies in the
// current window, and holds once all of them have. A completed window is
// removed, so the next execution starts a new count. The caller evaluates
// one flow's triggers at a time (the window is read, changed and written).
func (c *Multiple) Test(cc *plugin.ConditionContext) (bool, error) {
	if cc.Execution == nil {
		return false, errNoExecution
	}
	if cc.KV == nil {
		return false, errors.New("no state store to keep the window in")
	}
	ctx := context.Background()
	key := WindowKey(c.ID)
	var w Window
	raw, ok, err := cc.KV.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("reading window %s: %w", c.ID, err)
	}
	if ok {
		if err := json.Unmarshal(raw, &w); err != nil {
			ok = false
		}
	}
	now := cc.Now
	if !ok || !w.valid(now) {
		w = c.newWindow(now)
	}
	if w.Results == nil {
		w.Results = map[string]bool{}
	}
	names := make([]string, 0, len(c.Conditions))
	for name := range c.Conditions {
		names = append(names, name)
	}
	sort.Strings(names)
	changed := false
	for _, name := range names {
		if w.Results[name] {
			continue
		}
		ok, err := c.Conditions[name].Test(cc)
		if err != nil {
			return false, fmt.Errorf("condition %q: %w", name, err)
		}
		if ok {
			w.Results[name] = true
			changed = true
		}
	}
	if len(w.Results) == len(c.Conditions) {
		if err := cc.KV.Delete(ctx, key); err != nil {
			return false, fmt.Errorf("resetting window %s: %w", c.ID, err)
		}
		return true, nil
	}
	if changed {
		b, _ := json.Marshal(w)
		if err := cc.KV.Put(ctx, key, b); err != nil {
			return false, fmt.Errorf("saving window %s: %w", c.ID, err)
		}
	}
	return false, nil
}
