package shippo

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

// DefaultBaseURL is Shippo's API host.
const DefaultBaseURL = "https://api.goshippo.com"

// Transaction statuses.
const (
	TxWaiting = "WAITING"
	TxQueued  = "QUEUED"
	TxSuccess = "SUCCESS"
	TxError   = "ERROR"
)

// Track statuses.
const (
	TrackUnknown    = "UNKNOWN"
	TrackPreTransit = "PRE_TRANSIT"
	TrackTransit    = "TRANSIT"
	TrackDelivered  = "DELIVERED"
	TrackReturned   = "RETURNED"
	TrackFailure    = "FAILURE"
)

// ClientConfig is what a Client needs: plain values, so this package never
// reads orderhub's configuration.
type ClientConfig struct {
	BaseURL string // default DefaultBaseURL; tests point it at a fake
	APIKey  string // shippo_live_… or shippo_test_…
	// HTTP tunes retries, pacing, logging and the clock. Platform is set
	// to "shippo" and the key is added to Secrets.
	HTTP apiclient.Options
}

// Client is a thin Shippo REST client. It is safe for concurrent use.
type Client struct {
	api   *apiclient.Client // reads and idempotent calls, with retries
	once  *apiclient.Client // label purchases: one attempt each
	base  string
	key   string
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
	// maxWait is the longest 429 wait BuyLabel sleeps in-process.
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
		return nil, orderhub.Errorf(orderhub.EInvalid, "shippo client: base URL %q is not an absolute http(s) URL without credentials or query", cfg.BaseURL)
	}
	if cfg.APIKey == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shippo client: API key is empty")
	}
	o := cfg.HTTP
	o.Platform = "shippo"
	o.Secrets = append(append([]string(nil), o.Secrets...), cfg.APIKey)
	once := o
	once.MaxRetries = -1
	c := &Client{api: apiclient.New(o), once: apiclient.New(once), base: u.String(), key: cfg.APIKey, sleep: o.Sleep, now: o.Now, maxWait: o.MaxRetryAfter}
	if c.sleep == nil {
		c.sleep = apiclient.Sleep
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxWait <= 0 {
		c.maxWait = apiclient.DefaultMaxRetryAfter
	}
	return c, nil
}

func (c *Client) request(method, path string, q url.Values, in any) (apiclient.Request, error) {
	r := apiclient.Request{Method: method, URL: c.base + path, Header: http.Header{}}
	if len(q) > 0 {
		r.URL += "?" + q.Encode()
	}
	r.Header.Set("Authorization", "ShippoToken "+c.key)
	r.Header.Set("Accept", "application/json")
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return r, orderhub.WrapError(orderhub.EInvalid, err, "shippo API: cannot encode the request")
		}
		r.Body = b
		r.Header.Set("Content-Type", "application/json")
	}
	return r, nil
}

func (c *Client) call(ctx context.Context, api *apiclient.Client, method, path string, q url.Values, in, out any) error {
	r, err := c.request(method, path, q, in)
	if err != nil {
		return err
	}
	resp, err := api.Do(ctx, r)
	if err != nil {
		return err
	}
	return api.DecodeJSON(resp, method+" "+path, out)
}

// Address is a Shippo address.
type Address struct {
	Name    string `json:"name,omitempty"`
	Company string `json:"company,omitempty"`
	Street1 string `json:"street1"`
	Street2 string `json:"street2,omitempty"`
	City    string `json:"city"`
	State   string `json:"state,omitempty"`
	Zip     string `json:"zip"`
	Country string `json:"country"`
	Phone   string `json:"phone,omitempty"`
	Email   string `json:"email,omitempty"`
}

// Parcel is one package: inches and ounces.
type Parcel struct {
	Length       string `json:"length"`
	Width        string `json:"width"`
	Height       string `json:"height"`
	DistanceUnit string `json:"distance_unit"` // in
	Weight       string `json:"weight"`
	MassUnit     string `json:"mass_unit"` // oz
}

