package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/bodylimit"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/store"
)

// DefaultMaxBodyBytes caps a webhook body when HandlerOptions leave it 0:
// 5 MiB, well above any order payload the platforms send.
const DefaultMaxBodyBytes = 5 << 20

// Inbox is what the intake needs of the store: storing a receipt with its
// drain job, and learning that it was already stored (a Conflict).
type Inbox interface {
	InsertReceipt(ctx context.Context, p store.InsertReceiptParams) (store.Receipt, error)
}

var _ Inbox = store.Store(nil)

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	Shops  []ShopConfig
	Inbox  Inbox
	Now    func() time.Time // time.Now when nil; BigCommerce signatures are checked against it
	Logger *slog.Logger     // discards when nil
	// MaxBodyBytes caps a body; DefaultMaxBodyBytes when 0.
	MaxBodyBytes int64
	// Observer counts deliveries; nil counts nothing.
	Observer Observer
	// Budget bounds the body bytes held by every delivery being read at
	// once; one Budget is shared with the other webhook senders' handlers.
	// A budget of its own of bodylimit.DefaultInFlightBytes when nil.
	Budget *bodylimit.Budget
	// Writes is told how each receipt's store went, so readiness turns 503
	// while the database cannot store; nil tells no one.
	Writes WriteReporter
}

// WriteReporter is told the outcome of each write: nil for a success, or
// the error. *store.WriteHealth implements it.
type WriteReporter interface {
	Report(err error)
}

var _ WriteReporter = (*store.WriteHealth)(nil)

type noWrites struct{}

func (noWrites) Report(error) {}

// Observer is told what the intake does with each delivery, for metrics.
// *metrics.Metrics implements it.
type Observer interface {
	WebhookReceived(platform string)
	WebhookRejected(platform, reason string)
	WebhookDuplicate(platform string)
	ObserveIngest(d time.Duration)
}

type noObserver struct{}

func (noObserver) WebhookReceived(string)         {}
func (noObserver) WebhookRejected(string, string) {}
func (noObserver) WebhookDuplicate(string)        {}
func (noObserver) ObserveIngest(time.Duration)    {}

// Handler serves POST /webhooks/{platform}/{shop_id} for the order
// platforms.
type Handler struct {
	obs    Observer
	shops  map[string]shopEntry
	inbox  Inbox
	now    func() time.Time
	logger *slog.Logger
	max    int64
	budget *bodylimit.Budget
	writes WriteReporter
}

type shopEntry struct {
	cfg      ShopConfig
	platform platform
	verifier Verifier
}

