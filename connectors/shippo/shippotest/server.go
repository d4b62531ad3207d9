// Package shippotest is an in-process fake of the Shippo API for tests and
// `orderhub demo`: a loopback HTTP server that follows the documented
// paths, auth and shapes (PLATFORMS.md §6), with in-memory,
// goroutine-safe state.
//
// It serves POST /shipments/ (rated synchronously), GET /shipments/{id},
// GET /shipments/ (results, page, object_created_gte; newest first),
// POST /transactions/ (a label; QUEUED for the first Options.QueuedPolls
// reads when set), GET /transactions/{id}, GET /transactions/ (results,
// page, object_created_gte; newest first) and GET /tracks/{carrier}/{number}.
// Like Shippo, it has no idempotency key: buying a rate twice buys two
// labels, which LabelsBought counts.
//
// Every request needs "Authorization: ShippoToken <key>". Failures can be
// injected: FailNext (5xx), RateLimitNext (429), TimeoutNext, SlowNext,
// LoseAnswerNext. The carrier side moves a track along and posts
// track_updated, or posts transaction_updated, to the hub, authenticated
// by URL token or HMAC (Options.Auth).
package shippotest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/shippo"
)

// Defaults of Options.
const (
	DefaultAPIKey        = "shippo_test_fake0123456789abcdef"
	DefaultWebhookSecret = "fake-shippo-webhook-secret"
)

// Callback auth modes (as in the provider config).
const (
	AuthURLToken = "url_token"
	AuthHMAC     = "hmac"
)

// RateSpec is one rate every shipment is offered.
type RateSpec struct {
	Provider string // e.g. USPS
	Service  string // service level name
	Token    string // service level token
	Amount   string
	Days     int
}

// DefaultRates are offered when Options.Rates is empty: the cheapest is
// the slowest.
var DefaultRates = []RateSpec{
	{Provider: "USPS", Service: "Ground Advantage", Token: "usps_ground_advantage", Amount: "5.85", Days: 5},
	{Provider: "USPS", Service: "Priority Mail", Token: "usps_priority", Amount: "8.70", Days: 2},
	{Provider: "UPS", Service: "Next Day Air", Token: "ups_next_day_air", Amount: "41.25", Days: 1},
}

// Options configure a fake account. The zero value uses the defaults.
type Options struct {
	APIKey        string
	WebhookSecret string // the URL token, or the HMAC key
	Auth          string // url_token (default) or hmac: how deliveries prove themselves
	Rates         []RateSpec
	// QueuedPolls, when > 0, makes a new transaction QUEUED for that many
	// GET /transactions/{id} before it turns SUCCESS.
	QueuedPolls int
	// FailLabels makes every purchase end in ERROR with a carrier message.
	FailLabels bool
	Now        func() time.Time
	// HTTPClient sends deliveries; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Server is a running fake Shippo account. Its methods are safe for
// concurrent use.
type Server struct {
	*fakeplatform.Recorder
	// URL is the base URL to configure as the provider's api_base_url.
	URL string

	o   Options
	srv *httptest.Server
	fakeplatform.Faults

	mu        sync.Mutex
	seq       int
	shipments map[string]*shippo.Shipment
	shipOrder []string
	shipAt    map[string]time.Time
	rates     map[string]shippo.Rate
	txs       map[string]*transaction
	txOrder   []string
	tracks    map[string]*shippo.Track // by tracking number
	created   int
	bought    int
}

type transaction struct {
	tx        shippo.Transaction
	created   time.Time
	pollsLeft int
	carrier   string
}

// New starts a fake for a test and closes it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := NewServer(o)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake outside a test (the demo); Close stops it.
func NewServer(o Options) *Server {
	if o.APIKey == "" {
		o.APIKey = DefaultAPIKey
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = DefaultWebhookSecret
	}
	if o.Auth == "" {
		o.Auth = AuthURLToken
	}
	if len(o.Rates) == 0 {
		o.Rates = DefaultRates
	}
	s := &Server{o: o, shipments: map[string]*shippo.Shipment{}, shipAt: map[string]time.Time{}, rates: map[string]shippo.Rate{}, txs: map[string]*transaction{}, tracks: map[string]*shippo.Track{}}
	s.Recorder = &fakeplatform.Recorder{ErrorBody: errorBody, Now: o.Now}
	s.srv = fakeplatform.Start(s.Faults.Wrap(s.Recorder.Wrap(s.routes())))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.o }

// errorBody is Shippo's error shape, {"detail": "..."}.
func errorBody(status int, message string) []byte {
	b, _ := json.Marshal(map[string]any{"detail": message})
	return b
}

// RateLimitNext makes the next n requests answer 429 (with Retry-After
// seconds when retryAfter is not "").
func (s *Server) RateLimitNext(n int, retryAfter string) {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	s.InjectFailure(n, fakeplatform.Failure{Status: http.StatusTooManyRequests, Header: h, Body: errorBody(429, "Request was throttled.")})
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/shipments/", "/shipments"} {
		mux.HandleFunc("POST "+p, s.createShipment)
		mux.HandleFunc("GET "+p, s.listShipments)
	}
	mux.HandleFunc("GET /shipments/{id}", s.getShipment)
	for _, p := range []string{"/transactions/", "/transactions"} {
		mux.HandleFunc("POST "+p, s.createTransaction)
		mux.HandleFunc("GET "+p, s.listTransactions)
	}
	mux.HandleFunc("GET /transactions/{id}", s.getTransaction)
	mux.HandleFunc("GET /tracks/{carrier}/{number}", s.getTrack)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.WriteError(w, http.StatusNotFound, "Not found.") })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "ShippoToken "+s.o.APIKey {
			s.WriteError(w, http.StatusUnauthorized, "Invalid token.")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) badRequest(w http.ResponseWriter, field, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string][]string{field: {msg}})
}

