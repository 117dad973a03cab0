package main

// The task packages shipped in the binary: each registers its tasks in
// init().
import (
	_ "github.com/sluicehq/sluice/connectors/jdbc"
	_ "github.com/sluicehq/sluice/connectors/kafka"
	_ "github.com/sluicehq/sluice/flows/core"
	_ "github.com/sluicehq/sluice/serdes/avro"
	_ "github.com/sluicehq/sluice/serdes/csv"
	_ "github.com/sluicehq/sluice/serdes/ion"
	_ "github.com/sluicehq/sluice/serdes/json"
	_ "github.com/sluicehq/sluice/singer"
)
