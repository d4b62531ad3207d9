// Package config owns orderhub's configuration: the Config value that
// mirrors the YAML file, its defaults, loading it with ${ENV_VAR} secrets,
// and validating it with errors that name the field and the bad value.
//
// There is no global config. The composition root loads one Config, checks
// it with Validate, and passes the parts each component needs as plain
// values; no package reads configuration on its own. This package does no
// I/O beyond reading the file it is given, and it must never log or print a
// secret: use Redacted or String to show a Config.
package config

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// Platforms a shop can be on.
const (
	PlatformShopify     = "shopify"
	PlatformWooCommerce = "woocommerce"
	PlatformBigCommerce = "bigcommerce"
)

// Provider kinds: ShipBob is a 3PL; EasyPost and Shippo buy labels.
const (
	ProviderShipBob  = "shipbob"
	ProviderEasyPost = "easypost"
	ProviderShippo   = "shippo"
)

// Ways Shippo callbacks prove where they come from. Shippo cannot sign
// every webhook, so the default is a secret token in the callback URL.
const (
	ShippoAuthURLToken = "url_token"
	ShippoAuthHMAC     = "hmac"
)

// Routing rules, applied in the configured order as tie-breakers.
const (
	RuleMinimizeSplits   = "minimize_splits"
	RuleClosest          = "closest"
	RulePriority         = "priority"
	RuleStayInMarket     = "stay_in_market"
	RuleCheapestDropship = "cheapest_dropship"
)

// Backorder policies: notify takes the order and tells the customer; deny
// refuses to hold a backorder.
const (
	BackordersNotify = "notify"
	BackordersDeny   = "deny"
)

// Label-buying rules for a location's shipping provider.
const (
	ShippingCheapest = "cheapest"
	ShippingFastest  = "fastest"
)

// Defaults that apply to one item of a list, filled in by Parse because a
// list item cannot be pre-filled before the YAML says how many there are.
const (
	DefaultShopifyAPIVersion = "2025-07"
	DefaultCurrency          = "USD"
	DefaultBigCommerceAPI    = "https://api.bigcommerce.com"
	DefaultShipBobAPI        = "https://api.shipbob.com"
	DefaultEasyPostAPI       = "https://api.easypost.com"
	DefaultShippoAPI         = "https://api.goshippo.com"
)

// Config is the whole configuration of one orderhub deployment. It is a
// plain value: copy it, compare parts of it, build it in a test.
type Config struct {
	Listen        string        `yaml:"listen"`     // host:port of the HTTP server
	Database      string        `yaml:"database"`   // sqlite://PATH or postgres://...
	Redis         string        `yaml:"redis"`      // optional redis:// URL; empty runs in-process
	Admin         Admin         `yaml:"admin"`      // who may use the admin API
	Shops         []Shop        `yaml:"shops"`      // the connected shops
	PublicURL     string        `yaml:"public_url"` // where platforms reach us
	Providers     []Provider    `yaml:"providers"`  // 3PL and label accounts
	Locations     []Location    `yaml:"locations"`  // warehouses and 3PL locations
	Suppliers     []Supplier    `yaml:"suppliers"`  // dropship suppliers
	Notifications Notifications `yaml:"notifications"`
	Routing       Routing       `yaml:"routing"`
	Alerts        Alerts        `yaml:"alerts"`
	Webhooks      Webhooks      `yaml:"webhooks"`
	Reconcile     Reconcile     `yaml:"reconcile"`
	Jobs          Jobs          `yaml:"jobs"`
	Metrics       Metrics       `yaml:"metrics"`

	// emptyRefs maps a field path to the ${VAR} references in it that
	// expanded to nothing, so "is required" can say which variable to set.
	emptyRefs map[string][]string
}

// Admin configures the admin API and the dashboard's sign-in.
type Admin struct {
	Tokens  []AdminToken `yaml:"tokens"`
	Session AdminSession `yaml:"session"`
	// Throttle slows down guessing of admin tokens, per client address.
	Throttle AdminThrottle `yaml:"throttle"`
	// TrustedProxies are the addresses (IPs or CIDRs) of reverse proxies
	// whose X-Forwarded-For names the client. Empty, the default, trusts
	// no header: the client is the connection's peer.
	TrustedProxies []string `yaml:"trusted_proxies,omitempty"`
}

// AdminToken is one bearer token of the admin API and the shops it may
// see. Shops is a list of shop ids, or ["*"] for every shop.
type AdminToken struct {
	// Name is who the token is: the actor recorded in the audit trail for
	// everything done with it, through the API or a dashboard sign-in.
	// Unique; "token-N" for the Nth token (from 1) when not given.
	Name  string   `yaml:"name"`
	Token string   `yaml:"token"`
	Shops []string `yaml:"shops"`
}

