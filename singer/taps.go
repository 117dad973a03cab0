package singer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Tap runs any Singer tap.
type Tap struct {
	TapProps `yaml:",inline"`
	Configs  map[string]any `yaml:"configs" doc:"The tap's configuration, written to the --config file."`
	Config   map[string]any `yaml:"config" doc:"Synonym of configs."`
	Features []string       `yaml:"features" default:"[PROPERTIES, DISCOVER, STATE]" doc:"What the tap supports: CATALOG (--catalog), PROPERTIES (--properties, older taps), DISCOVER (--discover), STATE (--state)."`
}

// Validate checks property combinations.
func (t *Tap) Validate() error {
	if t.Command == "" {
		return fmt.Errorf("command is required (with pipPackages when it must be installed)")
	}
	if t.Configs != nil && t.Config != nil {
		return fmt.Errorf("set configs or config, not both")
	}
	_, err := parseFeatures(t.Features)
	return err
}

// Run runs the tap.
func (t *Tap) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	f, err := parseFeatures(t.Features)
	if err != nil {
		return nil, err
	}
	cfg := t.Configs
	if cfg == nil {
		cfg = t.Config
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	name := "tap"
	if argv := strings.Fields(t.Command); len(argv) > 0 {
		name = "tap " + baseName(argv[len(argv)-1])
	}
	return t.run(ctx, rc, tapSpec{name: name, config: cfg, features: f})
}

func baseName(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

var dbFeatures = features{catalog: true, discover: true, state: true}

// GitHub is tap-github.
type GitHub struct {
	TapProps       `yaml:",inline"`
	AccessToken    string `yaml:"accessToken" required:"true" secret:"true" doc:"A GitHub personal access token (repo scope)."`
	Repositories   any    `yaml:"repositories" required:"true" doc:"Repositories (owner/name): a list, or a JSON list as text."`
	StartDate      string `yaml:"startDate" required:"true" doc:"Extract data from this date (YYYY-MM-DD)."`
	RequestTimeout int    `yaml:"requestTimeout" default:"300" doc:"Timeout of each GitHub API request, in seconds."`
}

// Run runs tap-github.
func (t *GitHub) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	repos, err := stringList(t.Repositories)
	if err != nil {
		return nil, fmt.Errorf("repositories: %w", err)
	}
	cfg := map[string]any{
		"access_token":    rc.Secret(t.AccessToken),
		"repository":      strings.Join(repos, " "),
		"start_date":      t.StartDate,
		"request_timeout": t.RequestTimeout,
	}
	return t.run(ctx, rc, tapSpec{name: "tap-github", config: cfg,
		features:       features{properties: true, discover: true, state: true},
		defaultCommand: "tap-github", defaultPackages: []string{"tap-github"}})
}

// stringList accepts a YAML list or a JSON list as text (a template that
// rendered a list).
func stringList(v any) ([]string, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, len(t))
		for i, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("item %d is not a string", i+1)
			}
			out[i] = s
		}
		return out, nil
	case string:
		s := strings.TrimSpace(t)
		if strings.HasPrefix(s, "[") {
			var out []string
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, err
			}
			return out, nil
		}
		return strings.Fields(strings.ReplaceAll(s, ",", " ")), nil
	}
	return nil, fmt.Errorf("expected a list of strings, got %T", v)
}

// PipelinewiseMysql is pipelinewise-tap-mysql (MySQL and MariaDB).
type PipelinewiseMysql struct {
	TapProps        `yaml:",inline"`
	Host            string   `yaml:"host" required:"true" doc:"Database host."`
	Username        string   `yaml:"username" required:"true" doc:"Database user."`
	Password        string   `yaml:"password" secret:"true" doc:"Database password."`
	Port            int      `yaml:"port" required:"true" doc:"Database port."`
	SSL             bool     `yaml:"ssl" doc:"Connect with TLS."`
	FilterDbs       []string `yaml:"filterDbs" doc:"Only discover tables of these databases."`
	ExportBatchRows int      `yaml:"exportBatchRows" default:"50000" doc:"Rows fetched per batch."`
	SessionSqls     []string `yaml:"sessionSqls" default:"['SET @@session.time_zone=\"+0:00\"', 'SET @@session.wait_timeout=28800', 'SET @@session.net_read_timeout=3600', 'SET @@session.innodb_lock_wait_timeout=3600']" doc:"SQL run on each new connection."`
}

