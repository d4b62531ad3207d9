package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/examples"
)

// demoConfig loads the embedded examples/orderhub.yaml with the values of
// examples/demo.env, on a SQLite file in dir and a free loopback port.
func demoConfig(dir string) (config.Config, error) {
	env, err := examples.Files.ReadFile("demo.env")
	if err != nil {
		return config.Config{}, err
	}
	vars, err := config.ParseEnvFile(env)
	if err != nil {
		return config.Config{}, fmt.Errorf("examples/demo.env: %w", err)
	}
	data, err := examples.Files.ReadFile("orderhub.yaml")
	if err != nil {
		return config.Config{}, err
	}
	cfg, err := config.Parse(data, config.MapEnv(vars))
	if err != nil {
		return config.Config{}, fmt.Errorf("examples/orderhub.yaml: %w", err)
	}
	cfg.Database = "sqlite://" + filepath.Join(dir, "orderhub.db")
	cfg.Listen = "127.0.0.1:0"
	return cfg, cfg.Validate()
}

// demoClient talks to the running hub over real HTTP with the admin token.
type demoClient struct {
	base  string
	token string
	http  *http.Client
}

func (c demoClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// cmdDemo runs orderhub end to end with no setup: the real server on a
// temporary SQLite database, in-process fakes of every platform, signed
// webhooks over real HTTP on loopback, then each order's routed result.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keep := fs.Bool("keep", false, "keep the temporary database folder and print its path")
	verbose := fs.Bool("v", false, "print the server's logs")
	serve := fs.Bool("serve", false, "after the demo, keep the server and the platform fakes running on its data until interrupted, and print the dashboard's address and a sign-in token")
	listen := fs.String("listen", "127.0.0.1:0", "the loopback address the demo's server listens on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "orderhub-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	cfg, err := demoConfig(dir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	cfg.Listen, cfg.PublicURL = ln.Addr().String(), base // notice links point at this server
	world := startFakeWorld(&cfg)
	defer world.Close()
	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	logger, _ := newLogger(logOut, "info")

	app, err := NewApp(ctx, cfg, AppOptions{Logger: logger})
	if err != nil {
		ln.Close()
		return err
	}
	srvCtx, stopServer := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Serve(srvCtx, ln) }()
	stop := func() error {
		stopServer()
		return <-done
	}

	fmt.Fprintf(stdout, "orderhub demo: server on %s, embedded SQLite at %s\n", base, filepath.Join(dir, "orderhub.db"))
	fmt.Fprintf(stdout, "fakes: %d Shopify, %d WooCommerce, %d BigCommerce shop(s) on loopback\n\n", len(world.shopify), len(world.woo), len(world.bc))
	c := demoClient{base: base, token: cfg.Admin.Tokens[0].Token, http: &http.Client{Timeout: 15 * time.Second}}
	runCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	err = runDemo(runCtx, stdout, cfg, world, app, c)
	cancel()
	if err != nil {
		_ = stop()
		return err
	}
	if *serve {
		fmt.Fprintf(stdout, "\nThe demo's server and platform fakes keep running; press Ctrl-C to stop.\n")
		fmt.Fprintf(stdout, "  dashboard:  %s/ui/\n", base)
		fmt.Fprintf(stdout, "  sign in with the admin token: %s\n", cfg.Admin.Tokens[0].Token)
		fmt.Fprintf(stdout, "  admin API:  curl -H 'Authorization: Bearer %s' %s/api/v1/orders\n", cfg.Admin.Tokens[0].Token, base)
		fmt.Fprintf(stdout, "  job UI:     %s/ui/jobs\n", base)
		select {
		case <-ctx.Done():
		case err := <-done:
			return fmt.Errorf("server: %w", err)
		}
	}
	if err := stop(); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if *keep {
		fmt.Fprintf(stdout, "kept %s\n", dir)
	}
	fmt.Fprintln(stdout, "demo finished")
	return nil
}

// demoSent is an order the demo delivered, to find it again.
type demoSent struct {
	shop, platform, externalID string
}

func runDemo(ctx context.Context, out io.Writer, cfg config.Config, world *fakeWorld, app *App, c demoClient) error {
	for _, path := range []string{"/healthz", "/readyz"} {
		body, err := getJSON(ctx, c.http, c.base+path)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "GET %s → %s\n", path, body)
	}

	// 1. Stock from examples/inventory.csv, through the admin API.
	n, err := demoImportStock(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stock: %d rows from examples/inventory.csv set through PUT /api/v1/inventory\n\n", n)

	// 2. One order from each platform, signed as the platform signs it.
	var sent []demoSent
	shop, err := configShop(cfg, config.PlatformShopify)
	if err != nil {
		return err
	}
	sf := world.shopify[shop.ID]
	body := demoShopifyOrder()
	id, err := sf.AddOrder(body)
	if err != nil {
		return err
	}
	// Shopify retries a delivery with the same headers; the second is a
	// duplicate and does no new work.
	hdr := sf.DeliveryHeaders(shop.WebhookSecret, "orders/create", body)
	for i, what := range []string{"orders/create", "orders/create (a retry of the same delivery)"} {
		d, err := fakeplatform.Post(ctx, c.http, shopifytest.HubURL(c.base, shop.ID), hdr, body)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "shopify     %-45s → %d %s\n", what, d.Status, bytes.TrimSpace(d.Body))
		if d.Status != http.StatusOK {
			return fmt.Errorf("shopify delivery %d answered %d", i, d.Status)
		}
	}
	sent = append(sent, demoSent{shop.ID, shop.Platform, strconv.FormatInt(id, 10)})

	shop, err = configShop(cfg, config.PlatformWooCommerce)
	if err != nil {
		return err
	}
	wf := world.woo[shop.ID]
	body = demoWooOrder()
	id, err = wf.AddOrder(body)
	if err != nil {
		return err
	}
	d, err := wf.Deliver(ctx, c.base, shop.ID, shop.WebhookSecret, "order.created", body)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "woocommerce %-45s → %d %s\n", "order.created", d.Status, bytes.TrimSpace(d.Body))
	if d.Status != http.StatusOK {
		return fmt.Errorf("woocommerce delivery answered %d", d.Status)
	}
	sent = append(sent, demoSent{shop.ID, shop.Platform, strconv.FormatInt(id, 10)})

	shop, err = configShop(cfg, config.PlatformBigCommerce)
	if err != nil {
		return err
	}
	bf := world.bc[shop.ID]
	o, p, a := demoBigCommerceOrder()
	id, err = bf.AddOrder(o, p, a)
	if err != nil {
		return err
	}
	d, err = bf.Deliver(ctx, c.base, shop.ID, shop.ClientSecret, "store/order/created", bf.CallbackBody("store/order/created", id))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "bigcommerce %-45s → %d %s\n", "store/order/created (thin; the hub fetches it)", d.Status, bytes.TrimSpace(d.Body))
	if d.Status != http.StatusOK {
		return fmt.Errorf("bigcommerce delivery answered %d", d.Status)
	}
	sent = append(sent, demoSent{shop.ID, shop.Platform, strconv.FormatInt(id, 10)})

	// 3. Wait for every order to be stored and routed.
	ids := make([]string, len(sent))
	for i, s := range sent {
		if ids[i], err = demoWaitRouted(ctx, c, s); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "\nall three orders stored and routed")

	// 4. A restock fills the backorder, oldest paid first.
	var backorders struct {
		Backorders []orderhub.Backorder `json:"backorders"`
	}
	if err := c.do(ctx, "GET", "/api/v1/backorders?status=pending", nil, &backorders); err != nil {
		return err
	}
	for _, b := range backorders.Backorders {
		var ans struct {
			Filled []json.RawMessage `json:"backorders_filled"`
		}
		if err := c.do(ctx, "POST", "/api/v1/inventory/nyc/"+b.SKU+"/adjustments", map[string]any{"delta": b.Remaining() + 2, "reason": "restock", "actor": "demo"}, &ans); err != nil {
			return err
		}
		fmt.Fprintf(out, "restock: %d × %s arrived at nyc → %d backorder(s) filled\n", b.Remaining()+2, b.SKU, len(ans.Filled))
	}

	// 5. Let the sources take the fulfillments (labels bought, the 3PL
	// order and the purchase order created), then have the carriers and the
	// supplier report back through their signed callbacks: every shipment
	// ships, and the BigCommerce order's is delivered.
	if err := demoSettle(ctx, app); err != nil {
		return err
	}
	shipped, delivered := 0, 0
	for i, id := range ids {
		fs, err := app.store.ListFulfillments(ctx, id)
		if err != nil {
			return err
		}
		for _, f := range fs {
			if f.Status != orderhub.FulfillmentSubmitted {
				continue
			}
			if d, err := world.sources.ship(ctx, cfg, c.base, f); err != nil || d.Status != http.StatusOK {
				return fmt.Errorf("ship fulfillment %s from %s: %v (%d %s)", f.ID, f.SourceID, err, d.Status, d.Body)
			}
			shipped++
			if sent[i].platform == config.PlatformBigCommerce {
				if d, err := world.sources.deliver(ctx, cfg, c.base, f); err != nil || d.Status != http.StatusOK {
					return fmt.Errorf("deliver fulfillment %s: %v (%d %s)", f.ID, err, d.Status, d.Body)
				}
				delivered++
			}
		}
	}
	fmt.Fprintf(out, "carriers and suppliers: %d shipment(s) shipped, %d delivered, reported through signed callbacks\n", shipped, delivered)
	if err := demoSettle(ctx, app); err != nil {
		return err
	}
	for _, id := range ids {
		var detail admin.OrderDetail
		if err := c.do(ctx, "GET", "/api/v1/orders/"+id, nil, &detail); err != nil {
			return err
		}
		printDemoOrder(out, detail)
	}
	printWriteBacks(out, world, sent)
	return nil
}

