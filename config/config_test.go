package config_test

import (
	"encoding/csv"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
)

const examplesDir = "../examples"

// demoEnv reads examples/demo.env.
func demoEnv(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examplesDir, "demo.env"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := config.ParseEnvFile(data)
	if err != nil {
		t.Fatalf("ParseEnvFile(demo.env): %v", err)
	}
	return env
}

// demoConfig loads examples/orderhub.yaml with the demo environment.
func demoConfig(t *testing.T) config.Config {
	t.Helper()
	c, err := config.LoadWith(filepath.Join(examplesDir, "orderhub.yaml"), config.MapEnv(demoEnv(t)))
	if err != nil {
		t.Fatalf("load orderhub.yaml: %v", err)
	}
	return c
}

func exampleYAMLFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(examplesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestExamplesLoadAndValidate(t *testing.T) {
	t.Parallel()
	env := demoEnv(t)
	files := exampleYAMLFiles(t)
	if len(files) < 2 {
		t.Fatalf("found %d example configs under %s (%v), want at least 2", len(files), examplesDir, files)
	}
	var unset []string
	getenv := func(name string) string {
		v, ok := env[name]
		if !ok {
			unset = append(unset, name)
		}
		return v
	}
	for _, f := range files {
		c, err := config.LoadWith(f, getenv)
		if err != nil {
			t.Errorf("LoadWith(%s): %v", f, err)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s does not validate:\n%v", f, err)
		}
	}
	if len(unset) > 0 {
		t.Errorf("examples use variables missing from demo.env: %v", unset)
	}
}

// Every variable in demo.env is used, so the file cannot rot.
func TestDemoEnvHasNoStaleVariables(t *testing.T) {
	t.Parallel()
	used := map[string]bool{}
	ref := regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	for _, f := range exampleYAMLFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			for _, m := range ref.FindAllStringSubmatch(line, -1) {
				used[m[1]] = true
			}
		}
	}
	for name := range demoEnv(t) {
		if !used[name] {
			t.Errorf("demo.env sets %s, which no example config uses", name)
		}
	}
}

func TestDemoConfigContents(t *testing.T) {
	t.Parallel()
	c := demoConfig(t)

	wantShops := map[string]string{"acme-shopify": "shopify", "acme-woo": "woocommerce", "acme-bc": "bigcommerce"}
	if len(c.Shops) != len(wantShops) {
		t.Fatalf("got %d shops, want %d", len(c.Shops), len(wantShops))
	}
	for id, platform := range wantShops {
		s, ok := c.Shop(id)
		if !ok || s.Platform != platform {
			t.Errorf("Shop(%q) = %+v, %v; want platform %s", id, s.ID, ok, platform)
		}
	}
	shopify, _ := c.Shop("acme-shopify")
	if shopify.WebhookSecret != "demo-shopify-webhook-secret-7d3e" || shopify.APIVersion != "2025-07" {
		t.Errorf("acme-shopify: webhook secret %q, api version %q", shopify.WebhookSecret, shopify.APIVersion)
	}
	for _, id := range []string{"shipbob-main", "easypost-main", "shippo-main"} {
		if _, ok := c.Provider(id); !ok {
			t.Errorf("provider %s missing", id)
		}
	}
	if c.PublicURL != "http://127.0.0.1:8080" {
		t.Errorf("public_url = %q", c.PublicURL)
	}
	if kind, dsn := c.DatabaseKind(); kind != "sqlite" || dsn != "./orderhub.db" {
		t.Errorf("DatabaseKind() = %q, %q", kind, dsn)
	}

	locs := c.DomainLocations()
	type want struct {
		kind, provider, shipping, province string
		lat, lon                           float64
		priority                           int
	}
	wantLocs := map[string]want{
		"nyc":    {orderhub.LocationWarehouse, "", "easypost-main", "NY", 40.75, -73.99, 1},
		"chi":    {orderhub.LocationWarehouse, "", "shippo-main", "IL", 41.88, -87.63, 2},
		"la-3pl": {orderhub.Location3PL, "shipbob-main", "", "CA", 34.05, -118.24, 3},
	}
	if len(locs) != len(wantLocs) {
		t.Fatalf("got %d locations, want %d", len(locs), len(wantLocs))
	}
	for _, l := range locs {
		w, ok := wantLocs[l.ID]
		if !ok {
			t.Errorf("unexpected location %q", l.ID)
			continue
		}
		if !l.Address.HasCoordinates() {
			t.Errorf("%s has no coordinates", l.ID)
			continue
		}
		got := want{l.Kind, l.Provider, l.ShippingProvider, l.Address.Province, *l.Address.Latitude, *l.Address.Longitude, l.Priority}
		if got != w {
			t.Errorf("location %s = %+v, want %+v", l.ID, got, w)
		}
	}

	sups, err := c.DomainSuppliers()
	if err != nil {
		t.Fatal(err)
	}
	if len(sups) != 1 || sups[0].ID != "dropco" {
		t.Fatalf("suppliers = %+v, want dropco", sups)
	}
	hoodie, ok := sups[0].SKUs["SKU-HOODIE-L"]
	if !ok || hoodie.Cost != orderhub.MustParseMoney("18.50", "USD") || hoodie.LeadDays != 5 {
		t.Errorf("dropco SKU-HOODIE-L = %+v, %v", hoodie, ok)
	}
}

