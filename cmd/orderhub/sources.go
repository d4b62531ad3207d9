package main

// Wiring of fulfillment execution at the sources (package fulfillment), the
// source callbacks (package callbacks), the ShipBob tracking poll and the
// provider webhook subscriptions: the API clients of the providers and
// supplier deliveries, and the adapters from each connector to the small
// interfaces the fulfillment package declares.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/riverqueue/river"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/callbacks"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/easypost"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/connectors/supplier"
	"github.com/orderhub/orderhub/fulfillment"
	"github.com/orderhub/orderhub/httpjson"
)

// ShippoLabelWait is how long a Shippo purchase waits for a QUEUED label
// before the fulfillment is left submitted for transaction_updated to
// finish.
const ShippoLabelWait = 20 * time.Second

// sourceClients are the API clients of the configured sources, built
// from the config alone. The executors, the tracking poll and the
// callbacks each hold their own set.
type sourceClients struct {
	easypost map[string]*easypost.Client
	shippo   map[string]*shippo.Client
	shipbob  map[string]*shipbob.Client
	supplier *supplier.Client
}

func newSourceClients(cfg config.Config, logger *slog.Logger, now func() time.Time) (*sourceClients, error) {
	s := &sourceClients{easypost: map[string]*easypost.Client{}, shippo: map[string]*shippo.Client{}, shipbob: map[string]*shipbob.Client{}}
	for _, p := range cfg.Providers {
		o := apiclient.Options{Shop: p.ID, Logger: logger, Now: now}
		var err error
		switch p.Kind {
		case config.ProviderEasyPost:
			s.easypost[p.ID], err = easypost.NewClient(easypost.ClientConfig{BaseURL: p.APIBaseURL, APIKey: p.APIKey, HTTP: o})
		case config.ProviderShippo:
			s.shippo[p.ID], err = shippo.NewClient(shippo.ClientConfig{BaseURL: p.APIBaseURL, APIKey: p.APIKey, HTTP: o})
		case config.ProviderShipBob:
			s.shipbob[p.ID], err = shipbob.NewClient(shipbob.ClientConfig{BaseURL: p.APIBaseURL, Token: p.Token, ChannelID: p.ChannelID, HTTP: o})
		}
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.ID, err)
		}
	}
	s.supplier = supplier.NewClient(apiclient.Options{Logger: logger, Now: now})
	return s, nil
}

// sourceExecutors builds the executor of each source kind: labels at
// warehouses (EasyPost, Shippo), orders at 3PL locations (ShipBob),
// purchase orders to suppliers. It needs the allocator, so it runs in
// wire.
func (a *App) sourceExecutors() (map[string]fulfillment.Executor, error) {
	src, err := newSourceClients(a.cfg, a.logger, a.now)
	if err != nil {
		return nil, err
	}
	if a.alloc == nil {
		return nil, orderhub.Errorf(orderhub.EInternal, "source executors need the allocator")
	}
	wh := &fulfillment.WarehouseExecutor{Advancer: a.alloc, Sites: map[string]fulfillment.Site{}, Accounts: map[string]fulfillment.Labels{}}
	tp := &fulfillment.ThreePLExecutor{Advancer: a.alloc, Locations: map[string]string{}, Providers: map[string]fulfillment.ThreePL{}}
	for id, c := range src.easypost {
		wh.Accounts[id] = easypostLabels{c}
	}
	for id, c := range src.shippo {
		wh.Accounts[id] = shippoLabels{c: c, wait: ShippoLabelWait}
	}
	for id, c := range src.shipbob {
		tp.Providers[id] = shipbobOrders{c}
	}
	for _, l := range a.cfg.Locations {
		switch l.Kind {
		case orderhub.LocationWarehouse:
			if l.Shipping.Provider != "" {
				wh.Sites[l.ID] = fulfillment.Site{ID: l.ID, Address: l.Address.DomainAddress(), Provider: l.Shipping.Provider, Rule: l.Shipping.Rule}
			}
		case orderhub.Location3PL:
			tp.Locations[l.ID] = l.Provider
		}
	}
	suppliers, err := a.cfg.DomainSuppliers()
	if err != nil {
		return nil, err
	}
	ds := &fulfillment.DropshipExecutor{Advancer: a.alloc, Suppliers: map[string]orderhub.Supplier{},
		Sender: supplierPOs{c: src.supplier, cfg: a.cfg}}
	for _, s := range suppliers {
		ds.Suppliers[s.ID] = s
	}
	return map[string]fulfillment.Executor{orderhub.SourceWarehouse: wh, orderhub.Source3PL: tp, orderhub.SourceSupplier: ds}, nil
}

