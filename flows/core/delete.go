package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/storage"
)

// Delete removes one file of internal storage (Kestra 0.4's
// storages.Delete).
type Delete struct {
	URI            string `yaml:"uri" required:"true" doc:"Storage URI of the file (sluice:/// or kestra:///)."`
	ErrorOnMissing bool   `yaml:"errorOnMissing" doc:"Fail when the file does not exist (otherwise outputs deleted: false)."`
}

// Run deletes the file.
func (d *Delete) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	u, err := storage.ParseURI(d.URI)
	if err != nil {
		return nil, err
	}
	deleted := true
	if _, err := rc.Storage().Stat(ctx, u); errors.Is(err, storage.ErrNotFound) {
		deleted = false
	} else if err != nil {
		return nil, err
	}
	if !deleted {
		if d.ErrorOnMissing {
			return nil, fmt.Errorf("unable to find file %s", u)
		}
		return plugin.Outputs{"uri": u.String(), "deleted": false}, nil
	}
	if err := rc.Storage().Delete(ctx, u); err != nil {
		return nil, err
	}
	return plugin.Outputs{"uri": u.String(), "deleted": true}, nil
}

func init() {
	plugin.Register(plugin.Info{
		ID: "storage.Delete", Aliases: []string{"io.kestra.core.tasks.storages.Delete", "io.kestra.plugin.core.storage.Delete"},
		Title: "Delete a file of internal storage.", New: func() any { return &Delete{} },
		Outputs: []plugin.Output{{Name: "uri", Doc: "The URI given."}, {Name: "deleted", Doc: "False when there was no such file."}},
	})
}
