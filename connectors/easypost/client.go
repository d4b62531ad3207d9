package easypost

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	ep "github.com/EasyPost/easypost-go/v4"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

// DefaultBaseURL is EasyPost's API host; the client adds /v2/.
const DefaultBaseURL = "https://api.easypost.com"

// ClientConfig is what a Client needs: plain values, so this package never
// reads orderhub's configuration.
type ClientConfig struct {
	BaseURL string // default DefaultBaseURL; tests point it at a fake
	APIKey  string
	// HTTP tunes retries, pacing, logging and the clock. Platform is set
	// to "easypost" and the key is added to Secrets.
	HTTP apiclient.Options
}

// Client is an EasyPost client for labels and webhooks. It is safe for
// concurrent use.
type Client struct {
	api     *apiclient.Client // the retrying transport, for calls made without the SDK
	base    string            // …/v2
	key     string
	sdk     *ep.Client // with apiclient's retries
	once    *ep.Client // one attempt per call: creates that must not repeat
	sleep   func(context.Context, time.Duration) error
	maxWait time.Duration
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "easypost client: base URL %q is not an absolute http(s) URL without credentials or query", cfg.BaseURL)
	}
	if cfg.APIKey == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "easypost client: API key is empty")
	}
	if !strings.HasSuffix(u.Path, "/v2") {
		u.Path += "/v2"
	}
	u.Path += "/"
	o := cfg.HTTP
	o.Platform = "easypost"
	o.Secrets = append(append([]string(nil), o.Secrets...), cfg.APIKey)
	once := o
	once.MaxRetries = -1
	api := apiclient.New(o)
	sdk := func(api *apiclient.Client) *ep.Client {
		return &ep.Client{
			BaseURL: u,
			APIKey:  cfg.APIKey,
			Client:  &http.Client{Transport: transport{api: api}},
			// The transport bounds each attempt; this bounds the whole
			// call, retries and Retry-After waits included.
			Timeout:   int((apiclient.DefaultMaxRetryAfter * 4).Milliseconds()),
			UserAgent: "orderhub",
		}
	}
	c := &Client{api: api, base: strings.TrimSuffix(u.String(), "/"), key: cfg.APIKey, sdk: sdk(api), once: sdk(apiclient.New(once)), sleep: o.Sleep, maxWait: o.MaxRetryAfter}
	if c.sleep == nil {
		c.sleep = apiclient.Sleep
	}
	if c.maxWait <= 0 {
		c.maxWait = apiclient.DefaultMaxRetryAfter
	}
	return c, nil
}

// transport sends the SDK's requests through apiclient, so they get its
// retries, waits and error codes. A non-2xx answer comes back as the
// apiclient error, not as a response for the SDK to parse.
type transport struct{ api *apiclient.Client }

// RoundTrip implements http.RoundTripper.
func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	resp, err := t.api.Do(req.Context(), apiclient.Request{Method: req.Method, URL: req.URL.String(), Header: req.Header.Clone(), Body: body})
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status: http.StatusText(resp.StatusCode), StatusCode: resp.StatusCode, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(resp.Body)), ContentLength: int64(len(resp.Body)), Request: req,
	}, nil
}

// mapErr returns the apiclient error inside the SDK's error (the
// http.Client wraps it in a *url.Error), or an Unavailable error for the
// SDK's own failures (an answer it could not decode).
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var oe *orderhub.Error
	if errors.As(err, &oe) {
		return oe
	}
	return orderhub.WrapError(orderhub.EUnavailable, err, "easypost API: %s failed", what)
}

// Address, Parcel, Shipment, Rate, PostageLabel, Tracker, Webhook and
// DateTime are the SDK's types.
type (
	Address      = ep.Address
	Parcel       = ep.Parcel
	Shipment     = ep.Shipment
	Rate         = ep.Rate
	PostageLabel = ep.PostageLabel
	Tracker      = ep.Tracker
	Webhook      = ep.Webhook
	DateTime     = ep.DateTime
)

// ShipmentRequest is a shipment to rate.
type ShipmentRequest struct {
	Reference string // orderhub's fulfillment id
	To, From  Address
	Parcel    Parcel
}

// CreateShipment creates a shipment and returns it with its rates.
func (c *Client) CreateShipment(ctx context.Context, r ShipmentRequest) (*Shipment, error) {
	to, from, parcel := r.To, r.From, r.Parcel
	s, err := c.sdk.CreateShipmentWithContext(ctx, &ep.Shipment{Reference: r.Reference, ToAddress: &to, FromAddress: &from, Parcel: &parcel})
	if err != nil {
		return nil, mapErr(err, "create shipment")
	}
	if s == nil || s.ID == "" {
		return nil, orderhub.Errorf(orderhub.EUnavailable, "easypost API: create shipment answered without a shipment id")
	}
	return s, nil
}

// EnsureShipment creates a shipment for r.Reference (orderhub's
// fulfillment id) without ever creating two, though EasyPost has no
// idempotency key: the create is sent once per attempt and, after a 5xx,
// a timeout or a lost answer, FindShipment (shipments created since
// since) runs before it is sent again. A 429 is waited out and retried.
func (c *Client) EnsureShipment(ctx context.Context, r ShipmentRequest, since time.Time) (*Shipment, error) {
	if r.Reference == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "easypost API: a shipment needs a reference to be created once")
	}
	return apiclient.CreateOnce(ctx, c.sleep, c.maxWait, func(ctx context.Context) (*Shipment, error) {
		to, from, parcel := r.To, r.From, r.Parcel
		s, err := c.once.CreateShipmentWithContext(ctx, &ep.Shipment{Reference: r.Reference, ToAddress: &to, FromAddress: &from, Parcel: &parcel})
		if err != nil {
			return nil, mapErr(err, "create shipment")
		}
		if s == nil || s.ID == "" {
			return nil, orderhub.Errorf(orderhub.EUnavailable, "easypost API: create shipment answered without a shipment id")
		}
		return s, nil
	}, func(ctx context.Context) (*Shipment, bool, error) { return c.FindShipment(ctx, r.Reference, since) })
}

