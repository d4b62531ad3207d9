// Package callbacks takes the reports fulfillment sources post back to
// orderhub: ShipBob's order and shipment webhooks, EasyPost's tracker
// events, Shippo's track and transaction webhooks, and dropship suppliers'
// tracking, at POST /webhooks/{shipbob|easypost|shippo}/{provider id} and
// /webhooks/supplier/{supplier id}.
//
// Each delivery is read once under a size cap and the process's budget of
// body bytes in flight (package bodylimit, shared with the platform
// intake; 503 with Retry-After past it), authenticated as its sender
// signs it (401 otherwise), decoded (400 when malformed), mapped to the
// fulfillment it is about, and applied through the allocator's AdvanceTx in
// one transaction with a dedupe record keyed by the sender's event id: a
// redelivery answers 200 "duplicate" and changes nothing, and a change that
// fails leaves no record, so the sender's retry applies it. AdvanceTx never
// moves a fulfillment backwards (delivered stays delivered) and consumes
// stock once, on shipped. An unknown provider or supplier id is 404. A
// report about no fulfillment of this sender (another channel's ShipBob
// order, a label bought outside orderhub) answers 200 "ignored" and is not
// recorded, so a report that outran the fulfillment's own update can still
// apply when redelivered.
//
// It owns the mapping from each source's statuses to fulfillment statuses
// (ShipBobStatus, EasyPostStatus, ShippoTrackStatus, SupplierStatus). It
// must not call a source except to re-fetch what Shippo's unsigned body
// claims, and must not change stock or statuses except through the
// allocator.
package callbacks

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/bodylimit"
	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/store"
)

// Source kinds, as they appear in the URL and the dedupe records.
const (
	SourceShipBob  = "shipbob"
	SourceEasyPost = "easypost"
	SourceShippo   = "shippo"
	SourceSupplier = "supplier"
)

// DefaultMaxBodyBytes caps a callback body when Options leaves it 0.
const DefaultMaxBodyBytes = 5 << 20

// Provider is a 3PL or label account whose callbacks are taken.
type Provider struct {
	ID            string
	Kind          string // shipbob, easypost or shippo
	WebhookSecret string
	Auth          string // shippo only: url_token (default) or hmac
}

// Supplier is a dropship supplier whose callbacks are taken.
type Supplier struct {
	ID     string
	Secret string // delivery.secret: signs POs and verifies callbacks
}

// ShippoAPI re-fetches what a Shippo callback names: *shippo.Client.
type ShippoAPI interface {
	GetTransaction(ctx context.Context, id string) (shippo.Transaction, error)
	GetTrack(ctx context.Context, carrier, number string) (shippo.Track, error)
}

var _ ShippoAPI = (*shippo.Client)(nil)

// Options configure a Handler.
type Options struct {
	Store     store.Store
	Allocator *allocator.Allocator
	Providers []Provider
	Suppliers []Supplier
	// Locations say which provider each fulfillment belongs to: a 3PL
	// location's provider, a warehouse's shipping provider.
	Locations []orderhub.Location
	// Shippo holds a client per Shippo provider id, to re-fetch objects.
	Shippo       map[string]ShippoAPI
	Now          func() time.Time
	Logger       *slog.Logger
	MaxBodyBytes int64
	// Budget bounds the body bytes held by every callback being read at
	// once; one Budget is shared with the platform intake. A budget of its
	// own of bodylimit.DefaultInFlightBytes when nil.
	Budget *bodylimit.Budget
	// Writes is told how each applied callback's transaction went, so
	// readiness turns 503 while the database cannot store; nil tells no
	// one. *store.WriteHealth implements it.
	Writes WriteReporter
}

// WriteReporter is told the outcome of each write: nil for a success, or
// the error.
type WriteReporter interface {
	Report(err error)
}

var _ WriteReporter = (*store.WriteHealth)(nil)

type noWrites struct{}

func (noWrites) Report(error) {}

// Handler serves the callback routes.
type Handler struct {
	st        store.Store
	alloc     *allocator.Allocator
	providers map[string]Provider
	suppliers map[string]Supplier
	locations map[string]orderhub.Location
	shippo    map[string]ShippoAPI
	now       func() time.Time
	log       *slog.Logger
	max       int64
	budget    *bodylimit.Budget
	writes    WriteReporter
}

