package notify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/store"
)

// LinkSecretName is the name of the secret, kept in the database so every
// instance shares it, that signs the backorder decision links.
const LinkSecretName = "notice_links"

// DefaultLinkTTL is how long a decision link works after it is made: 30
// days (notifications.link_ttl).
const DefaultLinkTTL = 30 * 24 * time.Hour

// Links signs and checks the customer's backorder decision links:
// {public_url}/notices/backorders/{id}/{wait|cancel}?exp=<unix>&sig=...,
// where sig is an HMAC-SHA256 of the backorder id, the decision and the
// expiry, so none of them can be changed. A link acts until it expires, and
// only once: the handler refuses it when the backorder has been decided.
//
// New links are signed with Key. After a rotation, links signed with the
// key it replaced (Previous) are still accepted for PreviousFor from
// RetiredAt, then refused as expired.
type Links struct {
	BaseURL     string // the public URL, e.g. https://hub.example.com
	Key         []byte
	Previous    []byte    // the key Key replaced; nil when it was never rotated
	RetiredAt   time.Time // when Previous was replaced
	TTL         time.Duration
	PreviousFor time.Duration
	// Now is the clock that dates new links and checks them; time.Now
	// when nil.
	Now func() time.Time
}

// LinkState is what checking a link finds.
type LinkState int

// Link states.
const (
	// LinkInvalid: not a link we signed (forged, altered, or signed with a
	// key that is gone).
	LinkInvalid LinkState = iota
	// LinkValid: ours and in date.
	LinkValid
	// LinkExpired: ours, but past its expiry, or signed with a key retired
	// longer than PreviousFor ago, or made before links had an expiry.
	LinkExpired
)

func (l *Links) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Links) ttl() time.Duration {
	if l.TTL > 0 {
		return l.TTL
	}
	return DefaultLinkTTL
}

// PreviousWindow is how long after its retirement the previous key is
// accepted: PreviousFor, or the TTL when that is 0, so that links sent just
// before a rotation work until they would expire anyway.
func (l *Links) PreviousWindow() time.Duration {
	if l.PreviousFor > 0 {
		return l.PreviousFor
	}
	return l.ttl()
}

// Expiry is when a link made now stops working, to the second.
func (l *Links) Expiry() time.Time {
	return l.now().Add(l.ttl()).Truncate(time.Second).UTC()
}

