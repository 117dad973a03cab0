package singer

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin"
)

// TestMaskConfigURLPasswords: a password inside a config value that is not
// under a secret-looking key (dsn: postgres://u:PASS@h/db) was printed in
// logs and errors.
func TestMaskConfigURLPasswords(t *testing.T) {
	rc := plugin.NewRunContext(plugin.RunConfig{})
	maskConfig(rc, map[string]any{
		"dsn":      "postgres://loader:Hunter2Pass@db.example.com:5432/app",
		"brokers":  []any{"kafka://svc:Br0ker%2Fpw@k1:9092"},
		"nested":   map[string]any{"url": "mysql://u:n3sted@h/db"},
		"password": "plainSecret",
		"host":     "db.example.com",
	})
	line := "connect postgres://loader:Hunter2Pass@db.example.com:5432/app failed; kafka://svc:Br0ker%2Fpw@k1:9092 (Br0ker/pw); mysql://u:n3sted@h/db; plainSecret"
	got := rc.Mask(line)
	for _, secret := range []string{"Hunter2Pass", "Br0ker%2Fpw", "Br0ker/pw", "n3sted", "plainSecret"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q left in %q", secret, got)
		}
	}
	if !strings.Contains(got, "db.example.com") || !strings.Contains(got, "loader") {
		t.Errorf("masked too much: %q", got)
	}
}