// NewHandler checks the shops and builds a Handler. A shop without an id, on
// an unknown platform, or listed twice is an Invalid error.
func NewHandler(o HandlerOptions) (*Handler, error) {
	if o.Inbox == nil {
		return nil, orderhub.Errorf(orderhub.EInvalid, "webhooks: no inbox to store receipts in")
	}
	h := &Handler{obs: o.Observer, shops: map[string]shopEntry{}, inbox: o.Inbox, now: o.Now, logger: o.Logger, max: o.MaxBodyBytes,
		budget: o.Budget, writes: o.Writes}
	if h.budget == nil {
		h.budget = bodylimit.NewBudget(0)
	}
	if h.writes == nil {
		h.writes = noWrites{}
	}
	if h.obs == nil {
		h.obs = noObserver{}
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.max <= 0 {
		h.max = DefaultMaxBodyBytes
	}
	for i, s := range o.Shops {
		if s.ID == "" {
			return nil, orderhub.Errorf(orderhub.EInvalid, "webhooks: shops[%d] has no id", i)
		}
		p, ok := platforms[s.Platform]
		if !ok {
			return nil, orderhub.Errorf(orderhub.EInvalid, "webhooks: shop %s: platform %q is not one of shopify, woocommerce, bigcommerce", s.ID, s.Platform)
		}
		if _, dup := h.shops[s.ID]; dup {
			return nil, orderhub.Errorf(orderhub.EInvalid, "webhooks: shop %s is listed twice", s.ID)
		}
		h.shops[s.ID] = shopEntry{cfg: s, platform: p, verifier: s.verifier()}
	}
	return h, nil
}

// Routes adds the intake routes to r. Routes of other webhook senders
// (/webhooks/shipbob/{id}, …) registered on the same router take precedence
// over the {platform} pattern, so they can live beside it.
func (h *Handler) Routes(r chi.Router) {
	r.Post("/webhooks/{platform}/{shop_id}", h.ServeHTTP)
}

// Response is the JSON body of a 200: "accepted" with the receipt id, or
// "duplicate", or "ok" for a WooCommerce ping.
type Response struct {
	Status    string `json:"status"`
	ReceiptID string `json:"receipt_id,omitempty"`
}

// ServeHTTP handles one delivery; the platform and shop id come from the
// chi route parameters.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	platformName, shopID := chi.URLParam(r, "platform"), chi.URLParam(r, "shop_id")
	ctx := r.Context()
	began := time.Now()
	label := platformName
	if _, ok := platforms[platformName]; !ok {
		label = "unknown" // never a label per made-up platform name
	}
	h.obs.WebhookReceived(label)
	log := h.logger.With("platform", platformName, "shop", shopID)
	if _, ok := platforms[platformName]; !ok {
		h.fail(w, r, log, label, orderhub.Errorf(orderhub.ENotFound, "unknown platform %q: webhooks are taken for shopify, woocommerce and bigcommerce", platformName))
		return
	}
	shop, ok := h.shops[shopID]
	if !ok || shop.cfg.Platform != platformName {
		// A shop of another platform answers as if it did not exist.
		h.fail(w, r, log, label, orderhub.Errorf(orderhub.ENotFound, "no %s shop %q is configured", platformName, shopID))
		return
	}

	// The body is read before it is verified, so it is read under the
	// budget: a sender cannot make the process hold more than that, however
	// many deliveries it opens and whatever Content-Length it claims.
	body, release, err := h.budget.Read(w, r, h.max)
	defer release()
	if err != nil {
		switch orderhub.ErrorCode(err) {
		case orderhub.ETooLarge:
			log.WarnContext(ctx, "webhook body over the cap", "err", err)
		case orderhub.EUnavailable:
			log.WarnContext(ctx, "webhook refused: too many body bytes in flight", "err", err)
		}
		h.fail(w, r, nil, label, err)
		return
	}
	if p := shop.platform.ping; p != nil && p(r.Header, body) {
		log.InfoContext(ctx, "webhook creation ping answered")
		httpjson.Write(w, http.StatusOK, Response{Status: "ok"})
		return
	}
	if err := shop.verifier.Verify(r.Header, body, h.now()); err != nil {
		log.WarnContext(ctx, "webhook signature rejected", "err", err)
		h.fail(w, r, log, label, err)
		return
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		h.fail(w, r, log, label, err)
		return
	}
	if !utf8.Valid(body) {
		// JSON is UTF-8 (RFC 8259); a body that is not would be stored as
		// bytes no order field can hold.
		h.fail(w, r, log, label, orderhub.Errorf(orderhub.EInvalid, "body is not valid UTF-8 (%d bytes)", len(body)))
		return
	}
	if !json.Valid(body) {
		h.fail(w, r, log, label, orderhub.Errorf(orderhub.EInvalid, "body is not valid JSON (%d bytes)", len(body)))
		return
	}
	key, topic, err := shop.platform.dedupe(r.Header, body)
	if err != nil {
		if orderhub.ErrorCode(err) == orderhub.EInternal {
			err = orderhub.WrapError(orderhub.EInvalid, err, "webhook cannot be de-duplicated")
		}
		log.WarnContext(ctx, "webhook rejected as malformed", "err", err)
		h.fail(w, r, log, label, err)
		return
	}
	if topic == "" {
		h.fail(w, r, log, label, orderhub.Errorf(orderhub.EInvalid, "the delivery names no topic (%s)", platformTopicHeader(platformName)))
		return
	}
	rec, err := h.inbox.InsertReceipt(ctx, store.InsertReceiptParams{
		Platform: platformName, ShopID: shopID, DedupeKey: key, Topic: topic,
		Headers: shop.platform.keptHeaders(r.Header), Body: body, TriggeredAt: shop.platform.triggered(r.Header),
	})
	switch {
	case orderhub.ErrorCode(err) == orderhub.EConflict:
		log.DebugContext(ctx, "webhook duplicate", "topic", topic)
		h.obs.WebhookDuplicate(label)
		httpjson.Write(w, http.StatusOK, Response{Status: "duplicate"})
	case store.IsStorageFailure(err):
		// The database cannot store now (full, failing, unreachable): a 503
		// with Retry-After, so the platform delivers again later.
		h.writes.Report(err)
		log.ErrorContext(ctx, "webhook not stored: the database cannot store", "err", err)
		h.fail(w, r, nil, label, orderhub.WrapError(orderhub.EUnavailable, err, "the webhook could not be stored now; retry later"))
	case err != nil:
		if orderhub.ErrorCode(err) != orderhub.EUnavailable {
			err = orderhub.WrapError(orderhub.EInternal, err, "webhook could not be stored")
		}
		log.ErrorContext(ctx, "webhook not stored", "err", err)
		h.fail(w, r, nil, label, err)
	default:
		h.writes.Report(nil)
		log.DebugContext(ctx, "webhook accepted", "topic", topic, "receipt", rec.ID)
		httpjson.Write(w, http.StatusOK, Response{Status: "accepted", ReceiptID: rec.ID})
		h.obs.ObserveIngest(time.Since(began))
	}
}

// fail answers an error and counts the rejection by its code.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, platform string, err error) {
	h.obs.WebhookRejected(platform, orderhub.ErrorCode(err))
	httpjson.Error(w, r, log, err)
}

// String describes the handler for logs, without secrets.
func (h *Handler) String() string {
	return fmt.Sprintf("webhooks.Handler{%d shops, max %d bytes}", len(h.shops), h.max)
}

// checkContentType refuses a body declared as something other than JSON.
// Every platform sends application/json; a missing header is tolerated,
// since the body is checked to be JSON anyway.
func checkContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return orderhub.Errorf(orderhub.EInvalid, "Content-Type %q is not application/json", ct)
}

// platformTopicHeader says where a platform puts a delivery's topic.
func platformTopicHeader(platform string) string {
	switch platform {
	case orderhub.PlatformShopify:
		return "X-Shopify-Topic header"
	case orderhub.PlatformWooCommerce:
		return "X-WC-Webhook-Topic header"
	}
	return "scope in the body"
}
