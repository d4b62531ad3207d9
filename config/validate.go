package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
)

// FieldError is one problem with one field of the configuration. Validate
// joins one per problem with errors.Join; FieldErrors takes them apart.
type FieldError struct {
	// Field is the path of the field as written in YAML, e.g.
	// locations[2].kind or suppliers[0].skus["SKU-1"].cost.
	Field string
	// Value is the bad value, or nil when the field is missing, holds a
	// secret, or the problem is not about its value.
	Value any
	// Problem says what is wrong, e.g. `is not one of warehouse, 3pl`.
	Problem string
	// Line is the line in the YAML file, or 0 when it is not known.
	Line int
}

// Error formats the problem as `field: "value" problem (line N)`.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Field)
	b.WriteString(": ")
	if e.Value != nil {
		b.WriteString(formatValue(e.Value))
		b.WriteByte(' ')
	}
	b.WriteString(e.Problem)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	return b.String()
}

func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case time.Duration:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// FieldErrors returns every *FieldError in err, however it was joined or
// wrapped, in order.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var visit func(error)
	visit = func(e error) {
		if e == nil {
			return
		}
		if fe, ok := e.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				visit(x)
			}
		case interface{ Unwrap() error }:
			visit(u.Unwrap())
		}
	}
	visit(err)
	return out
}

// Validate checks the whole configuration and returns every problem at
// once, joined with errors.Join, each a *FieldError naming the field path
// and the bad value. Secret values are never quoted. A nil result means
// the Config is safe to run.
func (c Config) Validate() error {
	v := &validator{c: &c}
	v.stores()
	shopIDs := make(map[string]bool, len(c.Shops))
	for _, s := range c.Shops {
		shopIDs[s.ID] = true
	}
	v.admin(shopIDs)
	v.adminSignIn()
	v.shops()
	v.httpURL("public_url", c.PublicURL, false)
	providers := v.providers()
	locationIDs := v.locations(providers)
	v.suppliers(locationIDs)
	v.notifications()
	v.routing()
	v.durations()
	v.metrics()
	return errors.Join(v.errs...)
}

type validator struct {
	c    *Config
	errs []error
}

func (v *validator) add(field string, value any, problem string) {
	v.errs = append(v.errs, &FieldError{Field: field, Value: value, Problem: problem})
}

// required reports whether value is set, and adds "is required" when it
// is not, naming the ${VAR} that expanded to nothing if there was one.
func (v *validator) required(field, value string) bool {
	return v.requiredWith(field, value, "")
}

// requiredWith is required with a note appended to the problem,
// e.g. "unless webhook_auth_header is set".
func (v *validator) requiredWith(field, value, note string) bool {
	if strings.TrimSpace(value) != "" {
		return true
	}
	problem := "is required"
	if note != "" {
		problem += " " + note
	}
	if refs := v.c.emptyRefs[field]; len(refs) > 0 {
		problem += fmt.Sprintf(" (${%s} is unset or empty)", strings.Join(refs, "}, ${"))
	}
	v.add(field, nil, problem)
	return false
}

// oneOf checks that value is one of allowed; empty counts as missing.
func (v *validator) oneOf(field, value string, allowed ...string) bool {
	if value == "" {
		v.add(field, nil, "is required (one of "+strings.Join(allowed, ", ")+")")
		return false
	}
	for _, a := range allowed {
		if value == a {
			return true
		}
	}
	v.add(field, value, "is not one of "+strings.Join(allowed, ", "))
	return false
}

// id checks an identifier that appears in URLs such as
// /webhooks/shopify/{id}.
func (v *validator) id(field, value string) bool {
	if !v.required(field, value) {
		return false
	}
	if len(value) > 64 {
		v.add(field, value, "is longer than 64 characters")
		return false
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			v.add(field, value, "must be made of a-z, 0-9, _ and - (it appears in URLs)")
			return false
		}
	}
	return true
}

// unique reports ids used more than once, on the second and later uses.
func (v *validator) unique(list string, ids []string) map[string]bool {
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		if id == "" {
			continue
		}
		if seen[id] {
			v.add(fmt.Sprintf("%s[%d].id", list, i), id, "is used twice")
			continue
		}
		seen[id] = true
	}
	return seen
}

