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

// PermanentError marks an error that running the task again cannot fix: a
// template that does not render, a value that does not convert to its
// column's type, a column that does not exist. The executor does not retry
// it, whatever the task's retry policy says.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent reports true: see IsPermanent.
func (e *PermanentError) Permanent() bool { return true }

// Permanent marks err as permanent (nil stays nil).
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err or an error it wraps is permanent: a
// *PermanentError, or any error with a Permanent() bool method that
// returns true (packages that do not import plugin, such as internal/rows
// for a value that does not convert, mark their errors that way; a masked
// error keeps the mark).
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
