package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-chi/chi/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/examples"
	"github.com/orderhub/orderhub/store"
)

// chromiumPath finds Debian's chromium. Without it the browser tests skip,
// except under CI=true, where .ci/run installs it and they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; the browser tests must run under CI=true (apt-get install chromium)")
	}
	t.Skip("skipping browser test: chromium is not installed (apt-get install chromium)")
	return ""
}

// testClock is the app's clock; tests move it to make orders old.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Shift(d time.Duration) { c.mu.Lock(); c.offset = d; c.mu.Unlock() }

// operatorApp starts the whole app on a free loopback port, as testApp
// does, with the operator surface (/ui, /metrics) mounted: through routes
// once app.go calls operatorRoutes, or by wrapping the router until then.
func operatorApp(t *testing.T, clock *testClock) (*App, string) {
	t.Helper()
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	app, err := NewApp(ctx, cfg, AppOptions{Now: clock.Now})
	require.NoError(t, err)
	if !servesRoute(app.router, "/ui/*") {
		r := chi.NewRouter()
		app.operatorRoutes(r)
		r.Mount("/", app.router)
		app.router = r
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		app.closeOperator()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return app, "http://" + ln.Addr().String()
}

func servesRoute(r chi.Router, route string) bool {
	found := false
	_ = chi.Walk(r, func(_, rt string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(rt, strings.TrimSuffix(route, "*")) {
			found = true
		}
		return nil
	})
	return found
}

// newChromium starts a headless chromium that reaches only loopback.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser; it takes no timeout of its own.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

// seeded is the demo data seedDemo made.
type seeded struct {
	tracked     orderhub.Order // shipped with UPS tracking
	split       orderhub.Order // a warehouse plus a dropship supplier
	backordered orderhub.Order
	stuck       orderhub.Order
	tracking    string
	trackingURL string
}

var (
	addrBoston  = orderhub.Address{Name: "Dana Whitfield", Address1: "77 Beacon St", City: "Boston", Province: "MA", Zip: "02108", Country: "US", Latitude: ptrF64(42.36), Longitude: ptrF64(-71.06)}
	addrDenver  = orderhub.Address{Name: "Luis Romero", Address1: "1600 Glenarm Pl", City: "Denver", Province: "CO", Zip: "80202", Country: "US", Latitude: ptrF64(39.74), Longitude: ptrF64(-104.99)}
	addrChicago = orderhub.Address{Name: "Priya Natarajan", Address1: "20 N Wacker Dr", City: "Chicago", Province: "IL", Zip: "60606", Country: "US", Latitude: ptrF64(41.88), Longitude: ptrF64(-87.63)}
	addrAustin  = orderhub.Address{Name: "Sam Okafor", Address1: "500 E Cesar Chavez St", City: "Austin", Province: "TX", Zip: "78701", Country: "US", Latitude: ptrF64(30.26), Longitude: ptrF64(-97.74)}
	addrNewark  = orderhub.Address{Name: "Mia Chen", Address1: "1 Gateway Center", City: "Newark", Province: "NJ", Zip: "07102", Country: "US", Latitude: ptrF64(40.73), Longitude: ptrF64(-74.17)}
)

func ptrF64(v float64) *float64 { return &v }

// seedDemo loads the example inventory and makes orders in every state an
// operator meets: shipped with tracking, split, backordered and stuck, plus
// a note and a dead webhook.
func seedDemo(t *testing.T, app *App, clock *testClock) seeded {
	t.Helper()
	ctx := context.Background()
	f, err := examples.Files.Open("inventory.csv")
	require.NoError(t, err)
	rows, bad, err := readInventoryCSV(f, app.cfg)
	f.Close()
	require.NoError(t, err)
	require.Empty(t, bad)
	for _, r := range rows {
		_, _, err := app.alloc.SetStock(ctx, store.SetStockParams{LocationID: r.location, SKU: r.sku, OnHand: r.onHand, Reason: "import", Actor: "inventory import"})
		require.NoError(t, err)
	}
	price := map[string]string{"IPOD2008GREEN": "199.00", "IPOD2008RED": "199.00", "IPOD2008BLACK": "199.00", "SKU-MUG": "14.00",
		"SKU-POSTER": "9.50", "SKU-HOODIE-L": "48.00", "SKU-TSHIRT-BLUE-M": "22.00"}
	names := map[string]string{"IPOD2008GREEN": "iPod Nano, green", "IPOD2008RED": "iPod Nano, red", "IPOD2008BLACK": "iPod Nano, black",
		"SKU-MUG": "Acme mug", "SKU-POSTER": "Launch poster", "SKU-HOODIE-L": "Hoodie, large", "SKU-TSHIRT-BLUE-M": "T-shirt, blue, M"}
	order := func(shop, platform, ext, number string, to orderhub.Address, email string, lines ...orderhub.Line) orderhub.Order {
		total := orderhub.Zero("USD")
		for i := range lines {
			lines[i].UnitPrice = orderhub.MustParseMoney(price[lines[i].SKU], "USD")
			lines[i].Name = names[lines[i].SKU]
			lines[i].RequiresShp = true
			sub, err := lines[i].Subtotal()
			require.NoError(t, err)
			total, err = total.Add(sub)
			require.NoError(t, err)
		}
		first, last, _ := strings.Cut(to.Name, " ")
		o, err := app.store.CreateOrder(ctx, store.CreateOrderParams{Actor: platform, Note: "order placed", Order: orderhub.Order{
			ShopID: shop, Platform: platform, ExternalID: ext, ExternalNumber: number, Currency: "USD", ShippingAddr: to, Lines: lines,
			Customer: orderhub.Customer{Email: email, FirstName: first, LastName: last},
			Totals:   orderhub.Totals{Subtotal: total, Total: total}}})
		require.NoError(t, err)
		for _, step := range []struct {
			to   orderhub.Status
			note string
		}{{orderhub.StatusPaymentProcessing, "card authorised"}, {orderhub.StatusPaid, "payment captured"}} {
			_, _, err := app.store.TransitionOrder(ctx, store.TransitionParams{OrderID: o.ID, To: step.to, Actor: platform, Note: step.note})
			require.NoError(t, err)
		}
		_, err = app.alloc.Route(ctx, o.ID)
		require.NoError(t, err)
		o, err = app.store.GetOrder(ctx, o.ID)
		require.NoError(t, err)
		return o
	}
	var s seeded
	// Made 30 hours ago and never touched since: stuck.
	clock.Shift(-30 * time.Hour)
	s.stuck = order("acme-shopify", "shopify", "5731198025891", "#1003", addrNewark, "mia@example.com",
		orderhub.Line{SKU: "SKU-TSHIRT-BLUE-M", Quantity: 1})
	clock.Shift(-3 * time.Hour)
	s.tracked = order("acme-shopify", "shopify", "5731198025890", "#1001", addrBoston, "dana@example.com",
		orderhub.Line{SKU: "IPOD2008GREEN", Quantity: 1}, orderhub.Line{SKU: "SKU-MUG", Quantity: 2})
	order("acme-shopify", "shopify", "5731198025892", "#1002", addrDenver, "luis@example.com",
		orderhub.Line{SKU: "SKU-TSHIRT-BLUE-M", Quantity: 2}, orderhub.Line{SKU: "SKU-POSTER", Quantity: 1})
	s.split = order("acme-woo", "woocommerce", "2041", "#2041", addrChicago, "priya@example.com",
		orderhub.Line{SKU: "IPOD2008RED", Quantity: 1}, orderhub.Line{SKU: "SKU-HOODIE-L", Quantity: 1})
	s.backordered = order("acme-bc", "bigcommerce", "311", "#311", addrAustin, "sam@example.com",
		orderhub.Line{SKU: "IPOD2008BLACK", Quantity: 1}, orderhub.Line{SKU: "SKU-MUG", Quantity: 1})
	clock.Shift(0)

	s.tracking, s.trackingURL = "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"
	ship := func(o orderhub.Order, carrier, number, url string) {
		fs, err := app.store.ListFulfillments(ctx, o.ID)
		require.NoError(t, err)
		require.NotEmpty(t, fs)
		require.NoError(t, app.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.UpdateFulfillment(ctx, store.UpdateFulfillmentParams{ID: fs[0].ID, Status: orderhub.FulfillmentShipped,
				Carrier: carrier, TrackingNumber: number, TrackingURL: url}); err != nil {
				return err
			}
			if _, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: o.ID, Kind: orderhub.EventFulfillment, Actor: "easypost",
				Note: fmt.Sprintf("shipment from %s handed to %s, tracking %s", fs[0].SourceID, carrier, number)}); err != nil {
				return err
			}
			_, err := app.alloc.SyncStatusTx(ctx, tx, o.ID, "orderhub-fulfillment")
			return err
		}))
	}
	ship(s.tracked, "UPS", s.tracking, s.trackingURL)
	ship(s.split, "USPS", "9400111899223197428490", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490")
	_, err = app.store.AddEvent(ctx, orderhub.OrderEvent{OrderID: s.tracked.ID, Kind: orderhub.EventNote, Actor: "sam@acme.example",
		Note: "Customer asked to leave the parcel with the doorman."})
	require.NoError(t, err)

	// The periodic stuck-order check flags #1003.
	if c := app.operator().stuck.Checker; c != nil {
		res, err := c.Run(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{s.stuck.ID}, res.Flagged)
	}

	// A job that gave up: its fulfillment is gone.
	_, err = app.store.InsertJob(ctx, orderhub.FulfillmentArgs{FulfillmentID: "01a2aa00-0000-7000-8000-00000000dead"},
		&river.InsertOpts{MaxAttempts: 1, Queue: allocator.QueueFulfillment})
	require.NoError(t, err)
	for deadline := time.Now().Add(20 * time.Second); ; {
		n, err := app.store.Queue().CountJobs(ctx, orderhub.FulfillmentArgs{}.Kind(), rivertype.JobStateDiscarded)
		require.NoError(t, err)
		if n == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the job was never discarded")
		time.Sleep(20 * time.Millisecond)
	}

	// A webhook that could not be processed.
	if r, err := app.store.InsertReceipt(ctx, store.InsertReceiptParams{Platform: "woocommerce", ShopID: "acme-woo", DedupeKey: "wc-delivery-7731",
		Topic: "order.updated", Body: []byte(`{"id":2042}`)}); err == nil {
		// The drain job may get to it first; then it is dead for its own reason.
		if _, err := app.store.FailReceipt(ctx, store.FailReceiptParams{ID: r.ID, Error: "woocommerce: line item 88 has no sku", Dead: true}); err != nil {
			t.Logf("the demo's dead webhook: %v", err)
		}
	} else {
		t.Logf("no dead webhook in the demo data: %v", err)
	}
	return s
}

