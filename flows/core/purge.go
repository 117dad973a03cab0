package core

import (
	"context"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/storage"
)

// PurgeExecution deletes every file of internal storage the running
// execution wrote so far: its inputs and the files of its task runs
// (Kestra 0.4's storages.PurgeExecution). Put it last.
type PurgeExecution struct{}

// Run deletes the execution's files.
func (p *PurgeExecution) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	prefix := storage.ExecutionPrefix(rc.Namespace(), rc.FlowID(), rc.ExecutionID())
	files, err := rc.Storage().List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	uris := make([]string, 0, len(files))
	for _, f := range files {
		if err := rc.Storage().Delete(ctx, f.URI); err != nil {
			return nil, err
		}
		uris = append(uris, f.URI.String())
	}
	if err := rc.Storage().DeletePrefix(ctx, prefix); err != nil {
		return nil, err
	}
	rc.Logger().Info("purged the execution's files", "files", len(uris))
	return plugin.Outputs{"uris": uris}, nil
}

func init() {
	plugin.Register(plugin.Info{
		ID: "storage.PurgeExecution", Aliases: []string{"io.kestra.core.tasks.storages.PurgeExecution", "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles"},
		Title: "Delete the files the running execution stored.", New: func() any { return &PurgeExecution{} },
		Outputs: []plugin.Output{{Name: "uris", Doc: "The deleted files."}},
	})
}