func mac(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func linkMessage(backorderID string, d allocator.Decision, exp int64) string {
	return "backorder\x00" + backorderID + "\x00" + string(d) + "\x00" + strconv.FormatInt(exp, 10)
}

// legacyMessage is what links made before they had an expiry signed.
func legacyMessage(backorderID string, d allocator.Decision) string {
	return "backorder\x00" + backorderID + "\x00" + string(d)
}

// Sign returns the signature, with the current key, of a decision on a
// backorder that expires at exp.
func (l *Links) Sign(backorderID string, d allocator.Decision, exp time.Time) string {
	return mac(l.Key, linkMessage(backorderID, d, exp.Unix()))
}

// Check says whether sig, with the expiry exp (unix seconds, as in the
// link), signs the decision on the backorder, and whether the link is still
// in date at the clock's now.
func (l *Links) Check(backorderID string, d allocator.Decision, exp, sig string) LinkState {
	if sig == "" || len(l.Key) == 0 {
		return LinkInvalid
	}
	matches := func(key []byte, msg string) bool {
		return len(key) > 0 && hmac.Equal([]byte(mac(key, msg)), []byte(sig))
	}
	if exp == "" {
		if matches(l.Key, legacyMessage(backorderID, d)) || matches(l.Previous, legacyMessage(backorderID, d)) {
			return LinkExpired
		}
		return LinkInvalid
	}
	at, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || strconv.FormatInt(at, 10) != exp {
		return LinkInvalid
	}
	msg := linkMessage(backorderID, d, at)
	now := l.now()
	inDate := now.Before(time.Unix(at, 0))
	switch {
	case matches(l.Key, msg):
	case matches(l.Previous, msg):
		if !now.Before(l.RetiredAt.Add(l.PreviousWindow())) {
			return LinkExpired
		}
	default:
		return LinkInvalid
	}
	if !inDate {
		return LinkExpired
	}
	return LinkValid
}

// BackorderPath is the path of a decision link, without its query.
func BackorderPath(backorderID string, d allocator.Decision) string {
	return "/notices/backorders/" + url.PathEscape(backorderID) + "/" + string(d)
}

// linkQuery is the query of a link that expires at exp.
func (l *Links) linkQuery(backorderID string, d allocator.Decision, exp time.Time) string {
	return "?exp=" + strconv.FormatInt(exp.Unix(), 10) + "&sig=" + l.Sign(backorderID, d, exp)
}

// BackorderURL is the signed link to decide on a backorder; it expires TTL
// from now.
func (l *Links) BackorderURL(backorderID string, d allocator.Decision) string {
	return l.BaseURL + BackorderPath(backorderID, d) + l.linkQuery(backorderID, d, l.Expiry())
}

// KeyStore is what the links need of the database: the shared secrets.
type KeyStore interface {
	EnsureSecret(ctx context.Context, name string, fresh []byte) ([]byte, error)
	GetSecret(ctx context.Context, name string) (store.Secret, error)
	RotateSecret(ctx context.Context, name string, fresh []byte) (store.Secret, error)
}

var _ KeyStore = store.Tx(nil)

// LinkSettings are how links are made and checked.
type LinkSettings struct {
	PublicURL string
	// TTL is how long a link works (notifications.link_ttl);
	// DefaultLinkTTL when 0.
	TTL time.Duration
	// PreviousFor is how long the previous key is accepted after a
	// rotation (notifications.previous_key_for); TTL when 0.
	PreviousFor time.Duration
	Now         func() time.Time // time.Now when nil
}

func newKey() ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}