// TestBrowserOrderTimelineAndTracking signs in to the dashboard in a real
// browser, opens an order, and finds its timeline and its shipment's
// tracking.
func TestBrowserOrderTimelineAndTracking(t *testing.T) {
	ctx := newChromium(t)
	clock := &testClock{}
	app, base := operatorApp(t, clock)
	s := seedDemo(t, app, clock)
	token := app.cfg.Admin.Tokens[0].Token

	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(tctx,
		chromedp.Navigate(base+"/ui/orders"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), token),
		chromedp.Submit(chromedp.CSS(`#token`)),
		chromedp.WaitVisible(chromedp.CSS(`table.orders`)),
	))
	loc, err := chromedp.Run(tctx, chromedp.Location())
	require.NoError(t, err)
	require.Equal(t, base+"/ui/orders", loc, "sign-in lands on the orders")
	// The session is the server's: the page's scripts cannot read its
	// cookie, and the header names the token, the actor of what is done.
	jar, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.cookie`))
	require.NoError(t, err)
	require.NotContains(t, jar, "orderhub_session")
	require.NotContains(t, jar, token)
	actor, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(`[data-testid=actor]`)))
	require.NoError(t, err)
	require.Equal(t, app.cfg.Admin.TokenName(0), actor)

	// Open the order from the list, as a person would.
	require.NoError(t, chromedp.Do(tctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-order=%q] a`, s.tracked.ID))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=timeline]`)),
	))
	title, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(`h1`)))
	require.NoError(t, err)
	require.Equal(t, "Order #1001", title)

	entries, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=timeline-entry]')].map(e => e.innerText.replace(/\s+/g, ' '))`))
	require.NoError(t, err)
	events, err := app.store.ListEvents(context.Background(), s.tracked.ID)
	require.NoError(t, err)
	require.Len(t, entries, len(events), "every event of the timeline is shown")
	joined := strings.Join(entries, "\n")
	for _, want := range []string{"Created", "order placed", "by shopify", "Routed", "by orderhub-routing",
		"Customer asked to leave the parcel with the doorman.", "by sam@acme.example", "tracking " + s.tracking} {
		require.Contains(t, joined, want)
	}
	require.Contains(t, entries[0], "Created")
	require.Contains(t, joined, "pending → payment processing", "transitions show both statuses")

	link, err := chromedp.Run(tctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid=tracking-link]`), "href"))
	require.NoError(t, err)
	require.True(t, link.Exists)
	require.Equal(t, s.trackingURL, link.Value)
	number, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(`[data-testid=tracking-link]`)))
	require.NoError(t, err)
	require.Equal(t, s.tracking, number)

	chosen, err := chromedp.Run(tctx, chromedp.Evaluate[int](`document.querySelectorAll('.candidates li.chosen').length`))
	require.NoError(t, err)
	require.GreaterOrEqual(t, chosen, 2, "each line's chosen source is marked")
}

// TestBrowserLiveUpdate checks that an order page refreshes itself when the
// order changes elsewhere.
func TestBrowserLiveUpdate(t *testing.T) {
	ctx := newChromium(t)
	clock := &testClock{}
	app, base := operatorApp(t, clock)
	s := seedDemo(t, app, clock)
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(tctx,
		chromedp.Navigate(base+"/ui/login?next=/ui/orders/"+s.split.ID),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), app.cfg.Admin.Tokens[0].Token),
		chromedp.Submit(chromedp.CSS(`#token`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=timeline]`)),
	))
	// Wait until the page listens, then change the order through the API.
	deadline := time.Now().Add(10 * time.Second)
	for app.operator().broker.Subscribers() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, 1, app.operator().broker.Subscribers(), "the order page opened its event stream")
	req, err := http.NewRequest("POST", base+"/api/v1/orders/"+s.split.ID+"/notes", strings.NewReader(`{"note":"called the carrier about the hoodie"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+app.cfg.Admin.Tokens[0].Token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 201, resp.StatusCode)
	// The API publishes its own changes once adminServer gets the operator
	// parts (operatorAdmin); say it here too, as intake and routing do.
	app.Live().Publish(context.Background(), live.Event{Type: live.OrderChanged, ShopID: s.split.ShopID, OrderID: s.split.ID})
	// The page reloads itself; evaluate until the note shows, riding out
	// the navigation.
	shown := false
	for deadline := time.Now().Add(15 * time.Second); !shown && time.Now().Before(deadline); {
		shown, _ = chromedp.Run(tctx, chromedp.Evaluate[bool](`document.body.innerText.includes('called the carrier about the hoodie')`))
		if !shown {
			time.Sleep(100 * time.Millisecond)
		}
	}
	require.True(t, shown, "the open page showed the new note without a manual reload")
	by, err := chromedp.Run(tctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid=timeline-entry]')].map(e => e.innerText).find(t => t.includes('called the carrier')) || ''`))
	require.NoError(t, err)
	require.Contains(t, by, "by "+app.cfg.Admin.TokenName(0), "the note is recorded as the token that wrote it")
}