// httpURL checks an absolute http or https URL; empty is allowed unless
// required.
func (v *validator) httpURL(field, value string, required bool) {
	if value == "" {
		if required {
			v.required(field, value)
		}
		return
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(field, value, "is not an absolute http(s) URL")
	}
}

// hostName checks a bare host name such as acme.myshopify.com.
func (v *validator) hostName(field, value string) {
	if value == "" {
		return
	}
	if strings.ContainsAny(value, "/:?#@ \t") {
		v.add(field, value, "must be a host name such as shop.example.com, without scheme or path")
	}
}

// unused reports a field set on an item whose kind never reads it, which
// is almost always a copy-paste slip. The value is not quoted: it may be
// a secret.
func (v *validator) unused(field string, set bool, usedBy string) {
	if set {
		v.add(field, nil, "is only used by "+usedBy)
	}
}

// stores checks listen, database and redis.
func (v *validator) stores() {
	c := v.c
	if v.required("listen", c.Listen) {
		host, port, err := net.SplitHostPort(c.Listen)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, "/ ") {
			v.add("listen", c.Listen, "is not host:port, e.g. 127.0.0.1:8080 or :8080")
		}
	}
	if v.required("database", c.Database) {
		switch kind, dsn := c.DatabaseKind(); kind {
		case DatabaseSQLite:
			if dsn == "" {
				v.add("database", c.Database, "has no file path, e.g. sqlite://./orderhub.db")
			}
		case DatabasePostgres:
			if u, err := url.Parse(c.Database); err != nil || u.Host == "" {
				v.add("database", redactURL(c.Database), "is not a postgres:// URL with a host")
			}
		default:
			v.add("database", redactURL(c.Database), "must start with sqlite:// or postgres://")
		}
	}
	if c.Redis != "" {
		u, err := url.Parse(c.Redis)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			v.add("redis", redactURL(c.Redis), "must be a redis://, rediss:// or unix:// URL (or empty)")
		}
	}
}

func (v *validator) admin(shopIDs map[string]bool) {
	seen := make(map[string]int)
	names := make(map[string]int)
	for i, t := range v.c.Admin.Tokens {
		p := fmt.Sprintf("admin.tokens[%d]", i)
		if name := v.c.Admin.TokenName(i); v.tokenName(p+".name", name) {
			if j, dup := names[name]; dup {
				v.add(p+".name", name, fmt.Sprintf("is the name of admin.tokens[%d] too; names must be unique (a token without a name is token-N, N its place from 1)", j))
			} else {
				names[name] = i
			}
		}
		if v.required(p+".token", t.Token) {
			if len(t.Token) < 16 {
				v.add(p+".token", nil, "must be at least 16 characters")
			}
			if j, dup := seen[t.Token]; dup {
				v.add(p+".token", nil, fmt.Sprintf("is the same as admin.tokens[%d].token", j))
			} else {
				seen[t.Token] = i
			}
		}
		if len(t.Shops) == 0 {
			v.add(p+".shops", nil, `must list shop ids, or "*" for every shop`)
		}
		for j, s := range t.Shops {
			if s != "*" && !shopIDs[s] {
				v.add(fmt.Sprintf("%s.shops[%d]", p, j), s, `is not a shop id (nor "*")`)
			}
		}
	}
}

// tokenName checks an admin token's name, which the audit trail records
// as the actor.
func (v *validator) tokenName(field, name string) bool {
	if len(name) > 64 {
		v.add(field, name, "is longer than 64 characters")
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._@-", c)) {
			v.add(field, name, "must be made of letters, digits, '.', '_', '@' and '-'")
			return false
		}
	}
	return true
}