// AdminSession is how long a dashboard sign-in lasts on the server.
type AdminSession struct {
	// IdleTimeout ends a session unused for this long.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxAge ends a session this long after sign-in, however busy.
	MaxAge time.Duration `yaml:"max_age"`
}

// AdminThrottle is how many failed sign-ins and bad bearer tokens a client
// address may send: Failures in a row, then one more every
// Window/Failures; an address that stops failing is forgiven within Window.
// Past it, attempts are answered 429 with Retry-After.
type AdminThrottle struct {
	Failures int           `yaml:"failures"`
	Window   time.Duration `yaml:"window"`
}

// Admin defaults.
const (
	DefaultSessionIdleTimeout = 8 * time.Hour
	DefaultSessionMaxAge      = 7 * 24 * time.Hour
	DefaultThrottleFailures   = 10
	DefaultThrottleWindow     = 15 * time.Minute
)

// AllShops reports whether the token may see every shop.
func (t AdminToken) AllShops() bool {
	for _, s := range t.Shops {
		if s == "*" {
			return true
		}
	}
	return false
}

// CanSee reports whether the token may see shop.
func (t AdminToken) CanSee(shop string) bool {
	for _, s := range t.Shops {
		if s == "*" || s == shop {
			return true
		}
	}
	return false
}

// Shop is one connected store. Which credentials it needs depends on the
// platform; Validate checks them.
type Shop struct {
	ID       string `yaml:"id"`
	Platform string `yaml:"platform"` // shopify, woocommerce or bigcommerce
	Domain   string `yaml:"domain"`   // the shop's host name, e.g. acme.myshopify.com
	// APIBaseURL is where the API client sends requests. Parse fills it
	// from the platform and domain; tests point it at a fake.
	APIBaseURL string `yaml:"api_base_url"`
	// APIVersion is the Shopify Admin API version (Shopify only).
	APIVersion  string `yaml:"api_version"`
	AccessToken string `yaml:"access_token"` // Shopify and BigCommerce
	// WebhookSecret verifies the platform's webhook signatures.
	WebhookSecret string `yaml:"webhook_secret"`
	// PreviousWebhookSecret is accepted too while a rotation settles.
	PreviousWebhookSecret string `yaml:"previous_webhook_secret"`
	ConsumerKey           string `yaml:"consumer_key"`    // WooCommerce
	ConsumerSecret        string `yaml:"consumer_secret"` // WooCommerce
	StoreHash             string `yaml:"store_hash"`      // BigCommerce
	ClientSecret          string `yaml:"client_secret"`   // BigCommerce: signs callbacks
	// WebhookAuthHeader is a custom header BigCommerce sends with every
	// webhook, configured when the subscription is created; an alternative
	// to client_secret signatures.
	WebhookAuthHeader *HeaderAuth `yaml:"webhook_auth_header"`
	// ShipmentTracking says the WooCommerce store runs the Shipment
	// Tracking extension, so tracking is written through its endpoint.
	ShipmentTracking bool `yaml:"shipment_tracking"`
	// RateLimit overrides orderhub's pace of API calls to this shop, shared
	// by every instance through Redis: e.g. a Shopify Plus shop, which has
	// ten times the standard budget. Nil keeps the platform's default.
	RateLimit *RateLimit `yaml:"rate_limit"`
}

// RateLimit is a sustained rate of API calls and a burst.
type RateLimit struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"` // calls allowed at once; 1 when 0
}

// HeaderAuth is a header name and the exact value a caller must send.
type HeaderAuth struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// Provider is one 3PL or label-buying account. Callbacks from it arrive at
// /webhooks/{kind}/{id}.
type Provider struct {
	ID         string `yaml:"id"`
	Kind       string `yaml:"kind"` // shipbob, easypost or shippo
	APIBaseURL string `yaml:"api_base_url"`
	Token      string `yaml:"token"`      // ShipBob personal access token
	APIKey     string `yaml:"api_key"`    // EasyPost and Shippo
	ChannelID  string `yaml:"channel_id"` // ShipBob channel the orders go to
	// WebhookSecret verifies the provider's callbacks.
	WebhookSecret string `yaml:"webhook_secret"`
	// Auth is how Shippo callbacks are verified: url_token or hmac.
	Auth string `yaml:"auth"`
}

