package jdbc

import (
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin"
)

func TestRegistered(t *testing.T) {
	for _, d := range []struct{ id, kestra string }{
		{"mysql", "mysql"}, {"sqlserver", "sqlserver"}, {"vectorwise", "vectorwise"}, {"postgres", "postgresql"}, {"sqlite", "sqlite"},
	} {
		for _, kind := range []string{"Query", "Batch"} {
			info, ok := plugin.Lookup("io.kestra.plugin.jdbc." + d.kestra + "." + kind)
			if !ok || info.ID != "jdbc."+d.id+"."+kind {
				t.Fatalf("alias io.kestra.plugin.jdbc.%s.%s not registered as jdbc.%s.%s", d.kestra, kind, d.id, kind)
			}
			spec, err := plugin.SpecOf(reflect.TypeOf(info.New()))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]string{
				"Query": {"url", "username", "password", "timeZoneId", "sql", "fetchOne", "fetch", "store", "fetchSize"},
				"Batch": {"url", "username", "password", "timeZoneId", "from", "sql", "table", "columns", "chunk", "transaction", "mode", "keys", "createTable", "ddlOnly", "onNewColumn", "method", "exactlyOnce", "loadsTable", "retryCodes", "retryMessages", "retryMaxAttempts", "retryInterval"},
			}[kind]
			if d.id == "vectorwise" {
				want = append(want, "driver", "odbcConnectionString")
			}
			if got := spec.Names(); !reflect.DeepEqual(got, want) {
				t.Errorf("%s properties = %v, want %v", info.ID, got, want)
			}
			if p, _ := spec.Property("password"); !p.Secret {
				t.Errorf("%s: password is not secret", info.ID)
			}
			if _, ok := info.New().(plugin.Validator); !ok {
				t.Errorf("%s has no Validate", info.ID)
			}
		}
	}
}