func demoImportStock(ctx context.Context, c demoClient) (int, error) {
	data, err := examples.Files.ReadFile("inventory.csv")
	if err != nil {
		return 0, err
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return 0, fmt.Errorf("examples/inventory.csv: %w", err)
	}
	n := 0
	for i, r := range rows {
		if i == 0 {
			continue
		}
		qty, err := strconv.ParseInt(r[2], 10, 64)
		if err != nil {
			return n, fmt.Errorf("examples/inventory.csv line %d: %w", i+1, err)
		}
		if err := c.do(ctx, "PUT", "/api/v1/inventory/"+r[0]+"/"+r[1], map[string]any{"on_hand": qty, "reason": "demo import", "actor": "demo"}, nil); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// demoWaitRouted polls the admin API until the order exists and has left
// paid, and returns its id.
func demoWaitRouted(ctx context.Context, c demoClient, s demoSent) (string, error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		var page struct {
			Orders []orderhub.Order `json:"orders"`
		}
		if err := c.do(ctx, "GET", "/api/v1/orders?shop="+s.shop+"&external_id="+s.externalID, nil, &page); err != nil {
			return "", err
		}
		if len(page.Orders) == 1 {
			switch page.Orders[0].Status {
			case orderhub.StatusPending, orderhub.StatusPaymentProcessing, orderhub.StatusPaid:
			default:
				return page.Orders[0].ID, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s order %s was not routed within 60 s", s.platform, s.externalID)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// demoSettle waits until no job is waiting or running.
func demoSettle(ctx context.Context, app *App) error {
	return settleJobs(ctx, app.store, 60*time.Second)
}

func printDemoOrder(w io.Writer, d admin.OrderDetail) {
	fmt.Fprintf(w, "\n━━ %s order %s (shop %s): %s, total %s\n", d.Platform, firstNonEmptyStr(d.ExternalNumber, d.ExternalID), d.ShopID, d.Status, d.Totals.Total.Display())
	sources := map[string][]string{}
	for _, f := range d.Fulfillments {
		for _, l := range f.Lines {
			kind := f.SourceKind
			if kind == orderhub.SourceSupplier {
				kind = "dropship"
			}
			sources[l.LineID] = append(sources[l.LineID], fmt.Sprintf("%d from %s (%s)", l.Quantity, f.SourceID, kind))
		}
	}
	for _, b := range d.Backorders {
		if b.Remaining() > 0 && b.Status.Open() {
			sources[b.LineID] = append(sources[b.LineID], fmt.Sprintf("%d backordered", b.Remaining()))
		}
	}
	fmt.Fprintln(w, "  lines:")
	for _, l := range d.Lines {
		fmt.Fprintf(w, "    %-18s × %d  %s\n", l.SKU, l.Quantity, strings.Join(sources[l.ID], ", "))
	}
	for _, e := range d.Explanations {
		fmt.Fprintf(w, "      why %s: %s\n", e.SKU, e.Summary)
	}
	fmt.Fprintln(w, "  fulfillments:")
	for _, f := range d.Fulfillments {
		tracking := "no tracking yet"
		if f.TrackingNumber != "" {
			tracking = strings.TrimSpace(f.Carrier + " " + f.TrackingNumber)
		}
		var parts []string
		for _, l := range f.Lines {
			parts = append(parts, fmt.Sprintf("%d × %s", l.Quantity, l.SKU))
		}
		fmt.Fprintf(w, "    %-8s %-9s %-10s %s — %s\n", f.SourceID, f.SourceKind, f.Status, strings.Join(parts, ", "), tracking)
	}
	if len(d.Backorders) > 0 {
		fmt.Fprintln(w, "  backorders:")
		for _, b := range d.Backorders {
			fmt.Fprintf(w, "    %d × %s: %s (%d filled)\n", b.Quantity, b.SKU, b.Status, b.Filled)
		}
	}
	fmt.Fprintln(w, "  timeline:")
	events := append([]orderhub.OrderEvent(nil), d.Events...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].ID < events[j].ID })
	for _, e := range events {
		what := e.Kind
		if e.Kind == orderhub.EventTransition || e.Kind == orderhub.EventCreated {
			what = fmt.Sprintf("%s → %s", strings.TrimSpace(string(e.From)), e.To)
			if e.From == "" {
				what = "created as " + string(e.To)
			}
		}
		note := e.Note
		if len(note) > 160 {
			note = note[:157] + "..."
		}
		fmt.Fprintf(w, "    %s  %-22s %-28s %s\n", e.OccurredAt.Format("15:04:05.000"), e.Actor, what, note)
	}
}

func firstNonEmptyStr(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func getJSON(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("GET %s: answer is not JSON: %w", url, err)
	}
	compact, _ := json.Marshal(v)
	return string(compact), nil
}