// sourceRoutes adds the callback routes: /webhooks/{shipbob|easypost|
// shippo}/{provider id} and /webhooks/supplier/{supplier id}. It needs the
// opened store and the allocator.
func (a *App) sourceRoutes(r chi.Router) {
	h, err := a.callbackHandler()
	if err != nil {
		// Validate rules this out; answer 503 rather than take callbacks wrongly.
		a.logger.Error("source callbacks are disabled", "err", err)
		for _, kind := range []string{"shipbob", "easypost", "shippo", "supplier"} {
			r.Post("/webhooks/"+kind+"/{id}", func(w http.ResponseWriter, r *http.Request) {
				httpjson.Error(w, r, nil, orderhub.WrapError(orderhub.EUnavailable, err, "source callbacks are misconfigured"))
			})
		}
		return
	}
	h.Routes(r)
}

// callbackRefetchTimeout bounds a Shippo re-fetch made while Shippo waits
// for the callback's answer (about 3 s); a failure answers 503 and Shippo
// retries.
const callbackRefetchTimeout = 2 * time.Second

func (a *App) callbackHandler() (*callbacks.Handler, error) {
	o := callbacks.Options{Store: a.store, Allocator: a.alloc, Locations: a.cfg.DomainLocations(), Shippo: map[string]callbacks.ShippoAPI{},
		Now: a.now, Logger: a.logger, MaxBodyBytes: a.cfg.Webhooks.MaxBodyBytes, Budget: a.bodies, Writes: a.writes}
	for _, p := range a.cfg.Providers {
		o.Providers = append(o.Providers, callbacks.Provider{ID: p.ID, Kind: p.Kind, WebhookSecret: p.WebhookSecret, Auth: p.Auth})
		if p.Kind == config.ProviderShippo {
			c, err := shippo.NewClient(shippo.ClientConfig{BaseURL: p.APIBaseURL, APIKey: p.APIKey, HTTP: apiclient.Options{Shop: p.ID, Logger: a.logger, Now: a.now,
				MaxRetries: 1, MinBackoff: 200 * time.Millisecond, MaxRetryAfter: time.Second, HTTPClient: &http.Client{Timeout: callbackRefetchTimeout}}})
			if err != nil {
				return nil, fmt.Errorf("provider %s: %w", p.ID, err)
			}
			o.Shippo[p.ID] = c
		}
	}
	for _, s := range a.cfg.Suppliers {
		o.Suppliers = append(o.Suppliers, callbacks.Supplier{ID: s.ID, Secret: s.Delivery.Secret})
	}
	return callbacks.New(o)
}

// registerSourceWorkers adds the ShipBob tracking poll worker
// (fulfillment.ShipBobPollArgs). River needs workers before the store
// opens, so the worker builds its clients and reads the allocator from the
// App when it first runs.
func (a *App) registerSourceWorkers() {
	river.AddWorker(a.workers, &sourcePollWorker{a: a})
	a.nwork++
}

// sourcePeriodicJobs returns the ShipBob tracking poll, per ShipBob
// provider, every fulfillment.DefaultPollInterval.
func (a *App) sourcePeriodicJobs() []*river.PeriodicJob {
	var ids []string
	for _, p := range a.cfg.Providers {
		if p.Kind == config.ProviderShipBob {
			ids = append(ids, p.ID)
		}
	}
	return fulfillment.PollPeriodicJobs(ids, 0)
}

type sourcePollWorker struct {
	river.WorkerDefaults[fulfillment.ShipBobPollArgs]
	a    *App
	once sync.Once
	pw   *fulfillment.PollWorker
	err  error
}

