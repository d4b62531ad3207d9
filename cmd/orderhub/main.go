// Command orderhub runs the order hub: `serve` runs the server, `migrate`
// applies the database migrations, `demo` runs the whole flow on an
// embedded database against in-process platform fakes, and `version`
// prints the build.
//
// This package is the composition root: the only code that knows every
// other package. It holds wiring, not business rules.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/orderhub/orderhub/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `orderhub — order management hub for Shopify, WooCommerce and BigCommerce

Usage:
  orderhub serve   --config FILE    run the server (applies migrations first)
  orderhub migrate --config FILE    apply database migrations and exit
  orderhub demo                     run the demo on a temporary embedded database
  orderhub route   --config FILE --explain [--shop ID] [--inventory stock.csv] ORDER.json
                                    dry-run routing for one order; reserves nothing
  orderhub sign-webhook --config FILE --shop ID [--topic T] BODY.json
                                    print the headers of a correctly signed delivery
  orderhub inventory import --config FILE [--quiet] stock.csv
                                    set stock per location from a CSV (location,sku,on_hand)
  orderhub webhooks register|list --config FILE [--shop ID]
                                    create (idempotently) or show the platforms' webhook subscriptions
  orderhub notices rotate-key --config FILE
                                    sign new backorder notice links with a fresh key; the previous one
                                    works for notifications.previous_key_for, then is refused
  orderhub load [--orders N] [--rate R] [--database URL] [--redis URL] [--instances N [--kill K]] [--ship]
                                    drive hubs with signed webhooks of every platform; report throughput,
                                    latency and a same-run baseline, and check exactly-once processing
  orderhub version                  print the version
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "route":
		err = cmdRoute(ctx, args[1:], stdout, stderr)
	case "sign-webhook":
		err = cmdSignWebhook(ctx, args[1:], stdout, stderr)
	case "webhooks":
		err = cmdWebhooks(ctx, args[1:], stdout, stderr)
	case "inventory":
		err = cmdInventory(ctx, args[1:], stdout, stderr)
	case "notices":
		err = cmdNotices(ctx, args[1:], stdout, stderr)
	case "load":
		err = cmdLoad(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "orderhub", buildVersion())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "orderhub: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "orderhub %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(stderr, "orderhub %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if version != "" {
			return version
		}
		return "(devel)"
	}
	return describeBuild(version, bi)
}

// describeBuild names a build: the version set with -ldflags (else the
// module's, "(devel)" for a build from a checkout), the VCS revision Go
// stamped into it (with "-dirty" when the tree had changes), and the Go
// version. Go stamps the revision when it builds inside a git checkout
// with -buildvcs on, its default.
func describeBuild(ldVersion string, bi *debug.BuildInfo) string {
	v := ldVersion
	if v == "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	parts := []string{v}
	if rev != "" {
		parts = append(parts, "rev "+rev+dirty)
	}
	return strings.Join(append(parts, bi.GoVersion), " ")
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level: %q is not one of debug, info, warn, error", level)}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// configFlags parses "--config FILE" and the log level for a command.
func configFlags(name string, args []string, stderr io.Writer) (cfg config.Config, logger *slog.Logger, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "path to the YAML config file")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	if *path == "" {
		return cfg, nil, usageError{"--config FILE is required"}
	}
	if fs.NArg() > 0 {
		return cfg, nil, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if logger, err = newLogger(stderr, *level); err != nil {
		return cfg, nil, err
	}
	cfg, err = config.Load(*path)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, logger, cfg.Validate()
}

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, logger, err := configFlags("serve", args, stderr)
	if err != nil {
		return err
	}
	app, err := NewApp(ctx, cfg, AppOptions{Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		app.store.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return app.Serve(ctx, ln)
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, logger, err := configFlags("migrate", args, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, storeOptions(logger))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied to the %s database\n", st.Kind())
	return nil
}