// adminSignIn checks the session lifetimes, the failure throttle and the
// trusted proxies.
func (v *validator) adminSignIn() {
	a := v.c.Admin
	if a.Session.IdleTimeout < time.Minute {
		v.add("admin.session.idle_timeout", a.Session.IdleTimeout, "must be at least 1m, e.g. 8h")
	}
	if a.Session.MaxAge < a.Session.IdleTimeout {
		v.add("admin.session.max_age", a.Session.MaxAge, "must be at least admin.session.idle_timeout, e.g. 168h")
	}
	if a.Throttle.Failures < 1 {
		v.add("admin.throttle.failures", a.Throttle.Failures, "must be at least 1, e.g. 10")
	}
	if a.Throttle.Window < time.Second {
		v.add("admin.throttle.window", a.Throttle.Window, "must be at least 1s, e.g. 15m")
	}
	for i, p := range a.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			v.add(fmt.Sprintf("admin.trusted_proxies[%d]", i), p, "is not an IP address or a CIDR such as 10.0.0.0/8")
		}
	}
}

func (v *validator) shops() {
	ids := make([]string, len(v.c.Shops))
	for i, s := range v.c.Shops {
		p := fmt.Sprintf("shops[%d]", i)
		v.id(p+".id", s.ID)
		ids[i] = s.ID
		v.httpURL(p+".api_base_url", s.APIBaseURL, true)
		if !v.oneOf(p+".platform", s.Platform, PlatformShopify, PlatformWooCommerce, PlatformBigCommerce) {
			continue
		}
		v.hostName(p+".domain", s.Domain)
		switch s.Platform {
		case PlatformShopify:
			v.required(p+".domain", s.Domain)
			v.required(p+".access_token", s.AccessToken)
			v.required(p+".webhook_secret", s.WebhookSecret)
			if v.required(p+".api_version", s.APIVersion) && !validShopifyVersion(s.APIVersion) {
				v.add(p+".api_version", s.APIVersion, "is not a Shopify API version such as 2025-07 or unstable")
			}
		case PlatformWooCommerce:
			v.required(p+".consumer_key", s.ConsumerKey)
			v.required(p+".consumer_secret", s.ConsumerSecret)
			v.required(p+".webhook_secret", s.WebhookSecret)
		case PlatformBigCommerce:
			if v.required(p+".store_hash", s.StoreHash) && strings.ContainsAny(s.StoreHash, "/?#% ") {
				v.add(p+".store_hash", s.StoreHash, "must be the bare store hash, e.g. abc123")
			}
			v.required(p+".access_token", s.AccessToken)
			if s.WebhookAuthHeader == nil {
				v.requiredWith(p+".client_secret", s.ClientSecret, "unless webhook_auth_header is set")
			}
			if h := s.WebhookAuthHeader; h != nil {
				if v.required(p+".webhook_auth_header.name", h.Name) && !validHeaderName(h.Name) {
					v.add(p+".webhook_auth_header.name", h.Name, "is not a valid HTTP header name")
				}
				v.required(p+".webhook_auth_header.value", h.Value)
			}
		}
		v.unused(p+".api_version", s.APIVersion != "" && s.Platform != PlatformShopify, "shopify shops")
		v.unused(p+".consumer_key", s.ConsumerKey != "" && s.Platform != PlatformWooCommerce, "woocommerce shops")
		v.unused(p+".consumer_secret", s.ConsumerSecret != "" && s.Platform != PlatformWooCommerce, "woocommerce shops")
		v.unused(p+".shipment_tracking", s.ShipmentTracking && s.Platform != PlatformWooCommerce, "woocommerce shops")
		v.unused(p+".access_token", s.AccessToken != "" && s.Platform == PlatformWooCommerce, "shopify and bigcommerce shops")
		v.unused(p+".store_hash", s.StoreHash != "" && s.Platform != PlatformBigCommerce, "bigcommerce shops")
		v.unused(p+".client_secret", s.ClientSecret != "" && s.Platform != PlatformBigCommerce, "bigcommerce shops")
		v.unused(p+".webhook_auth_header", s.WebhookAuthHeader != nil && s.Platform != PlatformBigCommerce, "bigcommerce shops")
		if r := s.RateLimit; r != nil {
			if !(r.PerSecond > 0) {
				v.add(p+".rate_limit.per_second", r.PerSecond, "must be more than 0")
			}
			if r.Burst < 0 {
				v.add(p+".rate_limit.burst", r.Burst, "must not be negative")
			}
		}
	}
	v.unique("shops", ids)
}

