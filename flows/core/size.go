package core

import (
	"context"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/storage"
)

// Size reads the size of a file of internal storage (Kestra 0.4's
// storages.Size).
type Size struct {
	URI string `yaml:"uri" required:"true" doc:"Storage URI of the file (sluice:/// or kestra:///)."`
}

// Run stats the file.
func (s *Size) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	u, err := storage.ParseURI(s.URI)
	if err != nil {
		return nil, err
	}
	info, err := rc.Storage().Stat(ctx, u)
	if err != nil {
		return nil, err
	}
	return plugin.Outputs{"size": info.Size}, nil
}

func init() {
	plugin.Register(plugin.Info{
		ID: "storage.Size", Aliases: []string{"io.kestra.core.tasks.storages.Size", "io.kestra.plugin.core.storage.Size"},
		Title: "Read the size of a file of internal storage.", New: func() any { return &Size{} },
		Outputs: []plugin.Output{{Name: "size", Doc: "Size in bytes."}},
	})
}