// maxScanPages bounds FindShipment: 5 pages of 100 shipments.
const maxScanPages = 5

// FindShipment returns the newest shipment with this reference created at
// or after since (a minute of clock skew allowed); found is false when
// there is none.
//
// It lists through apiclient directly: the SDK's ListShipments dereferences
// a nil result when the call fails.
func (c *Client) FindShipment(ctx context.Context, reference string, since time.Time) (*Shipment, bool, error) {
	q := url.Values{"page_size": {"100"}}
	if !since.IsZero() {
		q.Set("start_datetime", since.UTC().Add(-time.Minute).Format(time.RFC3339))
	}
	for range maxScanPages {
		req := apiclient.Request{Method: http.MethodGet, URL: c.base + "/shipments?" + q.Encode(), Header: http.Header{}}
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.key+":")))
		resp, err := c.api.Do(ctx, req)
		if err != nil {
			return nil, false, err
		}
		var page struct {
			Shipments []*Shipment `json:"shipments"`
			HasMore   bool        `json:"has_more"`
		}
		if err := c.api.DecodeJSON(resp, "GET /v2/shipments", &page); err != nil {
			return nil, false, err
		}
		for _, s := range page.Shipments {
			if s != nil && s.Reference == reference {
				return s, true, nil
			}
		}
		if !page.HasMore || len(page.Shipments) == 0 || page.Shipments[len(page.Shipments)-1] == nil {
			return nil, false, nil
		}
		q.Set("before_id", page.Shipments[len(page.Shipments)-1].ID)
	}
	return nil, false, nil
}

// GetShipment returns a shipment with its rates and, once bought, its
// label and tracking code.
func (c *Client) GetShipment(ctx context.Context, id string) (*Shipment, error) {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return nil, orderhub.Errorf(orderhub.EInvalid, "easypost API: %q is not a shipment id", id)
	}
	s, err := c.sdk.GetShipmentWithContext(ctx, id)
	if err != nil {
		return nil, mapErr(err, "get shipment")
	}
	if s == nil {
		return nil, orderhub.Errorf(orderhub.EUnavailable, "easypost API: get shipment answered nothing")
	}
	return s, nil
}

// Bought reports whether a shipment holds a label.
func Bought(s *Shipment) bool {
	return s != nil && s.TrackingCode != "" && s.PostageLabel != nil && s.PostageLabel.LabelURL != ""
}

// BuyShipment buys rate rateID of shipment id. When EasyPost refuses
// because the shipment is bought already (a retry of a buy that landed),
// it returns the bought shipment instead of the refusal.
func (c *Client) BuyShipment(ctx context.Context, id, rateID string) (*Shipment, error) {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return nil, orderhub.Errorf(orderhub.EInvalid, "easypost API: %q is not a shipment id", id)
	}
	s, err := c.sdk.BuyShipmentWithContext(ctx, id, &ep.Rate{ID: rateID}, "")
	if err == nil && Bought(s) {
		return s, nil
	}
	err = mapErr(err, "buy shipment")
	if err == nil {
		err = orderhub.Errorf(orderhub.EUnavailable, "easypost API: buy shipment %s answered without a label", id)
	}
	if code := orderhub.ErrorCode(err); code == orderhub.EInvalid || code == orderhub.EUnavailable {
		if cur, gerr := c.GetShipment(ctx, id); gerr == nil && Bought(cur) {
			return cur, nil
		}
	}
	return nil, err
}

// ListWebhooks returns the account's webhooks.
func (c *Client) ListWebhooks(ctx context.Context) ([]*Webhook, error) {
	hooks, err := c.sdk.ListWebhooksWithContext(ctx)
	return hooks, mapErr(err, "list webhooks")
}

// Registration is what EnsureWebhook did.
type Registration struct {
	ID      string
	URL     string
	Created bool // a new webhook
	Updated bool // an existing one was re-enabled and given the secret
}

// EnsureWebhook makes sure one webhook posts to hookURL signed with
// secret: it lists first, creates when none exists, and re-enables (with
// the secret) one that EasyPost disabled; running it again changes
// nothing.
func (c *Client) EnsureWebhook(ctx context.Context, hookURL, secret string) (Registration, error) {
	hooks, err := c.ListWebhooks(ctx)
	if err != nil {
		return Registration{}, err
	}
	for _, h := range hooks {
		if h == nil || h.URL != hookURL {
			continue
		}
		if h.DisabledAt == nil {
			return Registration{ID: h.ID, URL: h.URL}, nil
		}
		up, err := c.sdk.UpdateWebhookWithContext(ctx, h.ID, &ep.CreateUpdateWebhookOptions{WebhookSecret: secret})
		if err != nil {
			return Registration{}, mapErr(err, "update webhook")
		}
		return Registration{ID: up.ID, URL: up.URL, Updated: true}, nil
	}
	h, err := c.sdk.CreateWebhookWithDetailsWithContext(ctx, &ep.CreateUpdateWebhookOptions{URL: hookURL, WebhookSecret: secret})
	if err != nil {
		return Registration{}, mapErr(err, "create webhook")
	}
	return Registration{ID: h.ID, URL: h.URL, Created: true}, nil
}
