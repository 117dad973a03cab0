package singer_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/integration/testenv"
	"github.com/sluicehq/sluice/internal/rows"
)

// TestSeedTypedIntoSQLServer is the seed's example 3 as published into
// jdbc.sqlserver.Batch (SLUICE_TEST_MSSQL: Babelfish in CI), with the test
// tap in place of GitHub's (its orders stream in place of commit): raw:
// false splits the tap's records into a typed row file per stream, and
// the positional INSERT loads it by bulk copy, converting the tap's
// decimal strings and ISO date-times into DECIMAL and DATETIMEOFFSET.
func TestSeedTypedIntoSQLServer(t *testing.T) {
	url := testenv.MSSQL(t)
	py := python(t)
	env := flowtest.New(t)
	env.Engine.Vars = map[string]any{"github": map[string]any{"token": "t"}}
	src := swapRunner(seedTyped, py+" "+testdata(t, "tap.py"), "")
	src = strings.Replace(src, `  - id: update
    type: io.kestra.plugin.jdbc.sqlserver.Batch
    url: jdbc:sqlserver://localhost:41433;trustServerCertificate=true
    username: sa
    password: Sqls3rv3r_Pa55word!
    from: "{{ outputs.github.streams.commit }}"
    sql: "insert into commit values( ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? )"
`, `  - id: ddl
    type: io.kestra.plugin.jdbc.sqlserver.Query
    url: "`+url+`"
    sql: "IF OBJECT_ID('singer_orders') IS NOT NULL DROP TABLE singer_orders; CREATE TABLE singer_orders (id BIGINT PRIMARY KEY, user_id INT, amount DECIMAL(30,4), ordered_at DATETIMEOFFSET(6), note NVARCHAR(100))"
  - id: update
    type: io.kestra.plugin.jdbc.sqlserver.Batch
    url: "`+url+`"
    from: "{{ outputs.github.streams.orders }}"
    sql: "insert into singer_orders values( ?, ?, ?, ?, ? )"
  - id: check
    type: io.kestra.plugin.jdbc.sqlserver.Query
    url: "`+url+`"
    sql: "SELECT count(*) AS n, sum(id) AS s, sum(amount) AS amount, count(note) AS notes, max(ordered_at) AS last FROM singer_orders"
    fetchOne: true
`, 1)
	ex := env.Run(src, nil)
	env.RequireState(ex, state.Success)
	row := env.Output(ex, "check", "row").(*rows.OrderedMap)
	got := map[string]string{}
	for _, k := range row.Keys() {
		v, _ := row.Get(k)
		if tm, ok := v.(time.Time); ok {
			v = tm.UTC().Format(time.RFC3339)
		}
		got[k] = fmt.Sprint(v)
	}
	// ids 1..10, amounts i + (31·i mod 10000)/10000, notes on even ids,
	// ordered_at 2020-01-01 plus i minutes.
	want := map[string]string{"n": "10", "s": "55", "amount": "55.1705", "notes": "5", "last": "2020-01-01T00:10:00Z"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
}
