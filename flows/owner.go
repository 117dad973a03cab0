package flows

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/flows/state"
)

// Crash ownership: every execution being run records its owner (host, pid,
// process start, heartbeat). A process that dies (kill -9, a power cut, a
// lost state database) leaves RUNNING records behind; whoever looks next
// (`sluice executions list`, restart, delete, an engine starting) calls
// ReapOrphans, which ends them KILLED with the reason. A server's lease is
// the same record: its heartbeat stops, the lease expires.

// DefaultLease is how old a heartbeat may be before its owner counts as gone.
const DefaultLease = time.Minute

// OwnerGone reports whether the process owning an execution is gone, and
// why: on this host, its pid is not alive; anywhere, its heartbeat is older
// than lease.
func OwnerGone(o *state.Owner, lease time.Duration, now time.Time) (bool, string) {
	if o == nil {
		return false, ""
	}
	if lease <= 0 {
		lease = DefaultLease
	}
	if host, _ := os.Hostname(); o.Host == host && !processAlive(o.PID) {
		return true, fmt.Sprintf("its process (%s) is gone", o)
	}
	if !o.Heartbeat.IsZero() && now.Sub(o.Heartbeat) > lease {
		return true, fmt.Sprintf("its owner (%s) stopped its heartbeat %s ago", o, now.Sub(o.Heartbeat).Round(time.Second))
	}
	return false, ""
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// unfinished are the states an owner must be alive for.
var unfinished = []state.State{state.Created, state.Queued, state.Running, state.Restarted, state.Killing}

// ReapOrphans ends KILLED every unfinished execution whose owner is gone
// (its unfinished task runs too), with the reason in Execution.Error, and
// returns them.
func ReapOrphans(ctx context.Context, repo state.Repository, lease time.Duration) ([]*state.Execution, error) {
	exs, err := repo.ListExecutions(ctx, state.Filter{States: unfinished})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var reaped []*state.Execution
	for _, e := range exs {
		gone, why := OwnerGone(e.Owner, lease, now)
		if !gone {
			continue
		}
		var ended *state.Execution
		err := repo.Tx(ctx, func(tx state.Tx) error {
			ex, err := tx.GetExecution(ctx, e.ID)
			if err != nil {
				return err
			}
			for _, tr := range ex.TaskRuns {
				if tr.State.Terminated() || tr.State == state.Paused {
					continue
				}
				from := tr.State
				tr.SetState(state.Killed, now)
				tr.Error = "killed: the execution's " + why
				if err := tx.UpdateTaskRun(ctx, ex.ID, tr, from); err != nil {
					return err
				}
			}
			from := ex.State
			ex.SetState(state.Killed, now)
			ex.End = now
			ex.Error = "killed: " + why
			ex.Owner = nil
			ended = ex
			return tx.UpdateExecution(ctx, ex, from)
		})
		if errors.Is(err, state.ErrConflict) {
			continue // its owner (or another reaper) wrote first
		}
		if err != nil {
			return reaped, err
		}
		reaped = append(reaped, ended)
	}
	return reaped, nil
}

// recoverOrphans runs when the engine starts: executions with a dead owner
// are killed; with TakeOver, RUNNING executions with no owner (handed back
// by a shut down engine) are loaded and run on.
func (x *executor) reapOrphans() {
	if _, err := ReapOrphans(context.Background(), x.repo, x.lease()); err != nil {
		x.e.logger().Warn("looking for orphaned executions failed", "error", err)
	}
}

func (x *executor) takeOver() {
	ctx := context.Background()
	exs, err := x.repo.ListExecutions(ctx, state.Filter{States: []state.State{state.Running}})
	if err != nil {
		x.e.logger().Warn("looking for handed back executions failed", "error", err)
		return
	}
	for _, e := range exs {
		if e.Owner != nil {
			continue
		}
		ex, err := x.repo.GetExecution(ctx, e.ID)
		if err != nil {
			continue
		}
		f, err := x.e.parseStored(ex)
		if err != nil {
			continue
		}
		_ = x.call(ctx, func(s *step) error {
			if x.runs[ex.ID] != nil {
				return nil
			}
			r, err := x.load(s, f, ex)
			if err != nil {
				return err
			}
			r.ex.Owner = x.owner
			s.touchExec(r)
			r.log(nil).Info("execution taken over", "owner", x.owner.String())
			s.settle(r)
			return nil
		})
	}
}