func TestPostgresExampleDiffersOnlyInStores(t *testing.T) {
	t.Parallel()
	base := demoConfig(t)
	pg, err := config.LoadWith(filepath.Join(examplesDir, "postgres.yaml"), config.MapEnv(demoEnv(t)))
	if err != nil {
		t.Fatal(err)
	}
	if kind, dsn := pg.DatabaseKind(); kind != "postgres" || dsn != "postgres://root@127.0.0.1:5432/orderhub?sslmode=disable" {
		t.Errorf("postgres.yaml DatabaseKind() = %q, %q", kind, dsn)
	}
	if pg.Redis != "redis://127.0.0.1:6379/0" {
		t.Errorf("postgres.yaml redis = %q", pg.Redis)
	}
	pg.Database, pg.Redis = base.Database, base.Redis
	if !reflect.DeepEqual(pg, base) {
		t.Errorf("postgres.yaml differs from orderhub.yaml beyond database and redis:\n%s\n---\n%s", pg, base)
	}
}

// The sample inventory sets up the demo's stories: splits, a dropship and a
// backorder.
func TestInventoryCSV(t *testing.T) {
	t.Parallel()
	c := demoConfig(t)
	f, err := os.Open(filepath.Join(examplesDir, "inventory.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || !slices.Equal(rows[0], []string{"location", "sku", "on_hand"}) {
		t.Fatalf("header = %v, want location,sku,on_hand", rows[0])
	}
	stock := map[string]map[string]int64{} // sku → location → on hand
	for i, r := range rows[1:] {
		if _, ok := c.Location(r[0]); !ok {
			t.Errorf("row %d: %q is not a location of orderhub.yaml", i+2, r[0])
		}
		n, err := strconv.ParseInt(r[2], 10, 64)
		if err != nil || n < 0 {
			t.Errorf("row %d: on_hand %q", i+2, r[2])
		}
		if stock[r[1]] == nil {
			stock[r[1]] = map[string]int64{}
		}
		if _, dup := stock[r[1]][r[0]]; dup {
			t.Errorf("row %d: %s at %s listed twice", i+2, r[1], r[0])
		}
		stock[r[1]][r[0]] = n
	}
	for _, sku := range []string{"IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK", "SKU-TSHIRT-BLUE-M", "SKU-MUG", "SKU-POSTER", "SKU-HOODIE-L"} {
		if stock[sku] == nil {
			t.Errorf("inventory has no row for %s", sku)
		}
	}
	total := func(sku string) (n int64) {
		for _, v := range stock[sku] {
			n += v
		}
		return n
	}
	dropco, _ := c.Supplier("dropco")
	if got := stock["SKU-POSTER"]; total("SKU-POSTER") != 1 || got["la-3pl"] != 1 {
		t.Errorf("SKU-POSTER stock = %v, want 1 unit at la-3pl only", got)
	}
	if total("SKU-HOODIE-L") != 0 || dropco.SKUs["SKU-HOODIE-L"].Cost == "" {
		t.Errorf("SKU-HOODIE-L must be out of stock everywhere and carried by dropco")
	}
	if _, carried := dropco.SKUs["IPOD2008BLACK"]; total("IPOD2008BLACK") != 0 || carried {
		t.Errorf("IPOD2008BLACK must be nowhere, so it backorders")
	}
	if stock["SKU-TSHIRT-BLUE-M"]["nyc"] != 0 || stock["IPOD2008GREEN"]["nyc"] == 0 {
		t.Errorf("an order of IPOD2008GREEN and SKU-TSHIRT-BLUE-M must split across locations")
	}
}

func TestValidateErrors(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		mutate func(c *config.Config)
		want   []string
		hidden string // a value that must not appear in the error
	}{
		{"location kind", func(c *config.Config) { c.Locations[2].Kind = "warhouse"; c.Locations[2].Provider = "" },
			[]string{`locations[2].kind: "warhouse" is not one of warehouse, 3pl`}, ""},
		{"missing webhook secret", func(c *config.Config) { c.Shops[0].WebhookSecret = "" },
			[]string{`shops[0].webhook_secret: is required`}, ""},
		{"duplicate shop id", func(c *config.Config) { c.Shops[1].ID = "acme-shopify" },
			[]string{`shops[1].id: "acme-shopify" is used twice`}, ""},
		{"unknown location provider", func(c *config.Config) {
			c.Locations[0].Kind, c.Locations[0].Provider, c.Locations[0].Shipping = "3pl", "shipbob-x", config.Shipping{}
		}, []string{`locations[0].provider: "shipbob-x" is not a provider id`}, ""},
		{"3pl on a label provider", func(c *config.Config) { c.Locations[2].Provider = "easypost-main" },
			[]string{`locations[2].provider: "easypost-main" is not a 3PL provider`}, ""},
		{"3pl without provider", func(c *config.Config) { c.Locations[2].Provider = "" },
			[]string{`locations[2].provider: is required for a 3pl location`}, ""},
		{"shipping through a 3PL", func(c *config.Config) { c.Locations[0].Shipping.Provider = "shipbob-main" },
			[]string{`locations[0].shipping.provider: "shipbob-main" cannot buy labels`}, ""},
		{"shipping rule", func(c *config.Config) { c.Locations[0].Shipping.Rule = "slowest" },
			[]string{`locations[0].shipping.rule: "slowest" is not one of cheapest, fastest`}, ""},
		{"routing rule", func(c *config.Config) { c.Routing.Rules = []string{"minimize_splits", "closests"} },
			[]string{`routing.rules[1]: "closests" is not one of minimize_splits, closest, priority, stay_in_market, cheapest_dropship`}, ""},
		{"repeated routing rule", func(c *config.Config) { c.Routing.Rules = []string{"closest", "closest"} },
			[]string{`routing.rules[1]: "closest" is listed twice`}, ""},
		{"no routing rules", func(c *config.Config) { c.Routing.Rules = nil },
			[]string{`routing.rules: must list at least one rule`}, ""},
		{"backorders", func(c *config.Config) { c.Routing.Backorders = "maybe" },
			[]string{`routing.backorders: "maybe" is not one of notify, deny`}, ""},
		{"database scheme", func(c *config.Config) { c.Database = "mysql://x" },
			[]string{`database: "mysql://x" must start with sqlite:// or postgres://`}, ""},
		{"database password hidden", func(c *config.Config) { c.Database = "postgres://u:hunter2secret@/db" },
			[]string{`database: "postgres://u:xxxxx@/db" is not a postgres:// URL with a host`}, "hunter2secret"},
		{"sqlite without path", func(c *config.Config) { c.Database = "sqlite://" },
			[]string{`database: "sqlite://" has no file path`}, ""},
		{"redis scheme", func(c *config.Config) { c.Redis = "http://127.0.0.1:6379" },
			[]string{`redis: "http://127.0.0.1:6379" must be a redis://`}, ""},
		{"supplier cost", func(c *config.Config) {
			c.Suppliers[0].SKUs = map[string]config.SupplierSKU{"SKU-1": {Cost: "4.2.0", Currency: "USD", LeadDays: 3}}
		}, []string{`suppliers[0].skus["SKU-1"].cost: "4.2.0" is not a decimal amount`}, ""},
		{"supplier cost precision", func(c *config.Config) {
			c.Suppliers[0].SKUs = map[string]config.SupplierSKU{"SKU-1": {Cost: "4.205"}}
		}, []string{`suppliers[0].skus["SKU-1"].cost: "4.205" is not a decimal amount in USD`}, ""},
		{"negative cost", func(c *config.Config) {
			c.Suppliers[0].SKUs = map[string]config.SupplierSKU{"SKU-1": {Cost: "-1.00"}}
		}, []string{`suppliers[0].skus["SKU-1"].cost: "-1.00" must not be negative`}, ""},
		{"supplier currency", func(c *config.Config) {
			c.Suppliers[0].SKUs = map[string]config.SupplierSKU{"SKU-1": {Cost: "1.00", Currency: "US"}}
		}, []string{`suppliers[0].skus["SKU-1"].currency: "US" is not a three-letter ISO 4217 code`}, ""},
		{"lead days", func(c *config.Config) {
			c.Suppliers[0].SKUs = map[string]config.SupplierSKU{"SKU-1": {Cost: "1.00", LeadDays: -2}}
		}, []string{`suppliers[0].skus["SKU-1"].lead_days: -2 must not be negative`}, ""},
		{"supplier without skus", func(c *config.Config) { c.Suppliers[0].SKUs = nil },
			[]string{`suppliers[0].skus: must list at least one SKU`}, ""},
		{"supplier secret", func(c *config.Config) { c.Suppliers[0].Delivery.Secret = "" },
			[]string{`suppliers[0].delivery.secret: is required when webhook_url is set`}, ""},
		{"supplier id clashes with location", func(c *config.Config) { c.Suppliers[0].ID = "nyc" },
			[]string{`suppliers[0].id: "nyc" is also a location id`}, ""},
		{"latitude", func(c *config.Config) { c.Locations[0].Address.Lat = f(95) },
			[]string{`locations[0].address.lat: 95 is not a latitude in [-90, 90]`}, ""},
		{"longitude", func(c *config.Config) { c.Locations[1].Address.Lon = f(-180.5) },
			[]string{`locations[1].address.lon: -180.5 is not a longitude in [-180, 180]`}, ""},
		{"half coordinates", func(c *config.Config) { c.Locations[1].Address.Lon = nil },
			[]string{`locations[1].address.lon: is required when lat is set`}, ""},
		{"country", func(c *config.Config) { c.Locations[1].Address.Country = "USA" },
			[]string{`locations[1].address.country: "USA" is not a two-letter`}, ""},
		{"priority", func(c *config.Config) { c.Locations[1].Priority = -1 },
			[]string{`locations[1].priority: -1 must not be negative`}, ""},
		{"duplicate location", func(c *config.Config) { c.Locations[1].ID = "nyc" },
			[]string{`locations[1].id: "nyc" is used twice`}, ""},
		{"listen", func(c *config.Config) { c.Listen = "localhost" },
			[]string{`listen: "localhost" is not host:port`}, ""},
		{"listen port", func(c *config.Config) { c.Listen = "127.0.0.1:99999" },
			[]string{`listen: "127.0.0.1:99999" is not host:port`}, ""},
		{"public url", func(c *config.Config) { c.PublicURL = "hub.example.com" },
			[]string{`public_url: "hub.example.com" is not an absolute http(s) URL`}, ""},
		{"short admin token", func(c *config.Config) { c.Admin.Tokens[0].Token = "tooshort-xyz" },
			[]string{`admin.tokens[0].token: must be at least 16 characters`}, "tooshort-xyz"},
		{"empty admin token", func(c *config.Config) { c.Admin.Tokens[0].Token = "" },
			[]string{`admin.tokens[0].token: is required`}, ""},
		{"duplicate admin token", func(c *config.Config) {
			c.Admin.Tokens = append(c.Admin.Tokens, config.AdminToken{Token: c.Admin.Tokens[0].Token, Shops: []string{"acme-woo"}})
		}, []string{`admin.tokens[1].token: is the same as admin.tokens[0].token`}, "demo-admin-token"},
		{"duplicate admin token name", func(c *config.Config) {
			c.Admin.Tokens = append(c.Admin.Tokens, config.AdminToken{Name: "token-1", Token: "another-admin-token-0123", Shops: []string{"acme-woo"}})
		}, []string{`admin.tokens[1].name: "token-1" is the name of admin.tokens[0] too`}, ""},
		{"admin token name characters", func(c *config.Config) { c.Admin.Tokens[0].Name = "night shift" },
			[]string{`admin.tokens[0].name: "night shift" must be made of letters, digits`}, ""},
		{"session timeouts", func(c *config.Config) {
			c.Admin.Session = config.AdminSession{IdleTimeout: 30 * time.Second, MaxAge: 10 * time.Second}
		},
			[]string{`admin.session.idle_timeout: 30s must be at least 1m`, `admin.session.max_age: 10s must be at least admin.session.idle_timeout`}, ""},
		{"throttle", func(c *config.Config) { c.Admin.Throttle = config.AdminThrottle{} },
			[]string{`admin.throttle.failures: 0 must be at least 1`, `admin.throttle.window: 0s must be at least 1s`}, ""},
		{"trusted proxies", func(c *config.Config) { c.Admin.TrustedProxies = []string{"10.0.0.0/8", "::1", "proxy.internal"} },
			[]string{`admin.trusted_proxies[2]: "proxy.internal" is not an IP address or a CIDR`}, ""},
		{"admin token shop", func(c *config.Config) { c.Admin.Tokens[0].Shops = []string{"acme-shopify", "nope"} },
			[]string{`admin.tokens[0].shops[1]: "nope" is not a shop id`}, ""},
		{"admin token without shops", func(c *config.Config) { c.Admin.Tokens[0].Shops = nil },
			[]string{`admin.tokens[0].shops: must list shop ids`}, ""},
		{"shop id characters", func(c *config.Config) { c.Shops[0].ID = "Acme Shop" },
			[]string{`shops[0].id: "Acme Shop" must be made of a-z, 0-9, _ and -`}, ""},
		{"empty shop id", func(c *config.Config) { c.Shops[0].ID = "" },
			[]string{`shops[0].id: is required`}, ""},
		{"platform", func(c *config.Config) { c.Shops[0].Platform = "magento" },
			[]string{`shops[0].platform: "magento" is not one of shopify, woocommerce, bigcommerce`}, ""},
		{"rescue after", func(c *config.Config) { c.Jobs.RescueAfter = time.Second },
			[]string{`jobs.rescue_after: 1s must be at least 10s`}, ""},
		{"heartbeat every", func(c *config.Config) { c.Jobs.HeartbeatEvery = 0 },
			[]string{`jobs.heartbeat_every: 0s must be at least 100ms`}, ""},
		{"lease shorter than two heartbeats", func(c *config.Config) { c.Jobs.Lease = 1500 * time.Millisecond },
			[]string{`jobs.lease: 1.5s must be at least twice jobs.heartbeat_every (1s)`}, ""},
		{"lease not under rescue after", func(c *config.Config) { c.Jobs.Lease = 5 * time.Minute },
			[]string{`jobs.lease: 5m0s must be shorter than jobs.rescue_after (5m0s)`}, ""},
		{"rate limit", func(c *config.Config) { c.Shops[1].RateLimit = &config.RateLimit{PerSecond: 0, Burst: -1} },
			[]string{`shops[1].rate_limit.per_second: 0 must be more than 0`, `shops[1].rate_limit.burst: -1 must not be negative`}, ""},
		{"shopify domain", func(c *config.Config) { c.Shops[0].Domain = "" },
			[]string{`shops[0].domain: is required`}, ""},
		{"shopify domain with scheme", func(c *config.Config) { c.Shops[0].Domain = "https://acme.myshopify.com" },
			[]string{`shops[0].domain: "https://acme.myshopify.com" must be a host name`}, ""},
		{"shopify access token", func(c *config.Config) { c.Shops[0].AccessToken = "" },
			[]string{`shops[0].access_token: is required`}, ""},
		{"shopify api version", func(c *config.Config) { c.Shops[0].APIVersion = "2025-06" },
			[]string{`shops[0].api_version: "2025-06" is not a Shopify API version`}, ""},
		{"api base url", func(c *config.Config) { c.Shops[0].APIBaseURL = "not a url" },
			[]string{`shops[0].api_base_url: "not a url" is not an absolute http(s) URL`}, ""},
		{"woo credentials", func(c *config.Config) {
			c.Shops[1].ConsumerKey, c.Shops[1].ConsumerSecret, c.Shops[1].WebhookSecret = "", "", ""
		},
			[]string{`shops[1].consumer_key: is required`, `shops[1].consumer_secret: is required`, `shops[1].webhook_secret: is required`}, ""},
		{"key on the wrong platform", func(c *config.Config) { c.Shops[0].ConsumerKey = "ck_wrong_place_secret" },
			[]string{`shops[0].consumer_key: is only used by woocommerce shops`}, "ck_wrong_place_secret"},
		{"bigcommerce store hash and token", func(c *config.Config) { c.Shops[2].StoreHash, c.Shops[2].AccessToken = "", "" },
			[]string{`shops[2].store_hash: is required`, `shops[2].access_token: is required`}, ""},
		{"bigcommerce webhook auth", func(c *config.Config) { c.Shops[2].ClientSecret = "" },
			[]string{`shops[2].client_secret: is required unless webhook_auth_header is set`}, ""},
		{"bigcommerce header name", func(c *config.Config) {
			c.Shops[2].ClientSecret = ""
			c.Shops[2].WebhookAuthHeader = &config.HeaderAuth{Name: "X Bad", Value: "v"}
		}, []string{`shops[2].webhook_auth_header.name: "X Bad" is not a valid HTTP header name`}, ""},
		{"provider kind", func(c *config.Config) { c.Providers[1].Kind = "fedex" },
			[]string{`providers[1].kind: "fedex" is not one of shipbob, easypost, shippo`}, ""},
		{"shipbob credentials", func(c *config.Config) { c.Providers[0].Token, c.Providers[0].ChannelID = "", "" },
			[]string{`providers[0].token: is required`, `providers[0].channel_id: is required`}, ""},
		{"easypost key", func(c *config.Config) { c.Providers[1].APIKey = "" },
			[]string{`providers[1].api_key: is required`}, ""},
		{"shippo key and auth", func(c *config.Config) { c.Providers[2].APIKey, c.Providers[2].Auth = "", "basic" },
			[]string{`providers[2].api_key: is required`, `providers[2].auth: "basic" is not one of url_token, hmac`}, ""},
		{"provider webhook secret", func(c *config.Config) { c.Providers[1].WebhookSecret = "" },
			[]string{`providers[1].webhook_secret: is required`}, ""},
		{"provider id", func(c *config.Config) { c.Providers[1].ID = "easypost/main" },
			[]string{`providers[1].id: "easypost/main" must be made of`}, ""},
		{"smtp", func(c *config.Config) {
			c.Notifications.SMTP = config.SMTP{Host: "smtp.example.com", Port: 0, From: "not an address"}
		}, []string{`notifications.smtp.port: 0 is not a port`, `notifications.smtp.from: "not an address" is not a mail address`}, ""},
		{"notice links", func(c *config.Config) {
			c.Notifications.LinkTTL, c.Notifications.PreviousKeyFor = 30*time.Minute, -time.Hour
		},
			[]string{`notifications.link_ttl: 30m0s must be at least 1h`, `notifications.previous_key_for: -1h0m0s must not be negative`}, ""},
		{"stuck after", func(c *config.Config) { c.Alerts.StuckAfter = 0 },
			[]string{`alerts.stuck_after: 0s must be positive`}, ""},
		{"alert url", func(c *config.Config) { c.Alerts.WebhookURL = "hooks.slack.com/x" },
			[]string{`alerts.webhook_url: "hooks.slack.com/x" is not an absolute http(s) URL`}, ""},
		{"max body", func(c *config.Config) { c.Webhooks.MaxBodyBytes = 0 },
			[]string{`webhooks.max_body_bytes: 0 must be positive`}, ""},
		{"max in flight", func(c *config.Config) { c.Webhooks.MaxInFlightBytes = 0 },
			[]string{`webhooks.max_in_flight_bytes: 0 must be at least webhooks.max_body_bytes`}, ""},
		{"max in flight under one body", func(c *config.Config) { c.Webhooks.MaxInFlightBytes = c.Webhooks.MaxBodyBytes - 1 },
			[]string{`webhooks.max_in_flight_bytes: 5242879 must be at least webhooks.max_body_bytes`}, ""},
		{"reconcile", func(c *config.Config) { c.Reconcile.Interval = -time.Minute },
			[]string{`reconcile.interval: -1m0s must be positive`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := demoConfig(t)
			tt.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() =\n%v\nwant it to contain %q", err, w)
				}
			}
			if tt.hidden != "" && strings.Contains(err.Error(), tt.hidden) {
				t.Errorf("Validate() leaks %q:\n%v", tt.hidden, err)
			}
			for _, fe := range config.FieldErrors(err) {
				if fe.Field == "" || fe.Problem == "" {
					t.Errorf("incomplete FieldError %#v", fe)
				}
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	c := demoConfig(t)
	c.Listen = "nope"
	c.Shops[0].WebhookSecret = ""
	c.Locations[2].Kind = "warhouse"
	c.Routing.Backorders = "later"
	err := c.Validate()
	fes := config.FieldErrors(fmtWrap(err))
	var fields []string
	for _, fe := range fes {
		fields = append(fields, fe.Field)
	}
	want := []string{"listen", "shops[0].webhook_secret", "locations[2].kind", "routing.backorders"}
	if !slices.Equal(fields, want) {
		t.Fatalf("FieldErrors fields = %v, want %v\n%v", fields, want, err)
	}
	if fes[2].Value != "warhouse" || fes[2].Problem != "is not one of warehouse, 3pl" {
		t.Errorf("fes[2] = %#v", fes[2])
	}
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Field != "listen" {
		t.Errorf("errors.As found %v", fe)
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("context"), err) }

func TestDefaultIsValid(t *testing.T) {
	t.Parallel()
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"", "# nothing but a comment\n", "listen: 127.0.0.1:8080\n", "routing:\n", "redis: ~\n"} {
		c, err := config.Parse([]byte(src), config.MapEnv(nil))
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		if !reflect.DeepEqual(c, config.Default()) {
			t.Errorf("Parse(%q) =\n%s\nwant Default()\n%s", src, c, config.Default())
		}
	}

	d := config.Default()
	if d.Listen != "127.0.0.1:8080" || d.Database != "sqlite://./orderhub.db" ||
		!slices.Equal(d.Routing.Rules, []string{"minimize_splits", "closest", "priority"}) ||
		!d.Routing.AllowLineSplit || !d.Routing.Dropship || d.Routing.Backorders != "notify" ||
		d.Alerts.StuckAfter != 24*time.Hour || d.Webhooks.MaxBodyBytes != 5<<20 ||
		d.Reconcile.Interval != 15*time.Minute || d.Notifications.SMTP.Port != 587 ||
		d.Notifications.LinkTTL != 720*time.Hour || d.Notifications.PreviousKeyFor != 0 ||
		d.Admin.Session != (config.AdminSession{IdleTimeout: 8 * time.Hour, MaxAge: 7 * 24 * time.Hour}) ||
		d.Admin.Throttle != (config.AdminThrottle{Failures: 10, Window: 15 * time.Minute}) || d.Admin.TrustedProxies != nil ||
		d.Jobs.RescueAfter != 5*time.Minute || d.Jobs.HeartbeatEvery != time.Second || d.Jobs.Lease != 5*time.Second {
		t.Errorf("Default() = %s", d)
	}

	src := `
admin:
  tokens:
    - {token: first-admin-token-0123, shops: ["*"]}
    - {name: warehouse, token: second-admin-token-0123, shops: [w]}
    - {token: third-admin-token-01234, shops: [s]}
  session: {idle_timeout: 30m}
alerts: {stuck_after: 2h30m}
reconcile: {interval: "90s"}
notifications: {link_ttl: 168h, previous_key_for: 24h}
routing: {allow_line_split: false, rules: [priority]}
shops:
  - {id: s, platform: shopify, domain: s.myshopify.com, access_token: t, webhook_secret: w}
  - {id: b, platform: bigcommerce, store_hash: h, access_token: t, client_secret: c}
  - {id: w, platform: woocommerce, domain: shop.example.com, consumer_key: k, consumer_secret: s, webhook_secret: w}
providers:
  - {id: sp, kind: shippo, api_key: k, webhook_secret: w}
  - {id: sb, kind: shipbob, token: t, channel_id: 12345, webhook_secret: w}
locations:
  - {id: boston, kind: warehouse, address: {zip: 02134, lat: 42, lon: -71.1}, shipping: {provider: sp}}
suppliers:
  - {id: d, skus: {"A-1": {cost: 4.20}, 00123: {cost: "1", currency: eur}}}
`
	c, err := config.Parse([]byte(src), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"token names", []string{c.Admin.Tokens[0].Name, c.Admin.Tokens[1].Name, c.Admin.Tokens[2].Name}, []string{"token-1", "warehouse", "token-3"}},
		{"session idle", c.Admin.Session.IdleTimeout, 30 * time.Minute},
		{"session max age default kept", c.Admin.Session.MaxAge, 7 * 24 * time.Hour},
		{"throttle default kept", c.Admin.Throttle, config.AdminThrottle{Failures: 10, Window: 15 * time.Minute}},
		{"stuck_after", c.Alerts.StuckAfter, 150 * time.Minute},
		{"alerts.webhook_url kept", c.Alerts.WebhookURL, ""},
		{"reconcile", c.Reconcile.Interval, 90 * time.Second},
		{"link_ttl", c.Notifications.LinkTTL, 7 * 24 * time.Hour},
		{"previous_key_for", c.Notifications.PreviousKeyFor, 24 * time.Hour},
		{"allow_line_split", c.Routing.AllowLineSplit, false},
		{"dropship default kept", c.Routing.Dropship, true},
		{"backorders default kept", c.Routing.Backorders, "notify"},
		{"rules replaced", strings.Join(c.Routing.Rules, ","), "priority"},
		{"max body default", c.Webhooks.MaxBodyBytes, int64(5 << 20)},
		{"max in flight default", c.Webhooks.MaxInFlightBytes, int64(64 << 20)},
		{"listen default", c.Listen, "127.0.0.1:8080"},
		{"shopify api version", c.Shops[0].APIVersion, "2025-07"},
		{"shopify api base", c.Shops[0].APIBaseURL, "https://s.myshopify.com"},
		{"bigcommerce api base", c.Shops[1].APIBaseURL, "https://api.bigcommerce.com"},
		{"bigcommerce api version empty", c.Shops[1].APIVersion, ""},
		{"woo api base", c.Shops[2].APIBaseURL, "https://shop.example.com"},
		{"shippo api base", c.Providers[0].APIBaseURL, "https://api.goshippo.com"},
		{"shippo auth", c.Providers[0].Auth, "url_token"},
		{"shipbob api base", c.Providers[1].APIBaseURL, "https://api.shipbob.com"},
		{"channel id as written", c.Providers[1].ChannelID, "12345"},
		{"zip keeps its leading zero", c.Locations[0].Address.Zip, "02134"},
		{"shipping rule", c.Locations[0].Shipping.Rule, "cheapest"},
		{"currency default", c.Suppliers[0].SKUs["A-1"].Currency, "USD"},
		{"cost as written", c.Suppliers[0].SKUs["A-1"].Cost, "4.20"},
		{"numeric SKU keeps its zeros", c.Suppliers[0].SKUs["00123"].Cost, "1"},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}
	sups, err := c.DomainSuppliers()
	if err != nil {
		t.Fatal(err)
	}
	if got := sups[0].SKUs["00123"].Cost; got != orderhub.MustParseMoney("1", "EUR") {
		t.Errorf("lower-case currency cost = %+v", got)
	}
}

func TestParseStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown top-level key", "listen: 127.0.0.1:8080\nlocatons: []\n",
			[]string{`locatons: is not a known key (did you mean "locations"?) (line 2)`}},
		{"unknown shop key", "shops:\n  - id: a\n    platform: shopify\n    secert: x\n",
			[]string{`shops[0].secert: is not a known key (line 4)`}},
		{"every unknown key at once", "shops:\n  - id: a\n    secert: x\nroutng: {}\nrouting: {rulez: []}\n",
			[]string{`shops[0].secert: is not a known key`, `routng: is not a known key (did you mean "routing"?)`, `routing.rulez: is not a known key (did you mean "rules"?)`}},
		{"unknown key in a map value", "suppliers:\n  - id: d\n    skus: {\"SKU-1\": {cost: \"1\", price: 2}}\n",
			[]string{`suppliers[0].skus["SKU-1"].price: is not a known key (line 3)`}},
		{"unknown nested key", "locations:\n  - id: x\n    address: {lattitude: 4}\n",
			[]string{`locations[0].address.lattitude: is not a known key`}},
		{"duplicate key", "listen: a:1\nlisten: b:2\n", []string{`line 2`, `"listen" already defined`}},
		{"list expected", "shops: {id: x}\n", []string{`shops: must be a list, not a mapping (line 1)`}},
		{"mapping expected", "routing: [a]\n", []string{`routing: must be a mapping of keys, not a list`}},
		{"scalar expected", "listen: [a]\n", []string{`listen: must be a single value, not a list`}},
		{"top level", "- a\n", []string{`(top level): must be a mapping of keys, not a list`}},
		{"bad duration", "alerts:\n  stuck_after: 5\n", []string{`alerts.stuck_after: "5" is not a duration such as 24h or 15m (line 2)`}},
		{"bad duration text", "reconcile: {interval: soon}\n", []string{`reconcile.interval: "soon" is not a duration`}},
		{"bad bool", "routing: {dropship: yes}\n", []string{`routing.dropship: "yes" is not true or false`}},
		{"bad int", "locations: [{id: a, priority: 1.5}]\n", []string{`locations[0].priority: "1.5" is not a whole number`}},
		{"bad int text", "webhooks: {max_body_bytes: lots}\n", []string{`webhooks.max_body_bytes: "lots" is not a whole number`}},
		{"bad float", "locations: [{id: a, address: {lat: north}}]\n", []string{`locations[0].address.lat: "north" is not a number`}},
		{"two documents", "listen: a:1\n---\nlisten: b:2\n", []string{`2 YAML documents`}},
		{"syntax", "shops: [\n", []string{`config: line`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(tt.src), config.MapEnv(nil))
			if err == nil {
				t.Fatalf("Parse = nil error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse error =\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	t.Parallel()
	src := `
providers:
  - &ep {id: ep-a, kind: easypost, api_key: "${KEY}", webhook_secret: w}
  - <<: *ep
    id: ep-b
`
	c, err := config.Parse([]byte(src), config.MapEnv(map[string]string{"KEY": "k1"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Providers) != 2 || c.Providers[1].ID != "ep-b" || c.Providers[1].APIKey != "k1" || c.Providers[0].ID != "ep-a" {
		t.Fatalf("providers = %+v", c.Providers)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	if _, err := config.Parse([]byte(src+"    bogus: 1\n"), nil); err == nil || !strings.Contains(err.Error(), "providers[1].bogus: is not a known key") {
		t.Errorf("unknown key beside a merge: %v", err)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("shops:\n  - id: a\n    secert: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.LoadWith(path, config.MapEnv(nil))
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "shops[0].secert") {
		t.Fatalf("LoadWith = %v", err)
	}
	if fes := config.FieldErrors(err); len(fes) != 1 || fes[0].Field != "shops[0].secert" || fes[0].Line != 3 {
		t.Errorf("FieldErrors = %+v", fes)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestEnvExpansion(t *testing.T) {
	t.Parallel()
	nasty := "s3:cr#t \"quoted\" 'single' \n- [x]: {y}"
	env := map[string]string{
		"SECRET":  nasty,
		"TOKEN":   "tok-with-${NESTED}",
		"NESTED":  "never-used",
		"PORT":    "2525",
		"STUCK":   "36h",
		"HOST":    "smtp.example.com",
		"PREFIX":  "pre",
		"SPLIT":   "false",
		"COSTVAR": "7.25",
	}
	src := `
shops:
  - id: acme
    platform: shopify
    domain: acme.myshopify.com
    access_token: "${TOKEN}"
    webhook_secret: "${SECRET}"
    previous_webhook_secret: ${PREFIX}-$$-${PREFIX}-$-$${PREFIX}-${not-a-name}-${PREFIX
notifications:
  smtp: {host: "${HOST}", port: "${PORT}", from: "orders@example.com", password: "${UNSET_PASSWORD}"}
alerts: {stuck_after: "${STUCK}"}
routing: {allow_line_split: "${SPLIT}"}
suppliers:
  - id: d
    skus: {"${PREFIX}": {cost: "${COSTVAR}"}}
note_free_text: |
  ignored
`
	// note_free_text is unknown: check strictness first, then drop it.
	if _, err := config.Parse([]byte(src), config.MapEnv(env)); err == nil || !strings.Contains(err.Error(), "note_free_text") {
		t.Fatalf("unknown key not reported: %v", err)
	}
	src = src[:strings.Index(src, "note_free_text")]
	c, err := config.Parse([]byte(src), config.MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Shops[0]
	if s.WebhookSecret != nasty {
		t.Errorf("webhook_secret = %q, want %q", s.WebhookSecret, nasty)
	}
	if s.AccessToken != "tok-with-${NESTED}" {
		t.Errorf("expansion must not recurse: access_token = %q", s.AccessToken)
	}
	if want := "pre-$$-pre-$-$${PREFIX}-${not-a-name}-${PREFIX"; s.PreviousWebhookSecret != want {
		t.Errorf("previous_webhook_secret = %q, want %q", s.PreviousWebhookSecret, want)
	}
	if c.Notifications.SMTP.Host != "smtp.example.com" || c.Notifications.SMTP.Port != 2525 || c.Notifications.SMTP.Password != "" {
		t.Errorf("smtp = %+v", c.Notifications.SMTP)
	}
	if c.Alerts.StuckAfter != 36*time.Hour || c.Routing.AllowLineSplit {
		t.Errorf("stuck_after = %v, allow_line_split = %v", c.Alerts.StuckAfter, c.Routing.AllowLineSplit)
	}
	if sku, ok := c.Suppliers[0].SKUs["${PREFIX}"]; !ok || sku.Cost != "7.25" {
		t.Errorf("keys must not expand, values must: skus = %+v", c.Suppliers[0].SKUs)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	// An unset variable expands to nothing, and Validate names it.
	delete(env, "SECRET")
	c, err = config.Parse([]byte(src), config.MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.Shops[0].WebhookSecret != "" {
		t.Errorf("unset variable expanded to %q", c.Shops[0].WebhookSecret)
	}
	err = c.Validate()
	if want := "shops[0].webhook_secret: is required (${SECRET} is unset or empty)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate = %v, want %q", err, want)
	}
}

func TestDatabaseKind(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, kind, dsn string }{
		{"sqlite://./orderhub.db", "sqlite", "./orderhub.db"},
		{"sqlite:///abs/path.db", "sqlite", "/abs/path.db"},
		{"sqlite://data/o.db?_pragma=busy_timeout(5000)", "sqlite", "data/o.db?_pragma=busy_timeout(5000)"},
		{"postgres://root@127.0.0.1:5432/orderhub?sslmode=disable", "postgres", "postgres://root@127.0.0.1:5432/orderhub?sslmode=disable"},
		{"postgresql://u@h/db", "postgres", "postgresql://u@h/db"},
		{"mysql://x", "", ""},
	}
	for _, tt := range tests {
		c := config.Default()
		c.Database = tt.url
		if kind, dsn := c.DatabaseKind(); kind != tt.kind || dsn != tt.dsn {
			t.Errorf("DatabaseKind(%q) = %q, %q; want %q, %q", tt.url, kind, dsn, tt.kind, tt.dsn)
		}
	}
}

func TestRedactedNeverShowsSecrets(t *testing.T) {
	t.Parallel()
	c := demoConfig(t)
	c.Database = "postgres://orderhub:pg-password-123@db:5432/orderhub"
	c.Alerts.WebhookURL = "https://hooks.slack.com/services/T000/B000/slack-secret-path"
	c.Shops[2].WebhookAuthHeader = &config.HeaderAuth{Name: "X-Auth", Value: "header-secret-value"}
	before := c.String()
	secrets := []string{"pg-password-123", "slack-secret-path", "header-secret-value"}
	for _, v := range demoEnv(t) {
		secrets = append(secrets, v)
	}
	for _, s := range secrets {
		if strings.Contains(before, s) {
			t.Errorf("String() shows secret %q", s)
		}
	}
	for _, want := range []string{"acme-shopify", "nyc", "dropco", config.RedactedMark, "stuck_after: 24h"} {
		if !strings.Contains(before, want) {
			t.Errorf("String() lacks %q:\n%s", want, before)
		}
	}
	// Redacted copies: the original keeps its secrets.
	r := c.Redacted()
	r.Suppliers[0].SKUs["NEW"] = config.SupplierSKU{Cost: "1"}
	r.Shops[2].WebhookAuthHeader.Name = "changed"
	if c.Shops[0].WebhookSecret != "demo-shopify-webhook-secret-7d3e" || c.Shops[2].WebhookAuthHeader.Value != "header-secret-value" ||
		c.Shops[2].WebhookAuthHeader.Name != "X-Auth" || len(c.Suppliers[0].SKUs) != 3 {
		t.Error("Redacted changed the original")
	}
}

func TestParseEnvFile(t *testing.T) {
	t.Parallel()
	env, err := config.ParseEnvFile([]byte("# comment\n\nA=1\nexport B = two words \nC='lit $X \\n'\nD=\"q\\\"uoted\\n\"\nE=has#hash\r\nF=\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two words", "C": `lit $X \n`, "D": "q\"uoted\n", "E": "has#hash", "F": ""}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("ParseEnvFile = %#v, want %#v", env, want)
	}
	for _, bad := range []string{"NOEQUALS\n", "1BAD=x\n", "A=1\nA=2\n", "A=\"unterminated\n"} {
		if _, err := config.ParseEnvFile([]byte(bad)); err == nil {
			t.Errorf("ParseEnvFile(%q) = nil error", bad)
		}
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	c := demoConfig(t)
	if s, ok := c.Shop("acme-bc"); !ok || s.StoreHash != "abc123" {
		t.Errorf("Shop(acme-bc) = %+v, %v", s, ok)
	}
	if p, ok := c.Provider("shippo-main"); !ok || p.Kind != "shippo" || p.Auth != "url_token" {
		t.Errorf("Provider(shippo-main) = %+v, %v", p, ok)
	}
	if l, ok := c.Location("la-3pl"); !ok || l.Provider != "shipbob-main" {
		t.Errorf("Location(la-3pl) = %+v, %v", l, ok)
	}
	if s, ok := c.Supplier("dropco"); !ok || len(s.SKUs) != 3 {
		t.Errorf("Supplier(dropco) = %+v, %v", s, ok)
	}
	for _, ok := range []bool{second(c.Shop("x")), second(c.Provider("x")), second(c.Location("x")), second(c.Supplier("x"))} {
		if ok {
			t.Error("lookup of an unknown id succeeded")
		}
	}
	if ids := c.ShopIDs(); !slices.Equal(ids, []string{"acme-shopify", "acme-woo", "acme-bc"}) {
		t.Errorf("ShopIDs = %v", ids)
	}
	tok := c.Admin.Tokens[0]
	if !tok.AllShops() || !tok.CanSee("anything") {
		t.Error("a * token must see every shop")
	}
	if tok.Name != "token-1" || c.Admin.TokenName(0) != "token-1" {
		t.Errorf("the example's unnamed token is named %q, want token-1", tok.Name)
	}
	scoped := config.AdminToken{Shops: []string{"acme-woo"}}
	if scoped.AllShops() || !scoped.CanSee("acme-woo") || scoped.CanSee("acme-bc") {
		t.Error("a scoped token sees the wrong shops")
	}
	// DomainLocations copies coordinates.
	locs := c.DomainLocations()
	*locs[0].Address.Latitude = 0
	if *c.Locations[0].Address.Lat != 40.75 {
		t.Error("DomainLocations shares coordinates with the Config")
	}
}

func second[T any](_ T, ok bool) bool { return ok }

func FuzzParse(f *testing.F) {
	for _, name := range []string{"orderhub.yaml", "postgres.yaml"} {
		data, err := os.ReadFile(filepath.Join(examplesDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("shops: [{id: a, webhook_auth_header: {name: x}}]\nlocations: [{address: {lat: 1}}]\n"))
	f.Add([]byte("<<: {listen: x}\nsuppliers: [{skus: {1: {cost: 1}}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data, func(string) string { return "v" })
		if err != nil {
			return
		}
		_ = c.Validate()
		_ = c.String()
		_, _ = c.DomainSuppliers()
	})
}