// ServiceLevel names a carrier's service.
type ServiceLevel struct {
	Name  string `json:"name"`
	Token string `json:"token"`
}

// Rate is one offer on a shipment. Amount is a decimal string; days is
// the estimate (older API versions say days, newer estimated_days).
type Rate struct {
	ObjectID      string       `json:"object_id"`
	Amount        string       `json:"amount"`
	Currency      string       `json:"currency"`
	Provider      string       `json:"provider"`
	ServiceLevel  ServiceLevel `json:"servicelevel"`
	Days          *int         `json:"days,omitempty"`
	EstimatedDays *int         `json:"estimated_days,omitempty"`
}

// DeliveryDays returns the estimate, 0 when unknown.
func (r Rate) DeliveryDays() int {
	switch {
	case r.EstimatedDays != nil:
		return *r.EstimatedDays
	case r.Days != nil:
		return *r.Days
	}
	return 0
}

// Shipment is a rated shipment.
type Shipment struct {
	ObjectID    string   `json:"object_id"`
	Status      string   `json:"status"`
	AddressFrom *Address `json:"address_from,omitempty"`
	AddressTo   *Address `json:"address_to,omitempty"`
	Rates       []Rate   `json:"rates"`
	Metadata    string   `json:"metadata"`
}

// Message is a note from Shippo or the carrier on a transaction.
type Message struct {
	Source string `json:"source"`
	Code   string `json:"code"`
	Text   string `json:"text"`
}

// Transaction is a label purchase.
type Transaction struct {
	ObjectID            string          `json:"object_id"`
	ObjectCreated       string          `json:"object_created"`
	Status              string          `json:"status"` // WAITING, QUEUED, SUCCESS, ERROR, ...
	Rate                json.RawMessage `json:"rate"`   // the rate id, or the rate object in lists
	TrackingNumber      string          `json:"tracking_number"`
	TrackingURLProvider string          `json:"tracking_url_provider"`
	LabelURL            string          `json:"label_url"`
	Metadata            string          `json:"metadata"`
	Messages            []Message       `json:"messages"`
}

// RateID returns the id of the rate bought, whichever shape Rate has.
func (t Transaction) RateID() string {
	var s string
	if json.Unmarshal(t.Rate, &s) == nil {
		return s
	}
	var r Rate
	if json.Unmarshal(t.Rate, &r) == nil {
		return r.ObjectID
	}
	return ""
}

// Problem joins the messages of a failed transaction.
func (t Transaction) Problem() string {
	var parts []string
	for _, m := range t.Messages {
		if m.Text != "" {
			parts = append(parts, strings.TrimSpace(m.Source+" "+m.Text))
		}
	}
	return strings.Join(parts, "; ")
}

// TrackingStatus is a track's current status.
type TrackingStatus struct {
	ObjectID      string `json:"object_id"`
	Status        string `json:"status"`
	StatusDetails string `json:"status_details"`
	StatusDate    string `json:"status_date"`
}

// Track is a tracking number's history at a carrier.
type Track struct {
	Carrier        string          `json:"carrier"`
	TrackingNumber string          `json:"tracking_number"`
	TrackingStatus *TrackingStatus `json:"tracking_status"`
	Metadata       string          `json:"metadata"`
	Transaction    string          `json:"transaction,omitempty"`
}

// Status returns the current status, UNKNOWN when there is none.
func (t Track) Status() string {
	if t.TrackingStatus == nil || t.TrackingStatus.Status == "" {
		return TrackUnknown
	}
	return t.TrackingStatus.Status
}

// ShipmentRequest is a shipment to rate.
type ShipmentRequest struct {
	From, To Address
	Parcel   Parcel
	Metadata string // orderhub's fulfillment id
}

