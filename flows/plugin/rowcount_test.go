package plugin_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/storage"
)

func TestRowCount(t *testing.T) {
	st, err := storage.NewLocal(filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	rc := plugin.NewRunContext(plugin.RunConfig{Namespace: "n", FlowID: "f", ExecutionID: "e", TaskID: "t", TaskRunID: "r", Store: st})
	ctx := context.Background()
	w, err := rc.CreateRows(ctx, "out", &rows.Schema{Fields: []rows.Field{{Name: "id", Kind: rows.KindInt}}})
	if err != nil {
		t.Fatal(err)
	}
	var row rows.Row
	for i := 0; i < 1234; i++ {
		row.Values = append(row.Values[:0], rows.Int(int64(i)))
		if err := w.Write(&row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n, ok := rc.RowCount(ctx, w.URI().String()); !ok || n != 1234 {
		t.Fatalf("RowCount = %d, %v", n, ok)
	}
	if _, ok := rc.RowCount(ctx, "sluice:///n/f/executions/e/absent.rows"); ok {
		t.Fatal("a count for an absent file")
	}
}