// Location is a place that holds stock: an own warehouse or a 3PL
// location run by a provider.
type Location struct {
	ID          string   `yaml:"id"`
	Kind        string   `yaml:"kind"`     // warehouse or 3pl
	Provider    string   `yaml:"provider"` // the provider id of a 3pl location
	Address     Address  `yaml:"address"`
	Priority    int      `yaml:"priority"`     // lower ranks first
	SafetyStock int64    `yaml:"safety_stock"` // units never routed
	Shipping    Shipping `yaml:"shipping"`
}

// Address is where a location ships from. Lat and Lon are optional, but
// the closest rule needs them.
type Address struct {
	Name     string   `yaml:"name"`
	Company  string   `yaml:"company"`
	Address1 string   `yaml:"address1"`
	Address2 string   `yaml:"address2"`
	City     string   `yaml:"city"`
	Province string   `yaml:"province"`
	Zip      string   `yaml:"zip"`
	Country  string   `yaml:"country"` // ISO 3166-1 alpha-2
	Phone    string   `yaml:"phone"`
	Lat      *float64 `yaml:"lat"`
	Lon      *float64 `yaml:"lon"`
}

// Shipping says which label account buys labels at a warehouse.
type Shipping struct {
	Provider string `yaml:"provider"` // an easypost or shippo provider id
	Rule     string `yaml:"rule"`     // cheapest or fastest
}

// Supplier is a dropship supplier and the SKUs it ships.
type Supplier struct {
	ID       string                 `yaml:"id"`
	Name     string                 `yaml:"name"`
	SKUs     map[string]SupplierSKU `yaml:"skus"`
	Delivery Delivery               `yaml:"delivery"`
}

// SupplierSKU is a supplier's price and lead time for one SKU. Cost is a
// decimal string so that a float never touches money.
type SupplierSKU struct {
	Cost     string `yaml:"cost"`
	Currency string `yaml:"currency"` // ISO 4217; USD when empty
	LeadDays int    `yaml:"lead_days"`
}

// Delivery is how purchase orders reach a supplier: a signed POST.
type Delivery struct {
	WebhookURL string `yaml:"webhook_url"`
	Secret     string `yaml:"secret"` // signs POs and verifies the supplier's callbacks
}

// Notifications configures customer notices: by mail, or a POST per notice.
type Notifications struct {
	SMTP       SMTP   `yaml:"smtp"`
	WebhookURL string `yaml:"webhook_url"`
	// LinkTTL is how long the wait/cancel links of a backorder notice work
	// after it is sent; the expiry is part of the signed link.
	LinkTTL time.Duration `yaml:"link_ttl"`
	// PreviousKeyFor is how long, after `orderhub notices rotate-key`,
	// links signed with the previous key still work; 0 means LinkTTL, so
	// links already sent work until they would expire anyway.
	PreviousKeyFor time.Duration `yaml:"previous_key_for"`
}

// SMTP is a mail server account. An empty Host turns mail off.
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from"`
}

// Routing is how paid orders are split between sources.
type Routing struct {
	// Rules are ordered tie-breakers between the locations that can ship.
	Rules []string `yaml:"rules"`
	// AllowLineSplit lets one line ship from several locations.
	AllowLineSplit bool `yaml:"allow_line_split"`
	// Dropship lets suppliers ship what no location has.
	Dropship bool `yaml:"dropship"`
	// Backorders is notify or deny.
	Backorders string `yaml:"backorders"`
}

// Alerts configures the stuck-order alert.
type Alerts struct {
	// StuckAfter is how long an order may wait in awaiting_fulfillment.
	StuckAfter time.Duration `yaml:"stuck_after"`
	WebhookURL string        `yaml:"webhook_url"` // Slack-compatible POST
}

// Webhooks configures the webhook intake.
type Webhooks struct {
	// MaxBodyBytes caps a webhook body; a larger one is answered 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxInFlightBytes bounds the body bytes held at once by every webhook
	// and callback being read, before any is verified; past it a delivery
	// is answered 503 with Retry-After and the sender retries.
	MaxInFlightBytes int64 `yaml:"max_in_flight_bytes"`
}

// Jobs configures background work shared by every instance.
type Jobs struct {
	// RescueAfter is how long a job, or a claimed batch of webhooks, may be
	// held before another instance takes it up whatever its holder's
	// lease says: the net under the leases, for a holder that renews its
	// lease but never finishes. Every job is idempotent, so one that really
	// runs longer than this is at worst done twice, never applied twice.
	RescueAfter time.Duration `yaml:"rescue_after"`
	// HeartbeatEvery is how often each instance renews its lease, and looks
	// for instances whose leases lapsed to take up their work.
	HeartbeatEvery time.Duration `yaml:"heartbeat_every"`
	// Lease is how long an instance counts as alive after its last renewal.
	// When it lapses (a crash, a kill -9, a lost database connection) the
	// others take up the jobs and webhooks it held at once.
	Lease time.Duration `yaml:"lease"`
}

