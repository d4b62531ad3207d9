package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

// HeaderAccessToken carries the Admin API access token.
const HeaderAccessToken = "X-Shopify-Access-Token"

// WebhookTopics are the topics orderhub subscribes a shop to.
var WebhookTopics = []string{"orders/create", "orders/paid", "orders/updated", "orders/cancelled", "refunds/create"}

// ClientConfig is what a Client needs: plain values, so this package never
// reads orderhub's configuration.
type ClientConfig struct {
	BaseURL     string // https://{shop}.myshopify.com, or a fake
	APIVersion  string // e.g. "2025-07"
	AccessToken string // the Admin API access token (shpat_...)
	// HTTP tunes retries, pacing, logging and the clock. Platform is set
	// to "shopify" and the token is added to Secrets.
	HTTP apiclient.Options
}

// Client is a thin Shopify Admin API client: GraphQL for webhook
// subscriptions (and write-back), REST for listing orders in the same shape
// as the webhook bodies. It is safe for concurrent use.
type Client struct {
	api     *apiclient.Client
	base    string
	version string
	token   string
}

var apiVersionRE = regexp.MustCompile(`^(\d{4}-\d{2}|unstable)$`)

// NewClient checks cfg and returns a Client. A bad base URL, version or a
// missing token is an Invalid error.
func NewClient(cfg ClientConfig) (*Client, error) {
	base, err := baseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if !apiVersionRE.MatchString(cfg.APIVersion) {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shopify client: api version %q is not like 2025-07", cfg.APIVersion)
	}
	if cfg.AccessToken == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shopify client: access token is empty")
	}
	o := cfg.HTTP
	o.Platform = "shopify"
	o.Secrets = append(append([]string(nil), o.Secrets...), cfg.AccessToken)
	return &Client{api: apiclient.New(o), base: base, version: cfg.APIVersion, token: cfg.AccessToken}, nil
}

func baseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return "", orderhub.Errorf(orderhub.EInvalid, "shopify client: base URL %q is not an absolute http(s) URL without credentials or query", raw)
	}
	return u.String(), nil
}

func (c *Client) adminURL(path string) string {
	return c.base + "/admin/api/" + c.version + path
}

func (c *Client) header() http.Header {
	h := http.Header{}
	h.Set(HeaderAccessToken, c.token)
	h.Set("Accept", "application/json")
	return h
}

