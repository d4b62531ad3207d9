// Package suppliertest is an in-process fake dropship supplier for tests
// and `orderhub demo`: a loopback HTTP server that takes orderhub's signed
// purchase orders (package supplier's protocol) on any path, verifies
// them, drops duplicate deliveries by webhook-id, acknowledges with a PO
// reference, and can post tracking back to the hub signed with the same
// secret (Ship, Deliver, Reject).
//
// A badly signed PO gets 401. Failures can be injected: FailNext (5xx),
// RateLimitNext (429 with Retry-After), TimeoutNext, SlowNext,
// LoseAnswerNext. Every request is logged; Received counts the distinct
// purchase orders (a redelivery is not a second one) and Deliveries every
// accepted delivery.
package suppliertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/standardwebhooks"
	"github.com/orderhub/orderhub/connectors/supplier"
)

// DefaultSecret is the delivery secret the fake verifies and signs with.
const DefaultSecret = "fake-supplier-secret"

// Options configure a fake supplier. The zero value uses the defaults.
type Options struct {
	Secret string
	Now    func() time.Time
	// HTTPClient sends callbacks; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Server is a running fake supplier. Its methods are safe for concurrent
// use.
type Server struct {
	*fakeplatform.Recorder
	// URL is the base URL; configure URL + "/purchase-orders" (any path
	// works) as the supplier's delivery.webhook_url.
	URL string

	o   Options
	key []byte
	srv *httptest.Server
	fakeplatform.Faults

	mu         sync.Mutex
	pos        map[string]*PO
	order      []string
	deliveries int
}

// PO is a purchase order as the supplier received it.
type PO struct {
	supplier.PurchaseOrder
	Reference  string
	Deliveries int // how often it was delivered
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
	if o.Secret == "" {
		o.Secret = DefaultSecret
	}
	key, err := standardwebhooks.DecodeSecret(o.Secret)
	if err != nil {
		key = []byte(o.Secret)
	}
	s := &Server{o: o, key: key, pos: map[string]*PO{}}
	s.Recorder = &fakeplatform.Recorder{ErrorBody: errorBody, Now: o.Now}
	s.srv = fakeplatform.Start(s.Faults.Wrap(s.Recorder.Wrap(http.HandlerFunc(s.receive))))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// POURL is the URL to configure as delivery.webhook_url.
func (s *Server) POURL() string { return s.URL + "/purchase-orders" }

func errorBody(status int, message string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": status, "message": message}})
	return b
}

// RateLimitNext makes the next n deliveries answer 429 with Retry-After
// retryAfter seconds.
func (s *Server) RateLimitNext(n int, retryAfter string) {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	s.InjectFailure(n, fakeplatform.Failure{Status: http.StatusTooManyRequests, Header: h})
}

func (s *Server) receive(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.WriteError(w, http.StatusMethodNotAllowed, "POST purchase orders here")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.WriteError(w, http.StatusBadRequest, "body could not be read")
		return
	}
	msg, err := standardwebhooks.Verify(r.Header, body, s.clock(), 0, s.key)
	if err != nil {
		s.WriteError(w, http.StatusUnauthorized, orderhub.ErrorMessage(err))
		return
	}
	var m supplier.Message
	if err := json.Unmarshal(body, &m); err != nil || m.Type != supplier.TypePurchaseOrderCreated || m.PurchaseOrder.ID == "" || len(m.PurchaseOrder.Lines) == 0 {
		s.WriteError(w, http.StatusBadRequest, "not a purchase order")
		return
	}
	if msg.ID != m.PurchaseOrder.ID {
		s.WriteError(w, http.StatusBadRequest, "webhook-id is not the purchase order id")
		return
	}
	s.mu.Lock()
	s.deliveries++
	po, dup := s.pos[msg.ID]
	if !dup {
		po = &PO{PurchaseOrder: m.PurchaseOrder, Reference: fmt.Sprintf("PO-%05d", len(s.order)+1)}
		s.pos[msg.ID] = po
		s.order = append(s.order, msg.ID)
	}
	po.Deliveries++
	ref := po.Reference
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(supplier.Ack{Reference: ref, Status: "accepted"})
}

func (s *Server) clock() time.Time { return s.Clock() }

// Received counts distinct purchase orders: the count a test checks for
// "never a second PO".
func (s *Server) Received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order)
}

