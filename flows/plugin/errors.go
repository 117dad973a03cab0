package plugin

import "errors"

// ErrPaused is returned by a task that suspends the execution until it is
// resumed (sluice restart / resume).
var ErrPaused = errors.New("paused: waiting to be resumed")

// WarningError is returned (with outputs) by a task that did its work but
// wants its run to end in WARNING instead of SUCCESS.
type WarningError struct{ Err error }

func (w *WarningError) Error() string { return w.Err.Error() }
func (w *WarningError) Unwrap() error { return w.Err }

// Warn wraps err so that the task ends in WARNING.
func Warn(err error) error { return &WarningError{Err: err} }
