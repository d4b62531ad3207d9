package callbacks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/bodylimit"
	"github.com/orderhub/orderhub/callbacks"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/easypost"
	"github.com/orderhub/orderhub/connectors/easypost/easyposttest"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/shipbob/shipbobtest"
	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/connectors/shippo/shippotest"
	"github.com/orderhub/orderhub/connectors/supplier"
	"github.com/orderhub/orderhub/connectors/supplier/suppliertest"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

func f64(v float64) *float64 { return &v }

var (
	nyc = orderhub.Location{ID: "nyc", Kind: orderhub.LocationWarehouse, Priority: 1, ShippingProvider: "easypost-main",
		Address: orderhub.Address{Country: "US", Province: "NY", Latitude: f64(40.75), Longitude: f64(-73.99)}}
	chi_ = orderhub.Location{ID: "chi", Kind: orderhub.LocationWarehouse, Priority: 2, ShippingProvider: "shippo-main",
		Address: orderhub.Address{Country: "US", Province: "IL", Latitude: f64(41.88), Longitude: f64(-87.63)}}
	sea = orderhub.Location{ID: "sea", Kind: orderhub.LocationWarehouse, Priority: 4, ShippingProvider: "shippo-hmac",
		Address: orderhub.Address{Country: "US", Province: "WA", Latitude: f64(47.6), Longitude: f64(-122.3)}}
	la = orderhub.Location{ID: "la-3pl", Kind: orderhub.Location3PL, Provider: "shipbob-main", Priority: 3,
		Address: orderhub.Address{Country: "US", Province: "CA", Latitude: f64(34.05), Longitude: f64(-118.24)}}
	dropco = orderhub.Supplier{ID: "dropco", SKUs: map[string]orderhub.SupplierSKU{"HOODIE": {Cost: orderhub.MustParseMoney("18.50", "USD"), LeadDays: 5}}}
)

const (
	easypostSecret = "s\u00e9cret" // the official vector's secret, composed é
	supplierSecret = "dropco-s3cret"
	shippoSecret   = "shippo-url-token-0123"
)

// world is a hub's callback routes on a real SQLite store, with the fakes
// of every source.
type world struct {
	st       store.Store
	alloc    *allocator.Allocator
	hub      string // the callback server's base URL
	shipbob  *shipbobtest.Server
	easypost *easyposttest.Server
	shippo   *shippotest.Server
	shippoH  *shippotest.Server // an HMAC-authenticated Shippo account whose labels queue
	supplier *suppliertest.Server
	ep       *easypost.Client
	sp       *shippo.Client
	spH      *shippo.Client
	sb       *shipbob.Client
	now      func() time.Time
	budget   *bodylimit.Budget // the handler's budget of body bytes in flight
}

// setup builds a world on SQLite.
func setup(t testing.TB) *world {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "cb.db"), store.Options{})
	require.NoError(t, err)
	return newWorld(t, st)
}

// setupPostgres builds a world on a fresh PostgreSQL database, or skips.
func setupPostgres(t *testing.T) *world {
	t.Helper()
	st, err := pgstore.Open(context.Background(), pgtest.NewDatabase(t), store.Options{MaxConns: 16})
	require.NoError(t, err)
	return newWorld(t, st)
}

func newWorld(t testing.TB, st store.Store) *world {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	a, err := allocator.New(allocator.Config{Store: st, Locations: []orderhub.Location{nyc, chi_, la, sea}, Suppliers: []orderhub.Supplier{dropco},
		Rules: routing.Rules{Order: []routing.Rule{routing.RulePriority}, AllowLineSplit: true, Dropship: true, Backorders: routing.BackorderNotify}})
	require.NoError(t, err)
	w := &world{st: st, alloc: a, now: time.Now, budget: bodylimit.NewBudget(1 << 20),
		shipbob:  shipbobtest.New(t, shipbobtest.Options{}),
		easypost: easyposttest.New(t, easyposttest.Options{WebhookSecret: easypostSecret}),
		shippo:   shippotest.New(t, shippotest.Options{WebhookSecret: shippoSecret}),
		shippoH:  shippotest.New(t, shippotest.Options{WebhookSecret: "shippo-hmac-key", Auth: shippotest.AuthHMAC, QueuedPolls: 2}),
		supplier: suppliertest.New(t, suppliertest.Options{Secret: supplierSecret}),
	}
	w.ep, err = easypost.NewClient(easypost.ClientConfig{BaseURL: w.easypost.URL, APIKey: easyposttest.DefaultAPIKey})
	require.NoError(t, err)
	w.sp, err = shippo.NewClient(shippo.ClientConfig{BaseURL: w.shippo.URL, APIKey: shippotest.DefaultAPIKey})
	require.NoError(t, err)
	w.spH, err = shippo.NewClient(shippo.ClientConfig{BaseURL: w.shippoH.URL, APIKey: shippotest.DefaultAPIKey})
	require.NoError(t, err)
	w.sb, err = shipbob.NewClient(shipbob.ClientConfig{BaseURL: w.shipbob.URL, Token: shipbobtest.DefaultToken, ChannelID: shipbobtest.DefaultChannelID})
	require.NoError(t, err)
	// The handler re-fetches with a client that gives up quickly: Shippo
	// waits only a few seconds for an answer, and retries a 503.
	quick := apiclient.Options{MaxRetries: 1, MinBackoff: 10 * time.Millisecond}
	refetch, err := shippo.NewClient(shippo.ClientConfig{BaseURL: w.shippo.URL, APIKey: shippotest.DefaultAPIKey, HTTP: quick})
	require.NoError(t, err)
	refetchH, err := shippo.NewClient(shippo.ClientConfig{BaseURL: w.shippoH.URL, APIKey: shippotest.DefaultAPIKey, HTTP: quick})
	require.NoError(t, err)
	h, err := callbacks.New(callbacks.Options{Store: st, Allocator: a, Locations: []orderhub.Location{nyc, chi_, la, sea},
		Providers: []callbacks.Provider{
			{ID: "shipbob-main", Kind: "shipbob", WebhookSecret: shipbobtest.DefaultWebhookSecret},
			{ID: "easypost-main", Kind: "easypost", WebhookSecret: easypostSecret},
			{ID: "easypost-other", Kind: "easypost", WebhookSecret: "another secret"},
			{ID: "shippo-main", Kind: "shippo", WebhookSecret: shippoSecret, Auth: "url_token"},
			{ID: "shippo-hmac", Kind: "shippo", WebhookSecret: "shippo-hmac-key", Auth: "hmac"},
		},
		Suppliers: []callbacks.Supplier{{ID: "dropco", Secret: supplierSecret}, {ID: "otherco", Secret: "other-secret"}},
		Shippo:    map[string]callbacks.ShippoAPI{"shippo-main": refetch, "shippo-hmac": refetchH},
		Now:       func() time.Time { return w.now() }, MaxBodyBytes: 64 << 10, Budget: w.budget})
	require.NoError(t, err)
	r := chi.NewRouter()
	h.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	w.hub = srv.URL
	for _, s := range []struct{ loc, sku string }{{"nyc", "MUG"}, {"chi", "CUP"}, {"la-3pl", "POSTER"}, {"sea", "BOWL"}} {
		_, err := st.SetStock(ctx, store.SetStockParams{LocationID: s.loc, SKU: s.sku, OnHand: 10})
		require.NoError(t, err)
	}
	return w
}