// Metrics configures the Prometheus endpoint, /metrics. A scrape never
// reads the database: the gauges that come from it are refreshed in the
// background every RefreshEvery.
type Metrics struct {
	// Listen, when set, serves /metrics on this host:port alone (e.g.
	// 127.0.0.1:9090), and the main listener answers 404 for it. Empty
	// serves it on the main listener.
	Listen string `yaml:"listen"`
	// Token, when set, is the bearer token every scrape must send
	// (Authorization: Bearer <token>). Empty lets any scrape in.
	Token string `yaml:"token"`
	// RefreshEvery is how often the dead-letter, job and queue gauges are
	// read from the database.
	RefreshEvery time.Duration `yaml:"refresh_every"`
}

// Reconcile configures the periodic pass that fetches orders a platform
// failed to deliver by webhook.
type Reconcile struct {
	Interval time.Duration `yaml:"interval"`
}

// Default returns the configuration used for every key the file leaves
// out. It has no shops and no secrets, and it is valid on its own.
func Default() Config {
	return Config{
		Listen:   "127.0.0.1:8080",
		Database: "sqlite://./orderhub.db",
		Notifications: Notifications{
			SMTP:    SMTP{Port: 587},
			LinkTTL: 30 * 24 * time.Hour,
		},
		Routing: Routing{
			Rules:          []string{RuleMinimizeSplits, RuleClosest, RulePriority},
			AllowLineSplit: true,
			Dropship:       true,
			Backorders:     BackordersNotify,
		},
		Admin: Admin{
			Session:  AdminSession{IdleTimeout: DefaultSessionIdleTimeout, MaxAge: DefaultSessionMaxAge},
			Throttle: AdminThrottle{Failures: DefaultThrottleFailures, Window: DefaultThrottleWindow},
		},
		Alerts:    Alerts{StuckAfter: 24 * time.Hour},
		Webhooks:  Webhooks{MaxBodyBytes: 5 << 20, MaxInFlightBytes: 64 << 20},
		Reconcile: Reconcile{Interval: 15 * time.Minute},
		Jobs:      Jobs{RescueAfter: 5 * time.Minute, HeartbeatEvery: time.Second, Lease: 5 * time.Second},
		Metrics:   Metrics{RefreshEvery: 15 * time.Second},
	}
}

// fillItemDefaults sets the defaults of list items, which Default cannot
// hold: API versions, API base URLs, currencies and auth modes.
func (c *Config) fillItemDefaults() {
	for i := range c.Admin.Tokens {
		if t := &c.Admin.Tokens[i]; strings.TrimSpace(t.Name) == "" {
			t.Name = DefaultTokenName(i)
		}
	}
	for i := range c.Shops {
		s := &c.Shops[i]
		if s.Platform == PlatformShopify && s.APIVersion == "" {
			s.APIVersion = DefaultShopifyAPIVersion
		}
		if s.APIBaseURL == "" {
			switch s.Platform {
			case PlatformShopify, PlatformWooCommerce:
				if s.Domain != "" && !strings.ContainsAny(s.Domain, "/:") {
					s.APIBaseURL = "https://" + s.Domain
				}
			case PlatformBigCommerce:
				s.APIBaseURL = DefaultBigCommerceAPI
			}
		}
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.APIBaseURL == "" {
			switch p.Kind {
			case ProviderShipBob:
				p.APIBaseURL = DefaultShipBobAPI
			case ProviderEasyPost:
				p.APIBaseURL = DefaultEasyPostAPI
			case ProviderShippo:
				p.APIBaseURL = DefaultShippoAPI
			}
		}
		if p.Kind == ProviderShippo && p.Auth == "" {
			p.Auth = ShippoAuthURLToken
		}
	}
	for i := range c.Locations {
		l := &c.Locations[i]
		if l.Shipping.Provider != "" && l.Shipping.Rule == "" {
			l.Shipping.Rule = ShippingCheapest
		}
	}
	for i := range c.Suppliers {
		for sku, v := range c.Suppliers[i].SKUs {
			if v.Currency == "" {
				v.Currency = DefaultCurrency
				c.Suppliers[i].SKUs[sku] = v
			}
		}
	}
}

// DefaultTokenName is the name of admin.tokens[i] when it has none:
// "token-1" for the first. It follows the token's place in the list, so
// give tokens names before reordering them.
func DefaultTokenName(i int) string { return fmt.Sprintf("token-%d", i+1) }