// Deliveries counts accepted deliveries, redeliveries included.
func (s *Server) Deliveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliveries
}

// POs returns the purchase orders received, oldest first.
func (s *Server) POs() []PO {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PO, len(s.order))
	for i, id := range s.order {
		out[i] = *s.pos[id]
	}
	return out
}

// HubURL is where orderhub takes a supplier's callbacks:
// {hubURL}/webhooks/supplier/{supplierID}.
func HubURL(hubURL, supplierID string) string {
	return strings.TrimRight(hubURL, "/") + "/webhooks/supplier/" + supplierID
}

// Post sends one callback body to url signed with the secret, with
// webhook-id msgID (fresh when empty; pass it again to redeliver).
func (s *Server) Post(ctx context.Context, url, msgID string, body []byte) (fakeplatform.Delivery, error) {
	if msgID == "" {
		msgID = "msg_" + uuid.NewString()
	}
	h := standardwebhooks.SignHeaders(s.key, msgID, s.clock(), body)
	h.Set("Content-Type", "application/json")
	return fakeplatform.Post(ctx, s.o.HTTPClient, url, h, body)
}

// callbackURL is hubURL's supplier endpoint, or the PO's callback_url when
// hubURL is empty.
func (s *Server) callbackURL(hubURL, poID string) (string, string, error) {
	s.mu.Lock()
	po, ok := s.pos[poID]
	var supplierID, cb string
	if ok {
		supplierID, cb = po.SupplierID, po.CallbackURL
	}
	s.mu.Unlock()
	if !ok {
		return "", "", orderhub.Errorf(orderhub.ENotFound, "suppliertest: no purchase order %s", poID)
	}
	if hubURL != "" {
		return HubURL(hubURL, supplierID), supplierID, nil
	}
	if cb == "" {
		return "", "", orderhub.Errorf(orderhub.EInvalid, "suppliertest: purchase order %s has no callback_url; pass the hub URL", poID)
	}
	return cb, supplierID, nil
}

// Send posts an update about a purchase order it received, to
// {hubURL}/webhooks/supplier/{its supplier id} or, when hubURL is empty,
// to the PO's callback_url. It returns the answer and the body.
func (s *Server) Send(ctx context.Context, hubURL string, u supplier.Update) (fakeplatform.Delivery, []byte, error) {
	url, _, err := s.callbackURL(hubURL, u.PurchaseOrderID)
	if err != nil {
		return fakeplatform.Delivery{}, nil, err
	}
	if u.OccurredAt.IsZero() {
		u.OccurredAt = s.clock().UTC()
	}
	body, _ := json.Marshal(u)
	d, err := s.Post(ctx, url, "", body)
	return d, body, err
}

// Ship reports a purchase order shipped with tracking.
func (s *Server) Ship(ctx context.Context, hubURL, poID, carrier, tracking string) (fakeplatform.Delivery, error) {
	d, _, err := s.Send(ctx, hubURL, supplier.Update{Type: supplier.TypeShipped, PurchaseOrderID: poID, Carrier: carrier,
		TrackingNumber: tracking, TrackingURL: "https://track.example/" + tracking})
	return d, err
}

// Deliver reports a purchase order delivered.
func (s *Server) Deliver(ctx context.Context, hubURL, poID string) (fakeplatform.Delivery, error) {
	d, _, err := s.Send(ctx, hubURL, supplier.Update{Type: supplier.TypeDelivered, PurchaseOrderID: poID})
	return d, err
}

// Reject reports that the supplier cannot ship a purchase order.
func (s *Server) Reject(ctx context.Context, hubURL, poID, reason string) (fakeplatform.Delivery, error) {
	d, _, err := s.Send(ctx, hubURL, supplier.Update{Type: supplier.TypeRejected, PurchaseOrderID: poID, Note: reason})
	return d, err
}
