package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/server"
)

func newServerCmd(g *globalFlags) *cobra.Command {
	var listen, dir string
	var workers int
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve Kestra 0.4's HTTP API, run triggers and execute flows (docs/server.md)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			if workers < 1 {
				return invalid(fmt.Errorf("--workers %d: at least 1", workers))
			}
			store, err := g.openStore()
			if err != nil {
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
			eng, err := g.newEngine(repo, store, log, progress.NewHub(nil, log, time.Minute))
			if err != nil {
				return err
			}
			eng.Workers = workers
			srv := &server.Server{Repo: repo, Flows: fs, Engine: eng, Logger: log}
			srv.Handler() // loads the stored flows before anything runs
			eng.OnEnd(srv.OnExecutionEnd)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := eng.Start(ctx); err != nil {
				return err
			}
			defer func() {
				// Running task runs get the grace period to finish, then are
				// handed back for the next start.
				sctx, cancel := context.WithTimeout(context.Background(), grace)
				defer cancel()
				srv.WaitTriggers()
				if err := eng.Shutdown(sctx); err != nil {
					log.Error("engine shutdown", "err", err)
				}
			}()
			if dir != "" {
				sync := &server.DirSync{Server: srv, Dir: dir}
				if err := sync.Sync(ctx); err != nil {
					return invalid(fmt.Errorf("--flows %s: %w", dir, err))
				}
				go sync.Run(ctx)
			}
			go srv.RunScheduler(ctx)
			go srv.RunWatchers(ctx)
			go srv.RunFlowRefresh(ctx, 5*time.Second)
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return invalid(fmt.Errorf("--listen %s: %w", listen, err))
			}
			log.Info("sluice server listening", "addr", "http://"+l.Addr().String(), "workers", workers)
			return srv.Serve(ctx, l, grace)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&dir, "flows", "", "folder of flow files stored at start and reloaded on change")
	cmd.Flags().IntVar(&workers, "workers", 16, "task runs running at once")
	cmd.Flags().DurationVar(&grace, "shutdown-grace", 30*time.Second, "how long requests and task runs in flight may take to finish on shutdown")
	return cmd
}
