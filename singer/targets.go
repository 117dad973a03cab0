package singer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Target runs any Singer target, or several reading the same stream.
type Target struct {
	TargetProps `yaml:",inline"`
	Configs     map[string]any `yaml:"configs" doc:"The target's configuration, written to the --config file."`
	Config      map[string]any `yaml:"config" doc:"Synonym of configs."`
	Targets     []SubTarget    `yaml:"targets" doc:"Several targets fed from one read of from, each acknowledging on its own (instead of command/configs)."`
}

// SubTarget is one target of a Target's list.
type SubTarget struct {
	ID          string `yaml:"id" required:"true" doc:"Name of this target in outputs.targets and in the fan-out bookkeeping."`
	RunnerProps `yaml:",inline"`
	Configs     map[string]any `yaml:"configs" doc:"The target's configuration."`
}

// Validate checks property combinations.
func (t *Target) Validate() error {
	if t.Configs != nil && t.Config != nil {
		return fmt.Errorf("set configs or config, not both")
	}
	if len(t.Targets) > 0 {
		if t.Command != "" || len(t.PipPackages) > 0 || t.Configs != nil || t.Config != nil {
			return fmt.Errorf("with targets, give command, pipPackages and configs in each target, not at the top")
		}
		seen := map[string]bool{}
		for i, s := range t.Targets {
			if s.Command == "" {
				return fmt.Errorf("targets[%d] (%s): command is required", i, s.ID)
			}
			if seen[s.ID] {
				return fmt.Errorf("targets[%d]: id %q is used twice", i, s.ID)
			}
			seen[s.ID] = true
		}
		return nil
	}
	if t.Command == "" {
		return fmt.Errorf("command is required (or a list of targets)")
	}
	return nil
}

// Run runs the target(s).
func (t *Target) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	if len(t.Targets) == 0 {
		cfg := t.Configs
		if cfg == nil {
			cfg = t.Config
		}
		if cfg == nil {
			cfg = map[string]any{}
		}
		name := "target"
		if argv := strings.Fields(t.Command); len(argv) > 0 {
			name = "target " + baseName(argv[len(argv)-1])
		}
		return runTargets(ctx, rc, &t.TargetProps, []targetSpec{{name: name, config: cfg, props: &t.RunnerProps}})
	}
	specs := make([]targetSpec, len(t.Targets))
	for i := range t.Targets {
		s := &t.Targets[i]
		cfg := s.Configs
		if cfg == nil {
			cfg = map[string]any{}
		}
		specs[i] = targetSpec{name: "target " + s.ID, sub: s.ID, config: cfg, props: &s.RunnerProps}
	}
	return runTargets(ctx, rc, &t.TargetProps, specs)
}

// Csv is target-csv: one CSV file per stream, stored as outputs.uris.STREAM.
type Csv struct {
	TargetProps     `yaml:",inline"`
	Delimiter       string `yaml:"delimiter" default:"','" doc:"Field separator (one character)."`
	QuoteCharacters string `yaml:"quoteCharacters" default:"'\"'" doc:"Quote character (one character)."`
}

// Run runs target-csv.
func (t *Csv) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return runTargets(ctx, rc, &t.TargetProps, []targetSpec{{
		name: "target-csv", props: &t.RunnerProps, outDir: "destination",
		defaultCommand: "target-csv", defaultPackages: []string{"target-csv"},
		prepare: func(dir string, cfg map[string]any, _ map[string]string) error {
			cfg["destination_path"] = filepath.Join(dir, "destination")
			return nil
		},
		config: map[string]any{"delimiter": t.Delimiter, "quotechar": t.QuoteCharacters},
	}})
}

// Jsonl is target-jsonl: one JSON-lines file per stream, stored as
// outputs.uris.STREAM.
type Jsonl struct {
	TargetProps `yaml:",inline"`
}

// Run runs target-jsonl.
func (t *Jsonl) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return runTargets(ctx, rc, &t.TargetProps, []targetSpec{{
		name: "target-jsonl", props: &t.RunnerProps, outDir: "destination",
		defaultCommand: "target-jsonl", defaultPackages: []string{"target-jsonl"},
		prepare: func(dir string, cfg map[string]any, _ map[string]string) error {
			cfg["destination_path"] = filepath.Join(dir, "destination")
			return nil
		},
		config: map[string]any{"do_timestamp_file": false},
	}})
}