func (w *sourcePollWorker) Work(ctx context.Context, job *river.Job[fulfillment.ShipBobPollArgs]) error {
	w.once.Do(func() {
		src, err := newSourceClients(w.a.cfg, w.a.logger, w.a.now)
		if err != nil {
			w.err = err
			return
		}
		w.pw = &fulfillment.PollWorker{Advancer: w.a.alloc, Pollers: map[string]fulfillment.TrackingPoller{}, Logger: w.a.logger}
		for id, c := range src.shipbob {
			w.pw.Pollers[id] = shipbobOrders{c}
		}
	})
	if w.err != nil {
		return w.err
	}
	return w.pw.Work(ctx, job)
}

func (w *sourcePollWorker) Timeout(*river.Job[fulfillment.ShipBobPollArgs]) time.Duration {
	return w.a.jobTimeout(fulfillment.JobTimeout)
}

// providerWebhooks registers (sub "register") or lists (sub "list") the
// webhook subscriptions of the EasyPost and ShipBob providers, pointed at
// {public_url}/webhooks/{kind}/{provider id}, and writes one row per
// subscription to tw in the webhooks command's columns (the provider id
// and kind stand in the SHOP and PLATFORM columns). Registering lists
// first and creates only what is missing. Shippo's tracking webhooks come
// with each label bought through it and are not registered here. It
// returns the providers that failed; the others still run.
func providerWebhooks(ctx context.Context, cfg config.Config, logger *slog.Logger, sub string, tw io.Writer) []error {
	var failed []error
	for _, p := range cfg.Providers {
		o := apiclient.Options{Shop: p.ID, Logger: logger}
		hookURL := strings.TrimRight(cfg.PublicURL, "/") + "/webhooks/" + p.Kind + "/" + p.ID
		var rows []webhookRow
		var err error
		switch p.Kind {
		case config.ProviderEasyPost:
			var c *easypost.Client
			if c, err = easypost.NewClient(easypost.ClientConfig{BaseURL: p.APIBaseURL, APIKey: p.APIKey, HTTP: o}); err == nil {
				rows, err = easypostHooks(ctx, c, sub, hookURL, p.WebhookSecret)
			}
		case config.ProviderShipBob:
			var c *shipbob.Client
			if c, err = shipbob.NewClient(shipbob.ClientConfig{BaseURL: p.APIBaseURL, Token: p.Token, ChannelID: p.ChannelID, HTTP: o}); err == nil {
				rows, err = shipbobHooks(ctx, c, sub, hookURL, p.WebhookSecret)
			}
		default:
			continue
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("provider %s: %w", p.ID, err))
			fmt.Fprintf(tw, "%s\t%s\t-\tfailed\t-\t-\n", p.ID, p.Kind)
			continue
		}
		if len(rows) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\tnone\t-\t-\n", p.ID, p.Kind)
		}
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Kind, r.Topic, r.Status, r.URL, r.ID)
		}
	}
	return failed
}

func easypostHooks(ctx context.Context, c *easypost.Client, sub, hookURL, secret string) ([]webhookRow, error) {
	if sub == "register" {
		reg, err := c.EnsureWebhook(ctx, hookURL, secret)
		if err != nil {
			return nil, err
		}
		return []webhookRow{{Topic: "all events", Status: status(reg.Created, false, reg.Updated), URL: reg.URL, ID: reg.ID}}, nil
	}
	hooks, err := c.ListWebhooks(ctx)
	var rows []webhookRow
	for _, h := range hooks {
		st := "active"
		if h.DisabledAt != nil {
			st = "disabled"
		}
		rows = append(rows, webhookRow{Topic: "all events", Status: st, URL: h.URL, ID: h.ID})
	}
	return rows, err
}

func shipbobHooks(ctx context.Context, c *shipbob.Client, sub, hookURL, secret string) ([]webhookRow, error) {
	if sub == "register" {
		regs, err := c.RegisterWebhooks(ctx, hookURL, shipbob.WebhookTopics, secret)
		rows := make([]webhookRow, len(regs))
		for i, r := range regs {
			rows[i] = webhookRow{Topic: r.Topic, Status: status(r.Created, false, false), URL: r.URL, ID: r.ID}
		}
		return rows, err
	}
	hooks, err := c.ListWebhooks(ctx)
	var rows []webhookRow
	for _, h := range hooks {
		st := "active"
		if h.Enabled != nil && !*h.Enabled {
			st = "disabled"
		}
		rows = append(rows, webhookRow{Topic: strings.Join(h.Topics, ","), Status: st, URL: h.URL, ID: h.ID})
	}
	return rows, err
}

