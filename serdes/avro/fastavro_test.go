package avro

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/rows/rowstest"
)

// TestReadByFastavro checks the file with Python's fastavro, a third
// implementation (decimals as Python Decimal, µs timestamps, nulls). It
// skips when python3 or fastavro is not installed (pip install fastavro).
func TestReadByFastavro(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	if exec.Command(py, "-c", "import fastavro").Run() != nil {
		t.Skip("fastavro not installed (pip install fastavro)")
	}
	s, data := rowstest.AllKinds()
	path := filepath.Join(t.TempDir(), "x.avro")
	if err := os.WriteFile(path, write(t, s, data, WriteOptions{Codec: "deflate"}), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, fastavro
with open(sys.argv[1], "rb") as f:
    for r in fastavro.reader(f):
        print(r["id"], r["name"], r["amount"], repr(r["ratio"]), r["ok"], r["day"], r["at"].isoformat() if r["at"] else None,
              r["local"].isoformat(), r["tod"].isoformat(), r["raw"].hex(), r["tags"], r["bad_name_"] == r["bad_name_"], sep="|")
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := "1|é\"x|12.500|0.1|True|2021-01-02|2021-01-02T03:04:05.123456+00:00|1969-12-31T23:59:59.999999|23:59:59.999999|00ff|['a', None]|True\n" +
		"-9223372036854775808|None|-123456789012345678901234567.891|-1e+300|False|1969-12-31|None|1970-01-01T00:00:00|00:00:00||[]|True\n"
	if got := strings.ReplaceAll(string(out), "\r", ""); got != want {
		t.Errorf("fastavro read:\n%s\nwant:\n%s", got, want)
	}
}
