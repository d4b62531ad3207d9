package admin_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/goccy/go-yaml"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlcore"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

func f64(v float64) *float64 { return &v }

var (
	nyc = orderhub.Location{ID: "nyc", Kind: orderhub.LocationWarehouse, Priority: 1,
		Address: orderhub.Address{Country: "US", Province: "NY", Latitude: f64(40.75), Longitude: f64(-73.99)}}
	chi_ = orderhub.Location{ID: "chi", Kind: orderhub.LocationWarehouse, Priority: 2,
		Address: orderhub.Address{Country: "US", Province: "IL", Latitude: f64(41.88), Longitude: f64(-87.63)}}
	la = orderhub.Location{ID: "la-3pl", Kind: orderhub.Location3PL, Priority: 3,
		Address: orderhub.Address{Country: "US", Province: "CA", Latitude: f64(34.05), Longitude: f64(-118.24)}}
	dropco = orderhub.Supplier{ID: "dropco", SKUs: map[string]orderhub.SupplierSKU{
		"POSTER": {Cost: orderhub.MustParseMoney("2.40", "USD"), LeadDays: 3},
		"GHOST":  {Cost: orderhub.MustParseMoney("9.00", "USD"), LeadDays: 6},
	}}
	nycAddr = orderhub.Address{Name: "Ann", City: "New York", Province: "NY", Country: "US", Latitude: f64(40.71), Longitude: f64(-74.0)}
	laAddr  = orderhub.Address{Name: "Bo", City: "Los Angeles", Province: "CA", Country: "US", Latitude: f64(34.0), Longitude: f64(-118.3)}
)

// failArgs is a job that always fails, so that it ends discarded.
type failArgs struct {
	OrderID string `json:"order_id,omitempty"`
}

func (failArgs) Kind() string { return "admin_test_fail" }

type failWorker struct{ river.WorkerDefaults[failArgs] }

func (failWorker) Work(context.Context, *river.Job[failArgs]) error {
	return errors.New("the remote API is down")
}

type noop[T river.JobArgs] struct{ river.WorkerDefaults[T] }

func (noop[T]) Work(context.Context, *river.Job[T]) error { return nil }

type world struct {
	st          *sqlitestore.Store
	srv         *admin.Server
	url         string
	now         time.Time
	a, b        orderhub.Order // routed orders of shop-a and shop-b
	aBackorder  string
	bBackorder  string
	jobA, jobNo int64 // discarded jobs: of shop-a's order, and of no order
	jobB        int64 // discarded job of shop-b's order
	receiptA    string
	receiptB    string
}

func rules() routing.Rules {
	return routing.Rules{Order: []routing.Rule{routing.RuleMinimizeSplits, routing.RuleClosest, routing.RulePriority},
		AllowLineSplit: true, Dropship: true, Backorders: routing.BackorderNotify}
}

