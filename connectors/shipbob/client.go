package shipbob

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

// Defaults and headers.
const (
	DefaultBaseURL    = "https://api.shipbob.com"
	DefaultAPIVersion = "2026-01"
	// HeaderChannelID names the channel an order belongs to; lookups with
	// it see only orderhub's own orders, not other integrations'.
	HeaderChannelID = "shipbob_channel_id"
	// MaxPageSize is the largest Limit GET /order accepts.
	MaxPageSize = 250
	// HeaderTotalPages is how GET /order says how many pages there are.
	HeaderTotalPages = "total-pages"
)

// ClientConfig is what a Client needs: plain values, so this package never
// reads orderhub's configuration.
type ClientConfig struct {
	BaseURL    string // default DefaultBaseURL; tests point it at a fake
	APIVersion string // default DefaultAPIVersion, e.g. "2026-01" or "1.0"
	Token      string // personal access token (Bearer)
	ChannelID  string // the channel orders are created in
	// HTTP tunes retries, pacing, logging and the clock. Platform is set
	// to "shipbob" and the token is added to Secrets. The client honours
	// x-retry-after on 429 and paces on x-remaining-calls.
	HTTP apiclient.Options
}

// Client is a thin ShipBob REST client. It is safe for concurrent use.
type Client struct {
	api     *apiclient.Client
	base    string // base URL + "/" + version
	token   string
	channel string
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shipbob client: base URL %q is not an absolute http(s) URL without credentials or query", cfg.BaseURL)
	}
	v := cfg.APIVersion
	if v == "" {
		v = DefaultAPIVersion
	}
	if strings.ContainsAny(v, "/?# ") {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shipbob client: API version %q is not a version such as 2026-01", v)
	}
	if cfg.Token == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shipbob client: token is empty")
	}
	if _, err := strconv.ParseInt(cfg.ChannelID, 10, 32); err != nil {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shipbob client: channel id %q is not a number", cfg.ChannelID)
	}
	o := cfg.HTTP
	o.Platform = "shipbob"
	o.Secrets = append(append([]string(nil), o.Secrets...), cfg.Token)
	return &Client{api: apiclient.New(o), base: u.String() + "/" + v, token: cfg.Token, channel: cfg.ChannelID}, nil
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, in any) (*apiclient.Response, error) {
	r := apiclient.Request{Method: method, URL: c.base + path, Header: http.Header{}}
	if len(q) > 0 {
		r.URL += "?" + q.Encode()
	}
	r.Header.Set("Authorization", "Bearer "+c.token)
	r.Header.Set("Accept", "application/json")
	r.Header.Set(HeaderChannelID, c.channel)
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, orderhub.WrapError(orderhub.EInvalid, err, "shipbob API: cannot encode the request")
		}
		r.Body = b
		r.Header.Set("Content-Type", "application/json")
	}
	return c.api.Do(ctx, r)
}

// Address is a ShipBob postal address.
type Address struct {
	Address1    string `json:"address1"`
	Address2    string `json:"address2,omitempty"`
	CompanyName string `json:"company_name,omitempty"`
	City        string `json:"city"`
	State       string `json:"state,omitempty"`
	Country     string `json:"country"`
	ZipCode     string `json:"zip_code"`
}

// Recipient is who an order ships to.
type Recipient struct {
	Name        string  `json:"name"`
	Address     Address `json:"address"`
	Email       string  `json:"email,omitempty"`
	PhoneNumber string  `json:"phone_number,omitempty"`
}

// Product is one line of an order, by ShipBob product reference_id (the
// SKU).
type Product struct {
	ID             int64  `json:"id,omitempty"`
	ReferenceID    string `json:"reference_id"`
	Name           string `json:"name,omitempty"`
	Quantity       int64  `json:"quantity"`
	ExternalLineID int64  `json:"external_line_id,omitempty"`
}

// Tag is a name/value label on an order.
type Tag struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CreateOrderRequest is the body of POST /{version}/order.
type CreateOrderRequest struct {
	ShippingMethod string    `json:"shipping_method"`
	Recipient      Recipient `json:"recipient"`
	Products       []Product `json:"products"`
	ReferenceID    string    `json:"reference_id"`
	OrderNumber    string    `json:"order_number,omitempty"`
	Type           string    `json:"type"` // DTC
	Tags           []Tag     `json:"tags,omitempty"`
}

// Tracking is a shipment's carrier and tracking number. The logistics
// tracking_received event names the number tracking_id.
type Tracking struct {
	Carrier        string `json:"carrier,omitempty"`
	CarrierService string `json:"carrier_service,omitempty"`
	TrackingNumber string `json:"tracking_number,omitempty"`
	TrackingID     string `json:"tracking_id,omitempty"`
	TrackingURL    string `json:"tracking_url,omitempty"`
	ShippingDate   string `json:"shipping_date,omitempty"`
}

// Number returns the tracking number whichever field carries it.
func (t *Tracking) Number() string {
	if t == nil {
		return ""
	}
	if t.TrackingNumber != "" {
		return t.TrackingNumber
	}
	return t.TrackingID
}