// ---- adapters: connectors → fulfillment's interfaces ----

var (
	_ fulfillment.Labels         = easypostLabels{}
	_ fulfillment.Labels         = shippoLabels{}
	_ fulfillment.ThreePL        = shipbobOrders{}
	_ fulfillment.TrackingPoller = shipbobOrders{}
	_ fulfillment.PurchaseOrders = supplierPOs{}
)

// easypostLabels is an EasyPost account as fulfillment.Labels. The label
// lives on the shipment: a bought shipment carries it, so FindLabel needs
// no call.
type easypostLabels struct{ c *easypost.Client }

func easypostAddress(a orderhub.Address, email string) easypost.Address {
	return easypost.Address{Name: a.Name, Company: a.Company, Street1: a.Address1, Street2: a.Address2, City: a.City, State: a.Province,
		Zip: a.Zip, Country: a.Country, Phone: a.Phone, Email: email}
}

func (e easypostLabels) shipment(s *easypost.Shipment) fulfillment.Shipment {
	out := fulfillment.Shipment{ID: s.ID}
	for _, r := range s.Rates {
		if r == nil {
			continue
		}
		amt, err := orderhub.ParseMoney(r.Rate, or(r.Currency, "USD"))
		if err != nil {
			continue // a rate we cannot price is not a candidate
		}
		out.Rates = append(out.Rates, fulfillment.Rate{ID: r.ID, Carrier: r.Carrier, Service: r.Service, Amount: amt, DeliveryDays: max(r.DeliveryDays, r.EstDeliveryDays)})
	}
	if easypost.Bought(s) {
		l := e.label(s)
		out.Label = &l
	}
	return out
}

func (e easypostLabels) label(s *easypost.Shipment) fulfillment.Label {
	l := fulfillment.Label{ID: s.ID, Status: fulfillment.LabelReady, TrackingNumber: s.TrackingCode}
	if s.PostageLabel != nil {
		l.LabelURL = s.PostageLabel.LabelURL
	}
	if s.SelectedRate != nil {
		l.Carrier = s.SelectedRate.Carrier
	}
	if s.Tracker != nil {
		l.TrackingURL = s.Tracker.PublicURL
		l.Carrier = or(l.Carrier, s.Tracker.Carrier)
	}
	return l
}

func (e easypostLabels) CreateShipment(ctx context.Context, r fulfillment.ShipmentRequest) (fulfillment.Shipment, error) {
	s, err := e.c.EnsureShipment(ctx, easypost.ShipmentRequest{Reference: r.Reference, To: easypostAddress(r.To, r.Email), From: easypostAddress(r.From, ""),
		Parcel: easypost.Parcel{Length: r.Parcel.LengthIn, Width: r.Parcel.WidthIn, Height: r.Parcel.HeightIn, Weight: r.Parcel.WeightOz}}, r.Since)
	if err != nil {
		return fulfillment.Shipment{}, err
	}
	return e.shipment(s), nil
}

func (e easypostLabels) GetShipment(ctx context.Context, id string) (fulfillment.Shipment, error) {
	s, err := e.c.GetShipment(ctx, id)
	if err != nil {
		return fulfillment.Shipment{}, err
	}
	return e.shipment(s), nil
}

func (e easypostLabels) FindLabel(_ context.Context, s fulfillment.Shipment, _ string, _ time.Time) (fulfillment.Label, bool, error) {
	if s.Label != nil {
		return *s.Label, true, nil
	}
	return fulfillment.Label{}, false, nil
}

func (e easypostLabels) BuyLabel(ctx context.Context, s fulfillment.Shipment, rate fulfillment.Rate, _ string, _ time.Time) (fulfillment.Label, error) {
	bought, err := e.c.BuyShipment(ctx, s.ID, rate.ID)
	if err != nil {
		return fulfillment.Label{}, err
	}
	return e.label(bought), nil
}

// shippoLabels is a Shippo account as fulfillment.Labels. A label is a
// transaction tagged with the fulfillment id in its metadata.
type shippoLabels struct {
	c    *shippo.Client
	wait time.Duration
}