// TargetPostgres is pipelinewise-target-postgres.
type TargetPostgres struct {
	TargetProps                         `yaml:",inline"`
	Host                                string `yaml:"host" required:"true" doc:"Database host."`
	Username                            string `yaml:"username" required:"true" doc:"Database user."`
	Password                            string `yaml:"password" secret:"true" doc:"Database password."`
	DbName                              string `yaml:"dbName" required:"true" doc:"Database name."`
	Port                                int    `yaml:"port" required:"true" doc:"Database port."`
	BatchSizeRows                       int    `yaml:"batchSizeRows" default:"100000" doc:"Rows per load into PostgreSQL (a STATE is acknowledged after each load)."`
	FlushAllStreams                     bool   `yaml:"flushAllStreams" doc:"Load every stream when one batch is full."`
	Parallelism                         int    `yaml:"parallelism" doc:"Threads loading streams (0: one per stream, -1: one per CPU)."`
	MaxParallelism                      int    `yaml:"maxParallelism" default:"16" doc:"Maximum loading threads."`
	AddMetadataColumns                  bool   `yaml:"addMetadataColumns" doc:"Add _sdc_* metadata columns."`
	HardDelete                          bool   `yaml:"hardDelete" doc:"Delete rows flagged _sdc_deleted_at."`
	DataFlatteningMaxLevel              int    `yaml:"dataFlatteningMaxLevel" doc:"Flatten nested objects into columns up to this depth."`
	PrimaryKeyRequired                  bool   `yaml:"primaryKeyRequired" default:"true" doc:"Refuse streams without key_properties."`
	ValidateRecords                     bool   `yaml:"validateRecords" doc:"Validate each record against its schema."`
	DefaultTargetSchema                 string `yaml:"defaultTargetSchema" doc:"Schema the tables are created in."`
	DefaultTargetSchemaSelectPermission string `yaml:"defaultTargetSchemaSelectPermission" doc:"Role granted SELECT on created tables."`
}

// Run runs target-postgres.
func (t *TargetPostgres) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	cfg := map[string]any{
		"host": t.Host, "user": t.Username, "password": rc.Secret(t.Password), "port": t.Port, "dbname": t.DbName,
		"batch_size_rows": t.BatchSizeRows, "flush_all_streams": t.FlushAllStreams, "parallelism": t.Parallelism,
		"max_parallelism": t.MaxParallelism, "add_metadata_columns": t.AddMetadataColumns, "hard_delete": t.HardDelete,
		"data_flattening_max_level": t.DataFlatteningMaxLevel, "primary_key_required": t.PrimaryKeyRequired,
		"validate_records": t.ValidateRecords,
	}
	if t.DefaultTargetSchema != "" {
		cfg["default_target_schema"] = t.DefaultTargetSchema
	}
	if t.DefaultTargetSchemaSelectPermission != "" {
		cfg["default_target_schema_select_permission"] = t.DefaultTargetSchemaSelectPermission
	}
	return runTargets(ctx, rc, &t.TargetProps, []targetSpec{{
		name: "target-postgres", props: &t.RunnerProps, config: cfg,
		defaultCommand: "target-postgres", defaultPackages: []string{"pipelinewise-target-postgres"},
	}})
}

// AdswerveBigQuery is Adswerve's target-bigquery.
type AdswerveBigQuery struct {
	TargetProps        `yaml:",inline"`
	ProjectID          string         `yaml:"projectId" required:"true" doc:"BigQuery project."`
	DatasetID          string         `yaml:"datasetId" required:"true" doc:"BigQuery dataset."`
	Location           string         `yaml:"location" doc:"Dataset location (EU, US, ...)."`
	ValidateRecords    bool           `yaml:"validateRecords" doc:"Validate each record against its schema."`
	AddMetadataColumns bool           `yaml:"addMetadataColumns" doc:"Add _time_extracted and _time_loaded columns."`
	ReplicationMethod  string         `yaml:"replicationMethod" enum:"append,truncate" default:"append" doc:"append or truncate."`
	TablePrefix        string         `yaml:"tablePrefix" doc:"Prefix of table names."`
	TableSuffix        string         `yaml:"tableSuffix" doc:"Suffix of table names."`
	MaxCache           int            `yaml:"maxCache" default:"50" doc:"Maximum cache size in MB."`
	ServiceAccount     string         `yaml:"serviceAccount" secret:"true" doc:"The service account key (JSON text); written to a file named by GOOGLE_APPLICATION_CREDENTIALS."`
	MergeStateMessages bool           `yaml:"mergeStateMessages" doc:"Merge state messages (the target then echoes merged states, which are acknowledged when it exits 0)."`
	TableConfigs       map[string]any `yaml:"tableConfigs" doc:"Per-table configuration (table_config)."`
}