// ListOrdersUpdatedSince returns every order updated at or after since, in
// any status, as REST Order JSON without the {"order": ...} wrapper: the
// same shape as an orders/* webhook body, ready for NormalizeOrder. It
// uses the (legacy, still served to custom apps) REST endpoint
// GET orders.json with limit=250 and follows the Link rel="next" cursor.
func (c *Client) ListOrdersUpdatedSince(ctx context.Context, since time.Time) ([]json.RawMessage, error) {
	q := url.Values{}
	q.Set("status", "any")
	q.Set("updated_at_min", since.UTC().Format(time.RFC3339))
	q.Set("limit", "250")
	next := c.adminURL("/orders.json") + "?" + q.Encode()
	var out []json.RawMessage
	seen := map[string]bool{}
	for next != "" {
		if seen[next] {
			return nil, orderhub.Errorf(orderhub.EUnavailable, "shopify API: orders.json pagination loops")
		}
		seen[next] = true
		resp, err := c.api.Do(ctx, apiclient.Request{Method: http.MethodGet, URL: next, Header: c.header()})
		if err != nil {
			return nil, err
		}
		var page struct {
			Orders []json.RawMessage `json:"orders"`
		}
		if err := c.api.DecodeJSON(resp, "orders.json", &page); err != nil {
			return nil, err
		}
		out = append(out, page.Orders...)
		if next, err = c.nextLink(resp.Header); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetOrder returns one order as REST Order JSON without the wrapper (GET
// orders/{id}.json). An unknown id is a NotFound error.
func (c *Client) GetOrder(ctx context.Context, id string) (json.RawMessage, error) {
	if !isDigits(id) {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shopify API: order id %q is not a number", id)
	}
	resp, err := c.api.Do(ctx, apiclient.Request{Method: http.MethodGet, URL: c.adminURL("/orders/" + id + ".json"), Header: c.header()})
	if err != nil {
		return nil, err
	}
	var env struct {
		Order json.RawMessage `json:"order"`
	}
	if err := c.api.DecodeJSON(resp, "orders/{id}.json", &env); err != nil {
		return nil, err
	}
	if len(env.Order) == 0 || string(env.Order) == "null" {
		return nil, orderhub.Errorf(orderhub.EUnavailable, "shopify API: orders/%s.json has no order", id)
	}
	return env.Order, nil
}

// nextLink returns the rel="next" URL of a Link header, refusing one on
// another host: the access token must never leave the shop.
func (c *Client) nextLink(h http.Header) (string, error) {
	link := NextLink(h)
	if link == "" {
		return "", nil
	}
	u, err := url.Parse(link)
	if err != nil {
		return "", orderhub.Errorf(orderhub.EUnavailable, "shopify API: Link header is not a URL")
	}
	b, _ := url.Parse(c.base)
	if !u.IsAbs() {
		u = b.ResolveReference(u)
	}
	if u.Scheme != b.Scheme || u.Host != b.Host {
		return "", orderhub.Errorf(orderhub.EUnavailable, "shopify API: Link header points at another host (%s)", u.Host)
	}
	return u.String(), nil
}

var linkRE = regexp.MustCompile(`<([^>]*)>\s*((?:;\s*[^;,]*)*)`)

// NextLink returns the URL of the rel="next" entry of the Link headers, or
// "" when there is none.
func NextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, m := range linkRE.FindAllStringSubmatch(v, -1) {
			for _, p := range strings.Split(m[2], ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "rel") {
					for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
						if strings.EqualFold(rel, "next") {
							return m[1]
						}
					}
				}
			}
		}
	}
	return ""
}

// GraphQLError is one entry of a GraphQL answer's "errors".
type GraphQLError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