// Shipment is one physical package of an order; ShipBob may split an
// order into several.
type Shipment struct {
	ID                 int64     `json:"id"`
	OrderID            int64     `json:"order_id"`
	ReferenceID        string    `json:"reference_id,omitempty"`
	Status             string    `json:"status"`
	Tracking           *Tracking `json:"tracking,omitempty"`
	IsTrackingUploaded bool      `json:"is_tracking_uploaded"`
}

// Order is ShipBob's Order view model, the fields orderhub reads.
type Order struct {
	ID          int64      `json:"id"`
	ReferenceID string     `json:"reference_id"`
	OrderNumber string     `json:"order_number,omitempty"`
	Status      string     `json:"status"`
	Products    []Product  `json:"products,omitempty"`
	Recipient   *Recipient `json:"recipient,omitempty"`
	Shipments   []Shipment `json:"shipments"`
	CreatedDate string     `json:"created_date,omitempty"`
}

// Shipment statuses ShipBob reports.
const (
	StatusProcessing   = "Processing"
	StatusLabelCreated = "LabelCreated"
	StatusCompleted    = "Completed"
	StatusDelivered    = "Delivered"
	StatusException    = "Exception"
	StatusOnHold       = "OnHold"
	StatusCancelled    = "Cancelled"
)

// FindOrderByReference returns the order of this channel whose
// reference_id is ref; found is false when there is none.
func (c *Client) FindOrderByReference(ctx context.Context, ref string) (o Order, found bool, err error) {
	if ref == "" {
		return Order{}, false, orderhub.Errorf(orderhub.EInvalid, "shipbob API: empty reference id")
	}
	q := url.Values{"ReferenceIds": {ref}, "Limit": {"50"}}
	resp, err := c.do(ctx, http.MethodGet, "/order", q, nil)
	if err != nil {
		return Order{}, false, err
	}
	var orders []Order
	if err := c.api.DecodeJSON(resp, "GET /order", &orders); err != nil {
		return Order{}, false, err
	}
	for _, o := range orders {
		if o.ReferenceID == ref {
			return o, true, nil
		}
	}
	return Order{}, false, nil
}

// CreateOrder posts one order as is. Prefer EnsureOrder, which never makes
// a second order for the same reference.
func (c *Client) CreateOrder(ctx context.Context, req CreateOrderRequest) (Order, error) {
	resp, err := c.do(ctx, http.MethodPost, "/order", nil, req)
	if err != nil {
		return Order{}, err
	}
	var o Order
	err = c.api.DecodeJSON(resp, "POST /order", &o)
	return o, err
}

// EnsureOrder returns the order for req.ReferenceID, creating it only when
// ShipBob has none: created says which. A 422 from the create is taken as
// "it exists" when the reference is then found (a retried POST whose first
// attempt landed); otherwise the 422 is returned.
func (c *Client) EnsureOrder(ctx context.Context, req CreateOrderRequest) (o Order, created bool, err error) {
	if o, found, err := c.FindOrderByReference(ctx, req.ReferenceID); err != nil || found {
		return o, false, err
	}
	o, err = c.CreateOrder(ctx, req)
	if err == nil {
		return o, true, nil
	}
	if orderhub.ErrorCode(err) != orderhub.EInvalid {
		return Order{}, false, err
	}
	existing, found, ferr := c.FindOrderByReference(ctx, req.ReferenceID)
	if ferr != nil || !found {
		return Order{}, false, err
	}
	return existing, false, nil
}

// ListOrdersParams filter GET /order; nil booleans do not filter.
type ListOrdersParams struct {
	HasTracking        *bool
	IsTrackingUploaded *bool
	Page               int // from 1
	Limit              int // up to MaxPageSize
}

// ListOrders returns one page of this channel's orders and the number of
// pages (0 when ShipBob did not say).
func (c *Client) ListOrders(ctx context.Context, p ListOrdersParams) (orders []Order, totalPages int, err error) {
	q := url.Values{}
	if p.HasTracking != nil {
		q.Set("HasTracking", strconv.FormatBool(*p.HasTracking))
	}
	if p.IsTrackingUploaded != nil {
		q.Set("IsTrackingUploaded", strconv.FormatBool(*p.IsTrackingUploaded))
	}
	if p.Page > 0 {
		q.Set("Page", strconv.Itoa(p.Page))
	}
	if p.Limit > 0 {
		q.Set("Limit", strconv.Itoa(min(p.Limit, MaxPageSize)))
	}
	resp, err := c.do(ctx, http.MethodGet, "/order", q, nil)
	if err != nil {
		return nil, 0, err
	}
	if err := c.api.DecodeJSON(resp, "GET /order", &orders); err != nil {
		return nil, 0, err
	}
	totalPages, _ = strconv.Atoi(resp.Header.Get(HeaderTotalPages))
	return orders, totalPages, nil
}

// maxPollPages bounds one poll; what is left waits for the next one.
const maxPollPages = 20