var seq struct {
	mu sync.Mutex
	n  int
}

// order creates and routes a paid order of qty units of sku, and returns
// its one fulfillment.
func (w *world) order(t *testing.T, sku string, qty int64) orderhub.Fulfillment {
	t.Helper()
	ctx := context.Background()
	seq.mu.Lock()
	seq.n++
	n := seq.n
	seq.mu.Unlock()
	paid := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	usd := func(s string) orderhub.Money { return orderhub.MustParseMoney(s, "USD") }
	o := orderhub.Order{ShopID: "shop-a", Platform: orderhub.PlatformShopify, ExternalID: strconv.Itoa(5000 + n), Currency: "USD", Status: orderhub.StatusPaid, PaidAt: &paid,
		ShippingAddr: orderhub.Address{Name: "Jo Doe", Address1: "1 Main St", City: "Newark", Province: "NJ", Zip: "07102", Country: "US", Latitude: f64(40.73), Longitude: f64(-74.17)},
		Lines:        []orderhub.Line{{ExternalID: "1", SKU: sku, Name: sku, Quantity: qty, RequiresShp: true, UnitPrice: usd("10.00"), Discount: usd("0"), Tax: usd("0")}}}
	total := usd("10.00")
	total.Amount *= qty
	o.Totals = orderhub.Totals{Subtotal: total, Discount: usd("0"), Shipping: usd("0"), Tax: usd("0"), Total: total, Refunded: usd("0")}
	o, err := w.st.CreateOrder(ctx, store.CreateOrderParams{Order: o, Actor: "test"})
	require.NoError(t, err)
	res, err := w.alloc.Route(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, res.Fulfillments, 1)
	return res.Fulfillments[0]
}

func (w *world) advance(t *testing.T, p allocator.Progress) {
	t.Helper()
	_, err := w.alloc.Advance(context.Background(), p)
	require.NoError(t, err)
}

func (w *world) get(t *testing.T, id string) orderhub.Fulfillment {
	t.Helper()
	f, err := w.st.GetFulfillment(context.Background(), id)
	require.NoError(t, err)
	return f
}

func (w *world) stock(t *testing.T, loc, sku string) orderhub.StockLevel {
	t.Helper()
	s, err := w.st.GetStock(context.Background(), loc, sku)
	require.NoError(t, err)
	return s
}

func (w *world) notes(t *testing.T, orderID string) string {
	t.Helper()
	ev, err := w.st.ListEvents(context.Background(), orderID)
	require.NoError(t, err)
	var b strings.Builder
	for _, e := range ev {
		b.WriteString(e.Note + "\n")
	}
	return b.String()
}

// answer decodes a hub answer.
func answer(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), "every answer is JSON: %s", body)
	return m
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	m := answer(t, body)
	e, ok := m["error"].(map[string]any)
	require.True(t, ok, "an error answer: %s", body)
	return fmt.Sprint(e["code"])
}

// post sends a raw delivery to the hub.
func (w *world) post(t *testing.T, path string, h http.Header, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.hub+path, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

func sharedFixture(t testing.TB, platform, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "fixtures", platform, name)
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		t.Skipf("shared fixture %s is absent (see PLATFORMS.md); the testdata cases still run", p)
	}
	require.NoError(t, err)
	return b
}

// submitPO sends the fulfillment's purchase order to the fake supplier (as
// the executor would) and marks it submitted.
func (w *world) submitPO(t *testing.T, f orderhub.Fulfillment) {
	t.Helper()
	c := supplier.NewClient(apiClientOptions())
	_, err := c.SendPO(context.Background(), w.supplier.POURL(), supplierSecret, supplier.PurchaseOrder{ID: f.ID, OrderID: f.OrderID, SupplierID: "dropco",
		Lines: []supplier.Line{{LineID: f.Lines[0].LineID, SKU: f.Lines[0].SKU, Quantity: f.Lines[0].Quantity}}})
	require.NoError(t, err)
	w.advance(t, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentSubmitted, ExternalID: f.ID, Actor: "dropco"})
}
