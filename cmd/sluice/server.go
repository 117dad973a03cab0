package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/server"
)

func newServerCmd(g *globalFlags) *cobra.Command {
	var listen, dir string
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve Kestra 0.4's HTTP API over the stored flows (docs/server.md)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			repo, err := g.openRepo()
			if err != nil {
				return err
			}
			defer repo.Close()
			fs, ok := repo.(state.FlowStore)
			if !ok {
				return fmt.Errorf("the state database does not store flows")
			}
			log := g.logger(cmd.ErrOrStderr())
			srv := &server.Server{Repo: repo, Flows: fs, Logger: log}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if dir != "" {
				sync := &server.DirSync{Server: srv, Dir: dir}
				if err := sync.Sync(ctx); err != nil {
					return invalid(fmt.Errorf("--flows %s: %w", dir, err))
				}
				go sync.Run(ctx)
			}
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return invalid(fmt.Errorf("--listen %s: %w", listen, err))
			}
			log.Info("sluice server listening", "addr", "http://"+l.Addr().String())
			return srv.Serve(ctx, l, grace)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&dir, "flows", "", "folder of flow files stored at start and reloaded on change")
	cmd.Flags().DurationVar(&grace, "shutdown-grace", 30*time.Second, "how long requests in flight may take to finish on shutdown")
	return cmd
}
