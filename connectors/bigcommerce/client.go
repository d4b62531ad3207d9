package bigcommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

// HeaderAuthToken carries the API account's access token.
const HeaderAuthToken = "X-Auth-Token"

// DefaultBaseURL is BigCommerce's API host.
const DefaultBaseURL = "https://api.bigcommerce.com"

// WebhookScopes are the scopes orderhub subscribes a store to.
var WebhookScopes = []string{
	"store/order/created", "store/order/updated", "store/order/statusUpdated",
	"store/order/archived", "store/order/refund/created",
}

// ClientConfig is what a Client needs: plain values, so this package never
// reads orderhub's configuration.
type ClientConfig struct {
	BaseURL     string // default DefaultBaseURL; tests point it at a fake
	StoreHash   string // e.g. abc123
	AccessToken string
	// HTTP tunes retries, pacing, logging and the clock. Platform is set
	// to "bigcommerce" and the token is added to Secrets. The client
	// honours X-Rate-Limit-Requests-Left: at 0 the next call waits
	// X-Rate-Limit-Time-Reset-Ms.
	HTTP apiclient.Options
}

// Client is a thin BigCommerce REST client for the v2 orders API and the
// v3 webhooks API. It is the connector's only I/O. It is safe for
// concurrent use.
type Client struct {
	api   *apiclient.Client
	store string // base + /stores/{hash}
	token string
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "bigcommerce client: base URL %q is not an absolute http(s) URL without credentials or query", cfg.BaseURL)
	}
	if cfg.StoreHash == "" || strings.ContainsAny(cfg.StoreHash, "/?#% ") {
		return nil, orderhub.Errorf(orderhub.EInvalid, "bigcommerce client: store hash %q is not a bare hash such as abc123", cfg.StoreHash)
	}
	if cfg.AccessToken == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "bigcommerce client: access token is empty")
	}
	o := cfg.HTTP
	o.Platform = "bigcommerce"
	o.Secrets = append(append([]string(nil), o.Secrets...), cfg.AccessToken)
	return &Client{api: apiclient.New(o), store: u.String() + "/stores/" + cfg.StoreHash, token: cfg.AccessToken}, nil
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, in any) (*apiclient.Response, error) {
	r := apiclient.Request{Method: method, URL: c.store + path, Header: http.Header{}}
	if len(q) > 0 {
		r.URL += "?" + q.Encode()
	}
	r.Header.Set(HeaderAuthToken, c.token)
	r.Header.Set("Accept", "application/json")
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, orderhub.WrapError(orderhub.EInvalid, err, "bigcommerce API: cannot encode the request")
		}
		r.Body = b
		r.Header.Set("Content-Type", "application/json")
	}
	return c.api.Do(ctx, r)
}

// emptyList reports whether a v2 collection answer holds nothing: v2
// answers 204 No Content (or an empty body) instead of [].
func emptyList(r *apiclient.Response) bool {
	return r.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(r.Body)) == 0
}

// v2Page is the page size of v2 collections: the documented maximum.
const v2Page = 250

// listV2 reads every page of a v2 collection.
func (c *Client) listV2(ctx context.Context, path string, q url.Values) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for page := 1; ; page++ {
		qq := url.Values{}
		maps.Copy(qq, q)
		qq.Set("limit", strconv.Itoa(v2Page))
		qq.Set("page", strconv.Itoa(page))
		resp, err := c.do(ctx, http.MethodGet, path, qq, nil)
		if err != nil {
			return nil, err
		}
		if emptyList(resp) {
			return out, nil
		}
		var items []json.RawMessage
		if err := c.api.DecodeJSON(resp, "GET "+path, &items); err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < v2Page {
			return out, nil
		}
		if page >= 10000 {
			return nil, orderhub.Errorf(orderhub.EUnavailable, "bigcommerce API: %s pagination does not end", path)
		}
	}
}