// id returns a fresh 32-hex-digit object id.
func (s *Server) id() string {
	s.seq++
	var b [16]byte
	copy(b[:], fmt.Sprintf("%016x", s.seq))
	return hex.EncodeToString(b[:])
}

func (s *Server) stamp() string { return s.Clock().UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Server) createShipment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		From     *shippo.Address `json:"address_from"`
		To       *shippo.Address `json:"address_to"`
		Parcels  []shippo.Parcel `json:"parcels"`
		Metadata string          `json:"metadata"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		s.badRequest(w, "non_field_errors", "Invalid JSON.")
		return
	}
	switch {
	case in.From == nil || in.From.Street1 == "" || in.From.Country == "":
		s.badRequest(w, "address_from", "This field is required.")
		return
	case in.To == nil || in.To.Street1 == "" || in.To.Country == "":
		s.badRequest(w, "address_to", "This field is required.")
		return
	case len(in.Parcels) == 0 || in.Parcels[0].Weight == "":
		s.badRequest(w, "parcels", "This field is required.")
		return
	}
	s.mu.Lock()
	sh := &shippo.Shipment{ObjectID: s.id(), Status: "SUCCESS", AddressFrom: in.From, AddressTo: in.To, Metadata: in.Metadata}
	for _, rs := range s.o.Rates {
		days := rs.Days
		rt := shippo.Rate{ObjectID: s.id(), Amount: rs.Amount, Currency: "USD", Provider: rs.Provider,
			ServiceLevel: shippo.ServiceLevel{Name: rs.Service, Token: rs.Token}, EstimatedDays: &days}
		s.rates[rt.ObjectID] = rt
		sh.Rates = append(sh.Rates, rt)
	}
	s.shipments[sh.ObjectID] = sh
	s.shipOrder = append(s.shipOrder, sh.ObjectID)
	s.shipAt[sh.ObjectID] = s.Clock().UTC()
	s.created++
	out := *sh
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) getShipment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sh, ok := s.shipments[r.PathValue("id")]
	var out shippo.Shipment
	if ok {
		out = *sh
	}
	s.mu.Unlock()
	if !ok {
		s.WriteError(w, http.StatusNotFound, "Not found.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createTransaction(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Rate     string `json:"rate"`
		Metadata string `json:"metadata"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Rate == "" {
		s.badRequest(w, "rate", "This field is required.")
		return
	}
	s.mu.Lock()
	rate, ok := s.rates[in.Rate]
	if !ok {
		s.mu.Unlock()
		s.badRequest(w, "rate", "Rate not found.")
		return
	}
	rateJSON, _ := json.Marshal(in.Rate)
	t := &transaction{created: s.Clock().UTC(), carrier: strings.ToLower(rate.Provider),
		tx: shippo.Transaction{ObjectID: s.id(), ObjectCreated: s.stamp(), Rate: rateJSON, Metadata: in.Metadata, Messages: []shippo.Message{}}}
	s.bought++
	switch {
	case s.o.FailLabels:
		t.tx.Status = shippo.TxError
		t.tx.Messages = []shippo.Message{{Source: rate.Provider, Code: "carrier_timeout", Text: rate.Provider + " API did not respond. Please try again in a few minutes."}}
	case s.o.QueuedPolls > 0:
		t.tx.Status, t.pollsLeft = shippo.TxQueued, s.o.QueuedPolls
	default:
		s.complete(t)
	}
	s.txs[t.tx.ObjectID] = t
	s.txOrder = append(s.txOrder, t.tx.ObjectID)
	out := t.tx
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// complete turns a transaction into a bought label with a track; s.mu is
// held.
func (s *Server) complete(t *transaction) {
	number := fmt.Sprintf("92055901%014d", s.bought)
	t.tx.Status = shippo.TxSuccess
	t.tx.TrackingNumber = number
	t.tx.TrackingURLProvider = "https://tools.usps.example/go/TrackConfirmAction?tLabels=" + number
	t.tx.LabelURL = "https://shippo-delivery.example/" + t.tx.ObjectID + ".pdf"
	s.tracks[number] = &shippo.Track{Carrier: t.carrier, TrackingNumber: number, Metadata: t.tx.Metadata, Transaction: t.tx.ObjectID,
		TrackingStatus: &shippo.TrackingStatus{ObjectID: s.id(), Status: shippo.TrackPreTransit, StatusDetails: "The carrier has received the electronic shipment information.", StatusDate: s.stamp()}}
}

