// Package crash_test kills the built sluice binary at random points of a
// MySQL → PostgreSQL load and checks that recovery (executions list, then
// restart or a new run) leaves the target with every row exactly once and
// no execution claiming to run.
package crash_test

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/integration/testenv"
	"github.com/sluicehq/sluice/internal/jdbcurl"
)

const (
	totalRows = 500_000
	trials    = 20
	testDB    = "sluice_crash"
)

var bin string

func TestMain(m *testing.M) { testenv.MainWithSluice(m, &bin) }

// database opens testDB on a server (created when missing) and returns its
// JDBC URL.
func database(t *testing.T, name, base string) (string, *sql.DB) {
	t.Helper()
	d := dialect.MustGet(name)
	cfg, err := d.ParseURL(base, jdbcurl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open(cfg.Driver, cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	switch name {
	case dialect.MySQL:
		_, err = admin.Exec("CREATE DATABASE IF NOT EXISTS " + testDB)
	case dialect.Postgres:
		var n int
		if err = admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", testDB).Scan(&n); err == nil && n == 0 {
			_, err = admin.Exec("CREATE DATABASE " + testDB)
		}
	}
	admin.Close()
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	url := strings.Replace(base, "/test", "/"+testDB, 1)
	cfg, err = d.ParseURL(url, jdbcurl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(cfg.Driver, cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return url, db
}

const flowTemplate = `id: crash-copy
namespace: sluice.crash
tasks:
  - id: query
    type: io.kestra.plugin.jdbc.mysql.Query
    url: %s
    sql: SELECT id, name, amount FROM src ORDER BY id
    store: true
  - id: load
    type: io.kestra.plugin.jdbc.postgresql.Batch
    url: %s
    from: "{{ outputs.query.uri }}"
    table: dst
    chunk: 10000
    loadsTable: sluice_loads_crash
`

type execution struct{ id, state string }

// TestKillTrials: a Batch killed after its COPY committed but before its
// task run was saved left the rows in the target and the execution
// RUNNING; the restart loaded them twice. Each trial kills the run (half
// at a random moment, half the instant the Batch logs its commit, the
// window where the task run is not saved yet), recovers the way an
// operator would and checks the target.
func TestKillTrials(t *testing.T) {
	myURL, my := database(t, dialect.MySQL, testenv.MySQL(t))
	pgURL, pg := database(t, dialect.Postgres, testenv.Postgres(t))
	var n int
	if err := my.QueryRow("SELECT count(*) FROM src").Scan(&n); err != nil || n != totalRows {
		for _, q := range []string{
			"DROP TABLE IF EXISTS src",
			// MariaDB's sequence engine makes the rows without a round trip each.
			fmt.Sprintf("CREATE TABLE src (id BIGINT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2)) AS SELECT seq AS id, CONCAT('name-', seq) AS name, seq / 100 AS amount FROM seq_1_to_%d", totalRows),
		} {
			if _, err := my.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	dir := t.TempDir()
	flow := filepath.Join(dir, "crash.yml")
	if err := os.WriteFile(flow, []byte(fmt.Sprintf(flowTemplate, myURL, pgURL)), 0o644); err != nil {
		t.Fatal(err)
	}
	resetTarget := func() {
		for _, q := range []string{"DROP TABLE IF EXISTS dst", "CREATE TABLE dst (id BIGINT, name TEXT, amount NUMERIC(12,2))"} {
			if _, err := pg.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
	}
	targetRows := func() (all, distinct int) {
		if err := pg.QueryRow("SELECT count(*), count(DISTINCT id) FROM dst").Scan(&all, &distinct); err != nil {
			t.Fatal(err)
		}
		return
	}
	sluice := func(home string, args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "SLUICE_HOME="+home)
		out, err := cmd.CombinedOutput()
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatal(err)
			}
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	executions := func(home string) []execution {
		out, code := sluice(home, "executions", "list")
		if code != 0 {
			t.Fatalf("executions list: exit %d\n%s", code, out)
		}
		var exs []execution
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && f[0] != "ID" && f[1] == "sluice.crash.crash-copy" {
				exs = append(exs, execution{f[0], f[2]})
			}
		}
		return exs
	}

	// A run that is not killed: the baseline, and the length of a run.
	resetTarget()
	home := filepath.Join(dir, "baseline")
	start := time.Now()
	if out, code := sluice(home, "run", flow); code != 0 {
		t.Fatalf("baseline run: exit %d\n%s", code, out)
	}
	runTime := time.Since(start)
	if all, distinct := targetRows(); all != totalRows || distinct != totalRows {
		t.Fatalf("baseline run loaded %d rows (%d distinct)", all, distinct)
	}
	t.Logf("an uninterrupted run takes %s", runTime.Round(time.Millisecond))

	count := trials
	if testing.Short() {
		count = 4
	}
	r := rand.New(rand.NewPCG(2026, 12))
	inWindow, alreadyLoaded := 0, 0
	for i := 0; i < count; i++ {
		resetTarget()
		home := filepath.Join(dir, fmt.Sprintf("trial-%02d", i))
		cmd := exec.Command(bin, "run", flow)
		cmd.Env = append(os.Environ(), "SLUICE_HOME="+home)
		var out bytes.Buffer
		cmd.Stdout = &out
		logs, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The Batch logs "batch done" right after its commit, before the
		// executor saves the task run: the window of the issue.
		committed := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(logs)
			seen := false
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
				if !seen && strings.Contains(sc.Text(), "batch done") {
					seen = true
					close(committed)
				}
			}
		}()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		how := ""
		if i%2 == 0 {
			delay := time.Duration(r.Int64N(int64(runTime)))
			how = "at " + delay.Round(time.Millisecond).String()
			select {
			case <-done:
			case <-time.After(delay):
			}
		} else {
			how = "at commit"
			select {
			case <-done:
			case <-committed:
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done

		before, _ := targetRows()
		exs := executions(home) // notices the dead owner: KILLED
		state := "none"
		switch len(exs) {
		case 0:
			// Killed before the execution was stored: run it again.
			if o, code := sluice(home, "run", flow); code != 0 {
				t.Fatalf("trial %d: new run: exit %d\n%s", i, code, o)
			}
		case 1:
			state = exs[0].state
			if state == "RUNNING" || state == "CREATED" {
				t.Fatalf("trial %d: execution %s still %s after its process died", i, exs[0].id, state)
			}
			if state != "SUCCESS" {
				o, code := sluice(home, "restart", exs[0].id)
				if code != 0 {
					t.Fatalf("trial %d: restart %s (%s): exit %d\n%s\nkilled run:\n%s", i, exs[0].id, state, code, o, out.String())
				}
				if strings.Contains(o, "already loaded") {
					alreadyLoaded++
				}
			}
		default:
			t.Fatalf("trial %d: %d executions", i, len(exs))
		}
		if before == totalRows && state != "SUCCESS" {
			inWindow++
		}
		all, distinct := targetRows()
		t.Logf("trial %2d: killed %s, execution %s, %d rows before recovery, %d after (%d distinct)", i, how, state, before, all, distinct)
		if all != totalRows || distinct != totalRows {
			t.Errorf("trial %d: %d rows lost, %d duplicated", i, max(0, totalRows-distinct), all-distinct)
		}
		for _, ex := range executions(home) {
			if ex.state != "SUCCESS" {
				t.Errorf("trial %d: execution %s left %s", i, ex.id, ex.state)
			}
		}
	}
	t.Logf("%d trials; %d killed after the commit and before the task run was saved, %d restarts found the load already committed", count, inWindow, alreadyLoaded)
}
