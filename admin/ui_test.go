package admin_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/store"
)

type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

// dashboard serves w's admin server's dashboard under /ui.
func dashboard(t *testing.T, w *world) string {
	t.Helper()
	w.srv.Broker = live.NewBroker(nil)
	w.srv.Live = w.srv.Broker
	w.srv.Shops = []string{"shop-a", "shop-b"}
	r := chi.NewRouter()
	r.Mount("/ui", w.srv.UI())
	ts := httptest.NewServer(r)
	t.Cleanup(ts.Close)
	return ts.URL
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.base+path, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values, origin string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return b.do(req)
}

func (b *browser) signIn(token string) {
	b.t.Helper()
	resp, _ := b.post("/ui/login", url.Values{"token": {token}, "next": {"/ui/orders"}}, b.base)
	require.Equal(b.t, http.StatusSeeOther, resp.StatusCode)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRE.FindStringSubmatch(body)
	require.NotNil(b.t, m, "no CSRF field on %s", path)
	return m[1]
}

func TestDashboardSignIn(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	base := dashboard(t, w)
	b := newBrowser(t, base)

	resp, _ := b.get("/ui/orders?status=paid")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/ui/login?next=%2Fui%2Forders%3Fstatus%3Dpaid", resp.Header.Get("Location"))

	resp, body := b.get("/ui/login")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, body, `name="token"`)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
	require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))

	resp, body = b.post("/ui/login", url.Values{"token": {"not-a-token"}}, base)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, body, "not valid")
	resp, _ = b.post("/ui/login", url.Values{"token": {shopAToken}}, "https://evil.example")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "a sign-in posted from another site is refused")

	resp, _ = b.post("/ui/login", url.Values{"token": {shopAToken}, "next": {"https://evil.example/"}}, base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/ui/orders", resp.Header.Get("Location"), "next never leaves the dashboard")
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "orderhub_session" {
			session = c
		}
	}
	require.NotNil(t, session)
	require.True(t, session.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, session.SameSite)
	require.Equal(t, "/ui", session.Path)

	// Shop A's sign-in sees shop A only.
	resp, body = b.get("/ui/orders")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, body, "#1001")
	require.NotContains(t, body, "#2002")
	require.Contains(t, body, "shop-a")
	resp, _ = b.get("/ui/orders/" + w.b.ID)
	require.Equal(t, 404, resp.StatusCode)
	resp, body = b.get("/ui/dead-letters")
	require.Equal(t, 200, resp.StatusCode)
	require.NotContains(t, body, "shop-b")
	resp, body = b.get("/ui/inventory")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, body, "only a token for every shop")
	require.NotContains(t, body, "Adjust stock")

	// Sign-out needs the form's CSRF token.
	resp, _ = b.post("/ui/logout", url.Values{}, base)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = b.post("/ui/logout", url.Values{"csrf": {b.csrf("/ui/orders")}}, base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = b.get("/ui/orders")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed out")
}

func TestDashboardPages(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	b := newBrowser(t, dashboard(t, w))
	b.signIn(allToken)
	for path, wants := range map[string][]string{
		"/ui/orders":             {"#1001", "#2002", `class="badge stuck"`, "awaiting fulfillment", `data-testid="stuck-count">2<`},
		"/ui/orders?q=%232002":   {"#2002"},
		"/ui/orders?q=1001":      {"#1001"},
		"/ui/orders?shop=shop-b": {"#2002"},
		"/ui/orders/" + w.a.ID:   {"MUG", "chi ×2 (pending)", "backordered ×1", "Why each line went where it went", "✓", "orderhub-routing", "awaiting fulfillment", "Timeline", `data-testid="stuck-badge"`},
		"/ui/stuck":              {"#1001", "#2002", "30 h"},
		"/ui/inventory":          {"Adjust stock", "la-3pl", "TEE", "3PL"},
		"/ui/backorders":         {"WIDGET", "Wait", "Cancel"},
		"/ui/dead-letters":       {"admin_test_fail", "payload has no line items", "Replay", "the remote API is down"},
		"/ui/routing":            {"minimize_splits", "Simulate other rules", "dropco"},
		"/ui/routing?simulate=1&rules=closest%2C+priority&allow_line_split=1&dropship=1&backorders=notify&limit=50": {"1 of 2 orders would ship differently", "<svg", "bar-prop", "nyc ×2", "chi ×2"},
		"/ui/routing?simulate=1&rules=fastest": {"fastest", `role="alert"`},
	} {
		resp, body := b.get(path)
		require.Equal(t, 200, resp.StatusCode, path)
		for _, want := range wants {
			require.Contains(t, body, want, "%s shows %q", path, want)
		}
	}
	_, page := b.get("/ui/orders/" + w.a.ID)
	require.Regexp(t, `data-testid="event-time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</time> <span class="muted small" data-testid="event-ago">(just now|\d+ (min|h|days) ago)</span>`, page,
		"the timeline gives each event to the second, and how long ago")
	resp, body := b.get("/ui/orders?q=nothing-like-it")
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, body, "No order matches")
	require.NotContains(t, body, "#1001")
	resp, _ = b.get("/ui/static/app.css")
	require.Equal(t, 200, resp.StatusCode)
	resp, _ = b.get("/ui/static/app.js")
	require.Equal(t, 200, resp.StatusCode)
	resp, _ = b.get("/ui/no-such-page")
	require.Equal(t, 404, resp.StatusCode)
}

