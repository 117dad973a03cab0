package state_test

import (
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
)

// state must stay a leaf, so it cannot name plugin.KV; this keeps the two
// interfaces from drifting apart.
var _ plugin.KV = state.KV(nil)