func (s *Server) getTransaction(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.txs[r.PathValue("id")]
	var out shippo.Transaction
	if ok {
		if t.pollsLeft > 0 {
			t.pollsLeft--
			if t.pollsLeft == 0 {
				s.complete(t)
			}
		}
		out = t.tx
	}
	s.mu.Unlock()
	if !ok {
		s.WriteError(w, http.StatusNotFound, "Not found.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listTransactions(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, func(since time.Time) []any {
		var all []any
		for i := len(s.txOrder) - 1; i >= 0; i-- {
			if t := s.txs[s.txOrder[i]]; since.IsZero() || !t.created.Before(since) {
				all = append(all, t.tx)
			}
		}
		return all
	})
}

func (s *Server) listShipments(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, func(since time.Time) []any {
		var all []any
		for i := len(s.shipOrder) - 1; i >= 0; i-- {
			id := s.shipOrder[i]
			if since.IsZero() || !s.shipAt[id].Before(since) {
				all = append(all, *s.shipments[id])
			}
		}
		return all
	})
}

// list answers a page of a list, newest first, with Shippo's results,
// page and object_created_gte parameters; objects runs under s.mu.
func (s *Server) list(w http.ResponseWriter, r *http.Request, objects func(since time.Time) []any) {
	q := r.URL.Query()
	size, page := 5, 1
	if v := q.Get("results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			s.badRequest(w, "results", "Must be between 1 and 100.")
			return
		}
		size = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.WriteError(w, http.StatusNotFound, "Invalid page.")
			return
		}
		page = n
	}
	var since time.Time
	if v := q.Get("object_created_gte"); v != "" {
		t, err := parseShippoTime(v)
		if err != nil {
			s.badRequest(w, "object_created_gte", "Invalid date format.")
			return
		}
		since = t
	}
	s.mu.Lock()
	all := objects(since)
	s.mu.Unlock()
	from := min((page-1)*size, len(all))
	to := min(from+size, len(all))
	var next *string
	if to < len(all) {
		n := fmt.Sprintf("%s%s?page=%d&results=%d", s.URL, r.URL.Path, page+1, size)
		next = &n
	}
	results := all[from:to]
	if results == nil {
		results = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"next": next, "previous": nil, "results": results})
}

func parseShippoTime(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05Z", "2006-01-02T15:04:05.999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

func (s *Server) getTrack(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.tracks[r.PathValue("number")]
	var out shippo.Track
	if ok && t.Carrier == r.PathValue("carrier") {
		out = cloneTrack(t)
	} else {
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		s.WriteError(w, http.StatusNotFound, "Not found.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func cloneTrack(t *shippo.Track) shippo.Track {
	c := *t
	if t.TrackingStatus != nil {
		st := *t.TrackingStatus
		c.TrackingStatus = &st
	}
	return c
}

// ---- state, for tests ----

// ShipmentsCreated counts shipments created.
func (s *Server) ShipmentsCreated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// LabelsBought counts purchases (transactions created, failed ones
// included): the count a test checks for "never a second label".
func (s *Server) LabelsBought() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bought
}

// Transactions returns every transaction, oldest first.
func (s *Server) Transactions() []shippo.Transaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]shippo.Transaction, 0, len(s.txOrder))
	for _, id := range s.txOrder {
		out = append(out, s.txs[id].tx)
	}
	return out
}

// CompleteQueued finishes a QUEUED transaction now, as Shippo does in the
// background.
func (s *Server) CompleteQueued(id string) (shippo.Transaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.txs[id]
	if !ok {
		return shippo.Transaction{}, orderhub.Errorf(orderhub.ENotFound, "shippotest: no transaction %s", id)
	}
	if shippo.Pending(t.tx) {
		t.pollsLeft = 0
		s.complete(t)
	}
	return t.tx, nil
}

// SetTrackStatus moves the track of a tracking number to status (TRANSIT,
// DELIVERED, RETURNED, FAILURE, ...) and returns it.
func (s *Server) SetTrackStatus(number, status, details string) (shippo.Track, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tracks[number]
	if !ok {
		return shippo.Track{}, orderhub.Errorf(orderhub.ENotFound, "shippotest: no track %s", number)
	}
	t.TrackingStatus = &shippo.TrackingStatus{ObjectID: s.id(), Status: status, StatusDetails: details, StatusDate: s.stamp()}
	return cloneTrack(t), nil
}