// FetchOrder reads what NormalizeOrder needs for one order: the v2 order,
// its products and its shipping addresses. An order without shipping
// addresses (a digital order; the API answers 204) gets "[]". An unknown
// id is a NotFound error.
func (c *Client) FetchOrder(ctx context.Context, id string) (order, products, shippingAddresses []byte, err error) {
	if !isDigits(id) {
		return nil, nil, nil, orderhub.Errorf(orderhub.EInvalid, "bigcommerce API: order id %q is not a number", id)
	}
	resp, err := c.do(ctx, http.MethodGet, "/v2/orders/"+id, nil, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	if emptyList(resp) {
		return nil, nil, nil, orderhub.Errorf(orderhub.ENotFound, "bigcommerce API: order %s: empty answer", id)
	}
	products, shippingAddresses, err = c.FetchOrderSubresources(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	return resp.Body, products, shippingAddresses, nil
}

// FetchOrderSubresources reads an order's products and shipping addresses
// (every page), each as one JSON array. With an order already in hand from
// ListOrdersModifiedSince, it saves the order call.
func (c *Client) FetchOrderSubresources(ctx context.Context, id string) (products, shippingAddresses []byte, err error) {
	if !isDigits(id) {
		return nil, nil, orderhub.Errorf(orderhub.EInvalid, "bigcommerce API: order id %q is not a number", id)
	}
	p, err := c.listV2(ctx, "/v2/orders/"+id+"/products", nil)
	if err != nil {
		return nil, nil, err
	}
	s, err := c.listV2(ctx, "/v2/orders/"+id+"/shipping_addresses", nil)
	if err != nil {
		return nil, nil, err
	}
	return joinArray(p), joinArray(s), nil
}

func joinArray(items []json.RawMessage) []byte {
	if len(items) == 0 {
		return []byte("[]")
	}
	b, _ := json.Marshal(items)
	return b
}

// RFC2822 is the date format of the v2 API ("Tue, 20 Nov 2012 00:00:00
// +0000").
const RFC2822 = time.RFC1123Z

// ListOrdersModifiedSince returns every v2 order modified at or after since
// (GET /v2/orders?min_date_modified=...), 250 a page, as raw v2 order JSON
// ordered by id. Fetch each one's sub-resources with
// FetchOrderSubresources; OrderID reads the id.
func (c *Client) ListOrdersModifiedSince(ctx context.Context, since time.Time) ([]json.RawMessage, error) {
	q := url.Values{}
	q.Set("min_date_modified", since.UTC().Format(RFC2822))
	q.Set("sort", "id:asc")
	return c.listV2(ctx, "/v2/orders", q)
}

// OrderID returns the id of a raw v2 order as a string.
func OrderID(order json.RawMessage) (string, error) {
	var o struct {
		ID value `json:"id"`
	}
	if err := decodeJSON("bigcommerce order", order, &o); err != nil {
		return "", err
	}
	id, err := o.ID.ID("id")
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", orderhub.Errorf(orderhub.EInvalid, "bigcommerce order: id is missing")
	}
	return id, nil
}

// Hook is one webhook of the store (v3 /hooks).
type Hook struct {
	ID          int64             `json:"id"`
	Scope       string            `json:"scope"`
	Destination string            `json:"destination"`
	IsActive    bool              `json:"is_active"`
	Headers     map[string]string `json:"headers"`
	CreatedAt   int64             `json:"created_at"`
	UpdatedAt   int64             `json:"updated_at"`
}

// HookRegistration is the outcome of registering one scope.
type HookRegistration struct {
	Hook
	Created bool // a new hook was made
	Updated bool // an existing hook was reactivated or got new headers
}

type hooksPage struct {
	Data []Hook `json:"data"`
	Meta struct {
		Pagination struct {
			TotalPages  int `json:"total_pages"`
			CurrentPage int `json:"current_page"`
		} `json:"pagination"`
	} `json:"meta"`
}

// ListWebhooks returns every hook of the store, paging through
// meta.pagination.
func (c *Client) ListWebhooks(ctx context.Context) ([]Hook, error) {
	var out []Hook
	for page := 1; ; page++ {
		q := url.Values{}
		q.Set("page", strconv.Itoa(page))
		q.Set("limit", "250")
		resp, err := c.do(ctx, http.MethodGet, "/v3/hooks", q, nil)
		if err != nil {
			return nil, err
		}
		var p hooksPage
		if err := c.api.DecodeJSON(resp, "GET /v3/hooks", &p); err != nil {
			return nil, err
		}
		out = append(out, p.Data...)
		if len(p.Data) == 0 || page >= p.Meta.Pagination.TotalPages {
			return out, nil
		}
		if page >= 1000 {
			return nil, orderhub.Errorf(orderhub.EUnavailable, "bigcommerce API: hooks pagination does not end")
		}
	}
}

// RegisterWebhooks makes sure each scope has an active hook sending to
// destination with exactly headers (the custom auth header, if any). It
// lists the hooks first: a matching one is kept, one that BigCommerce
// deactivated (after 48 h of failures) or that carries other headers is
// updated with PUT, and only missing scopes are created. Running it twice
// changes nothing. BigCommerce requires destination to use port 443.
func (c *Client) RegisterWebhooks(ctx context.Context, destination string, scopes []string, headers map[string]string) ([]HookRegistration, error) {
	if u, err := url.Parse(destination); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "bigcommerce webhooks: destination %q is not absolute", destination)
	}
	if headers == nil {
		headers = map[string]string{}
	}
	existing, err := c.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]HookRegistration, 0, len(scopes))
	for _, scope := range scopes {
		var match *Hook
		for i := range existing {
			h := &existing[i]
			if h.Scope == scope && h.Destination == destination {
				if match == nil || (h.IsActive && !match.IsActive) {
					match = h
				}
			}
		}
		if match != nil && match.IsActive && sameHeaders(match.Headers, headers) {
			out = append(out, HookRegistration{Hook: *match})
			continue
		}
		var env struct {
			Data Hook `json:"data"`
		}
		var resp *apiclient.Response
		body := map[string]any{"scope": scope, "destination": destination, "is_active": true, "headers": headers}
		if match != nil {
			resp, err = c.do(ctx, http.MethodPut, "/v3/hooks/"+strconv.FormatInt(match.ID, 10), nil, body)
		} else {
			resp, err = c.do(ctx, http.MethodPost, "/v3/hooks", nil, body)
		}
		if err != nil {
			return nil, err
		}
		if err := c.api.DecodeJSON(resp, "/v3/hooks", &env); err != nil {
			return nil, err
		}
		if match != nil {
			*match = env.Data
			out = append(out, HookRegistration{Hook: env.Data, Updated: true})
		} else {
			existing = append(existing, env.Data)
			out = append(out, HookRegistration{Hook: env.Data, Created: true})
		}
	}
	return out, nil
}

func sameHeaders(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
