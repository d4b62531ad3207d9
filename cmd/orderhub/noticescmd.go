package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/notify"
)

const noticesUsage = "usage: orderhub notices rotate-key --config FILE"

// linkSettings are how the backorder notices' links are made and checked:
// their lifetime and the previous key's window from the config, on the
// app's clock.
func (a *App) linkSettings() notify.LinkSettings {
	return linkSettingsFrom(a.cfg, a.now)
}

func linkSettingsFrom(cfg config.Config, now func() time.Time) notify.LinkSettings {
	return notify.LinkSettings{PublicURL: cfg.PublicURL, TTL: cfg.Notifications.LinkTTL,
		PreviousFor: cfg.Notifications.PreviousKeyFor, Now: now}
}

// cmdNotices is `orderhub notices rotate-key --config FILE`: it makes a
// fresh key sign the backorder notices' wait/cancel links, on every
// instance at once (the keys live in the database). Links signed with the
// key it replaces keep working for notifications.previous_key_for (by
// default as long as they would anyway), then are refused; the key before
// that is dropped, so rotating twice refuses the old key at once.
func cmdNotices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate-key" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, noticesUsage)
			return flag.ErrHelp
		}
		return usageError{noticesUsage}
	}
	fs := flag.NewFlagSet("notices rotate-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "path to the YAML config file")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	logger, err := newLogger(stderr, *level)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	return rotateNoticeKey(ctx, cfg, stdout, time.Now, logger)
}

// rotateNoticeKey rotates the links' key in cfg's database on the clock
// now and says until when the previous key is accepted.
func rotateNoticeKey(ctx context.Context, cfg config.Config, stdout io.Writer, now func() time.Time, logger *slog.Logger) error {
	opts := storeOptions(logger)
	opts.Now = now
	st, err := openStore(ctx, cfg, opts)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	sec, err := notify.RotateLinkKey(ctx, st)
	if err != nil {
		return err
	}
	logger.InfoContext(ctx, "notice link key rotated")
	fmt.Fprintln(stdout, "notice link key rotated: new backorder notice links are signed with the new key")
	if sec.RetiredAt == nil {
		fmt.Fprintln(stdout, "there was no key before it")
		return nil
	}
	links := notify.Links{TTL: cfg.Notifications.LinkTTL, PreviousFor: cfg.Notifications.PreviousKeyFor}
	until := sec.RetiredAt.Add(links.PreviousWindow()).UTC()
	fmt.Fprintf(stdout, "links signed with the previous key work until %s (notifications.previous_key_for), then are refused\n",
		until.Format(time.RFC3339))
	return nil
}
