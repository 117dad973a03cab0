package singer_test

import (
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
)

// raw: false output loads into SQLite through io.kestra.plugin.jdbc.sqlite.Batch
// with every value exact: decimals keep their digits (SQLite has no exact
// decimal type: a NUMERIC column would turn 30.10 into the float 30.1, so
// they go to TEXT columns), timestamps their microseconds and offset, dates,
// times, booleans, nested objects and nulls stay what the tap wrote.
func TestTypedStreamsLoadIntoSQLiteExactly(t *testing.T) {
	py := python(t)
	env := flowtest.New(t)
	db := t.TempDir() + "/singer.db"
	ex := env.Run(fmt.Sprintf(`id: typed-sqlite
namespace: sluice.tests
tasks:
  - id: tap
    type: singer.Tap
    command: %[1]s %[2]s
    features: [STATE]
    raw: false
    configs: {records: 25}
  - id: ddl
    type: io.kestra.plugin.jdbc.sqlite.Query
    url: jdbc:sqlite:%[3]s
    sql: |
      create table users (id integer primary key, name text, email text, created_at text, birthday text,
        wake_up text, balance text, active boolean, tags text, address text);
      create table orders (id integer primary key, user_id integer, amount text, ordered_at text, note text)
  - id: users
    type: io.kestra.plugin.jdbc.sqlite.Batch
    url: jdbc:sqlite:%[3]s
    from: "{{ outputs.tap.streams.users }}"
    table: users
  - id: orders
    type: io.kestra.plugin.jdbc.sqlite.Batch
    url: jdbc:sqlite:%[3]s
    from: "{{ outputs.tap.streams.orders }}"
    table: orders
  - id: check
    type: io.kestra.plugin.jdbc.sqlite.Query
    url: jdbc:sqlite:%[3]s
    sql: |
      select u.id, u.email, u.created_at, u.birthday, u.wake_up, u.balance,
             u.active, u.tags, u.address, o.amount, o.ordered_at, o.note
      from users u join orders o on o.id = u.id where u.id in (3, 10, 20) order by u.id
    fetch: true
`, py, testdata(t, "tap.py"), db), nil)
	env.RequireState(ex, state.Success)
	rows := out(t, env, ex, "check", "rows").([]any)
	if len(rows) != 3 {
		t.Fatalf("rows = %v", rows)
	}
	want := []string{
		`map[active:false address:{"city":"City 3","zip":"00003"} amount:3.0093 balance:9.03 birthday:1970-04-22 created_at:2020-01-01T03:00:21.000003Z email:<nil> id:3 note:<nil> ordered_at:2020-01-01T00:03:00Z tags:["t3","all"] wake_up:03:03:21.000003]`,
		`map[active:true address:{"city":"City 0","zip":null} amount:10.0310 balance:30.10 birthday:1971-01-06 created_at:2020-01-01T10:01:10.00001Z email:u10@example.com id:10 note:note 10 ordered_at:2020-01-01T00:10:00Z tags:["t0","all"] wake_up:10:10:10.00001]`,
		`map[active:true address:<nil> amount:20.0620 balance:60.20 birthday:1972-01-11 created_at:2020-01-01T20:02:20.00002Z email:u20@example.com id:20 note:note 20 ordered_at:2020-01-01T00:20:00Z tags:["t0","all"] wake_up:20:20:20.00002]`,
	}
	for i, w := range want {
		if got := fmt.Sprint(rows[i]); got != w {
			t.Errorf("row %d\n got %s\nwant %s", i, got, w)
		}
	}
}
