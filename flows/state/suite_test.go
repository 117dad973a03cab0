package state_test

import (
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/flows/state/statetest"
)

func TestSQLiteSuite(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Repository {
		r, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	})
}

func TestSQLiteMemorySuite(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Repository {
		r, err := state.Open(":memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	})
}
