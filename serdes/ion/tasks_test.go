package ion

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/storage"
)

func TestTasks(t *testing.T) {
	env := plugintest.New(t)
	path := filepath.Join(t.TempDir(), "k.ion")
	os.WriteFile(path, []byte(kestraIon), 0o644)
	info, _ := plugin.Lookup("serdes.ion.Reader")
	r := info.New().(*Reader)
	r.From = path
	out, err := env.Run(r, "fromion")
	if err != nil {
		t.Fatal(err)
	}
	if out["count"] != int64(2) {
		t.Fatalf("count %v", out["count"])
	}
	info, _ = plugin.Lookup("serdes.ion.Writer")
	w := info.New().(*Writer)
	w.From = out["uri"].(string)
	out2, err := env.Run(w, "toion")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := storage.ParseURI(out2["uri"].(string))
	f, _ := env.Store.Open(context.Background(), u)
	b, _ := io.ReadAll(f)
	f.Close()
	_, want := readAll(t, kestraIon)
	_, got := readAll(t, string(b))
	for i := range want {
		for j := range want[i].Values {
			if !got[i].Values[j].Equal(want[i].Values[j]) {
				t.Errorf("row %d col %d: %v != %v", i, j, got[i].Values[j], want[i].Values[j])
			}
		}
	}
}
