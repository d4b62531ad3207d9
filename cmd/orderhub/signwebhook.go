package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
)

// defaultTopics is the topic sign-webhook uses when --topic is not given.
var defaultTopics = map[string]string{
	config.PlatformShopify:     "orders/create",
	config.PlatformWooCommerce: "order.created",
	config.PlatformBigCommerce: "store/order/created",
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, which the flag package alone does not allow.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// loadConfig loads and validates the config file.
func loadConfig(path string) (config.Config, error) {
	if path == "" {
		return config.Config{}, usageError{"--config FILE is required"}
	}
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("invalid config:\n%w", err)
	}
	return cfg, nil
}

// hookURL is where orderhub takes a shop's webhooks.
func hookURL(cfg config.Config, shop config.Shop) string {
	return strings.TrimRight(cfg.PublicURL, "/") + "/webhooks/" + shop.Platform + "/" + url.PathEscape(shop.ID)
}

// cmdSignWebhook implements
//
//	orderhub sign-webhook --config FILE --shop ID [--topic T] BODY.json
//
// It prints the headers of a correctly signed delivery of BODY.json from
// that shop's platform, one "Name: value" per line, then a blank line and
// a curl command that posts it to {public_url}/webhooks/{platform}/{shop}.
// BigCommerce signatures carry a timestamp and are accepted for 5 minutes.
func cmdSignWebhook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sign-webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "path to the YAML config file")
	shopID := fs.String("shop", "", "the shop id in the config")
	topic := fs.String("topic", "", "the topic (Shopify, WooCommerce) or scope (BigCommerce); default: order created")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: orderhub sign-webhook --config FILE --shop ID [--topic T] BODY.json")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *shopID == "" {
		return usageError{"--shop ID is required"}
	}
	if len(pos) != 1 {
		return usageError{"exactly one BODY.json file is required"}
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	shop, ok := cfg.Shop(*shopID)
	if !ok {
		return usageError{fmt.Sprintf("--shop: %q is not a shop in the config (shops: %s)", *shopID, strings.Join(cfg.ShopIDs(), ", "))}
	}
	body, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if *topic == "" {
		*topic = defaultTopics[shop.Platform]
	}
	h, err := signedHeaders(shop, *topic, body, time.Now())
	if err != nil {
		return err
	}
	target := hookURL(cfg, shop)
	if cfg.PublicURL == "" {
		target = "http://" + cfg.Listen + "/webhooks/" + shop.Platform + "/" + url.PathEscape(shop.ID)
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var curl strings.Builder
	fmt.Fprintf(&curl, "curl -sS -X POST %s", shellQuote(target))
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(stdout, "%s: %s\n", k, v)
			fmt.Fprintf(&curl, " \\\n  -H %s", shellQuote(k+": "+v))
		}
	}
	fmt.Fprintf(&curl, " \\\n  --data-binary @%s\n", shellQuote(pos[0]))
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, curl.String())
	if shop.Platform == config.PlatformBigCommerce {
		fmt.Fprintln(stderr, "note: the BigCommerce signature carries a timestamp; it is accepted for 5 minutes")
	}
	return nil
}

// signedHeaders returns the headers the shop's platform would send with
// body, signed with the shop's configured secret.
func signedHeaders(shop config.Shop, topic string, body []byte, now time.Time) (http.Header, error) {
	switch shop.Platform {
	case config.PlatformShopify:
		return shopify.SignHeaders(shop.WebhookSecret, body, shopify.Delivery{
			Topic:       topic,
			ShopDomain:  shop.Domain,
			APIVersion:  shop.APIVersion,
			WebhookID:   uuid.NewString(),
			EventID:     uuid.NewString(),
			TriggeredAt: now.UTC(),
		}), nil
	case config.PlatformWooCommerce:
		source := shop.APIBaseURL
		if shop.Domain != "" {
			source = "https://" + shop.Domain
		}
		return woocommerce.SignHeaders(shop.WebhookSecret, body, woocommerce.Delivery{
			Source:     strings.TrimRight(source, "/") + "/",
			Topic:      topic,
			WebhookID:  "1",
			DeliveryID: randomHex(16),
		}), nil
	case config.PlatformBigCommerce:
		secret := shop.ClientSecret
		if secret == "" {
			secret = shop.WebhookSecret
		}
		h := http.Header{"Content-Type": {"application/json"}}
		if secret != "" {
			var err error
			if h, err = bigcommerce.SignHeaders(secret, "msg_"+randomHex(12), now, body); err != nil {
				return nil, err
			}
		}
		if a := shop.WebhookAuthHeader; a != nil {
			h.Set(a.Name, a.Value)
		}
		return h, nil
	}
	return nil, fmt.Errorf("shop %s: platform %q cannot sign webhooks", shop.ID, shop.Platform)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