func shippoAddress(a orderhub.Address, email string) shippo.Address {
	return shippo.Address{Name: a.Name, Company: a.Company, Street1: a.Address1, Street2: a.Address2, City: a.City, State: a.Province,
		Zip: a.Zip, Country: a.Country, Phone: a.Phone, Email: email}
}

func (s shippoLabels) shipment(sh shippo.Shipment) fulfillment.Shipment {
	out := fulfillment.Shipment{ID: sh.ObjectID}
	for _, r := range sh.Rates {
		amt, err := orderhub.ParseMoney(r.Amount, or(r.Currency, "USD"))
		if err != nil {
			continue
		}
		out.Rates = append(out.Rates, fulfillment.Rate{ID: r.ObjectID, Carrier: r.Provider, Service: r.ServiceLevel.Name, Amount: amt, DeliveryDays: r.DeliveryDays()})
	}
	return out
}

func (s shippoLabels) label(t shippo.Transaction, carrier string) fulfillment.Label {
	l := fulfillment.Label{ID: t.ObjectID, Carrier: carrier, TrackingNumber: t.TrackingNumber, TrackingURL: t.TrackingURLProvider, LabelURL: t.LabelURL}
	switch {
	case t.Status == shippo.TxSuccess:
		l.Status = fulfillment.LabelReady
	case shippo.Pending(t):
		l.Status = fulfillment.LabelPending
	default:
		l.Status, l.Problem = fulfillment.LabelFailed, or(t.Problem(), "status "+t.Status)
	}
	return l
}

func (s shippoLabels) CreateShipment(ctx context.Context, r fulfillment.ShipmentRequest) (fulfillment.Shipment, error) {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	sh, err := s.c.EnsureShipment(ctx, shippo.ShipmentRequest{From: shippoAddress(r.From, ""), To: shippoAddress(r.To, r.Email), Metadata: r.Reference,
		Parcel: shippo.Parcel{Length: f(r.Parcel.LengthIn), Width: f(r.Parcel.WidthIn), Height: f(r.Parcel.HeightIn), DistanceUnit: "in", Weight: f(r.Parcel.WeightOz), MassUnit: "oz"}}, r.Since)
	if err != nil {
		return fulfillment.Shipment{}, err
	}
	return s.shipment(sh), nil
}

func (s shippoLabels) GetShipment(ctx context.Context, id string) (fulfillment.Shipment, error) {
	sh, err := s.c.GetShipment(ctx, id)
	if err != nil {
		return fulfillment.Shipment{}, err
	}
	return s.shipment(sh), nil
}

func carrierOf(sh fulfillment.Shipment, rateID string) string {
	for _, r := range sh.Rates {
		if r.ID == rateID {
			return r.Carrier
		}
	}
	return ""
}

func (s shippoLabels) FindLabel(ctx context.Context, sh fulfillment.Shipment, ref string, since time.Time) (fulfillment.Label, bool, error) {
	t, found, err := s.c.FindTransaction(ctx, ref, since)
	if err != nil || !found {
		return fulfillment.Label{}, false, err
	}
	if shippo.Pending(t) {
		if t, err = s.c.WaitTransaction(ctx, t, s.wait, 2*time.Second); err != nil {
			return fulfillment.Label{}, false, err
		}
	}
	return s.label(t, carrierOf(sh, t.RateID())), true, nil
}

func (s shippoLabels) BuyLabel(ctx context.Context, sh fulfillment.Shipment, rate fulfillment.Rate, ref string, since time.Time) (fulfillment.Label, error) {
	t, err := s.c.BuyLabel(ctx, rate.ID, ref, since)
	if err != nil {
		return fulfillment.Label{}, err
	}
	if shippo.Pending(t) {
		if t, err = s.c.WaitTransaction(ctx, t, s.wait, 2*time.Second); err != nil {
			return fulfillment.Label{}, err
		}
	}
	return s.label(t, rate.Carrier), nil
}

// shipbobOrders is a ShipBob account as fulfillment.ThreePL and
// fulfillment.TrackingPoller.
type shipbobOrders struct{ c *shipbob.Client }