// CreateShipment creates a shipment synchronously and returns it with its
// rates.
func (c *Client) CreateShipment(ctx context.Context, r ShipmentRequest) (Shipment, error) {
	body := map[string]any{"address_from": r.From, "address_to": r.To, "parcels": []Parcel{r.Parcel}, "async": false, "metadata": r.Metadata}
	var s Shipment
	if err := c.call(ctx, c.api, http.MethodPost, "/shipments/", nil, body, &s); err != nil {
		return Shipment{}, err
	}
	if s.ObjectID == "" {
		return Shipment{}, orderhub.Errorf(orderhub.EUnavailable, "shippo API: create shipment answered without an object_id")
	}
	return s, nil
}

// EnsureShipment creates a shipment for r.Metadata (orderhub's
// fulfillment id) without ever creating two: like BuyLabel, it sends the
// create once per attempt and, after an ambiguous failure, looks for a
// shipment with that metadata created since since before sending it again.
func (c *Client) EnsureShipment(ctx context.Context, r ShipmentRequest, since time.Time) (Shipment, error) {
	if r.Metadata == "" {
		return Shipment{}, orderhub.Errorf(orderhub.EInvalid, "shippo API: a shipment needs metadata to be created once")
	}
	body := map[string]any{"address_from": r.From, "address_to": r.To, "parcels": []Parcel{r.Parcel}, "async": false, "metadata": r.Metadata}
	return apiclient.CreateOnce(ctx, c.sleep, c.maxWait, func(ctx context.Context) (Shipment, error) {
		var s Shipment
		if err := c.call(ctx, c.once, http.MethodPost, "/shipments/", nil, body, &s); err != nil {
			return s, err
		}
		if s.ObjectID == "" {
			return s, orderhub.Errorf(orderhub.EUnavailable, "shippo API: create shipment answered without an object_id")
		}
		return s, nil
	}, func(ctx context.Context) (Shipment, bool, error) { return c.FindShipment(ctx, r.Metadata, since) })
}

// FindShipment returns a shipment with this metadata created at or after
// since; found is false when there is none.
func (c *Client) FindShipment(ctx context.Context, metadata string, since time.Time) (s Shipment, found bool, err error) {
	err = c.scan(ctx, "/shipments/", since, func(raw json.RawMessage) bool {
		var sh Shipment
		if json.Unmarshal(raw, &sh) == nil && sh.Metadata == metadata && sh.ObjectID != "" {
			s, found = sh, true
		}
		return found
	})
	return s, found, err
}

func validID(id string) bool { return id != "" && !strings.ContainsAny(id, "/?#% ") }

// GetShipment returns a shipment with its rates.
func (c *Client) GetShipment(ctx context.Context, id string) (Shipment, error) {
	if !validID(id) {
		return Shipment{}, orderhub.Errorf(orderhub.EInvalid, "shippo API: %q is not a shipment id", id)
	}
	var s Shipment
	err := c.call(ctx, c.api, http.MethodGet, "/shipments/"+id, nil, nil, &s)
	return s, err
}

// GetTransaction returns a transaction.
func (c *Client) GetTransaction(ctx context.Context, id string) (Transaction, error) {
	if !validID(id) {
		return Transaction{}, orderhub.Errorf(orderhub.EInvalid, "shippo API: %q is not a transaction id", id)
	}
	var t Transaction
	err := c.call(ctx, c.api, http.MethodGet, "/transactions/"+id, nil, nil, &t)
	return t, err
}

// GetTrack returns the track of a tracking number at a carrier (its
// Shippo token, e.g. usps).
func (c *Client) GetTrack(ctx context.Context, carrier, number string) (Track, error) {
	if !validID(carrier) || !validID(number) {
		return Track{}, orderhub.Errorf(orderhub.EInvalid, "shippo API: %q / %q is not a carrier and tracking number", carrier, number)
	}
	var t Track
	err := c.call(ctx, c.api, http.MethodGet, "/tracks/"+url.PathEscape(strings.ToLower(carrier))+"/"+url.PathEscape(number), nil, nil, &t)
	return t, err
}

// maxScanPages bounds a scan: 10 pages of 100 objects created since the
// fulfillment was.
const maxScanPages = 10