// UntrackedOrders returns the orders with tracking that orderhub has not
// marked as uploaded yet (HasTracking=true&IsTrackingUploaded=false), all
// pages up to a bound.
func (c *Client) UntrackedOrders(ctx context.Context) ([]Order, error) {
	yes, no := true, false
	var out []Order
	for page := 1; page <= maxPollPages; page++ {
		orders, total, err := c.ListOrders(ctx, ListOrdersParams{HasTracking: &yes, IsTrackingUploaded: &no, Page: page, Limit: MaxPageSize})
		if err != nil {
			return out, err
		}
		out = append(out, orders...)
		if len(orders) < MaxPageSize || (total > 0 && page >= total) {
			break
		}
	}
	return out, nil
}

// MarkTrackingUploaded tells ShipBob that orderhub has these shipments'
// tracking, so the next poll does not return them.
func (c *Client) MarkTrackingUploaded(ctx context.Context, shipmentIDs []int64) error {
	if len(shipmentIDs) == 0 {
		return nil
	}
	body := map[string]any{"is_tracking_uploaded": true, "shipment_ids": shipmentIDs}
	_, err := c.do(ctx, http.MethodPost, "/shipment:batchUpdateTrackingUpload", nil, body)
	return err
}

// Webhook is one subscription (the 2025-07+ V2 view model).
type Webhook struct {
	ID          string    `json:"id"`
	Topics      []string  `json:"topics"`
	URL         string    `json:"url"`
	Description string    `json:"description,omitempty"`
	Enabled     *bool     `json:"enabled,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// ListWebhooks returns every subscription, following the cursor.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	q := url.Values{"RecordsPerPage": {"100"}}
	for range 100 {
		resp, err := c.do(ctx, http.MethodGet, "/webhook", q, nil)
		if err != nil {
			return out, err
		}
		var page struct {
			Items []Webhook `json:"items"`
			Next  *string   `json:"next"`
		}
		if err := c.api.DecodeJSON(resp, "GET /webhook", &page); err != nil {
			return out, err
		}
		out = append(out, page.Items...)
		if page.Next == nil || *page.Next == "" {
			return out, nil
		}
		q = url.Values{"RecordsPerPage": {"100"}, "Cursor": {cursorOf(*page.Next)}}
	}
	return out, orderhub.Errorf(orderhub.EUnavailable, "shipbob API: GET /webhook pagination does not end")
}

// cursorOf reads the Cursor out of a next link, or takes it as the cursor.
func cursorOf(next string) string {
	if u, err := url.Parse(next); err == nil {
		if cur := u.Query().Get("Cursor"); cur != "" {
			return cur
		}
	}
	return next
}

// secretRE is the subscription secret ShipBob accepts.
var secretRE = regexp.MustCompile(`^whsec_[a-zA-Z0-9+/]{32}$`)

// ValidSubscriptionSecret reports whether ShipBob accepts secret on a
// subscription: "whsec_" and 32 base64 characters.
func ValidSubscriptionSecret(secret string) bool { return secretRE.MatchString(secret) }

// CreateWebhook subscribes url to topics, signed with secret.
func (c *Client) CreateWebhook(ctx context.Context, hookURL string, topics []string, secret, description string) (Webhook, error) {
	body := map[string]any{"topics": topics, "url": hookURL, "description": description}
	if secret != "" {
		body["secret"] = secret
	}
	resp, err := c.do(ctx, http.MethodPost, "/webhook", nil, body)
	if err != nil {
		return Webhook{}, err
	}
	var w Webhook
	err = c.api.DecodeJSON(resp, "POST /webhook", &w)
	return w, err
}

// Registration is what RegisterWebhooks did for one topic.
type Registration struct {
	Topic   string
	ID      string
	URL     string
	Created bool
}

// RegisterWebhooks makes sure url is subscribed to every topic: it lists
// the subscriptions first and creates one subscription for the topics no
// subscription of url covers, so running it again changes nothing. The
// secret must be one ShipBob accepts (ValidSubscriptionSecret), because
// the hub verifies deliveries with it.
func (c *Client) RegisterWebhooks(ctx context.Context, hookURL string, topics []string, secret string) ([]Registration, error) {
	if !ValidSubscriptionSecret(secret) {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shipbob webhooks: the provider's webhook_secret must be \"whsec_\" followed by 32 base64 characters for ShipBob to sign with it")
	}
	existing, err := c.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	var out []Registration
	var missing []string
	for _, t := range topics {
		found := false
		for _, w := range existing {
			if w.URL == hookURL && slices.Contains(w.Topics, t) {
				out = append(out, Registration{Topic: t, ID: w.ID, URL: w.URL})
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	w, err := c.CreateWebhook(ctx, hookURL, missing, secret, "orderhub fulfillment callbacks")
	if err != nil {
		return out, err
	}
	for _, t := range missing {
		out = append(out, Registration{Topic: t, ID: w.ID, URL: hookURL, Created: true})
	}
	return out, nil
}
