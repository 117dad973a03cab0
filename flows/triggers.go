package flows

// The built-in trigger and condition types register themselves in init():
// every flow decoded anywhere (run, validate, server) knows them.
import (
	_ "github.com/sluicehq/sluice/flows/condition"
	_ "github.com/sluicehq/sluice/flows/trigger"
)
