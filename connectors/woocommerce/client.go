package woocommerce

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

// APIPath is where the REST API v3 lives under a site's URL.
const APIPath = "/wp-json/wc/v3"

// WebhookTopics are the topics orderhub subscribes a store to.
var WebhookTopics = []string{"order.created", "order.updated", "order.deleted"}

// ClientConfig is what a Client needs: plain values, so this package never
// reads orderhub's configuration.
type ClientConfig struct {
	BaseURL        string // the site URL, e.g. https://shop.example.com
	ConsumerKey    string // ck_...
	ConsumerSecret string // cs_...
	// HTTP tunes retries, pacing, logging and the clock. Platform is set
	// to "woocommerce" and both credentials are added to Secrets.
	HTTP apiclient.Options
}

// Client is a thin WooCommerce REST API v3 client, authenticated with HTTP
// Basic (consumer key and secret), which WooCommerce accepts over HTTPS.
// It is safe for concurrent use.
type Client struct {
	api  *apiclient.Client
	base string // site URL + APIPath
	key  string
	sec  string
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "woocommerce client: base URL %q is not an absolute http(s) URL without credentials or query", cfg.BaseURL)
	}
	if cfg.ConsumerKey == "" || cfg.ConsumerSecret == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "woocommerce client: consumer key and secret are required")
	}
	o := cfg.HTTP
	o.Platform = "woocommerce"
	o.Secrets = append(append([]string(nil), o.Secrets...), cfg.ConsumerKey, cfg.ConsumerSecret)
	return &Client{api: apiclient.New(o), base: u.String() + APIPath, key: cfg.ConsumerKey, sec: cfg.ConsumerSecret}, nil
}

func (c *Client) request(method, path string, q url.Values, body any) (apiclient.Request, error) {
	r := apiclient.Request{Method: method, URL: c.base + path, Header: http.Header{}}
	if len(q) > 0 {
		r.URL += "?" + q.Encode()
	}
	req, _ := http.NewRequest(method, "http://x", nil)
	req.SetBasicAuth(c.key, c.sec)
	r.Header.Set("Authorization", req.Header.Get("Authorization"))
	r.Header.Set("Accept", "application/json")
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return r, orderhub.WrapError(orderhub.EInvalid, err, "woocommerce API: cannot encode the request")
		}
		r.Body = b
		r.Header.Set("Content-Type", "application/json")
	}
	return r, nil
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) (*apiclient.Response, error) {
	r, err := c.request(method, path, q, in)
	if err != nil {
		return nil, err
	}
	resp, err := c.api.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := c.api.DecodeJSON(resp, method+" "+path, out); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// GetOrder returns one order as the v3 order JSON (the same as an order.*
// webhook body), ready for NormalizeOrder. An unknown id is NotFound.
func (c *Client) GetOrder(ctx context.Context, id string) (json.RawMessage, error) {
	if !isDigits(id) {
		return nil, orderhub.Errorf(orderhub.EInvalid, "woocommerce API: order id %q is not a number", id)
	}
	var raw json.RawMessage
	if _, err := c.do(ctx, http.MethodGet, "/orders/"+id, nil, nil, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// ListOrdersModifiedAfter returns every order modified after since (GMT),
// oldest id first, paging 100 at a time until X-WP-TotalPages. Ordering by
// id keeps the pages stable while orders change during the walk.
func (c *Client) ListOrdersModifiedAfter(ctx context.Context, since time.Time) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for page := 1; ; page++ {
		q := url.Values{}
		q.Set("modified_after", since.UTC().Format("2006-01-02T15:04:05"))
		q.Set("dates_are_gmt", "true")
		q.Set("per_page", "100")
		q.Set("page", strconv.Itoa(page))
		q.Set("orderby", "id")
		q.Set("order", "asc")
		var orders []json.RawMessage
		resp, err := c.do(ctx, http.MethodGet, "/orders", q, nil, &orders)
		if err != nil {
			return nil, err
		}
		out = append(out, orders...)
		total, ok := totalPages(resp.Header)
		if len(orders) == 0 || (ok && page >= total) || (!ok && len(orders) < 100) {
			return out, nil
		}
		if page >= 10000 {
			return nil, orderhub.Errorf(orderhub.EUnavailable, "woocommerce API: orders pagination does not end")
		}
	}
}

func totalPages(h http.Header) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-WP-TotalPages")))
	return n, err == nil && n >= 0
}

// Webhook is one webhook of the store, as GET /webhooks shows it (the
// secret is never shown back).
type Webhook struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"` // active, paused or disabled
	Topic       string `json:"topic"`  // e.g. order.created
	DeliveryURL string `json:"delivery_url"`
	APIVersion  string `json:"api_version,omitempty"`
}