// TokenName returns the name of admin.tokens[i]: its own, or
// DefaultTokenName(i) when it has none.
func (a Admin) TokenName(i int) string {
	if n := strings.TrimSpace(a.Tokens[i].Name); n != "" {
		return n
	}
	return DefaultTokenName(i)
}

// Shop returns the shop with id.
func (c Config) Shop(id string) (Shop, bool) {
	for _, s := range c.Shops {
		if s.ID == id {
			return s, true
		}
	}
	return Shop{}, false
}

// Provider returns the provider with id.
func (c Config) Provider(id string) (Provider, bool) {
	for _, p := range c.Providers {
		if p.ID == id {
			return p, true
		}
	}
	return Provider{}, false
}

// Location returns the location with id.
func (c Config) Location(id string) (Location, bool) {
	for _, l := range c.Locations {
		if l.ID == id {
			return l, true
		}
	}
	return Location{}, false
}

// Supplier returns the supplier with id.
func (c Config) Supplier(id string) (Supplier, bool) {
	for _, s := range c.Suppliers {
		if s.ID == id {
			return s, true
		}
	}
	return Supplier{}, false
}

// ShopIDs returns the shop ids in file order.
func (c Config) ShopIDs() []string {
	ids := make([]string, len(c.Shops))
	for i, s := range c.Shops {
		ids[i] = s.ID
	}
	return ids
}

// DomainLocations converts the locations into the domain's type, in file
// order. Coordinates are copied, never shared with the Config.
func (c Config) DomainLocations() []orderhub.Location {
	out := make([]orderhub.Location, 0, len(c.Locations))
	for _, l := range c.Locations {
		out = append(out, orderhub.Location{
			ID:               l.ID,
			Kind:             l.Kind,
			Provider:         l.Provider,
			Address:          l.Address.DomainAddress(),
			Priority:         l.Priority,
			SafetyStock:      l.SafetyStock,
			ShippingProvider: l.Shipping.Provider,
		})
	}
	return out
}

// DomainAddress converts the address into the domain's type.
func (a Address) DomainAddress() orderhub.Address {
	return orderhub.Address{
		Name:      a.Name,
		Company:   a.Company,
		Address1:  a.Address1,
		Address2:  a.Address2,
		City:      a.City,
		Province:  a.Province,
		Zip:       a.Zip,
		Country:   a.Country,
		Phone:     a.Phone,
		Latitude:  copyFloat(a.Lat),
		Longitude: copyFloat(a.Lon),
	}
}

func copyFloat(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := *f
	return &v
}

// DomainSuppliers converts the suppliers into the domain's type, reading
// each cost exactly. It fails only on what Validate also rejects.
func (c Config) DomainSuppliers() ([]orderhub.Supplier, error) {
	out := make([]orderhub.Supplier, 0, len(c.Suppliers))
	for i, s := range c.Suppliers {
		ds := orderhub.Supplier{ID: s.ID, SKUs: make(map[string]orderhub.SupplierSKU, len(s.SKUs))}
		for _, sku := range sortedKeys(s.SKUs) {
			v := s.SKUs[sku]
			cost, err := v.Money()
			if err != nil {
				return nil, fmt.Errorf("suppliers[%d].skus[%q].cost: %w", i, sku, err)
			}
			ds.SKUs[sku] = orderhub.SupplierSKU{Cost: cost, LeadDays: v.LeadDays}
		}
		out = append(out, ds)
	}
	return out, nil
}

// Money reads Cost exactly in Currency, USD when Currency is empty.
func (s SupplierSKU) Money() (orderhub.Money, error) {
	cur := s.Currency
	if cur == "" {
		cur = DefaultCurrency
	}
	return orderhub.ParseMoney(s.Cost, cur)
}

// Database kinds returned by DatabaseKind.
const (
	DatabaseSQLite   = "sqlite"
	DatabasePostgres = "postgres"
)

// DatabaseKind returns which store the database URL selects and what to
// open: the file path for sqlite (sqlite://./orderhub.db gives
// ./orderhub.db, sqlite:///abs/path.db gives /abs/path.db), the whole URL
// for postgres. It returns two empty strings for any other URL.
func (c Config) DatabaseKind() (kind, dsn string) {
	switch {
	case strings.HasPrefix(c.Database, "sqlite://"):
		return DatabaseSQLite, strings.TrimPrefix(c.Database, "sqlite://")
	case strings.HasPrefix(c.Database, "postgres://"), strings.HasPrefix(c.Database, "postgresql://"):
		return DatabasePostgres, c.Database
	}
	return "", ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
