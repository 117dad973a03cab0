package testenv

import (
	"runtime"
	"testing"
)

// recorder stands in for testing.TB: it notes which of Skip or Fatal require
// called, and stops the calling goroutine as they do.
type recorder struct {
	skipped, fatal bool
	msg            string
}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) {
	r.skipped = true
	r.msg = args[0].(string)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.fatal = true
	r.msg = args[0].(string)
	runtime.Goexit()
}

// call runs require on its own goroutine, since Skip and Fatal end it.
func call(b backend) (value string, r *recorder) {
	r = &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		value = require(r, b)
	}()
	<-done
	return value, r
}

func TestRequire(t *testing.T) {
	const env = "SLUICE_TEST_TESTENV_PROBE"
	wantMsg := env + ` not set: run eval "$(integration/services/up)"`
	tests := []struct {
		name      string
		value, ci string
		inCI      bool
		want      string
		skip      bool
		fatal     bool
	}{
		{name: "set", value: "127.0.0.1:9092", want: "127.0.0.1:9092"},
		{name: "set in CI", value: "x", ci: "true", inCI: true, want: "x"},
		{name: "unset skips", skip: true},
		{name: "unset skips when CI is not true", ci: "false", inCI: true, skip: true},
		{name: "unset fails in CI", ci: "true", inCI: true, fatal: true},
		{name: "CI=1 counts as CI", ci: "1", inCI: true, fatal: true},
		{name: "unset skips in CI for a backend CI lacks", ci: "true", skip: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(env, tc.value)
			t.Setenv("CI", tc.ci)
			got, r := call(backend{env: env, inCI: tc.inCI})
			if got != tc.want || r.skipped != tc.skip || r.fatal != tc.fatal {
				t.Fatalf("require = %q, skipped %v, fatal %v; want %q, %v, %v", got, r.skipped, r.fatal, tc.want, tc.skip, tc.fatal)
			}
			if (tc.skip || tc.fatal) && r.msg != wantMsg {
				t.Errorf("message = %q, want %q", r.msg, wantMsg)
			}
		})
	}
}

func TestInCI(t *testing.T) {
	for ci, want := range map[string]bool{"true": true, "1": true, "TRUE": true, "": false, "false": false, "yes": false} {
		t.Setenv("CI", ci)
		if got := InCI(); got != want {
			t.Errorf("CI=%q: InCI() = %v, want %v", ci, got, want)
		}
	}
}

// TestAccessors checks that each exported function reads its own variable.
func TestAccessors(t *testing.T) {
	for name, f := range map[string]func(testing.TB) string{
		"SLUICE_TEST_MYSQL":           MySQL,
		"SLUICE_TEST_POSTGRES":        Postgres,
		"SLUICE_TEST_MSSQL":           MSSQL,
		"SLUICE_TEST_ODBC_MARIADB":    ODBCMariaDB,
		"SLUICE_TEST_ODBC_POSTGRES":   ODBCPostgres,
		"SLUICE_TEST_KAFKA":           Kafka,
		"SLUICE_TEST_SCHEMA_REGISTRY": SchemaRegistry,
		"SLUICE_TEST_SINGER":          Singer,
		"SLUICE_TEST_KCAT":            Kcat,
		"SLUICE_TEST_KAFKA_PYTHON":    KafkaPython,
	} {
		t.Setenv(name, "value of "+name)
		if got := f(t); got != "value of "+name {
			t.Errorf("accessor for %s returned %q", name, got)
		}
	}
}

// TestRequiredInCI: CI's machine starts every backend (SQL Server as
// Babelfish), so each one missing there fails.
func TestRequiredInCI(t *testing.T) {
	for _, b := range []backend{mysqlEnv, postgresEnv, mssqlEnv, odbcMariaDBEnv, odbcPostgresEnv, kafkaEnv, schemaRegistryEnv, singerEnv, kcatEnv, kafkaPythonEnv} {
		if !b.inCI {
			t.Errorf("%s is started in CI and must fail there when missing", b.env)
		}
	}
}