// worldSetup builds a store with two shops' routed orders, stock at three
// locations, backorders, dead jobs and dead receipts, and serves the API
// over it.
func worldSetup(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	workers := river.NewWorkers()
	river.AddWorker(workers, failWorker{})
	river.AddWorker(workers, noop[orderhub.FulfillmentArgs]{})
	river.AddWorker(workers, noop[orderhub.BackorderNoticeArgs]{})
	river.AddWorker(workers, noop[orderhub.ProcessReceiptsArgs]{})
	w := &world{now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return w.now }
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "world.db"), store.Options{Workers: workers, Now: clock,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}, allocator.QueueFulfillment: {MaxWorkers: 1}, allocator.QueueNotices: {MaxWorkers: 1}}})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	w.st = st
	alloc, err := allocator.New(allocator.Config{Store: st, Locations: []orderhub.Location{nyc, chi_, la}, Suppliers: []orderhub.Supplier{dropco}, Rules: rules(), Now: clock})
	require.NoError(t, err)
	for _, s := range []struct {
		loc, sku string
		n        int64
	}{{"nyc", "MUG", 5}, {"chi", "MUG", 5}, {"chi", "TEE", 10}, {"la-3pl", "TEE", 3}, {"nyc", "CAP", 1}} {
		_, err := st.SetStock(ctx, store.SetStockParams{LocationID: s.loc, SKU: s.sku, OnHand: s.n})
		require.NoError(t, err)
	}
	paid := w.now.Add(-48 * time.Hour)
	mk := func(shop, ext string, to orderhub.Address, lines ...orderhub.Line) orderhub.Order {
		for i := range lines {
			lines[i].UnitPrice = orderhub.MustParseMoney("10.00", "USD")
			lines[i].RequiresShp = true
			lines[i].Name = lines[i].SKU
		}
		o, err := st.CreateOrder(ctx, store.CreateOrderParams{Order: orderhub.Order{ShopID: shop, Platform: "shopify", ExternalID: ext, ExternalNumber: "#" + ext,
			Currency: "USD", Status: orderhub.StatusPaid, PaidAt: &paid, ShippingAddr: to, Lines: lines,
			Totals: orderhub.Totals{Total: orderhub.MustParseMoney("40.00", "USD")}}})
		require.NoError(t, err)
		_, err = alloc.Route(ctx, o.ID)
		require.NoError(t, err)
		o, err = st.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		return o
	}
	// The clock is 30 hours back while routing, so both orders are stuck now.
	w.now = w.now.Add(-30 * time.Hour)
	w.a = mk("shop-a", "1001", nycAddr, orderhub.Line{SKU: "MUG", Quantity: 2}, orderhub.Line{SKU: "TEE", Quantity: 1}, orderhub.Line{SKU: "WIDGET", Quantity: 1})
	w.b = mk("shop-b", "2002", laAddr, orderhub.Line{SKU: "TEE", Quantity: 2}, orderhub.Line{SKU: "POSTER", Quantity: 1}, orderhub.Line{SKU: "WIDGET", Quantity: 1})
	w.now = w.now.Add(30 * time.Hour)
	for _, o := range []orderhub.Order{w.a, w.b} {
		page, err := st.ListBackorders(ctx, store.ListBackordersParams{OrderID: o.ID})
		require.NoError(t, err)
		require.Len(t, page.Backorders, 1, "WIDGET is nowhere")
		if o.ShopID == "shop-a" {
			w.aBackorder = page.Backorders[0].ID
		} else {
			w.bBackorder = page.Backorders[0].ID
		}
	}

	// Dead letters: three jobs that fail once and are discarded, and two
	// receipts that gave up.
	for _, args := range []failArgs{{OrderID: w.a.ID}, {}, {OrderID: w.b.ID}} {
		res, err := st.Queue().(sqlcore.RiverQueue[*sql.Tx]).Client.Insert(ctx, args, &river.InsertOpts{MaxAttempts: 1})
		require.NoError(t, err)
		switch args.OrderID {
		case w.a.ID:
			w.jobA = res.Job.ID
		case w.b.ID:
			w.jobB = res.Job.ID
		default:
			w.jobNo = res.Job.ID
		}
	}
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, st.Queue().Start(qctx))
	for {
		n, err := st.Queue().CountJobs(qctx, "admin_test_fail", rivertype.JobStateDiscarded)
		require.NoError(t, err)
		if n == 3 {
			break
		}
		select {
		case <-qctx.Done():
			t.Fatal("the failing jobs were never discarded")
		case <-time.After(20 * time.Millisecond):
		}
	}
	require.NoError(t, st.Queue().Stop(qctx))
	for _, shop := range []string{"shop-a", "shop-b"} {
		r, err := st.InsertReceipt(ctx, store.InsertReceiptParams{Platform: "shopify", ShopID: shop, DedupeKey: "k-" + shop, Topic: "orders/create", Body: []byte(`{"id":1}`)})
		require.NoError(t, err)
		_, err = st.FailReceipt(ctx, store.FailReceiptParams{ID: r.ID, Error: "payload has no line items", Dead: true})
		require.NoError(t, err)
		if shop == "shop-a" {
			w.receiptA = r.ID
		} else {
			w.receiptB = r.ID
		}
	}

	w.srv = &admin.Server{Store: st, Allocator: alloc, Now: clock, Suppliers: []orderhub.Supplier{dropco}, Rules: rules(),
		Locations: map[string]orderhub.Location{"nyc": nyc, "chi": chi_, "la-3pl": la},
		Jobs:      admin.RiverJobs[*sql.Tx]{Client: st.Queue().(sqlcore.RiverQueue[*sql.Tx]).Client},
		Tokens:    []admin.Token{{Name: "ops", Token: allToken, Shops: []string{"*"}}, {Name: "shop-a-staff", Token: shopAToken, Shops: []string{"shop-a"}}}}
	ts := httptest.NewServer(w.srv.Routes())
	t.Cleanup(ts.Close)
	w.url = ts.URL
	return w
}

