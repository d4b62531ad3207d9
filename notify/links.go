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
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/store"
)

// LinkSecretName is the name of the secret, kept in the database so every
// instance shares it, that signs the backorder decision links.
const LinkSecretName = "notice_links"

// Links signs and checks the customer's backorder decision links:
// {public_url}/notices/backorders/{id}/{wait|cancel}?sig=..., where sig is
// an HMAC-SHA256 of the backorder id and the decision. A link needs no
// expiry: it acts only while its backorder is open.
type Links struct {
	BaseURL string // the public URL, e.g. https://hub.example.com
	Key     []byte
}

// LoadLinks returns Links signed with the database's shared key, creating
// the key on first use. st is a store or transaction with the outbox.
func LoadLinks(ctx context.Context, st any, publicURL string) (*Links, error) {
	ob, err := outbox(st)
	if err != nil {
		return nil, err
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	key, err := ob.EnsureSecret(ctx, LinkSecretName, fresh)
	if err != nil {
		return nil, fmt.Errorf("notice link key: %w", err)
	}
	return &Links{BaseURL: strings.TrimRight(publicURL, "/"), Key: key}, nil
}

// Sign returns the signature of a decision on a backorder.
func (l *Links) Sign(backorderID string, d allocator.Decision) string {
	mac := hmac.New(sha256.New, l.Key)
	mac.Write([]byte("backorder\x00" + backorderID + "\x00" + string(d)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig signs the decision on the backorder.
func (l *Links) Verify(backorderID string, d allocator.Decision, sig string) bool {
	if len(l.Key) == 0 || sig == "" {
		return false
	}
	want := l.Sign(backorderID, d)
	return hmac.Equal([]byte(want), []byte(sig))
}

// BackorderPath is the path of a decision link, without the signature.
func BackorderPath(backorderID string, d allocator.Decision) string {
	return "/notices/backorders/" + url.PathEscape(backorderID) + "/" + string(d)
}

// BackorderURL is the signed link to decide on a backorder.
func (l *Links) BackorderURL(backorderID string, d allocator.Decision) string {
	return l.BaseURL + BackorderPath(backorderID, d) + "?sig=" + l.Sign(backorderID, d)
}

// Decider carries out a customer's decision: *allocator.Allocator.
type Decider interface {
	Decide(ctx context.Context, backorderID string, d allocator.Decision, actor string) (orderhub.Backorder, *allocator.Refund, error)
}

var _ Decider = (*allocator.Allocator)(nil)

// ActorCustomer is the actor of decisions made through the links.
const ActorCustomer = "customer (notice link)"

// DecisionHandler serves the decision links: GET shows what the link will
// do and asks to confirm (mail scanners and link previews follow GETs, so
// a GET never decides), POST decides. A link whose signature does not
// match is 403.
type DecisionHandler struct {
	Store   store.Store
	Decider Decider
	// Links returns the signer; it is called per request, so the key can
	// be loaded lazily from the database.
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
	Title, Message, Item, Action, Sig, Button string
	Confirm                                   bool
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

// check verifies the link and returns its backorder and decision; it has
// answered the request when ok is false.
func (h *DecisionHandler) check(w http.ResponseWriter, r *http.Request) (orderhub.Backorder, allocator.Decision, string, bool) {
	id := chi.URLParam(r, "id")
	d := allocator.Decision(chi.URLParam(r, "decision"))
	if d != allocator.DecisionWait && d != allocator.DecisionCancel {
		h.page(w, http.StatusNotFound, decisionView{Title: "Link not found", Message: "This link is not one we sent."})
		return orderhub.Backorder{}, "", "", false
	}
	sig := r.URL.Query().Get("sig")
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil && r.PostForm.Get("sig") != "" {
			sig = r.PostForm.Get("sig")
		}
	}
	links, err := h.Links(r.Context())
	if err != nil {
		h.logger().ErrorContext(r.Context(), "notice links unavailable", "err", err)
		h.page(w, http.StatusServiceUnavailable, decisionView{Title: "Please try again later", Message: "We cannot check this link right now."})
		return orderhub.Backorder{}, "", "", false
	}
	if !links.Verify(id, d, sig) {
		h.page(w, http.StatusForbidden, decisionView{Title: "This link is not valid", Message: "Please use the link from your email as it was sent."})
		return orderhub.Backorder{}, "", "", false
	}
	b, err := h.Store.GetBackorder(r.Context(), id)
	if err != nil {
		status := http.StatusServiceUnavailable
		if orderhub.ErrorCode(err) == orderhub.ENotFound {
			status = http.StatusNotFound
		}
		h.page(w, status, decisionView{Title: "Backorder not found", Message: "We could not find these items."})
		return orderhub.Backorder{}, "", "", false
	}
	return b, d, sig, true
}

func (h *DecisionHandler) confirm(w http.ResponseWriter, r *http.Request) {
	b, d, sig, ok := h.check(w, r)
	if !ok {
		return
	}
	item := fmt.Sprintf("%d × %s", b.Remaining(), b.SKU)
	if !b.Status.Open() {
		h.page(w, http.StatusConflict, decisionView{Title: "Already decided", Message: fmt.Sprintf("These items (%s) are already %s.", item, b.Status)})
		return
	}
	v := decisionView{Confirm: true, Sig: sig, Action: BackorderPath(b.ID, d) + "?sig=" + url.QueryEscape(sig), Item: item}
	if d == allocator.DecisionWait {
		v.Title, v.Button, v.Message = "Wait for your items", "Yes, I'll wait", "We will ship these items as soon as they are back in stock."
	} else {
		v.Title, v.Button, v.Message = "Cancel these items", "Cancel them and refund me", "These items will be cancelled and refunded; the rest of your order is not affected."
	}
	h.page(w, http.StatusOK, v)
}

func (h *DecisionHandler) decide(w http.ResponseWriter, r *http.Request) {
	b, d, _, ok := h.check(w, r)
	if !ok {
		return
	}
	nb, refund, err := h.Decider.Decide(r.Context(), b.ID, d, ActorCustomer)
	switch {
	case orderhub.ErrorCode(err) == orderhub.EConflict:
		h.page(w, http.StatusConflict, decisionView{Title: "Already decided", Message: fmt.Sprintf("These items are already %s.", b.Status)})
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

// CachedLinks loads Links once and keeps them; a failed load is retried on
// the next call.
func CachedLinks(st any, publicURL string) func(ctx context.Context) (*Links, error) {
	var mu sync.Mutex
	var links *Links
	return func(ctx context.Context) (*Links, error) {
		mu.Lock()
		defer mu.Unlock()
		if links != nil {
			return links, nil
		}
		l, err := LoadLinks(ctx, st, publicURL)
		if err != nil {
			return nil, err
		}
		links = l
		return links, nil
	}
}
