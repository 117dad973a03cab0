package singer_test

import (
	"fmt"
	"strings"
	"testing"

	_ "github.com/sluicehq/sluice/connectors/jdbc"
	_ "github.com/sluicehq/sluice/flows/core"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
	_ "github.com/sluicehq/sluice/singer"
)

// The Kestra 0.4 release examples 2 and 3 (KESTRA-0.4-EXAMPLES.md), as
// published.
const seedRaw = `id: github-to-bigquery
namespace: io.kestra.tests
tasks:
  - id: github
    type: io.kestra.plugin.singer.taps.GitHub
    accessToken: "{{ vars.github.token }}"
    repositories:
      - kestra-io/kestra
    startDate: "2019-07-01"
    raw: true
    streamsConfigurations:
      - replicationMethod: INCREMENTAL   # no stream: applies to every stream
        selected: true
      - selected: false
        stream: projects
      - selected: false
        stream: project_cards
      - selected: false
        stream: project_columns
    runner: DOCKER
    dockerOptions:
      image: python:3.8
  - id: bigquery
    type: io.kestra.plugin.singer.targets.AdswerveBigQuery
    addMetadataColumns: true
    from: "{{ outputs.github.raw }}"
    datasetId: github
    location: EU
    projectId: "{{ vars.projectId }}"
    serviceAccount: "{{ vars.serviceAccount }}"
    runner: DOCKER
    dockerOptions:
      image: python:3.8
`

const seedTyped = `id: github-to-sqlserver
namespace: io.kestra.tests
tasks:
  - id: github
    type: io.kestra.plugin.singer.taps.GitHub
    accessToken: "{{ vars.github.token }}"
    repositories:
      - kestra-io/kestra
    startDate: "2019-07-01"
    raw: false
    streamsConfigurations:
      - replicationMethod: INCREMENTAL
        selected: true
    runner: DOCKER
    dockerOptions:
      image: python:3.8
  - id: update
    type: io.kestra.plugin.jdbc.sqlserver.Batch
    url: jdbc:sqlserver://localhost:41433;trustServerCertificate=true
    username: sa
    password: Sqls3rv3r_Pa55word!
    from: "{{ outputs.github.streams.commit }}"
    sql: "insert into commit values( ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? )"
`

func TestSeedExamplesValidate(t *testing.T) {
	env := flowtest.New(t)
	for _, src := range []string{seedRaw, seedTyped} {
		f := env.Parse(src)
		if len(f.Tasks) != 2 {
			t.Fatalf("%s: %d tasks", f.ID, len(f.Tasks))
		}
	}
	// A typo in the reference is caught at validation.
	_, err := parseErr(strings.Replace(seedRaw, "outputs.github.raw", "outputs.github.rawr", 1))
	if err == nil || !strings.Contains(err.Error(), "rawr") {
		t.Fatalf("a reference to an undeclared output validated: %v", err)
	}
}

// swapRunner replaces the Docker runner of the seed examples by a PROCESS
// runner on the test programs (there is no Docker engine here).
func swapRunner(src, tap, target string) string {
	parts := strings.SplitN(src, "  - id: ", 3)
	parts[1] = strings.Replace(parts[1], "runner: DOCKER\n    dockerOptions:\n      image: python:3.8\n", "runner: PROCESS\n    command: "+tap+"\n", 1)
	if len(parts) == 3 && target != "" {
		parts[2] = strings.Replace(parts[2], "runner: DOCKER\n    dockerOptions:\n      image: python:3.8\n", "runner: PROCESS\n    command: "+target+"\n", 1)
	}
	return strings.Join(parts, "  - id: ")
}

func TestSeedRawShapeRuns(t *testing.T) {
	py := python(t)
	env := flowtest.New(t)
	env.Engine.Vars = map[string]any{"github": map[string]any{"token": "ghp_secret_token"}, "projectId": "p1", "serviceAccount": `{"type":"service_account"}`}
	src := swapRunner(seedRaw, py+" "+testdata(t, "tap.py"), py+" "+testdata(t, "target.py"))
	ex := env.Run(src, nil)
	env.RequireState(ex, state.Success)
	if n := out(t, env, ex, "github", "count", "RECORD"); n != float64(20) {
		t.Fatalf("tap records = %v", n)
	}
	if got := fmt.Sprint(out(t, env, ex, "bigquery", "acknowledged"), out(t, env, ex, "bigquery", "states")); got != "6 6" {
		t.Fatalf("target acknowledged/states = %s", got)
	}
	committed := out(t, env, ex, "bigquery", "committed")
	if !strings.Contains(fmt.Sprint(committed), "replication_key_value:10") {
		t.Fatalf("committed state = %v", committed)
	}
	// The access token reached the tap's config but no output or log.
	for _, tr := range ex.TaskRuns {
		if strings.Contains(fmt.Sprint(tr.Outputs), "ghp_secret_token") {
			t.Fatalf("token leaked into outputs of %s", tr.TaskID)
		}
	}
}

func TestSeedTypedShapeRuns(t *testing.T) {
	py := python(t)
	env := flowtest.New(t)
	env.Engine.Vars = map[string]any{"github": map[string]any{"token": "t"}}
	db := t.TempDir() + "/github.db"
	src := swapRunner(seedTyped, py+" "+testdata(t, "tap.py"), "")
	// SQL Server runs only under Docker: load into SQLite the same way.
	src = strings.Replace(src, `  - id: update
    type: io.kestra.plugin.jdbc.sqlserver.Batch
    url: jdbc:sqlserver://localhost:41433;trustServerCertificate=true
    username: sa
    password: Sqls3rv3r_Pa55word!
    from: "{{ outputs.github.streams.commit }}"
    sql: "insert into commit values( ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? )"
`, `  - id: ddl
    type: io.kestra.plugin.jdbc.sqlite.Query
    url: jdbc:sqlite:`+db+`
    sql: create table orders (id integer, user_id integer, amount text, ordered_at text, note text)
  - id: update
    type: io.kestra.plugin.jdbc.sqlite.Batch
    url: jdbc:sqlite:`+db+`
    from: "{{ outputs.github.streams.orders }}"
    sql: "insert into orders values( ?, ?, ?, ?, ? )"
  - id: check
    type: io.kestra.plugin.jdbc.sqlite.Query
    url: jdbc:sqlite:`+db+`
    sql: select count(*) as n, sum(id) as s from orders
    fetchOne: true
`, 1)
	ex := env.Run(src, nil)
	env.RequireState(ex, state.Success)
	row := out(t, env, ex, "check", "row").(map[string]any)
	if row["n"] != float64(10) || row["s"] != float64(55) {
		t.Fatalf("loaded %v", row)
	}
}