// routeOf is one API route as chi and the spec name it.
type routeOf struct{ method, path string }

func walkRoutes(t *testing.T, h http.Handler) []routeOf {
	t.Helper()
	var out []routeOf
	require.NoError(t, chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, routeOf{method, strings.TrimSuffix(route, "/")})
		return nil
	}))
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

func specRoutes(t *testing.T) []routeOf {
	t.Helper()
	raw, err := os.ReadFile("../api/openapi.yaml")
	require.NoError(t, err)
	var spec struct {
		OpenAPI string                               `yaml:"openapi"`
		Servers []struct{ URL string }               `yaml:"servers"`
		Paths   map[string]map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &spec))
	require.True(t, strings.HasPrefix(spec.OpenAPI, "3."), "an OpenAPI 3 document")
	require.Equal(t, "/api/v1", spec.Servers[0].URL)
	var out []routeOf
	for path, ops := range spec.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			require.NotEmpty(t, op["summary"], "%s %s has a summary", method, path)
			require.NotEmpty(t, op["responses"], "%s %s documents its responses", method, path)
			out = append(out, routeOf{strings.ToUpper(method), path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

// TestOpenAPIMatchesRoutes keeps api/openapi.yaml true: every route the
// router serves is documented, and every documented route is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	srv := &admin.Server{Allocator: &allocator.Allocator{}}
	served := walkRoutes(t, srv.Routes())
	documented := specRoutes(t)
	require.NotEmpty(t, served)
	require.Equal(t, documented, served, "api/openapi.yaml and the router disagree")
}

// TestEveryRouteChecksAuthAndScope calls every route with no token, a
// wrong token, and shop A's token against shop B's things; then with shop
// A's token on its own things, whose answer must hold nothing of shop B's
// and no location's stock: locations serve every shop, so a scoped token
// sees none of their stock on any route, as GET /inventory lists none.
func TestEveryRouteChecksAuthAndScope(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	// own is shop A's call of a route on its own things.
	type own struct {
		path string
		body any
		code int
		// want shows the answer is about shop A's things, so that finding
		// no leak in it means something.
		want string
		// forbid are more patterns the answer must not match.
		forbid []string
	}
	type routeCall struct {
		method, pattern, path string
		body                  any
		// outOfScope is what shop A's token gets for shop B's things: 404,
		// or 200 with an empty list for list routes.
		outOfScope int
		listKey    string
		// own is nil for routes on locations, of which a scoped token has
		// none of its own.
		own *own
	}
	calls := []routeCall{
		{"GET", "/orders", "/orders?shop=shop-b", nil, 200, "orders",
			&own{"/orders", nil, 200, w.a.ID, nil}},
		{"GET", "/orders/{id}", "/orders/" + w.b.ID, nil, 404, "",
			&own{"/orders/" + w.a.ID, nil, 200, w.a.ID, nil}},
		{"POST", "/orders/{id}/transitions", "/orders/" + w.b.ID + "/transitions", map[string]string{"to": "cancelled", "actor": "mallory"}, 404, "",
			&own{"/orders/" + w.a.ID + "/transitions", map[string]string{"to": "partially_fulfilled", "actor": "ann"}, 200, `"partially_fulfilled"`, nil}},
		{"POST", "/orders/{id}/notes", "/orders/" + w.b.ID + "/notes", map[string]string{"actor": "mallory", "note": "x"}, 404, "",
			&own{"/orders/" + w.a.ID + "/notes", map[string]string{"actor": "ann", "note": "called"}, 201, `"called"`, nil}},
		{"POST", "/orders/{id}/cancellations", "/orders/" + w.b.ID + "/cancellations", map[string]any{"lines": []map[string]any{{"line_id": w.b.Lines[0].ID, "quantity": 1}}}, 404, "",
			&own{"/orders/" + w.a.ID + "/cancellations", map[string]any{"lines": []map[string]any{{"line_id": w.a.Lines[1].ID, "quantity": 1}}}, 200, w.a.Lines[1].ID, nil}},
		{"GET", "/inventory", "/inventory", nil, 200, "inventory",
			&own{"/inventory?sku=MUG", nil, 200, `"inventory":[]`, nil}},
		{"PUT", "/inventory/{location}/{sku}", "/inventory/nyc/MUG", map[string]any{"on_hand": 0}, 404, "", nil},
		{"POST", "/inventory/{location}/{sku}/adjustments", "/inventory/nyc/MUG/adjustments", map[string]any{"delta": -1, "reason": "theft"}, 404, "", nil},
		{"GET", "/backorders", "/backorders?order_id=" + w.b.ID, nil, 200, "backorders",
			&own{"/backorders", nil, 200, w.aBackorder, nil}},
		{"POST", "/backorders/{id}/decision", "/backorders/" + w.bBackorder + "/decision", map[string]any{"decision": "cancel"}, 404, "",
			&own{"/backorders/" + w.aBackorder + "/decision", map[string]any{"decision": "wait"}, 200, w.aBackorder, nil}},
		{"POST", "/shipment-preview", "/shipment-preview", map[string]any{"shop": "shop-b", "ship_to": laAddr, "lines": []map[string]any{{"sku": "TEE", "quantity": 1}}}, 404, "",
			// Asked for more than any location holds, the stock in force
			// would answer "nyc: ... has 5 of 100000, ships 5".
			&own{"/shipment-preview", map[string]any{"shop": "shop-a", "ship_to": nycAddr, "lines": []map[string]any{{"sku": "MUG", "quantity": 100000}, {"sku": "TEE", "quantity": 1}}}, 200,
				`"stock_scope":"none"`, []string{`"source_kind":"(warehouse|3pl)"`, `\b(nyc|chi|la-3pl)\b`}}},
		{"POST", "/routing/simulate", "/routing/simulate", map[string]any{"shop": "shop-b"}, 404, "",
			&own{"/routing/simulate", map[string]any{"shop": "shop-a", "rules": []string{"closest", "priority"}}, 200, w.a.ID,
				[]string{`"proposed":"[^"]*\b(nyc|chi|la-3pl) ×`}}},
		{"GET", "/dead-letters", "/dead-letters?shop=shop-b", nil, 200, "dead_letters",
			&own{"/dead-letters", nil, 200, fmt.Sprintf(`"job-%d"`, w.jobA), nil}},
		{"POST", "/dead-letters/{id}/replay", "/dead-letters/job-" + fmt.Sprint(w.jobB) + "/replay", nil, 404, "",
			&own{fmt.Sprintf("/dead-letters/job-%d/replay", w.jobA), nil, 200, fmt.Sprintf(`"job-%d"`, w.jobA), nil}},
	}
	// The table covers every route the API serves.
	var covered []routeOf
	for _, c := range calls {
		covered = append(covered, routeOf{c.method, c.pattern})
	}
	sort.Slice(covered, func(i, j int) bool { return covered[i].path+covered[i].method < covered[j].path+covered[j].method })
	require.Equal(t, walkRoutes(t, w.srv.Routes()), covered)

	for _, c := range calls {
		code, body := call(t, c.method, w.url+c.path, "", c.body)
		require.Equal(t, 401, code, "%s %s without a token", c.method, c.path)
		require.Equal(t, "unauthorized", errCode(body))
		code, body = call(t, c.method, w.url+c.path, "wrong-token-0123456789", c.body)
		require.Equal(t, 401, code, "%s %s with a wrong token", c.method, c.path)
		require.Equal(t, "unauthorized", errCode(body))
		code, body = call(t, c.method, w.url+c.path, shopAToken, c.body)
		require.Equal(t, c.outOfScope, code, "%s %s with shop A's token: %v", c.method, c.path, body)
		if c.listKey != "" {
			require.Empty(t, body[c.listKey], "%s %s lists nothing of shop B", c.method, c.path)
		} else {
			require.Equal(t, "not_found", errCode(body))
		}
	}
	for _, c := range calls {
		if c.own == nil {
			continue
		}
		code, body := call(t, c.method, w.url+c.own.path, shopAToken, c.own.body)
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		require.Equal(t, c.own.code, code, "%s %s with shop A's token: %s", c.method, c.own.path, raw)
		require.Contains(t, string(raw), c.own.want, "%s %s answers about shop A's things", c.method, c.own.path)
		for _, leak := range append(w.shopBLeaks(), c.own.forbid...) {
			require.NotRegexp(t, leak, string(raw), "%s %s shows shop A what is not its own", c.method, c.own.path)
		}
	}

	// Nothing of shop B changed.
	ctx := context.Background()
	b, err := w.st.GetOrder(ctx, w.b.ID)
	require.NoError(t, err)
	require.Equal(t, orderhub.StatusAwaitingFulfillment, b.Status)
	require.Zero(t, b.Lines[0].Cancelled)
	bo, err := w.st.GetBackorder(ctx, w.bBackorder)
	require.NoError(t, err)
	require.Equal(t, orderhub.BackorderPending, bo.Status)
	lvl, err := w.st.GetStock(ctx, "nyc", "MUG")
	require.NoError(t, err)
	require.Equal(t, int64(5), lvl.OnHand)
	job, err := w.srv.Jobs.GetJob(ctx, w.jobB)
	require.NoError(t, err)
	require.Equal(t, "discarded", job.State)
}

// shopBLeaks are patterns that would show shop A something not its own:
// shop B's ids, numbers and dead letters, the job of no shop, and any
// location's stock ("has 5 of 100000", on_hand, reserved).
func (w *world) shopBLeaks() []string {
	return []string{
		regexp.QuoteMeta(w.b.ID), regexp.QuoteMeta(w.bBackorder), regexp.QuoteMeta(w.receiptB), "#2002", "shop-b",
		fmt.Sprintf(`job-%d\b`, w.jobB), fmt.Sprintf(`job-%d\b`, w.jobNo),
		`\bhas \d`, `"on_hand"`, `"reserved"`,
	}
}

func TestListsAreScopedAndPaged(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	// Shop A sees its order, backorder and dead letters, and no one else's.
	code, body := call(t, "GET", w.url+"/orders", shopAToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["orders"], 1)
	code, body = call(t, "GET", w.url+"/backorders", shopAToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["backorders"], 1)
	require.Equal(t, w.aBackorder, body["backorders"].([]any)[0].(map[string]any)["id"])

	code, body = call(t, "GET", w.url+"/dead-letters", shopAToken, nil)
	require.Equal(t, 200, code)
	var ids []string
	for _, d := range body["dead_letters"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	require.Equal(t, []string{fmt.Sprintf("job-%d", w.jobA), "receipt-" + w.receiptA}, ids,
		"shop A sees its order's job and its receipt; not shop B's, nor the job of no shop")

	// Every shop: all five dead letters, in pages of two.
	ids = nil
	after := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		code, body = call(t, "GET", w.url+"/dead-letters?limit=2&after="+after, allToken, nil)
		require.Equal(t, 200, code)
		for _, d := range body["dead_letters"].([]any) {
			ids = append(ids, d.(map[string]any)["id"].(string))
		}
		after = body["next"].(string)
		if after == "" {
			break
		}
	}
	require.Equal(t, []string{fmt.Sprintf("job-%d", w.jobB), fmt.Sprintf("job-%d", w.jobNo), fmt.Sprintf("job-%d", w.jobA),
		"receipt-" + w.receiptB, "receipt-" + w.receiptA}, ids)
	code, body = call(t, "GET", w.url+"/dead-letters?source=receipt", allToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["dead_letters"], 2)
	first := body["dead_letters"].([]any)[1].(map[string]any)
	require.Equal(t, "payload has no line items", first["error"])
	code, _ = call(t, "GET", w.url+"/dead-letters?source=mail", allToken, nil)
	require.Equal(t, 400, code)

	// Inventory in pages, by location then SKU.
	var levels []string
	after = ""
	for {
		code, body = call(t, "GET", w.url+"/inventory?limit=2&after="+after, allToken, nil)
		require.Equal(t, 200, code)
		for _, l := range body["inventory"].([]any) {
			m := l.(map[string]any)
			levels = append(levels, m["location_id"].(string)+"/"+m["sku"].(string))
		}
		if after = body["next"].(string); after == "" {
			break
		}
	}
	require.Equal(t, []string{"chi/MUG", "chi/TEE", "la-3pl/TEE", "nyc/CAP", "nyc/MUG"}, levels)
	code, _ = call(t, "GET", w.url+"/inventory?after=garbage!", allToken, nil)
	require.Equal(t, 400, code)
}

func TestStuckOrders(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	code, body := call(t, "GET", w.url+"/orders?stuck=true", allToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["orders"], 2, "both orders have waited 30 hours")
	require.Equal(t, true, body["orders"].([]any)[0].(map[string]any)["stuck"])

	// A change restarts the wait; the default threshold is 24 hours.
	_, _, err := w.st.TransitionOrder(context.Background(), store.TransitionParams{OrderID: w.a.ID, To: orderhub.StatusPartiallyFulfilled, Actor: "3pl"})
	require.NoError(t, err)
	code, body = call(t, "GET", w.url+"/orders?stuck=true", allToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["orders"], 1)
	require.Equal(t, w.b.ID, body["orders"].([]any)[0].(map[string]any)["id"])
	code, body = call(t, "GET", w.url+"/orders?stuck=true", shopAToken, nil)
	require.Equal(t, 200, code)
	require.Empty(t, body["orders"], "shop B's stuck order is not shop A's business")
	code, body = call(t, "GET", w.url+"/orders?stuck=true&status=paid", allToken, nil)
	require.Equal(t, 200, code)
	require.Empty(t, body["orders"], "stuck means awaiting fulfillment")
	code, _ = call(t, "GET", w.url+"/orders?stuck=maybe", allToken, nil)
	require.Equal(t, 400, code)

	code, body = call(t, "GET", w.url+"/orders/"+w.b.ID, allToken, nil)
	require.Equal(t, 200, code)
	require.Equal(t, true, body["stuck"])

	w.srv.StuckAfter = 48 * time.Hour
	code, body = call(t, "GET", w.url+"/orders?stuck=true", allToken, nil)
	require.Equal(t, 200, code)
	require.Empty(t, body["orders"], "30 hours is not stuck under a 48-hour threshold")
}

func TestShipmentPreview(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	before, err := w.st.ListStock(context.Background(), store.ListStockParams{})
	require.NoError(t, err)
	code, body := call(t, "POST", w.url+"/shipment-preview", allToken, map[string]any{
		"ship_to": nycAddr,
		"lines":   []map[string]any{{"sku": "MUG", "quantity": 1}, {"sku": "CAP", "quantity": 1}, {"sku": "POSTER", "quantity": 2}, {"sku": "WIDGET", "quantity": 1}, {"sku": "GHOST", "quantity": 1}},
	})
	require.Equal(t, 200, code, "%v", body)
	ships := body["shipments"].([]any)
	require.Len(t, ships, 2, "nyc has MUG and CAP; POSTER and GHOST are dropshipped")
	s0 := ships[0].(map[string]any)
	require.Equal(t, "nyc", s0["source_id"])
	require.Len(t, s0["lines"], 2)
	require.InDelta(t, 5.4, s0["distance_km"].(float64), 1.0)
	eta := s0["eta"].(map[string]any)
	require.Equal(t, "2026-11-22", eta["earliest"], "1 day to leave, then 1–2 days under 500 km")
	require.Equal(t, "2026-11-23", eta["latest"])
	s1 := ships[1].(map[string]any)
	require.Equal(t, "dropco", s1["source_id"])
	require.Equal(t, "supplier", s1["source_kind"])
	require.Equal(t, "2026-11-26", s1["eta"].(map[string]any)["earliest"], "the longest lead time of the shipment: GHOST's 6 days")
	bos := body["backorders"].([]any)
	require.Len(t, bos, 1)
	require.Equal(t, "WIDGET", bos[0].(map[string]any)["sku"])
	require.Nil(t, bos[0].(map[string]any)["eta"], "nobody can say when WIDGET arrives")
	require.Len(t, body["explanations"], 5)
	require.Equal(t, "all", body["stock_scope"])

	// Farther means a longer transit band: Chicago to LA is about 2,800 km,
	// New York to LA about 3,900.
	code, body = call(t, "POST", w.url+"/shipment-preview", allToken, map[string]any{"ship_to": laAddr, "lines": []map[string]any{{"sku": "MUG", "quantity": 6}}})
	require.Equal(t, 200, code, "%v", body)
	ships = body["shipments"].([]any)
	require.Len(t, ships, 2, "6 mugs: 5 from one warehouse, 1 from the other")
	earliest := map[string]string{}
	for _, s := range ships {
		m := s.(map[string]any)
		earliest[m["source_id"].(string)] = m["eta"].(map[string]any)["earliest"].(string)
	}
	require.Equal(t, map[string]string{"chi": "2026-11-24", "nyc": "2026-11-26"}, earliest)

	// More mugs than any location holds: a token for every shop reads
	// what each had.
	big := map[string]any{"ship_to": nycAddr, "lines": []map[string]any{{"sku": "MUG", "quantity": 100000}, {"sku": "POSTER", "quantity": 1}}}
	code, body = call(t, "POST", w.url+"/shipment-preview", allToken, big)
	require.Equal(t, 200, code, "%v", body)
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	require.Contains(t, string(raw), "has 5 of 100000")

	// A token scoped to shops sees no location's stock (GET /inventory
	// lists none for it), so its preview plans on none: it learns nothing
	// of how much any location holds, nor which has the SKU.
	code, body = call(t, "POST", w.url+"/shipment-preview", shopAToken, big)
	require.Equal(t, 200, code, "%v", body)
	raw, err = json.Marshal(body)
	require.NoError(t, err)
	require.Equal(t, "none", body["stock_scope"])
	require.NotContains(t, string(raw), "has 5 of 100000")
	require.NotRegexp(t, `\bhas \d|\b(nyc|chi|la-3pl)\b`, string(raw))
	ships = body["shipments"].([]any)
	require.Len(t, ships, 1, "the poster is dropshipped")
	require.Equal(t, "dropco", ships[0].(map[string]any)["source_id"])
	bos = body["backorders"].([]any)
	require.Len(t, bos, 1)
	require.Equal(t, float64(100000), bos[0].(map[string]any)["quantity"], "every mug waits: no location stock is in its scope")
	code, body = call(t, "POST", w.url+"/shipment-preview", shopAToken, map[string]any{"ship_to": nycAddr, "lines": []map[string]any{{"sku": "CAP", "quantity": 1}}})
	require.Equal(t, 200, code, "%v", body)
	require.Empty(t, body["shipments"], "nyc's one cap is not in shop A's scope")

	after, err := w.st.ListStock(context.Background(), store.ListStockParams{})
	require.NoError(t, err)
	require.Equal(t, before, after, "a preview reserves nothing")

	for _, bad := range []map[string]any{
		{"ship_to": nycAddr, "lines": []map[string]any{}},
		{"ship_to": nycAddr, "lines": []map[string]any{{"sku": "", "quantity": 1}}},
		{"ship_to": nycAddr, "lines": []map[string]any{{"sku": "MUG", "quantity": 0}}},
		{"ship_to": nycAddr, "lines": []map[string]any{{"sku": "MUG", "qty": 1}}},
	} {
		code, body = call(t, "POST", w.url+"/shipment-preview", allToken, bad)
		require.Equal(t, 400, code, "%v", bad)
		require.Equal(t, "invalid", errCode(body))
	}
}

func TestRoutingSimulation(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	before, err := w.st.ListStock(context.Background(), store.ListStockParams{})
	require.NoError(t, err)

	// The rules in force replay to what was stored: no differences.
	code, body := call(t, "POST", w.url+"/routing/simulate", allToken, map[string]any{})
	require.Equal(t, 200, code, "%v", body)
	require.Equal(t, float64(2), body["orders_replayed"])
	require.Equal(t, float64(0), body["orders_changed"], "%v", body["differences"])
	require.Equal(t, body["current"], body["proposed"])

	// Closest first splits order A: the mug from New York, the tee from Chicago.
	code, body = call(t, "POST", w.url+"/routing/simulate", allToken, map[string]any{"rules": []string{"closest", "priority"}, "limit": 10})
	require.Equal(t, 200, code, "%v", body)
	require.Equal(t, float64(1), body["orders_changed"])
	diff := body["differences"].([]any)[0].(map[string]any)
	require.Equal(t, w.a.ID, diff["order_id"])
	require.Equal(t, float64(1), diff["current_shipments"])
	require.Equal(t, float64(2), diff["proposed_shipments"])
	line := diff["lines"].([]any)[0].(map[string]any)
	require.Equal(t, "MUG", line["sku"])
	require.Equal(t, "chi ×2", line["current"])
	require.Equal(t, "nyc ×2", line["proposed"])
	require.NotEmpty(t, line["why"])
	cur, prop := body["current"].(map[string]any), body["proposed"].(map[string]any)
	require.Equal(t, float64(0.5), cur["split_rate"], "order B ships from LA and DropCo")
	require.Equal(t, float64(1), prop["split_rate"])
	require.Less(t, prop["mean_distance_km"].(float64), cur["mean_distance_km"].(float64), "closest first ships shorter")
	require.Equal(t, float64(0.125), cur["dropship_share"], "1 poster of 8 units")
	require.Equal(t, float64(0.25), cur["backorder_share"], "2 widgets of 8 units")
	require.Equal(t, []any{"closest", "priority"}, body["proposed_rules"].(map[string]any)["rules"])

	// No dropship: the poster is backordered instead.
	code, body = call(t, "POST", w.url+"/routing/simulate", allToken, map[string]any{"dropship": false})
	require.Equal(t, 200, code)
	require.Equal(t, float64(0), body["proposed"].(map[string]any)["dropship_share"])
	require.Equal(t, float64(0.375), body["proposed"].(map[string]any)["backorder_share"])

	require.Equal(t, "all", body["stock_scope"])

	// Shop A's token replays shop A's order only, on the stock it may see:
	// none of the locations', so every unit it had from a location is
	// proposed as a backorder, and no answer tells it what a location holds.
	code, body = call(t, "POST", w.url+"/routing/simulate", shopAToken, map[string]any{"rules": []string{"closest"}})
	require.Equal(t, 200, code)
	require.Equal(t, float64(1), body["orders_replayed"])
	require.Equal(t, "none", body["stock_scope"])
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	require.NotRegexp(t, `\bhas \d|"proposed":"[^"]*\b(nyc|chi|la-3pl) ×`, string(raw))
	diff = body["differences"].([]any)[0].(map[string]any)
	require.Equal(t, w.a.ID, diff["order_id"])
	line = diff["lines"].([]any)[0].(map[string]any)
	require.Equal(t, "chi ×2", line["current"], "its own order's stored shipment is its to see")
	require.Equal(t, "backorder ×2", line["proposed"])

	code, body = call(t, "POST", w.url+"/routing/simulate", allToken, map[string]any{"rules": []string{"fastest"}})
	require.Equal(t, 400, code)
	require.Contains(t, body["error"].(map[string]any)["message"], "fastest")
	code, _ = call(t, "POST", w.url+"/routing/simulate", allToken, map[string]any{"backorders": "maybe"})
	require.Equal(t, 400, code)

	after, err := w.st.ListStock(context.Background(), store.ListStockParams{})
	require.NoError(t, err)
	require.Equal(t, before, after, "a simulation reserves nothing")
}

func TestReplayDeadLetters(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	ctx := context.Background()
	// The job of no shop is for tokens that see every shop.
	code, _ := call(t, "POST", fmt.Sprintf("%s/dead-letters/job-%d/replay", w.url, w.jobNo), shopAToken, nil)
	require.Equal(t, 404, code)
	code, body := call(t, "POST", fmt.Sprintf("%s/dead-letters/job-%d/replay", w.url, w.jobA), shopAToken, nil)
	require.Equal(t, 200, code, "%v", body)
	require.Equal(t, "available", body["job"].(map[string]any)["state"])
	require.Equal(t, w.a.ID, body["order_id"])
	j, err := w.srv.Jobs.GetJob(ctx, w.jobA)
	require.NoError(t, err)
	require.Equal(t, "available", j.State)
	code, body = call(t, "POST", fmt.Sprintf("%s/dead-letters/job-%d/replay", w.url, w.jobA), shopAToken, nil)
	require.Equal(t, 409, code, "an available job is not dead: %v", body)

	code, _ = call(t, "POST", w.url+"/dead-letters/receipt-"+w.receiptB+"/replay", shopAToken, nil)
	require.Equal(t, 404, code)
	code, body = call(t, "POST", w.url+"/dead-letters/receipt-"+w.receiptA+"/replay", shopAToken, nil)
	require.Equal(t, 200, code, "%v", body)
	r, err := w.st.GetReceipt(ctx, w.receiptA)
	require.NoError(t, err)
	require.Equal(t, store.ReceiptPending, r.Status)
	code, _ = call(t, "POST", w.url+"/dead-letters/bogus-1/replay", allToken, nil)
	require.Equal(t, 404, code)
	code, _ = call(t, "POST", w.url+"/dead-letters/job-999999/replay", allToken, nil)
	require.Equal(t, 404, code)

	code, body = call(t, "GET", w.url+"/dead-letters", allToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["dead_letters"], 3, "two replayed, three left")
}