// Run runs target-bigquery.
func (t *AdswerveBigQuery) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	cfg := map[string]any{
		"project_id": t.ProjectID, "dataset_id": t.DatasetID, "validate_records": t.ValidateRecords,
		"add_metadata_columns": t.AddMetadataColumns, "replication_method": t.ReplicationMethod,
		"max_cache": t.MaxCache,
	}
	if t.Location != "" {
		cfg["location"] = t.Location
	}
	if t.TablePrefix != "" {
		cfg["table_prefix"] = t.TablePrefix
	}
	if t.TableSuffix != "" {
		cfg["table_suffix"] = t.TableSuffix
	}
	if t.MergeStateMessages {
		cfg["merge_state_messages"] = "0"
	}
	rc.Secret(t.ServiceAccount)
	return runTargets(ctx, rc, &t.TargetProps, []targetSpec{{
		name: "target-bigquery", props: &t.RunnerProps, config: cfg,
		defaultCommand: "target-bigquery", defaultPackages: []string{"git+https://github.com/adswerve/target-bigquery.git"},
		prepare: func(dir string, cfg map[string]any, env map[string]string) error {
			if len(t.TableConfigs) > 0 {
				p, err := writeJSON(dir, "table-config.json", t.TableConfigs)
				if err != nil {
					return err
				}
				cfg["table_config"] = p
			}
			if t.ServiceAccount != "" {
				p := filepath.Join(dir, "google-credentials.json")
				if err := os.WriteFile(p, []byte(t.ServiceAccount), 0o600); err != nil {
					return err
				}
				env["GOOGLE_APPLICATION_CREDENTIALS"] = p
			}
			return nil
		},
	}})
}

const targetDoc = `A target task streams a tap's raw message stream (from:
"{{ outputs.TAP.raw }}") into the target's stdin, with back-pressure, and reads
the STATE values the target writes on stdout once it has loaded the records
before them. Several target tasks (for example in a Parallel) can read the same
raw output: the tap ran once. The bookmark state under stateName advances only
to the last STATE every target acknowledged; a target that fails leaves it
where both agree, and the next run re-sends from there (targets that append
may then hold some records twice; targets that upsert by key hold each once).
See docs/singer.md.`

func init() {
	plugin.Register(plugin.Info{
		ID: "singer.Target", Aliases: []string{"io.kestra.plugin.singer.targets.GenericTarget", "singer.targets.Generic"},
		Title: "Run any Singer target, or several, on a tap's raw output.", Doc: targetDoc,
		New: func() any { return &Target{} }, Outputs: targetOutputs,
		Examples: []plugin.Example{{Title: "Two targets from one read of the stream", YAML: `id: load
type: singer.Target
from: "{{ outputs.tap.raw }}"
targets:
  - id: jsonl
    pipPackages: [target-jsonl]
    command: target-jsonl
    configs: {destination_path: /data/jsonl}
  - id: csv
    pipPackages: [target-csv]
    command: target-csv
    configs: {destination_path: /data/csv}`}},
	})
	plugin.Register(plugin.Info{
		ID: "singer.targets.Csv", Aliases: []string{"io.kestra.plugin.singer.targets.Csv"},
		Title: "Write a tap's streams to CSV files with target-csv.", Doc: targetDoc,
		New: func() any { return &Csv{} }, Outputs: targetOutputs,
	})
	plugin.Register(plugin.Info{
		ID: "singer.targets.Jsonl", Aliases: []string{"io.kestra.plugin.singer.targets.Json", "io.kestra.plugin.singer.targets.Jsonl"},
		Title: "Write a tap's streams to JSON-lines files with target-jsonl.", Doc: targetDoc,
		New: func() any { return &Jsonl{} }, Outputs: targetOutputs,
	})
	plugin.Register(plugin.Info{
		ID: "singer.targets.PipelinewisePostgres", Aliases: []string{"io.kestra.plugin.singer.targets.PipelinewisePostgres"},
		Title: "Load a tap's streams into PostgreSQL with pipelinewise-target-postgres.", Doc: targetDoc,
		New: func() any { return &TargetPostgres{} }, Outputs: targetOutputs,
	})
	plugin.Register(plugin.Info{
		ID: "singer.targets.AdswerveBigQuery", Aliases: []string{"io.kestra.plugin.singer.targets.AdswerveBigQuery"},
		Title: "Load a tap's streams into BigQuery with Adswerve's target-bigquery.", Doc: targetDoc,
		New: func() any { return &AdswerveBigQuery{} }, Outputs: targetOutputs,
	})
}