// New checks o and returns a Handler. A provider without an id, of an
// unknown kind, listed twice, or a Shippo provider without a client is an
// Invalid error.
func New(o Options) (*Handler, error) {
	if o.Store == nil || o.Allocator == nil {
		return nil, orderhub.Errorf(orderhub.EInvalid, "callbacks: a store and an allocator are required")
	}
	h := &Handler{st: o.Store, alloc: o.Allocator, providers: map[string]Provider{}, suppliers: map[string]Supplier{},
		locations: map[string]orderhub.Location{}, shippo: o.Shippo, now: o.Now, log: o.Logger, max: o.MaxBodyBytes,
		budget: o.Budget, writes: o.Writes}
	if h.budget == nil {
		h.budget = bodylimit.NewBudget(0)
	}
	if h.writes == nil {
		h.writes = noWrites{}
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.max <= 0 {
		h.max = DefaultMaxBodyBytes
	}
	for i, p := range o.Providers {
		switch {
		case p.ID == "":
			return nil, orderhub.Errorf(orderhub.EInvalid, "callbacks: providers[%d] has no id", i)
		case p.Kind != SourceShipBob && p.Kind != SourceEasyPost && p.Kind != SourceShippo:
			return nil, orderhub.Errorf(orderhub.EInvalid, "callbacks: provider %s: kind %q is not one of shipbob, easypost, shippo", p.ID, p.Kind)
		case p.Kind == SourceShippo && h.shippo[p.ID] == nil:
			return nil, orderhub.Errorf(orderhub.EInvalid, "callbacks: shippo provider %s has no API client to re-fetch with", p.ID)
		}
		if _, dup := h.providers[p.ID]; dup {
			return nil, orderhub.Errorf(orderhub.EInvalid, "callbacks: provider %s is listed twice", p.ID)
		}
		h.providers[p.ID] = p
	}
	for i, s := range o.Suppliers {
		if s.ID == "" {
			return nil, orderhub.Errorf(orderhub.EInvalid, "callbacks: suppliers[%d] has no id", i)
		}
		h.suppliers[s.ID] = s
	}
	for _, l := range o.Locations {
		h.locations[l.ID] = l
	}
	return h, nil
}

// Routes adds the four callback routes to r. Their fixed first segment
// takes precedence over the platform intake's /webhooks/{platform}/{id}.
func (h *Handler) Routes(r chi.Router) {
	r.Post("/webhooks/shipbob/{id}", h.ShipBob)
	r.Post("/webhooks/easypost/{id}", h.EasyPost)
	r.Post("/webhooks/shippo/{id}", h.Shippo)
	r.Post("/webhooks/supplier/{id}", h.Supplier)
}

// Response is the JSON body of a 200.
type Response struct {
	Status        string `json:"status"` // accepted, duplicate or ignored
	FulfillmentID string `json:"fulfillment_id,omitempty"`
	Reason        string `json:"reason,omitempty"` // why it was ignored
}

// Answers.
const (
	StatusAccepted  = "accepted"
	StatusDuplicate = "duplicate"
	StatusIgnored   = "ignored"
)

// change is what one callback asks for.
type change struct {
	source, sourceID string
	eventID, topic   string
	// locate finds the fulfillment, NotFound when there is none.
	locate   func(ctx context.Context, tx store.Tx) (orderhub.Fulfillment, error)
	progress allocator.Progress // FulfillmentID is filled in
	// problem is noted in the timeline when the report changes nothing
	// (an exception after the parcel shipped, a return).
	problem string
}

// provider returns the provider of kind with the URL's id, or answers 404.
func (h *Handler) provider(w http.ResponseWriter, r *http.Request, kind string) (Provider, bool) {
	id := chi.URLParam(r, "id")
	p, ok := h.providers[id]
	if !ok || p.Kind != kind {
		httpjson.Error(w, r, nil, orderhub.Errorf(orderhub.ENotFound, "no %s provider %q is configured", kind, id))
		return Provider{}, false
	}
	return p, true
}

// readBody reads the whole body once, up to the cap, under the process's
// budget of body bytes in flight, as the platform intake does (package
// bodylimit). Call release once the body is no longer needed.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), err error) {
	return h.budget.Read(w, r, h.max)
}

// callbacksOf returns a transaction's callback operations. store.Tx embeds
// store.CallbacksTx; the assertion keeps this package compiling while that
// is wired in.
func callbacksOf(tx store.Tx) (store.CallbacksTx, error) {
	c, ok := any(tx).(store.CallbacksTx)
	if !ok {
		return nil, orderhub.Errorf(orderhub.EInternal, "the store does not record callbacks")
	}
	return c, nil
}

// owns reports whether fulfillment f is one the sender may report on.
func (h *Handler) owns(source, sourceID string, f orderhub.Fulfillment) bool {
	switch source {
	case SourceShipBob:
		return f.SourceKind == orderhub.Source3PL && h.locations[f.SourceID].Provider == sourceID
	case SourceEasyPost, SourceShippo:
		return f.SourceKind == orderhub.SourceWarehouse && h.locations[f.SourceID].ShippingProvider == sourceID
	case SourceSupplier:
		return f.SourceKind == orderhub.SourceSupplier && f.SourceID == sourceID
	}
	return false
}