type graphQLCost struct {
	RequestedQueryCost float64 `json:"requestedQueryCost"`
	ThrottleStatus     struct {
		MaximumAvailable   float64 `json:"maximumAvailable"`
		CurrentlyAvailable float64 `json:"currentlyAvailable"`
		RestoreRate        float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

type graphQLAnswer struct {
	Data       json.RawMessage `json:"data"`
	Errors     []GraphQLError  `json:"errors"`
	Extensions struct {
		Cost *graphQLCost `json:"cost"`
	} `json:"extensions"`
}

// graphQLThrottled reads a GraphQL answer for THROTTLED and says how long
// the bucket needs to hold the query's cost again.
func graphQLThrottled(r *apiclient.Response) (time.Duration, bool) {
	var a graphQLAnswer
	if json.Unmarshal(r.Body, &a) != nil {
		return 0, false
	}
	for _, e := range a.Errors {
		if e.Extensions.Code != "THROTTLED" {
			continue
		}
		wait := time.Second
		if cost := a.Extensions.Cost; cost != nil && cost.ThrottleStatus.RestoreRate > 0 {
			missing := cost.RequestedQueryCost - cost.ThrottleStatus.CurrentlyAvailable
			if missing > 0 {
				wait = time.Duration(math.Ceil(missing/cost.ThrottleStatus.RestoreRate*1000)) * time.Millisecond
			}
		}
		return wait, true
	}
	return 0, false
}

// GraphQL runs one Admin GraphQL operation and decodes its "data" into
// data (when non-nil). Inputs go in variables, never spliced into query.
// THROTTLED answers are retried after the wait the cost extension implies;
// any other top-level error is an error: ACCESS_DENIED is Unauthorized,
// anything else Invalid with Shopify's messages. Mutation userErrors are in
// data and are the caller's to check.
func (c *Client) GraphQL(ctx context.Context, query string, variables map[string]any, data any) error {
	return c.graphQL(ctx, query, variables, data, false)
}

// graphQL is GraphQL; unsafe marks a mutation that creates something, which
// is then not retried blindly after a failure that may follow its effect
// (see apiclient.Request.Unsafe).
func (c *Client) graphQL(ctx context.Context, query string, variables map[string]any, data any, unsafe bool) error {
	payload := map[string]any{"query": query}
	if len(variables) > 0 {
		payload["variables"] = variables
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return orderhub.WrapError(orderhub.EInvalid, err, "shopify GraphQL: cannot encode variables")
	}
	h := c.header()
	h.Set("Content-Type", "application/json")
	resp, err := c.api.Do(ctx, apiclient.Request{
		Method: http.MethodPost, URL: c.adminURL("/graphql.json"), Header: h, Body: body,
		Throttled: graphQLThrottled, Unsafe: unsafe,
	})
	if err != nil {
		return err
	}
	var a graphQLAnswer
	if err := c.api.DecodeJSON(resp, "graphql.json", &a); err != nil {
		return err
	}
	if len(a.Errors) > 0 {
		code := orderhub.EInvalid
		msgs := make([]string, 0, len(a.Errors))
		for _, e := range a.Errors {
			if e.Extensions.Code == "ACCESS_DENIED" {
				code = orderhub.EUnauthorized
			}
			msgs = append(msgs, e.Message)
		}
		return orderhub.Errorf(code, "shopify GraphQL: %s", strings.Join(msgs, "; "))
	}
	if data == nil {
		return nil
	}
	if len(bytes.TrimSpace(a.Data)) == 0 || string(bytes.TrimSpace(a.Data)) == "null" {
		return orderhub.Errorf(orderhub.EUnavailable, "shopify GraphQL: the answer has no data")
	}
	dec := json.NewDecoder(bytes.NewReader(a.Data))
	dec.UseNumber()
	if err := dec.Decode(data); err != nil {
		return orderhub.WrapError(orderhub.EUnavailable, err, "shopify GraphQL: data is not the expected shape")
	}
	return nil
}

// UserError is an entry of a mutation's userErrors.
type UserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

// userErrors turns a mutation's userErrors into an Invalid error.
func userErrors(op string, errs []UserError) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		if len(e.Field) > 0 {
			msgs = append(msgs, strings.Join(e.Field, ".")+": "+e.Message)
		} else {
			msgs = append(msgs, e.Message)
		}
	}
	return orderhub.Errorf(orderhub.EInvalid, "shopify %s: %s", op, strings.Join(msgs, "; "))
}

// Webhook is one webhook subscription of the shop.
type Webhook struct {
	ID          string // gid://shopify/WebhookSubscription/...
	Topic       string // the REST form, e.g. "orders/create"
	CallbackURL string // "" for Pub/Sub and EventBridge subscriptions
	Format      string // JSON or XML
}

// WebhookRegistration is the outcome of registering one topic.
type WebhookRegistration struct {
	Webhook
	Created bool // false when a subscription already pointed at the URL
}

// GraphQLTopic turns a REST topic ("orders/create") into the GraphQL enum
// (ORDERS_CREATE); an enum is returned unchanged.
func GraphQLTopic(topic string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(topic), "/", "_"))
}

// RESTTopic turns a GraphQL topic enum (ORDERS_CREATE) into the REST form
// (orders/create). Resources with an underscore in their name (fulfillment
// orders, ...) are recognised from a list of known prefixes.
func RESTTopic(enum string) string {
	s := strings.ToLower(strings.TrimSpace(enum))
	for _, p := range multiWordResources {
		if rest, ok := strings.CutPrefix(s, p+"_"); ok {
			return p + "/" + rest
		}
	}
	res, ev, ok := strings.Cut(s, "_")
	if !ok {
		return s
	}
	return res + "/" + ev
}

var multiWordResources = []string{
	"fulfillment_orders", "fulfillment_holds", "fulfillment_events", "inventory_items",
	"inventory_levels", "order_transactions", "draft_orders", "customer_groups",
	"product_listings", "selling_plan_groups", "shipping_addresses", "tender_transactions",
	"subscription_contracts", "subscription_billing_attempts", "customer_payment_methods",
	"app_subscriptions", "app_purchases_one_time", "bulk_operations",
}

