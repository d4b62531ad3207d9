package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"text/tabwriter"

	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
)

// webhookRow is one subscription, whatever the platform, as the webhooks
// command prints it.
type webhookRow struct {
	Topic  string // topic or scope
	Status string // register: created, exists, reactivated, updated; list: active, paused, disabled, inactive
	URL    string
	ID     string
}

// webhookAdmin is what the webhooks command needs of a platform client.
type webhookAdmin interface {
	register(ctx context.Context, url string) ([]webhookRow, error)
	list(ctx context.Context) ([]webhookRow, error)
}

const webhooksUsage = `usage:
  orderhub webhooks register --config FILE [--shop ID]   create the missing subscriptions
  orderhub webhooks list     --config FILE [--shop ID]   show the subscriptions
`

// cmdWebhooks implements `orderhub webhooks register|list --config FILE
// [--shop ID]`. register makes sure every shop (or the one named) has one
// subscription per topic orderhub needs, pointed at
// {public_url}/webhooks/{platform}/{shop id}; it lists first and creates
// only what is missing, so running it again changes nothing. list shows
// every subscription of each shop. A shop that fails is reported and the
// others still run; the command then fails.
func cmdWebhooks(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "register" && args[0] != "list") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, webhooksUsage)
			return flag.ErrHelp
		}
		fmt.Fprint(stderr, webhooksUsage)
		return usageError{"the subcommand must be register or list"}
	}
	sub := args[0]
	fs := flag.NewFlagSet("webhooks "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "path to the YAML config file")
	shopID := fs.String("shop", "", "only this shop (default: every shop)")
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
	shops := cfg.Shops
	if *shopID != "" {
		s, ok := cfg.Shop(*shopID)
		if !ok {
			return usageError{fmt.Sprintf("--shop: %q is not a shop in the config", *shopID)}
		}
		shops = []config.Shop{s}
	}
	if sub == "register" && cfg.PublicURL == "" {
		return usageError{"public_url must be set in the config: subscriptions point at it"}
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SHOP\tPLATFORM\tTOPIC\tSTATUS\tURL\tID")
	var failed []error
	for _, shop := range shops {
		admin, err := newWebhookAdmin(shop, logger)
		var rows []webhookRow
		if err == nil {
			if sub == "register" {
				rows, err = admin.register(ctx, hookURL(cfg, shop))
			} else {
				rows, err = admin.list(ctx)
			}
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("shop %s: %w", shop.ID, err))
			fmt.Fprintf(tw, "%s\t%s\t-\tfailed\t-\t-\n", shop.ID, shop.Platform)
			continue
		}
		if len(rows) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\tnone\t-\t-\n", shop.ID, shop.Platform)
		}
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", shop.ID, shop.Platform, r.Topic, r.Status, r.URL, r.ID)
		}
	}
	if *shopID == "" {
		failed = append(failed, providerWebhooks(ctx, cfg, logger, sub, tw)...)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(failed) > 0 {
		for _, e := range failed {
			fmt.Fprintln(stderr, "orderhub webhooks "+sub+":", e)
		}
		return fmt.Errorf("%d of %d shops failed: %w", len(failed), len(shops), errors.Join(failed...))
	}
	return nil
}