// Run runs tap-mysql.
func (t *PipelinewiseMysql) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	cfg := map[string]any{
		"host": t.Host, "user": t.Username, "password": rc.Secret(t.Password), "port": t.Port,
		"ssl": t.SSL, "export_batch_rows": t.ExportBatchRows, "session_sqls": t.SessionSqls,
	}
	if len(t.FilterDbs) > 0 {
		cfg["filter_dbs"] = strings.Join(t.FilterDbs, ",")
	}
	return t.run(ctx, rc, tapSpec{name: "tap-mysql", config: cfg, features: dbFeatures,
		defaultCommand: "tap-mysql", defaultPackages: []string{"pipelinewise-tap-mysql"}})
}

// PipelinewisePostgres is pipelinewise-tap-postgres.
type PipelinewisePostgres struct {
	TapProps           `yaml:",inline"`
	Host               string   `yaml:"host" required:"true" doc:"Database host."`
	Username           string   `yaml:"username" required:"true" doc:"Database user."`
	Password           string   `yaml:"password" secret:"true" doc:"Database password."`
	DbName             string   `yaml:"dbName" required:"true" doc:"Database name."`
	Port               int      `yaml:"port" required:"true" doc:"Database port."`
	SSL                bool     `yaml:"ssl" doc:"Connect with TLS."`
	LogicalPollSeconds int      `yaml:"logicalPollSeconds" default:"10800" doc:"LOG_BASED: stop when the WAL has had nothing for this long."`
	BreakAtEndLsn      bool     `yaml:"breakAtEndLsn" default:"true" doc:"LOG_BASED: stop at the LSN that was current when the tap started."`
	MaxRunSeconds      int      `yaml:"maxRunSeconds" default:"43200" doc:"Stop the tap after this many seconds."`
	DebugLsn           bool     `yaml:"debugLsn" doc:"Add _sdc_lsn to records."`
	FilterSchemas      []string `yaml:"filterSchemas" doc:"Only discover tables of these schemas."`
}

// Run runs tap-postgres.
func (t *PipelinewisePostgres) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	cfg := map[string]any{
		"host": t.Host, "user": t.Username, "password": rc.Secret(t.Password), "port": t.Port,
		"dbname": t.DbName, "ssl": t.SSL, "logical_poll_total_seconds": t.LogicalPollSeconds,
		"break_at_end_lsn": t.BreakAtEndLsn, "max_run_seconds": t.MaxRunSeconds, "debug_lsn": t.DebugLsn,
	}
	if t.SSL {
		cfg["ssl"] = "true"
	} else {
		delete(cfg, "ssl")
	}
	if len(t.FilterSchemas) > 0 {
		cfg["filter_schemas"] = strings.Join(t.FilterSchemas, ",")
	}
	return t.run(ctx, rc, tapSpec{name: "tap-postgres", config: cfg, features: dbFeatures,
		defaultCommand: "tap-postgres", defaultPackages: []string{"pipelinewise-tap-postgres"}})
}

// PipelinewiseOracle is pipelinewise-tap-oracle.
type PipelinewiseOracle struct {
	TapProps      `yaml:",inline"`
	Host          string `yaml:"host" required:"true" doc:"Database host."`
	Username      string `yaml:"username" required:"true" doc:"Database user."`
	Password      string `yaml:"password" secret:"true" doc:"Database password."`
	Port          int    `yaml:"port" required:"true" doc:"Database port."`
	Sid           string `yaml:"sid" required:"true" doc:"Oracle SID."`
	FilterSchemas string `yaml:"filterSchemas" doc:"Only discover tables of these schemas (comma-separated)."`
}

// Run runs tap-oracle.
func (t *PipelinewiseOracle) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	cfg := map[string]any{
		"host": t.Host, "user": t.Username, "password": rc.Secret(t.Password), "port": t.Port, "sid": t.Sid,
	}
	if t.FilterSchemas != "" {
		cfg["filter_schemas"] = t.FilterSchemas
	}
	return t.run(ctx, rc, tapSpec{name: "tap-oracle", config: cfg, features: dbFeatures,
		defaultCommand: "tap-oracle", defaultPackages: []string{"pipelinewise-tap-oracle"}})
}

// PipelinewiseSqlServer is tap-mssql (PipelineWise compatible).
type PipelinewiseSqlServer struct {
	TapProps  `yaml:",inline"`
	Host      string   `yaml:"host" required:"true" doc:"Database host."`
	Username  string   `yaml:"username" required:"true" doc:"Database user."`
	Password  string   `yaml:"password" secret:"true" doc:"Database password."`
	Database  string   `yaml:"database" required:"true" doc:"Database name."`
	Port      int      `yaml:"port" required:"true" doc:"Database port."`
	FilterDbs []string `yaml:"filterDbs" doc:"Only discover tables of these schemas."`
}