// WebhookRegistration is the outcome of registering one topic.
type WebhookRegistration struct {
	Webhook
	Created     bool // a new webhook was made
	Reactivated bool // an existing webhook was paused or disabled and is active again
}

// ListWebhooks returns every webhook of the store, paging 100 at a time.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	for page := 1; ; page++ {
		q := url.Values{}
		q.Set("per_page", "100")
		q.Set("page", strconv.Itoa(page))
		var hooks []Webhook
		resp, err := c.do(ctx, http.MethodGet, "/webhooks", q, nil, &hooks)
		if err != nil {
			return nil, err
		}
		out = append(out, hooks...)
		total, ok := totalPages(resp.Header)
		if len(hooks) == 0 || (ok && page >= total) || (!ok && len(hooks) < 100) {
			return out, nil
		}
		if page >= 1000 {
			return nil, orderhub.Errorf(orderhub.EUnavailable, "woocommerce API: webhooks pagination does not end")
		}
	}
}

// RegisterWebhooks makes sure each topic has an active webhook delivering
// to deliveryURL, signed with secret. It lists the webhooks first: a
// matching active one is kept, a paused or disabled one (WooCommerce
// disables a webhook after repeated failed deliveries) is set active
// again, and only missing topics are created. Running it twice changes
// nothing. The secret of an existing webhook is not changed (WooCommerce
// never shows it, so it cannot be compared).
//
// On creation WooCommerce pings deliveryURL with a form-encoded
// "webhook_id=N" and needs a 200, so the hub must be reachable.
func (c *Client) RegisterWebhooks(ctx context.Context, deliveryURL, secret string, topics []string) ([]WebhookRegistration, error) {
	if u, err := url.Parse(deliveryURL); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "woocommerce webhooks: delivery URL %q is not absolute", deliveryURL)
	}
	if secret == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "woocommerce webhooks: a secret is required")
	}
	existing, err := c.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookRegistration, 0, len(topics))
	for _, topic := range topics {
		var match *Webhook
		for i := range existing {
			w := &existing[i]
			if w.Topic == topic && w.DeliveryURL == deliveryURL {
				if match == nil || (w.Status == "active" && match.Status != "active") {
					match = w
				}
			}
		}
		switch {
		case match != nil && match.Status == "active":
			out = append(out, WebhookRegistration{Webhook: *match})
		case match != nil:
			var w Webhook
			if _, err := c.do(ctx, http.MethodPut, "/webhooks/"+strconv.FormatInt(match.ID, 10), nil, map[string]any{"status": "active"}, &w); err != nil {
				return nil, err
			}
			*match = w
			out = append(out, WebhookRegistration{Webhook: w, Reactivated: true})
		default:
			var w Webhook
			body := map[string]any{
				"name":         "orderhub " + topic,
				"topic":        topic,
				"delivery_url": deliveryURL,
				"secret":       secret,
				"status":       "active",
			}
			if _, err := c.do(ctx, http.MethodPost, "/webhooks", nil, body, &w); err != nil {
				return nil, err
			}
			existing = append(existing, w)
			out = append(out, WebhookRegistration{Webhook: w, Created: true})
		}
	}
	return out, nil
}