// newWebhookAdmin builds the platform client of a shop from its config.
func newWebhookAdmin(shop config.Shop, logger *slog.Logger) (webhookAdmin, error) {
	o := apiclient.Options{Shop: shop.ID, Logger: logger}
	switch shop.Platform {
	case config.PlatformShopify:
		c, err := shopify.NewClient(shopify.ClientConfig{BaseURL: shop.APIBaseURL, APIVersion: shop.APIVersion, AccessToken: shop.AccessToken, HTTP: o})
		if err != nil {
			return nil, err
		}
		return shopifyHooks{c}, nil
	case config.PlatformWooCommerce:
		c, err := woocommerce.NewClient(woocommerce.ClientConfig{BaseURL: shop.APIBaseURL, ConsumerKey: shop.ConsumerKey, ConsumerSecret: shop.ConsumerSecret, HTTP: o})
		if err != nil {
			return nil, err
		}
		return wooHooks{c, shop.WebhookSecret}, nil
	case config.PlatformBigCommerce:
		c, err := bigcommerce.NewClient(bigcommerce.ClientConfig{BaseURL: shop.APIBaseURL, StoreHash: shop.StoreHash, AccessToken: shop.AccessToken, HTTP: o})
		if err != nil {
			return nil, err
		}
		headers := map[string]string{}
		if a := shop.WebhookAuthHeader; a != nil {
			headers[a.Name] = a.Value
		}
		return bcHooks{c, headers}, nil
	}
	return nil, fmt.Errorf("platform %q has no webhook API", shop.Platform)
}

type shopifyHooks struct{ c *shopify.Client }

func (s shopifyHooks) register(ctx context.Context, url string) ([]webhookRow, error) {
	regs, err := s.c.RegisterWebhooks(ctx, url, shopify.WebhookTopics)
	rows := make([]webhookRow, len(regs))
	for i, r := range regs {
		rows[i] = webhookRow{Topic: r.Topic, Status: status(r.Created, false, false), URL: r.CallbackURL, ID: r.ID}
	}
	return rows, err
}

func (s shopifyHooks) list(ctx context.Context) ([]webhookRow, error) {
	hooks, err := s.c.ListWebhooks(ctx)
	rows := make([]webhookRow, len(hooks))
	for i, h := range hooks {
		rows[i] = webhookRow{Topic: h.Topic, Status: "active", URL: h.CallbackURL, ID: h.ID}
	}
	return rows, err
}

type wooHooks struct {
	c      *woocommerce.Client
	secret string
}

func (w wooHooks) register(ctx context.Context, url string) ([]webhookRow, error) {
	regs, err := w.c.RegisterWebhooks(ctx, url, w.secret, woocommerce.WebhookTopics)
	rows := make([]webhookRow, len(regs))
	for i, r := range regs {
		rows[i] = webhookRow{Topic: r.Topic, Status: status(r.Created, r.Reactivated, false), URL: r.DeliveryURL, ID: strconv.FormatInt(r.ID, 10)}
	}
	return rows, err
}

func (w wooHooks) list(ctx context.Context) ([]webhookRow, error) {
	hooks, err := w.c.ListWebhooks(ctx)
	rows := make([]webhookRow, len(hooks))
	for i, h := range hooks {
		rows[i] = webhookRow{Topic: h.Topic, Status: h.Status, URL: h.DeliveryURL, ID: strconv.FormatInt(h.ID, 10)}
	}
	return rows, err
}

type bcHooks struct {
	c       *bigcommerce.Client
	headers map[string]string
}

func (b bcHooks) register(ctx context.Context, url string) ([]webhookRow, error) {
	regs, err := b.c.RegisterWebhooks(ctx, url, bigcommerce.WebhookScopes, b.headers)
	rows := make([]webhookRow, len(regs))
	for i, r := range regs {
		rows[i] = webhookRow{Topic: r.Scope, Status: status(r.Created, false, r.Updated), URL: r.Destination, ID: strconv.FormatInt(r.ID, 10)}
	}
	return rows, err
}

func (b bcHooks) list(ctx context.Context) ([]webhookRow, error) {
	hooks, err := b.c.ListWebhooks(ctx)
	rows := make([]webhookRow, len(hooks))
	for i, h := range hooks {
		st := "active"
		if !h.IsActive {
			st = "inactive"
		}
		rows[i] = webhookRow{Topic: h.Scope, Status: st, URL: h.Destination, ID: strconv.FormatInt(h.ID, 10)}
	}
	return rows, err
}

func status(created, reactivated, updated bool) string {
	switch {
	case created:
		return "created"
	case reactivated:
		return "reactivated"
	case updated:
		return "updated"
	}
	return "exists"
}