func (s shipbobOrders) SubmitOrder(ctx context.Context, o fulfillment.ThreePLOrder) (string, bool, error) {
	a := o.ShipTo
	name := or(a.Name, strings.TrimSpace(o.Customer.FirstName+" "+o.Customer.LastName))
	req := shipbob.CreateOrderRequest{ReferenceID: o.Reference, OrderNumber: o.OrderNumber, ShippingMethod: o.ShippingMethod, Type: "DTC",
		Recipient: shipbob.Recipient{Name: name, Email: o.Customer.Email, PhoneNumber: or(a.Phone, o.Customer.Phone),
			Address: shipbob.Address{Address1: a.Address1, Address2: a.Address2, CompanyName: a.Company, City: a.City, State: a.Province, Country: a.Country, ZipCode: a.Zip}}}
	for _, l := range o.Lines {
		req.Products = append(req.Products, shipbob.Product{ReferenceID: l.SKU, Name: or(l.Name, l.SKU), Quantity: l.Quantity})
	}
	order, created, err := s.c.EnsureOrder(ctx, req)
	if err != nil {
		return "", false, err
	}
	return strconv.FormatInt(order.ID, 10), created, nil
}

func (s shipbobOrders) PendingTracking(ctx context.Context) ([]fulfillment.TrackedShipment, error) {
	orders, err := s.c.UntrackedOrders(ctx)
	var out []fulfillment.TrackedShipment
	for _, o := range orders {
		for _, sh := range o.Shipments {
			if sh.Tracking.Number() == "" || sh.IsTrackingUploaded {
				continue
			}
			st := orderhub.FulfillmentShipped
			if sh.Status == shipbob.StatusDelivered {
				st = orderhub.FulfillmentDelivered
			}
			out = append(out, fulfillment.TrackedShipment{ID: strconv.FormatInt(sh.ID, 10), Reference: o.ReferenceID, Status: st,
				Carrier: sh.Tracking.Carrier, Tracking: sh.Tracking.Number(), TrackingURL: sh.Tracking.TrackingURL})
		}
	}
	return out, err
}

func (s shipbobOrders) Acknowledge(ctx context.Context, ids []string) error {
	nums := make([]int64, 0, len(ids))
	for _, id := range ids {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return orderhub.Errorf(orderhub.EInvalid, "shipbob shipment id %q is not a number", id)
		}
		nums = append(nums, n)
	}
	return s.c.MarkTrackingUploaded(ctx, nums)
}

// supplierPOs delivers purchase orders per the suppliers' delivery config.
type supplierPOs struct {
	c   *supplier.Client
	cfg config.Config
}

func (s supplierPOs) Send(ctx context.Context, po fulfillment.PurchaseOrder) (string, error) {
	sc, ok := s.cfg.Supplier(po.SupplierID)
	if !ok || sc.Delivery.WebhookURL == "" {
		return "", orderhub.Errorf(orderhub.EUnsupported, "supplier %s has no delivery.webhook_url to send purchase orders to", po.SupplierID)
	}
	a := po.ShipTo
	out := supplier.PurchaseOrder{ID: po.ID, OrderID: po.OrderID, OrderNumber: po.OrderNumber, ShopID: po.ShopID, SupplierID: po.SupplierID, CreatedAt: po.CreatedAt.UTC(),
		ShipTo: supplier.Address{Name: or(a.Name, strings.TrimSpace(po.Customer.FirstName+" "+po.Customer.LastName)), Company: a.Company, Address1: a.Address1, Address2: a.Address2,
			City: a.City, Province: a.Province, Zip: a.Zip, Country: a.Country, Phone: or(a.Phone, po.Customer.Phone), Email: po.Customer.Email}}
	if s.cfg.PublicURL != "" {
		out.CallbackURL = strings.TrimRight(s.cfg.PublicURL, "/") + "/webhooks/supplier/" + po.SupplierID
	}
	for _, l := range po.Lines {
		line := supplier.Line{LineID: l.LineID, SKU: l.SKU, Name: l.Name, Quantity: l.Quantity}
		if l.UnitCost.Currency != "" {
			line.UnitCost = &supplier.Cost{Amount: l.UnitCost.String(), Currency: l.UnitCost.Currency}
		}
		out.Lines = append(out.Lines, line)
	}
	ack, err := s.c.SendPO(ctx, sc.Delivery.WebhookURL, sc.Delivery.Secret, out)
	return ack.Reference, err
}

func or(s, d string) string {
	if strings.TrimSpace(s) == "" {
		return d
	}
	return s
}
