package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// config is the optional configuration file (--config, default
// ~/.sluice/config.yml): values every flow can read.
type config struct {
	// Globals is {{ globals.* }} (Kestra's global variables).
	Globals map[string]any `yaml:"globals"`
	// Vars are defaults for {{ vars.* }}; a flow's own variables and
	// --var win over them.
	Vars map[string]any `yaml:"vars"`
}

func (g *globalFlags) loadConfig() (*config, error) {
	path, explicit := g.config, true
	if path == "" {
		path, explicit = filepath.Join(g.home(), "config.yml"), false
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return &config{}, nil
	}
	if err != nil {
		return nil, invalid(fmt.Errorf("config: %w", err))
	}
	var c config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, invalid(fmt.Errorf("config %s: %w", path, err))
	}
	return &c, nil
}