// Run runs tap-mssql.
func (t *PipelinewiseSqlServer) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	cfg := map[string]any{
		"host": t.Host, "user": t.Username, "password": rc.Secret(t.Password), "port": t.Port, "database": t.Database,
	}
	if len(t.FilterDbs) > 0 {
		cfg["filter_dbs"] = strings.Join(t.FilterDbs, ",")
	}
	return t.run(ctx, rc, tapSpec{name: "tap-mssql", config: cfg, features: dbFeatures,
		defaultCommand: "tap-mssql", defaultPackages: []string{"tap-mssql"}})
}

const tapDoc = `The tap runs once per task run, as a subprocess speaking the Singer
specification: --config (the task's properties mapped to the tap's config
keys), --catalog or --properties (discovered with --discover unless catalog is
given, then edited by streamsConfigurations), --state (the committed
bookmark under stateName).

With raw: true (the default) the message stream is stored as-is in
outputs.ID.raw, and any number of target tasks can load it (from:
"{{ outputs.ID.raw }}"); the bookmark state then advances only to the last
STATE every target has acknowledged (see docs/singer.md). With raw: false
each stream becomes a typed row file (outputs.ID.streams.STREAM) for JDBC
Batch, Kafka Produce or the serdes writers, and the state is saved when the
tap succeeds.`

func init() {
	plugin.Register(plugin.Info{
		ID: "singer.Tap", Aliases: []string{"io.kestra.plugin.singer.taps.GenericTap", "singer.taps.Generic"},
		Title: "Run any Singer tap.", Doc: tapDoc,
		New: func() any { return &Tap{} }, Outputs: tapOutputs,
		Examples: []plugin.Example{{Title: "A tap installed from PyPI, split into typed row files", YAML: `id: tap
type: singer.Tap
pipPackages: [tap-exchangeratehost]
command: tap-exchangeratehost
configs:
  base: EUR
  start_date: "2024-01-01"
raw: false`}},
	})
	plugin.Register(plugin.Info{
		ID: "singer.taps.GitHub", Aliases: []string{"io.kestra.plugin.singer.taps.GitHub"},
		Title: "Extract GitHub data with tap-github.", Doc: tapDoc,
		New: func() any { return &GitHub{} }, Outputs: tapOutputs,
		Examples: []plugin.Example{{Title: "Kestra 0.4's example", YAML: `id: github
type: io.kestra.plugin.singer.taps.GitHub
accessToken: "{{ vars.github.token }}"
repositories: [kestra-io/kestra]
startDate: "2019-07-01"
streamsConfigurations:
  - replicationMethod: INCREMENTAL
    selected: true
  - stream: projects
    selected: false`}},
	})
	plugin.Register(plugin.Info{
		ID: "singer.taps.PipelinewiseMysql", Aliases: []string{"io.kestra.plugin.singer.taps.PipelinewiseMysql"},
		Title: "Extract MySQL or MariaDB tables with pipelinewise-tap-mysql.", Doc: tapDoc,
		New: func() any { return &PipelinewiseMysql{} }, Outputs: tapOutputs,
		Examples: []plugin.Example{{Title: "Incremental on a key, one column left out", YAML: `id: mysql
type: io.kestra.plugin.singer.taps.PipelinewiseMysql
host: 127.0.0.1
port: 3306
username: root
password: "{{ secret('MYSQL_PASSWORD') }}"
streamsConfigurations:
  - stream: test-category
    replicationMethod: INCREMENTAL
    replicationKeys: id
    selected: true
  - propertiesPattern: [description]
    selected: false`}},
	})
	plugin.Register(plugin.Info{
		ID: "singer.taps.PipelinewisePostgres", Aliases: []string{"io.kestra.plugin.singer.taps.PipelinewisePostgres"},
		Title: "Extract PostgreSQL tables with pipelinewise-tap-postgres.", Doc: tapDoc,
		New: func() any { return &PipelinewisePostgres{} }, Outputs: tapOutputs,
	})
	plugin.Register(plugin.Info{
		ID: "singer.taps.PipelinewiseOracle", Aliases: []string{"io.kestra.plugin.singer.taps.PipelinewiseOracle"},
		Title: "Extract Oracle tables with pipelinewise-tap-oracle.", Doc: tapDoc,
		New: func() any { return &PipelinewiseOracle{} }, Outputs: tapOutputs,
	})
	plugin.Register(plugin.Info{
		ID: "singer.taps.PipelinewiseSqlServer", Aliases: []string{"io.kestra.plugin.singer.taps.PipelinewiseSqlServer"},
		Title: "Extract SQL Server tables with tap-mssql.", Doc: tapDoc,
		New: func() any { return &PipelinewiseSqlServer{} }, Outputs: tapOutputs,
	})
}