// scan pages through a list (newest first) of objects created since since
// until match returns true.
func (c *Client) scan(ctx context.Context, path string, since time.Time, match func(json.RawMessage) bool) error {
	for page := 1; page <= maxScanPages; page++ {
		q := url.Values{"results": {"100"}, "page": {strconv.Itoa(page)}}
		if !since.IsZero() {
			q.Set("object_created_gte", since.UTC().Add(-time.Minute).Format("2006-01-02T15:04:05"))
		}
		var list struct {
			Next    *string           `json:"next"`
			Results []json.RawMessage `json:"results"`
		}
		if err := c.call(ctx, c.api, http.MethodGet, path, q, nil, &list); err != nil {
			return err
		}
		for _, raw := range list.Results {
			if match(raw) {
				return nil
			}
		}
		if list.Next == nil || *list.Next == "" || len(list.Results) == 0 {
			return nil
		}
	}
	return nil
}

// FindTransaction returns a transaction with this metadata created at or
// after since that did not fail; found is false when there is none.
func (c *Client) FindTransaction(ctx context.Context, metadata string, since time.Time) (t Transaction, found bool, err error) {
	if metadata == "" {
		return Transaction{}, false, orderhub.Errorf(orderhub.EInvalid, "shippo API: empty metadata")
	}
	err = c.scan(ctx, "/transactions/", since, func(raw json.RawMessage) bool {
		var tx Transaction
		if json.Unmarshal(raw, &tx) == nil && tx.Metadata == metadata && tx.Status != TxError && tx.ObjectID != "" {
			t, found = tx, true
		}
		return found
	})
	return t, found, err
}

// BuyLabel buys rate rateID with metadata (orderhub's fulfillment id) and
// returns the transaction, QUEUED or done. Shippo has no idempotency key,
// so the purchase is sent once per attempt and, after a 5xx, a timeout or
// a lost answer, FindTransaction (labels bought since since) runs before
// any new purchase: a purchase that landed is never repeated. A 429 is
// waited out (up to the client's MaxRetryAfter) and sent again.
func (c *Client) BuyLabel(ctx context.Context, rateID, metadata string, since time.Time) (Transaction, error) {
	if !validID(rateID) || metadata == "" {
		return Transaction{}, orderhub.Errorf(orderhub.EInvalid, "shippo API: a label purchase needs a rate id and metadata")
	}
	body := map[string]any{"rate": rateID, "label_file_type": "PDF_4x6", "async": false, "metadata": metadata}
	return apiclient.CreateOnce(ctx, c.sleep, c.maxWait, func(ctx context.Context) (Transaction, error) {
		var t Transaction
		if err := c.call(ctx, c.once, http.MethodPost, "/transactions/", nil, body, &t); err != nil {
			return t, err
		}
		if t.ObjectID == "" {
			return t, orderhub.Errorf(orderhub.EUnavailable, "shippo API: label purchase answered without an object_id")
		}
		return t, nil
	}, func(ctx context.Context) (Transaction, bool, error) { return c.FindTransaction(ctx, metadata, since) })
}

// WaitTransaction polls a QUEUED or WAITING transaction every interval
// until it is done (SUCCESS, ERROR, ...) or maxWait has passed, and
// returns it as last seen.
func (c *Client) WaitTransaction(ctx context.Context, t Transaction, maxWait, interval time.Duration) (Transaction, error) {
	if interval <= 0 {
		interval = time.Second
	}
	deadline := c.now().Add(maxWait)
	polls := int(maxWait/interval) + 1 // bounds the loop under a fake clock too
	for ; Pending(t) && c.now().Before(deadline) && polls > 0; polls-- {
		if err := c.sleep(ctx, interval); err != nil {
			return t, orderhub.WrapError(orderhub.EUnavailable, err, "shippo API: waiting for label %s interrupted", t.ObjectID)
		}
		next, err := c.GetTransaction(ctx, t.ObjectID)
		if err != nil {
			return t, err
		}
		t = next
	}
	return t, nil
}

// Pending reports whether a transaction is still being processed.
func Pending(t Transaction) bool { return t.Status == TxQueued || t.Status == TxWaiting }