const webhookFields = `id topic format endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } }`

type webhookNode struct {
	ID       string `json:"id"`
	Topic    string `json:"topic"`
	Format   string `json:"format"`
	Endpoint struct {
		Typename    string `json:"__typename"`
		CallbackURL string `json:"callbackUrl"`
	} `json:"endpoint"`
}

func (n webhookNode) webhook() Webhook {
	return Webhook{ID: n.ID, Topic: RESTTopic(n.Topic), CallbackURL: n.Endpoint.CallbackURL, Format: n.Format}
}

const listWebhooksQuery = `query ListWebhooks($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    edges { node { ` + webhookFields + ` } }
    pageInfo { hasNextPage endCursor }
  }
}`

// ListWebhooks returns every webhook subscription this app has on the
// shop, paging 100 at a time.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	vars := map[string]any{"first": 100}
	for page := 0; ; page++ {
		if page > 1000 {
			return nil, orderhub.Errorf(orderhub.EUnavailable, "shopify GraphQL: webhookSubscriptions pagination does not end")
		}
		var data struct {
			WebhookSubscriptions struct {
				Edges []struct {
					Node webhookNode `json:"node"`
				} `json:"edges"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"webhookSubscriptions"`
		}
		if err := c.GraphQL(ctx, listWebhooksQuery, vars, &data); err != nil {
			return nil, err
		}
		for _, e := range data.WebhookSubscriptions.Edges {
			out = append(out, e.Node.webhook())
		}
		pi := data.WebhookSubscriptions.PageInfo
		if !pi.HasNextPage || pi.EndCursor == "" {
			return out, nil
		}
		vars["after"] = pi.EndCursor
	}
}

const createWebhookMutation = `mutation CreateWebhook($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { ` + webhookFields + ` }
    userErrors { field message }
  }
}`

// RegisterWebhooks makes sure each topic (REST form, e.g. "orders/create")
// has a JSON subscription pointed at callbackURL. It lists the existing
// subscriptions first and creates only the missing ones, so running it
// twice changes nothing. The result has one entry per topic, in order.
func (c *Client) RegisterWebhooks(ctx context.Context, callbackURL string, topics []string) ([]WebhookRegistration, error) {
	if u, err := url.Parse(callbackURL); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, orderhub.Errorf(orderhub.EInvalid, "shopify webhooks: callback URL %q is not absolute", callbackURL)
	}
	existing, err := c.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookRegistration, 0, len(topics))
	for _, topic := range topics {
		enum := GraphQLTopic(topic)
		if enum == "" {
			return nil, orderhub.Errorf(orderhub.EInvalid, "shopify webhooks: empty topic")
		}
		found := false
		for _, w := range existing {
			if GraphQLTopic(w.Topic) == enum && w.CallbackURL == callbackURL {
				out = append(out, WebhookRegistration{Webhook: w})
				found = true
				break
			}
		}
		if found {
			continue
		}
		var data struct {
			WebhookSubscriptionCreate struct {
				WebhookSubscription *webhookNode `json:"webhookSubscription"`
				UserErrors          []UserError  `json:"userErrors"`
			} `json:"webhookSubscriptionCreate"`
		}
		vars := map[string]any{
			"topic":               enum,
			"webhookSubscription": map[string]any{"callbackUrl": callbackURL, "format": "JSON"},
		}
		if err := c.GraphQL(ctx, createWebhookMutation, vars, &data); err != nil {
			return nil, err
		}
		res := data.WebhookSubscriptionCreate
		if err := userErrors("webhookSubscriptionCreate "+enum, res.UserErrors); err != nil {
			return nil, err
		}
		if res.WebhookSubscription == nil {
			return nil, orderhub.Errorf(orderhub.EUnavailable, "shopify webhookSubscriptionCreate %s: no subscription in the answer", enum)
		}
		w := res.WebhookSubscription.webhook()
		existing = append(existing, w)
		out = append(out, WebhookRegistration{Webhook: w, Created: true})
	}
	return out, nil
}