// validShopifyVersion accepts a quarterly release such as 2025-07, or
// unstable.
func validShopifyVersion(s string) bool {
	if s == "unstable" {
		return true
	}
	if len(s) != 7 || s[4] != '-' {
		return false
	}
	if _, err := strconv.Atoi(s[:4]); err != nil {
		return false
	}
	switch s[5:] {
	case "01", "04", "07", "10":
		return true
	}
	return false
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// providers checks the providers and returns their kinds by id.
func (v *validator) providers() map[string]string {
	kinds := make(map[string]string)
	ids := make([]string, len(v.c.Providers))
	for i, pr := range v.c.Providers {
		p := fmt.Sprintf("providers[%d]", i)
		v.id(p+".id", pr.ID)
		ids[i] = pr.ID
		v.httpURL(p+".api_base_url", pr.APIBaseURL, true)
		if !v.oneOf(p+".kind", pr.Kind, ProviderShipBob, ProviderEasyPost, ProviderShippo) {
			continue
		}
		if _, dup := kinds[pr.ID]; !dup && pr.ID != "" {
			kinds[pr.ID] = pr.Kind
		}
		v.required(p+".webhook_secret", pr.WebhookSecret)
		switch pr.Kind {
		case ProviderShipBob:
			v.required(p+".token", pr.Token)
			v.required(p+".channel_id", pr.ChannelID)
		case ProviderEasyPost:
			v.required(p+".api_key", pr.APIKey)
		case ProviderShippo:
			v.required(p+".api_key", pr.APIKey)
			if pr.Auth != "" {
				v.oneOf(p+".auth", pr.Auth, ShippoAuthURLToken, ShippoAuthHMAC)
			}
		}
		v.unused(p+".token", pr.Token != "" && pr.Kind != ProviderShipBob, "shipbob providers")
		v.unused(p+".channel_id", pr.ChannelID != "" && pr.Kind != ProviderShipBob, "shipbob providers")
		v.unused(p+".api_key", pr.APIKey != "" && pr.Kind == ProviderShipBob, "easypost and shippo providers")
		v.unused(p+".auth", pr.Auth != "" && pr.Kind != ProviderShippo, "shippo providers")
	}
	v.unique("providers", ids)
	return kinds
}

// locations checks the locations and returns their ids.
func (v *validator) locations(providerKinds map[string]string) map[string]bool {
	ids := make([]string, len(v.c.Locations))
	for i, l := range v.c.Locations {
		p := fmt.Sprintf("locations[%d]", i)
		v.id(p+".id", l.ID)
		ids[i] = l.ID
		kindOK := v.oneOf(p+".kind", l.Kind, orderhub.LocationWarehouse, orderhub.Location3PL)
		switch {
		case !kindOK:
		case l.Kind == orderhub.Location3PL:
			if v.requiredWith(p+".provider", l.Provider, "for a 3pl location") {
				switch kind, ok := providerKinds[l.Provider]; {
				case !ok:
					v.add(p+".provider", l.Provider, "is not a provider id")
				case kind != ProviderShipBob:
					v.add(p+".provider", l.Provider, "is not a 3PL provider (its kind is "+kind+"; a 3pl location needs a shipbob provider)")
				}
			}
			if l.Shipping.Provider != "" {
				v.add(p+".shipping.provider", l.Shipping.Provider, "is only for warehouses: a 3PL buys its own labels")
			}
		case l.Provider != "":
			if _, ok := providerKinds[l.Provider]; !ok {
				v.add(p+".provider", l.Provider, "is not a provider id")
			} else {
				v.add(p+".provider", l.Provider, "is only for 3pl locations")
			}
		}
		if sp := l.Shipping.Provider; sp != "" && l.Kind != orderhub.Location3PL {
			switch kind, ok := providerKinds[sp]; {
			case !ok:
				v.add(p+".shipping.provider", sp, "is not a provider id")
			case kind != ProviderEasyPost && kind != ProviderShippo:
				v.add(p+".shipping.provider", sp, "cannot buy labels (its kind is "+kind+"; use an easypost or shippo provider)")
			}
		}
		if l.Shipping.Rule != "" {
			v.oneOf(p+".shipping.rule", l.Shipping.Rule, ShippingCheapest, ShippingFastest)
		}
		v.address(p+".address", l.Address)
		if l.Priority < 0 {
			v.add(p+".priority", l.Priority, "must not be negative")
		}
		if l.SafetyStock < 0 {
			v.add(p+".safety_stock", l.SafetyStock, "must not be negative")
		}
	}
	return v.unique("locations", ids)
}

func (v *validator) address(p string, a Address) {
	if a.Lat != nil && (*a.Lat < -90 || *a.Lat > 90) {
		v.add(p+".lat", *a.Lat, "is not a latitude in [-90, 90]")
	}
	if a.Lon != nil && (*a.Lon < -180 || *a.Lon > 180) {
		v.add(p+".lon", *a.Lon, "is not a longitude in [-180, 180]")
	}
	if a.Lat != nil && a.Lon == nil {
		v.add(p+".lon", nil, "is required when lat is set")
	}
	if a.Lon != nil && a.Lat == nil {
		v.add(p+".lat", nil, "is required when lon is set")
	}
	if a.Country != "" {
		ok := len(a.Country) == 2
		for i := 0; ok && i < 2; i++ {
			ok = a.Country[i] >= 'A' && a.Country[i] <= 'Z'
		}
		if !ok {
			v.add(p+".country", a.Country, "is not a two-letter upper-case ISO 3166-1 code such as US")
		}
	}
}

func (v *validator) suppliers(locationIDs map[string]bool) {
	ids := make([]string, len(v.c.Suppliers))
	for i, s := range v.c.Suppliers {
		p := fmt.Sprintf("suppliers[%d]", i)
		if v.id(p+".id", s.ID) && locationIDs[s.ID] {
			v.add(p+".id", s.ID, "is also a location id; sources need distinct ids")
		}
		ids[i] = s.ID
		if len(s.SKUs) == 0 {
			v.add(p+".skus", nil, "must list at least one SKU")
		}
		for _, sku := range sortedKeys(s.SKUs) {
			item := s.SKUs[sku]
			sp := fmt.Sprintf("%s.skus[%q]", p, sku)
			if strings.TrimSpace(sku) == "" {
				v.add(sp, nil, "has an empty SKU")
			}
			cur := item.Currency
			if cur == "" {
				cur = DefaultCurrency
			}
			norm, err := orderhub.NormalizeCurrency(cur)
			if err != nil {
				v.add(sp+".currency", item.Currency, "is not a three-letter ISO 4217 code such as USD")
			}
			if v.required(sp+".cost", item.Cost) && err == nil {
				m, err := orderhub.ParseMoney(item.Cost, norm)
				switch {
				case err != nil:
					v.add(sp+".cost", item.Cost, "is not a decimal amount in "+norm+" (e.g. \"4.20\")")
				case m.Amount < 0:
					v.add(sp+".cost", item.Cost, "must not be negative")
				}
			}
			if item.LeadDays < 0 {
				v.add(sp+".lead_days", item.LeadDays, "must not be negative")
			}
		}
		v.httpURL(p+".delivery.webhook_url", s.Delivery.WebhookURL, false)
		if s.Delivery.WebhookURL != "" {
			v.requiredWith(p+".delivery.secret", s.Delivery.Secret, "when webhook_url is set")
		}
	}
	v.unique("suppliers", ids)
}

func (v *validator) notifications() {
	n := v.c.Notifications
	if n.SMTP.Host != "" {
		if n.SMTP.Port < 1 || n.SMTP.Port > 65535 {
			v.add("notifications.smtp.port", n.SMTP.Port, "is not a port in [1, 65535]")
		}
		if v.required("notifications.smtp.from", n.SMTP.From) {
			if _, err := mail.ParseAddress(n.SMTP.From); err != nil {
				v.add("notifications.smtp.from", n.SMTP.From, "is not a mail address")
			}
		}
	}
	v.httpURL("notifications.webhook_url", n.WebhookURL, false)
	if n.LinkTTL < time.Hour {
		v.add("notifications.link_ttl", n.LinkTTL, "must be at least 1h, e.g. 720h")
	}
	if n.PreviousKeyFor < 0 {
		v.add("notifications.previous_key_for", n.PreviousKeyFor, "must not be negative (0 means link_ttl)")
	}
}

func (v *validator) routing() {
	r := v.c.Routing
	if len(r.Rules) == 0 {
		v.add("routing.rules", nil, "must list at least one rule")
	}
	seen := make(map[string]bool)
	for i, rule := range r.Rules {
		f := fmt.Sprintf("routing.rules[%d]", i)
		if !v.oneOf(f, rule, RuleMinimizeSplits, RuleClosest, RulePriority, RuleStayInMarket, RuleCheapestDropship) {
			continue
		}
		if seen[rule] {
			v.add(f, rule, "is listed twice")
		}
		seen[rule] = true
	}
	v.oneOf("routing.backorders", r.Backorders, BackordersNotify, BackordersDeny)
}

func (v *validator) durations() {
	c := v.c
	if c.Alerts.StuckAfter <= 0 {
		v.add("alerts.stuck_after", c.Alerts.StuckAfter, "must be positive, e.g. 24h")
	}
	v.httpURL("alerts.webhook_url", c.Alerts.WebhookURL, false)
	if c.Webhooks.MaxBodyBytes <= 0 {
		v.add("webhooks.max_body_bytes", c.Webhooks.MaxBodyBytes, "must be positive, e.g. 5242880")
	}
	if c.Webhooks.MaxInFlightBytes < c.Webhooks.MaxBodyBytes || c.Webhooks.MaxInFlightBytes <= 0 {
		v.add("webhooks.max_in_flight_bytes", c.Webhooks.MaxInFlightBytes, "must be at least webhooks.max_body_bytes, e.g. 67108864")
	}
	if c.Jobs.RescueAfter < 10*time.Second {
		v.add("jobs.rescue_after", c.Jobs.RescueAfter, "must be at least 10s, longer than a job normally runs")
	}
	switch j := c.Jobs; {
	case j.HeartbeatEvery < 100*time.Millisecond:
		v.add("jobs.heartbeat_every", j.HeartbeatEvery, "must be at least 100ms, e.g. 1s")
	case j.Lease < 2*j.HeartbeatEvery:
		v.add("jobs.lease", j.Lease, fmt.Sprintf("must be at least twice jobs.heartbeat_every (%s), so one late renewal does not lapse it", j.HeartbeatEvery))
	case j.Lease >= j.RescueAfter && j.RescueAfter >= 10*time.Second:
		v.add("jobs.lease", j.Lease, fmt.Sprintf("must be shorter than jobs.rescue_after (%s)", j.RescueAfter))
	}
	if c.Reconcile.Interval <= 0 {
		v.add("reconcile.interval", c.Reconcile.Interval, "must be positive, e.g. 15m")
	}
}

// metrics checks the metrics endpoint's listener, token and refresh.
func (v *validator) metrics() {
	m := v.c.Metrics
	if m.Listen != "" {
		host, port, err := net.SplitHostPort(m.Listen)
		n, perr := strconv.Atoi(port)
		switch {
		case err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, "/ "):
			v.add("metrics.listen", m.Listen, "is not host:port, e.g. 127.0.0.1:9090")
		case m.Listen == v.c.Listen && n != 0:
			v.add("metrics.listen", m.Listen, "is the main listen address; give metrics a port of their own, or leave it empty to serve /metrics there")
		}
	}
	switch {
	case m.Token == "" && len(v.c.emptyRefs["metrics.token"]) > 0:
		// A token that names an unset variable must not silently open
		// the endpoint to everyone.
		v.requiredWith("metrics.token", m.Token, "when it is written (leave the key out to serve /metrics without a token)")
	case m.Token != "" && len(m.Token) < 16:
		v.add("metrics.token", nil, "must be at least 16 characters")
	}
	if m.RefreshEvery < time.Second {
		v.add("metrics.refresh_every", m.RefreshEvery, "must be at least 1s, e.g. 15s")
	}
}