// apply records and applies a change in one transaction.
func (h *Handler) apply(ctx context.Context, c change) (Response, error) {
	var resp Response
	err := h.st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		f, err := c.locate(ctx, tx)
		if orderhub.ErrorCode(err) == orderhub.ENotFound || (err == nil && !h.owns(c.source, c.sourceID, f)) {
			resp = Response{Status: StatusIgnored, Reason: "no fulfillment of this " + c.source + " matches"}
			return nil
		}
		if err != nil {
			return err
		}
		cb, err := callbacksOf(tx)
		if err != nil {
			return err
		}
		created, err := cb.RecordCallback(ctx, store.RecordCallbackParams{Source: c.source, SourceID: c.sourceID, EventID: c.eventID, Topic: c.topic, FulfillmentID: f.ID})
		if err != nil {
			return err
		}
		if !created {
			resp = Response{Status: StatusDuplicate, FulfillmentID: f.ID}
			return nil
		}
		p := c.progress
		p.FulfillmentID = f.ID
		res, err := h.alloc.AdvanceTx(ctx, tx, p)
		if err != nil {
			return err
		}
		if !res.Changed && c.problem != "" {
			note := fmt.Sprintf("%s %s reports on fulfillment %s, which stays %s: %s", c.source, c.sourceID, f.ID, res.Fulfillment.Status, c.problem)
			if _, err := tx.AddEvent(ctx, orderhub.OrderEvent{OrderID: f.OrderID, Kind: orderhub.EventFulfillment, Actor: p.Actor, Note: note}); err != nil {
				return err
			}
		}
		resp = Response{Status: StatusAccepted, FulfillmentID: f.ID}
		return nil
	})
	switch {
	case err != nil:
		h.writes.Report(err) // heeded only when the database cannot store
	case resp.Status == StatusAccepted: // a change was written
		h.writes.Report(nil)
	}
	return resp, err
}

// finish answers a processed callback.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, log *slog.Logger, c change) {
	resp, err := h.apply(r.Context(), c)
	if err != nil {
		h.finishErr(w, r, log, c, err)
		return
	}
	log.DebugContext(r.Context(), "callback "+resp.Status, "event", c.eventID, "topic", c.topic, "fulfillment", resp.FulfillmentID)
	httpjson.Write(w, http.StatusOK, resp)
}

// reject answers a callback refused before it was applied.
func reject(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	switch orderhub.ErrorCode(err) {
	case orderhub.EUnauthorized:
		log.WarnContext(r.Context(), "callback signature rejected", "err", err)
	case orderhub.EInvalid, orderhub.ETooLarge:
		log.WarnContext(r.Context(), "callback rejected as malformed", "err", err)
	}
	httpjson.Error(w, r, log, err)
}

// byID locates a fulfillment by its id.
func byID(id string) func(ctx context.Context, tx store.Tx) (orderhub.Fulfillment, error) {
	return func(ctx context.Context, tx store.Tx) (orderhub.Fulfillment, error) {
		if id == "" {
			return orderhub.Fulfillment{}, orderhub.Errorf(orderhub.ENotFound, "no fulfillment id")
		}
		return tx.GetFulfillment(ctx, id)
	}
}

// byRef locates a fulfillment by what a source knows of it.
func byRef(p store.FindFulfillmentParams) func(ctx context.Context, tx store.Tx) (orderhub.Fulfillment, error) {
	return func(ctx context.Context, tx store.Tx) (orderhub.Fulfillment, error) {
		if p.ExternalID == "" && p.TrackingNumber == "" {
			return orderhub.Fulfillment{}, orderhub.Errorf(orderhub.ENotFound, "nothing to find the fulfillment by")
		}
		cb, err := callbacksOf(tx)
		if err != nil {
			return orderhub.Fulfillment{}, err
		}
		return cb.FindFulfillment(ctx, p)
	}
}

// firstOf tries locators in turn until one finds the fulfillment.
func firstOf(ls ...func(ctx context.Context, tx store.Tx) (orderhub.Fulfillment, error)) func(ctx context.Context, tx store.Tx) (orderhub.Fulfillment, error) {
	return func(ctx context.Context, tx store.Tx) (orderhub.Fulfillment, error) {
		var err error = orderhub.Errorf(orderhub.ENotFound, "no fulfillment matches")
		for _, l := range ls {
			var f orderhub.Fulfillment
			if f, err = l(ctx, tx); orderhub.ErrorCode(err) != orderhub.ENotFound {
				return f, err
			}
		}
		return orderhub.Fulfillment{}, err
	}
}
