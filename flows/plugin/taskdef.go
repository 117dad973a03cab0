package plugin

import "fmt"

// Pos is a place in a flow file.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// TaskDef is one task as a flow declares it: the properties every task has
// (id, type, retry, timeout, ...) and its decoded type-specific properties.
// Flowable properties structs hold their children as []*TaskDef.
type TaskDef struct {
	ID          string
	Type        string // as written (may be a Kestra alias)
	Description string
	Info        *Info
	// Props is the decoded properties struct, templates not yet rendered.
	// The engine never runs it directly: each run gets a fresh copy
	// (NewProps) so rendering one run cannot leak into another.
	Props    any
	NewProps func() (any, error)
	Retry    *Retry
	Timeout  Duration
	Disabled bool
	// Errors run when a child of this flowable fails.
	Errors []*TaskDef
	// Pos is where the task starts; PropPos where each property is.
	Pos     Pos
	PropPos map[string]Pos
}

// Retry is a task's retry policy, Kestra's shape.
type Retry struct {
	Type        string   `yaml:"type" enum:"constant,exponential,random" required:"true" doc:"Backoff between attempts."`
	Interval    Duration `yaml:"interval" doc:"Wait between attempts (constant), or the first wait (exponential)."`
	MinInterval Duration `yaml:"minInterval" doc:"Smallest wait (random)."`
	MaxInterval Duration `yaml:"maxInterval" doc:"Largest wait (exponential, random)."`
	DelayFactor float64  `yaml:"delayFactor" doc:"Growth of the wait per attempt (exponential, default 2)."`
	MaxAttempt  int      `yaml:"maxAttempt" doc:"Attempts in all, the first included; 0 = bounded by maxDuration only."`
	MaxDuration Duration `yaml:"maxDuration" doc:"Stop retrying once this long has passed since the first attempt."`
	// WarningOnRetry ends the task WARNING instead of SUCCESS when it
	// needed more than one attempt.
	WarningOnRetry bool `yaml:"warningOnRetry" doc:"End in WARNING when the task succeeded only after a retry."`
}

// Validate checks the policy is usable.
func (r *Retry) Validate() error {
	switch r.Type {
	case "constant":
		if r.Interval <= 0 {
			return fmt.Errorf("retry: constant needs interval")
		}
	case "exponential":
		if r.Interval <= 0 {
			return fmt.Errorf("retry: exponential needs interval")
		}
	case "random":
		if r.MaxInterval <= 0 || r.MinInterval > r.MaxInterval {
			return fmt.Errorf("retry: random needs minInterval <= maxInterval")
		}
	}
	if r.MaxAttempt <= 0 && r.MaxDuration <= 0 {
		return fmt.Errorf("retry: set maxAttempt or maxDuration, or retries never stop")
	}
	return nil
}