// TestBrowserSessionsPageRevoke signs in twice, once in a real browser and
// once from a script, lists both sessions on the sessions page, revokes
// the script's from the browser (it ends at once), then signs out.
func TestBrowserSessionsPageRevoke(t *testing.T) {
	ctx := newChromium(t)
	clock := &testClock{}
	app, base := operatorApp(t, clock)
	token := app.cfg.Admin.Tokens[0].Token
	name := app.cfg.Admin.TokenName(0)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	script := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	scriptGet := func(path string) *http.Response {
		req, err := http.NewRequest("GET", base+path, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", "orderhub-ui-test/1.0")
		resp, err := script.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	req, err := http.NewRequest("POST", base+"/ui/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "orderhub-ui-test/1.0")
	resp, err := script.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 200, scriptGet("/ui/orders").StatusCode)

	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(tctx,
		chromedp.Navigate(base+"/ui/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), token),
		chromedp.Submit(chromedp.CSS(`#token`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sessions]`)),
	))
	rows := func() []string {
		t.Helper()
		out, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tr[data-session]')].map(tr => (tr.classList.contains('current') ? 'current ' : 'other ') + tr.innerText.replace(/\s+/g, ' '))`))
		require.NoError(t, err)
		return out
	}
	listed := rows()
	require.Len(t, listed, 2, "the browser's session and the script's")
	var mine, theirs string
	for _, r := range listed {
		if strings.HasPrefix(r, "current ") {
			mine = r
		} else {
			theirs = r
		}
	}
	require.Contains(t, mine, "this session")
	require.Contains(t, mine, name)
	require.Contains(t, theirs, name)
	require.Contains(t, theirs, "orderhub-ui-test/1.0")
	require.Contains(t, theirs, "127.0.0.1")

	require.NoError(t, chromedp.Do(tctx,
		chromedp.Click(chromedp.CSS(`tr[data-session]:not(.current) [data-testid=revoke]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	))
	flash, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(`.flash`)))
	require.NoError(t, err)
	require.Contains(t, flash, "Signed out "+name)
	require.Len(t, rows(), 1)
	resp = scriptGet("/ui/orders")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the revoked session ended at once")
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/ui/login"))

	// The browser's own session goes on until it signs out.
	require.NoError(t, chromedp.Do(tctx,
		chromedp.Navigate(base+"/ui/orders"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/ui/logout"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/ui/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.Navigate(base+"/ui/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
	))
	page, err := app.store.ListSessions(context.Background(), store.ListSessionsParams{Now: clock.Now()})
	require.NoError(t, err)
	require.Empty(t, page.Sessions, "sign-out ended the browser's session on the server")
}

// TestDashboardScreenshots renders the main pages with demo data into the
// folder ORDERHUB_SCREENSHOTS names (docs/ for the README).
func TestDashboardScreenshots(t *testing.T) {
	dir := os.Getenv("ORDERHUB_SCREENSHOTS")
	if dir == "" {
		t.Skip("set ORDERHUB_SCREENSHOTS=DIR to write the dashboard screenshots")
	}
	ctx := newChromium(t)
	clock := &testClock{}
	app, base := operatorApp(t, clock)
	s := seedDemo(t, app, clock)
	tctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(tctx,
		chromedp.EmulateViewport(1280, 860),
		chromedp.Navigate(base+"/ui/login"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), app.cfg.Admin.Tokens[0].Token),
		chromedp.Submit(chromedp.CSS(`#token`)),
		chromedp.WaitVisible(chromedp.CSS(`table.orders`)),
	))
	shots := []struct{ name, path string }{
		{"dashboard-orders", "/ui/orders"},
		{"dashboard-order", "/ui/orders/" + s.split.ID},
		{"dashboard-inventory", "/ui/inventory"},
		{"dashboard-backorders", "/ui/backorders"},
		{"dashboard-simulation", "/ui/routing?simulate=1&rules=priority&allow_line_split=1&dropship=1&backorders=notify&limit=50"},
		{"dashboard-stuck", "/ui/stuck"},
		{"dashboard-dead-letters", "/ui/dead-letters"},
	}
	for _, sh := range shots {
		require.NoError(t, chromedp.Do(tctx, chromedp.Navigate(base+sh.path), chromedp.WaitReady(chromedp.CSS(`main`)), chromedp.Sleep(300*time.Millisecond)), sh.name)
		png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
		require.NoError(t, err, sh.name)
		require.NoError(t, os.WriteFile(filepath.Join(dir, sh.name+".png"), png, 0o644))
	}
	// The order page on a phone.
	require.NoError(t, chromedp.Do(tctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/ui/orders/"+s.tracked.ID), chromedp.WaitReady(chromedp.CSS(`main`)), chromedp.Sleep(300*time.Millisecond)))
	png, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dashboard-order-phone.png"), png, 0o644))
}