// LoadLinks returns Links with the database's shared keys, creating the
// key on first use.
func LoadLinks(ctx context.Context, ks KeyStore, s LinkSettings) (*Links, error) {
	sec, err := ks.GetSecret(ctx, LinkSecretName)
	if orderhub.ErrorCode(err) == orderhub.ENotFound {
		var fresh []byte
		if fresh, err = newKey(); err != nil {
			return nil, err
		}
		if _, err = ks.EnsureSecret(ctx, LinkSecretName, fresh); err == nil {
			sec, err = ks.GetSecret(ctx, LinkSecretName)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("notice link key: %w", err)
	}
	l := &Links{BaseURL: strings.TrimRight(s.PublicURL, "/"), Key: sec.Value, Previous: sec.Previous,
		TTL: s.TTL, PreviousFor: s.PreviousFor, Now: s.Now}
	if sec.RetiredAt != nil {
		l.RetiredAt = *sec.RetiredAt
	}
	return l, nil
}

// StoredLinks returns a loader of Links that reads the keys from the
// database on each call: one read per notice sent or link opened, so that
// a rotation on any instance applies at once on every instance.
func StoredLinks(ks KeyStore, s LinkSettings) func(ctx context.Context) (*Links, error) {
	return func(ctx context.Context) (*Links, error) { return LoadLinks(ctx, ks, s) }
}

// RotateLinkKey makes a fresh key sign new links. The key it replaces is
// kept as the previous one, retired now (the store's clock): links signed
// with it keep working for the previous-key window, then are refused. The
// key before that is dropped, so rotating twice refuses the old key at
// once.
func RotateLinkKey(ctx context.Context, ks KeyStore) (store.Secret, error) {
	fresh, err := newKey()
	if err != nil {
		return store.Secret{}, err
	}
	sec, err := ks.RotateSecret(ctx, LinkSecretName, fresh)
	if err != nil {
		return store.Secret{}, fmt.Errorf("rotate the notice link key: %w", err)
	}
	return sec, nil
}

// Decider carries out a customer's decision, once: *allocator.Allocator.
type Decider interface {
	DecideOnce(ctx context.Context, backorderID string, d allocator.Decision, actor string) (orderhub.Backorder, *allocator.Refund, error)
}

var _ Decider = (*allocator.Allocator)(nil)

// ActorCustomer is the actor of decisions made through the links.
const ActorCustomer = "customer (notice link)"

// DecisionHandler serves the decision links: GET shows what the link will
// do and asks to confirm (mail scanners and link previews follow GETs, so
// a GET never decides), POST decides. A link whose signature does not
// match is 403, one past its expiry 410, and one whose backorder was
// already decided (through either link, the API or the dashboard) 409,
// saying what was decided; none of them changes anything.
type DecisionHandler struct {
	Store   store.Store
	Decider Decider
	// Links returns the signer; it is called per request, so the keys are
	// those in the database now.
	Links  func(ctx context.Context) (*Links, error)
	Logger *slog.Logger
}

// Routes adds GET and POST /notices/backorders/{id}/{decision}.
func (h *DecisionHandler) Routes(r chi.Router) {
	r.Get("/notices/backorders/{id}/{decision}", h.confirm)
	r.Post("/notices/backorders/{id}/{decision}", h.decide)
}

var decisionPage = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/decision.html.tmpl"))

type decisionView struct {
	Title, Message, Item, Action, Exp, Sig, Button string
	Confirm                                        bool
}

func (h *DecisionHandler) page(w http.ResponseWriter, status int, v decisionView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = decisionPage.Execute(w, v)
}

func (h *DecisionHandler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

func itemLabel(b orderhub.Backorder) string { return fmt.Sprintf("%d × %s", b.Remaining(), b.SKU) }

// decided is the page of a backorder that no longer takes a decision: one
// was made, or it was filled or cancelled otherwise. ok is false when the
// backorder still takes one.
func decided(b orderhub.Backorder) (decisionView, bool) {
	const after = " This link no longer changes anything; to change your order, please contact the shop."
	item := itemLabel(b)
	if b.Decision != "" {
		when := ""
		if b.DecidedAt != nil {
			when = " on " + b.DecidedAt.UTC().Format("2 January 2006")
		}
		what := "to wait for them: they ship as soon as they are back in stock."
		if b.Decision == string(allocator.DecisionCancel) {
			what = "to cancel them, with a refund."
		}
		return decisionView{Title: "Already decided",
			Message: fmt.Sprintf("The decision on these items (%s) was already made%s: %s", item, when, what) + after}, true
	}
	if !b.Status.Open() {
		return decisionView{Title: "Already decided", Message: fmt.Sprintf("These items (%s) are already %s.", item, b.Status) + after}, true
	}
	return decisionView{}, false
}

// linkParams reads the expiry and signature from the link's query, or from
// the confirmation form.
func linkParams(r *http.Request) (exp, sig string) {
	q := r.URL.Query()
	exp, sig = q.Get("exp"), q.Get("sig")
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil && r.PostForm.Get("sig") != "" {
			exp, sig = r.PostForm.Get("exp"), r.PostForm.Get("sig")
		}
	}
	return exp, sig
}

// check verifies the link and returns its backorder and decision; it has
// answered the request when ok is false: the link is not ours, has
// expired, or its backorder no longer takes a decision.
func (h *DecisionHandler) check(w http.ResponseWriter, r *http.Request) (orderhub.Backorder, allocator.Decision, string, string, bool) {
	id := chi.URLParam(r, "id")
	d := allocator.Decision(chi.URLParam(r, "decision"))
	if d != allocator.DecisionWait && d != allocator.DecisionCancel {
		h.page(w, http.StatusNotFound, decisionView{Title: "Link not found", Message: "This link is not one we sent."})
		return orderhub.Backorder{}, "", "", "", false
	}
	exp, sig := linkParams(r)
	links, err := h.Links(r.Context())
	if err != nil {
		h.logger().ErrorContext(r.Context(), "notice links unavailable", "err", err)
		h.page(w, http.StatusServiceUnavailable, decisionView{Title: "Please try again later", Message: "We cannot check this link right now."})
		return orderhub.Backorder{}, "", "", "", false
	}
	switch links.Check(id, d, exp, sig) {
	case LinkInvalid:
		h.page(w, http.StatusForbidden, decisionView{Title: "This link is not valid", Message: "Please use the link from your email as it was sent."})
		return orderhub.Backorder{}, "", "", "", false
	case LinkExpired:
		h.page(w, http.StatusGone, decisionView{Title: "This link has expired",
			Message: "The links in our emails work for a limited time, and this one has expired, so nothing was changed. To wait for these items or cancel them, please contact the shop."})
		return orderhub.Backorder{}, "", "", "", false
	}
	b, err := h.Store.GetBackorder(r.Context(), id)
	if err != nil {
		status := http.StatusServiceUnavailable
		if orderhub.ErrorCode(err) == orderhub.ENotFound {
			status = http.StatusNotFound
		}
		h.page(w, status, decisionView{Title: "Backorder not found", Message: "We could not find these items."})
		return orderhub.Backorder{}, "", "", "", false
	}
	if v, done := decided(b); done {
		h.page(w, http.StatusConflict, v)
		return orderhub.Backorder{}, "", "", "", false
	}
	return b, d, exp, sig, true
}

func (h *DecisionHandler) confirm(w http.ResponseWriter, r *http.Request) {
	b, d, exp, sig, ok := h.check(w, r)
	if !ok {
		return
	}
	v := decisionView{Confirm: true, Exp: exp, Sig: sig, Item: itemLabel(b),
		Action: BackorderPath(b.ID, d) + "?exp=" + url.QueryEscape(exp) + "&sig=" + url.QueryEscape(sig)}
	if d == allocator.DecisionWait {
		v.Title, v.Button, v.Message = "Wait for your items", "Yes, I'll wait", "We will ship these items as soon as they are back in stock."
	} else {
		v.Title, v.Button, v.Message = "Cancel these items", "Cancel them and refund me", "These items will be cancelled and refunded; the rest of your order is not affected."
	}
	h.page(w, http.StatusOK, v)
}

func (h *DecisionHandler) decide(w http.ResponseWriter, r *http.Request) {
	b, d, _, _, ok := h.check(w, r)
	if !ok {
		return
	}
	nb, refund, err := h.Decider.DecideOnce(r.Context(), b.ID, d, ActorCustomer)
	switch {
	case orderhub.ErrorCode(err) == orderhub.EConflict:
		// Decided meanwhile, by the other link or an operator.
		v := decisionView{Title: "Already decided", Message: "A decision on these items was already made, so nothing was changed."}
		if cur, gerr := h.Store.GetBackorder(r.Context(), b.ID); gerr == nil {
			if dv, done := decided(cur); done {
				v = dv
			}
		}
		h.page(w, http.StatusConflict, v)
		return
	case err != nil:
		var oe *orderhub.Error
		h.logger().ErrorContext(r.Context(), "backorder decision failed", "backorder", b.ID, "order_id", b.OrderID, "err", err)
		status := http.StatusInternalServerError
		if errors.As(err, &oe) && oe.Code == orderhub.EUnavailable {
			status = http.StatusServiceUnavailable
		}
		h.page(w, status, decisionView{Title: "Please try again later", Message: "We could not record your choice."})
		return
	}
	if d == allocator.DecisionWait {
		h.page(w, http.StatusOK, decisionView{Title: "Thank you", Message: fmt.Sprintf("We will ship %d × %s as soon as it is back in stock.", nb.Remaining(), nb.SKU)})
		return
	}
	msg := fmt.Sprintf("%d × %s cancelled.", b.Remaining(), b.SKU)
	if refund != nil {
		msg += " You will be refunded " + refund.Amount.Display() + "."
	}
	h.page(w, http.StatusOK, decisionView{Title: "Cancelled", Message: msg})
}