func TestDashboardForms(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	base := dashboard(t, w)
	b := newBrowser(t, base)
	b.signIn(allToken)
	ctx := context.Background()
	token := b.csrf("/ui/inventory")

	// Without the CSRF token nothing changes.
	resp, _ := b.post("/ui/inventory", url.Values{"location": {"nyc"}, "sku": {"WIDGET"}, "quantity": {"4"}, "reason": {"restock"}}, base)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = b.post("/ui/inventory", url.Values{"csrf": {token}, "location": {"nyc"}, "sku": {"WIDGET"}, "quantity": {"4"}, "reason": {"restock"}}, "https://evil.example")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	l, err := w.st.GetStock(ctx, "nyc", "WIDGET")
	require.NoError(t, err)
	require.Zero(t, l.OnHand)

	resp, _ = b.post("/ui/inventory", url.Values{"csrf": {token}, "location": {"nyc"}, "sku": {"WIDGET"}, "mode": {"adjust"}, "quantity": {"4"}, "reason": {"restock"}}, base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	l, err = w.st.GetStock(ctx, "nyc", "WIDGET")
	require.NoError(t, err)
	require.Equal(t, int64(4), l.OnHand)
	require.Equal(t, int64(2), l.Reserved, "the restock filled both WIDGET backorders")
	_, body := b.get("/ui/inventory")
	require.Contains(t, body, "Filled 2 backorder(s)", "the result is flashed on the next page")

	resp, _ = b.post("/ui/inventory", url.Values{"csrf": {token}, "location": {"nyc"}, "sku": {"MUG"}, "mode": {"set"}, "quantity": {"9"}, "reason": {"count"}}, base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	l, err = w.st.GetStock(ctx, "nyc", "MUG")
	require.NoError(t, err)
	require.Equal(t, int64(9), l.OnHand)

	resp, _ = b.post("/ui/orders/"+w.a.ID+"/notes", url.Values{"csrf": {token}, "note": {"customer called about the tee"}, "actor": {"sam"}}, base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	evs, err := w.st.ListEvents(ctx, w.a.ID)
	require.NoError(t, err)
	last := evs[len(evs)-1]
	require.Equal(t, orderhub.EventNote, last.Kind)
	require.Equal(t, "ops", last.Actor, "the note is recorded as the session's token, not the name typed in")
	require.Equal(t, "customer called about the tee", last.Note)

	resp, _ = b.post("/ui/dead-letters/receipt-"+w.receiptB+"/replay", url.Values{"csrf": {token}}, base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	rc, err := w.st.GetReceipt(ctx, w.receiptB)
	require.NoError(t, err)
	require.Equal(t, store.ReceiptPending, rc.Status)

	// Shop A's sign-in cannot decide shop B's backorder.
	a := newBrowser(t, base)
	a.signIn(shopAToken)
	resp, _ = a.post("/ui/backorders/"+w.bBackorder+"/decision", url.Values{"csrf": {a.csrf("/ui/backorders")}, "decision": {"cancel"}}, base)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	bo, err := w.st.GetBackorder(ctx, w.bBackorder)
	require.NoError(t, err)
	require.NotEqual(t, orderhub.BackorderCancelled, bo.Status)
	require.NotEqual(t, token, a.csrf("/ui/orders"), "each sign-in has its own CSRF token")
}

func TestDashboardLiveEventsAreScoped(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	base := dashboard(t, w)
	a := newBrowser(t, base)
	a.signIn(shopAToken)
	req, err := http.NewRequest("GET", base+"/ui/events", nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := a.c.Do(req.WithContext(ctx))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	rd := bufio.NewReader(resp.Body)
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "retry: 3000\n", line)

	for w.srv.Broker.Subscribers() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	w.srv.Broker.Publish(ctx, live.Event{Type: live.OrderChanged, ShopID: "shop-b", OrderID: w.b.ID})
	w.srv.Broker.Publish(ctx, live.Event{Type: live.StockChanged})
	// A note through the API reaches the stream of the order's shop.
	code, _ := call(t, "POST", w.url+"/orders/"+w.a.ID+"/notes", shopAToken, map[string]string{"actor": "x", "note": "y"})
	require.Equal(t, 201, code)
	w.srv.Broker.Publish(ctx, live.Event{Type: live.OrderChanged, ShopID: "shop-a", OrderID: w.a.ID})
	var data string
	for {
		line, err := rd.ReadString('\n')
		require.NoError(t, err)
		if strings.HasPrefix(line, "data: ") {
			data = line
			break
		}
	}
	require.Contains(t, data, w.a.ID, "the first event shop A hears is its own: shop B's and the shared stock's were held back")
	require.NotContains(t, data, w.b.ID)
}

func TestDashboardRequiresSignInForEvents(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	b := newBrowser(t, dashboard(t, w))
	resp, _ := b.get("/ui/events")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	_ = admin.UIPrefix
}
