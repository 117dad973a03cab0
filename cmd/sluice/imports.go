package main

// The task packages shipped in the binary: each registers its tasks in
// init().
import (
	_ "github.com/sluicehq/sluice/flows/core"
)
