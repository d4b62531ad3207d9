package admin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/internal/redistest"
	"github.com/orderhub/orderhub/ratelimit"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
	"github.com/orderhub/orderhub/store/sqlitestore"
	"github.com/orderhub/orderhub/store/storetest"
)

// fakeClock is a clock a test moves by hand; the server reads it for every
// session decision, so nothing here waits on real time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// sessionCookie returns the browser's dashboard session cookie.
func (b *browser) sessionCookie() *http.Cookie {
	b.t.Helper()
	u, err := url.Parse(b.base + "/ui/")
	require.NoError(b.t, err)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "orderhub_session" {
			return c
		}
	}
	return nil
}

// cloneBrowser is another browser holding the same session cookie, as a
// copied (or stolen) cookie would be.
func (b *browser) cloneBrowser() *browser {
	b.t.Helper()
	other := newBrowser(b.t, b.base)
	u, err := url.Parse(b.base + "/ui/")
	require.NoError(b.t, err)
	other.c.Jar.SetCookies(u, b.c.Jar.Cookies(u))
	return other
}

// signedIn reports whether the browser's session opens the orders page.
func (b *browser) signedIn() bool {
	b.t.Helper()
	resp, _ := b.get("/ui/orders")
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		require.True(b.t, strings.HasPrefix(resp.Header.Get("Location"), "/ui/login"), resp.Header.Get("Location"))
		return false
	}
	b.t.Fatalf("GET /ui/orders answered %d", resp.StatusCode)
	return false
}

// TestSignInMultipartLeavesNoTempFile posts a 40 MiB multipart sign-in,
// more than net/http keeps in memory, and finds nothing left in the
// temporary folder and a 4xx answer that says what the form must be.
func TestSignInMultipartLeavesNoTempFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	require.Equal(t, tmp, os.TempDir())
	w := worldSetup(t)
	base := dashboard(t, w)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("token", "not-a-token"))
	part, err := mw.CreateFormFile("upload", "big.bin")
	require.NoError(t, err)
	_, err = part.Write(bytes.Repeat([]byte("x"), 40<<20))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest("POST", base+"/ui/login", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", base)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	// The server has finished with the request once the answer is read;
	// anything it spooled would be in tmp now.
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Empty(t, names, "the sign-in left temporary files behind")
	require.GreaterOrEqual(t, resp.StatusCode, 400)
	require.Less(t, resp.StatusCode, 500)
	require.Contains(t, []int{http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge}, resp.StatusCode, "%s", msg)
}

// TestFormBodiesAreCapped sends a dashboard form and an API body over
// their caps: each is refused with 413 and changes nothing.
func TestFormBodiesAreCapped(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	base := dashboard(t, w)
	b := newBrowser(t, base)
	b.signIn(allToken)
	csrf := b.csrf("/ui/orders")
	huge := strings.Repeat("n", 2<<20)
	resp, _ := b.post("/ui/orders/"+w.a.ID+"/notes", url.Values{"csrf": {csrf}, "note": {huge}}, base)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	resp, _ = b.post("/ui/orders/"+w.a.ID+"/notes", url.Values{"csrf": {csrf}, "note": {"fine"}}, base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "a form under the cap still works")

	code, body := call(t, "POST", w.url+"/orders/"+w.a.ID+"/notes", allToken, map[string]string{"actor": "x", "note": huge})
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	require.Equal(t, "too_large", errCode(body))

	evs, err := w.st.ListEvents(context.Background(), w.a.ID)
	require.NoError(t, err)
	for _, e := range evs {
		require.NotEqual(t, huge, e.Note)
	}
}

// TestSessionCookieIsNotABearerToken: the dashboard's cookie is not an
// admin token, and an admin token is not a session cookie.
func TestSessionCookieIsNotABearerToken(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	base := dashboard(t, w)
	b := newBrowser(t, base)
	b.signIn(allToken)
	c := b.sessionCookie()
	require.NotNil(t, c)
	require.NotEqual(t, allToken, c.Value, "the cookie does not hold the admin token")
	code, body := call(t, "GET", w.url+"/orders", c.Value, nil)
	require.Equal(t, http.StatusUnauthorized, code, "the session cookie is not an API bearer token")
	require.Equal(t, "unauthorized", errCode(body))

	forged := newBrowser(t, base)
	u, err := url.Parse(base + "/ui/")
	require.NoError(t, err)
	forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: "orderhub_session", Value: allToken, Path: "/ui"}})
	require.False(t, forged.signedIn(), "an admin token in the cookie is not a session")
}

// TestSignOutEndsTheSession: after sign-out, a copy of the old cookie no
// longer opens the dashboard.
func TestSignOutEndsTheSession(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	base := dashboard(t, w)
	b := newBrowser(t, base)
	b.signIn(allToken)
	copied := b.cloneBrowser()
	require.True(t, copied.signedIn())

	resp, _ := b.post("/ui/logout", url.Values{"csrf": {b.csrf("/ui/orders")}}, base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.False(t, b.signedIn())
	require.False(t, copied.signedIn(), "the old cookie ended with the sign-out")
}

// TestCSRFIsPerSession: two sign-ins with the same token get different
// CSRF tokens, and one session's token does not pass another's form.
func TestCSRFIsPerSession(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	base := dashboard(t, w)
	one, two := newBrowser(t, base), newBrowser(t, base)
	one.signIn(allToken)
	two.signIn(allToken)
	csrfOne, csrfTwo := one.csrf("/ui/orders"), two.csrf("/ui/orders")
	require.NotEqual(t, csrfOne, csrfTwo)
	require.Equal(t, csrfOne, one.csrf("/ui/inventory"), "a session keeps its CSRF token")

	resp, _ := one.post("/ui/orders/"+w.a.ID+"/notes", url.Values{"csrf": {csrfTwo}, "note": {"from the wrong form"}}, base)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "another session's CSRF token is refused")
	resp, _ = one.post("/ui/orders/"+w.a.ID+"/notes", url.Values{"csrf": {csrfOne}, "note": {"from the right form"}}, base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	evs, err := w.st.ListEvents(context.Background(), w.a.ID)
	require.NoError(t, err)
	var notes []string
	for _, e := range evs {
		notes = append(notes, e.Note)
	}
	require.Contains(t, notes, "from the right form")
	require.NotContains(t, notes, "from the wrong form")
}

// TestSessionIdleExpiry: a session unused for longer than the idle timeout
// (8 hours by default) has ended on the server, whatever the browser
// still holds; one in use lives on. The clock is the server's own.
func TestSessionIdleExpiry(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	clock := &fakeClock{now: w.now}
	w.srv.Now = clock.Now
	base := dashboard(t, w)
	b := newBrowser(t, base)
	b.signIn(allToken)
	for i := 0; i < 3; i++ {
		clock.Advance(7 * time.Hour)
		require.True(t, b.signedIn(), fmt.Sprintf("used again after 7 hours (%d)", i))
	}
	clock.Advance(8*time.Hour + time.Minute)
	require.False(t, b.signedIn(), "idle for more than 8 hours")
}

// signInWorld is an admin server with its API at /api/v1 and its dashboard
// at /ui, over st, with two named tokens and the server's clock in hand.
type signInWorld struct {
	st    store.Store
	srv   *admin.Server
	base  string
	clock *fakeClock
	order orderhub.Order
}

var worlds atomic.Int64

func newSignInWorld(t *testing.T, st store.Store, configure func(*signInWorld)) *signInWorld {
	t.Helper()
	ctx := context.Background()
	o, err := st.CreateOrder(ctx, store.CreateOrderParams{Order: storetest.SampleOrder("shop-a", fmt.Sprintf("sign-in-%d", worlds.Add(1)))})
	require.NoError(t, err)
	w := &signInWorld{st: st, clock: &fakeClock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}, order: o}
	w.srv = &admin.Server{Store: st, Now: w.clock.Now, Shops: []string{"shop-a", "shop-b"},
		Tokens: []admin.Token{{Name: "ops", Token: allToken, Shops: []string{"*"}}, {Name: "shop-a-staff", Token: shopAToken, Shops: []string{"shop-a"}}}}
	if configure != nil {
		configure(w)
	}
	r := chi.NewRouter()
	r.Mount("/api/v1", w.srv.Routes())
	r.Mount("/ui", w.srv.UI())
	ts := httptest.NewServer(r)
	t.Cleanup(ts.Close)
	w.base = ts.URL
	return w
}

func sqliteStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "sessions.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	return st
}

func postgresStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgtest.NewDatabase(t), store.Options{MaxConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	return st
}

// TestSessionsOnBothStores runs sign-in, expiry, sign-out, revocation,
// per-session CSRF and the recorded actor against SQLite and PostgreSQL.
func TestSessionsOnBothStores(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(*testing.T) store.Store{"sqlite": sqliteStore, "postgres": postgresStore} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Run("ActorIsTheTokenName", func(t *testing.T) { testActorIsTheTokenName(t, newSignInWorld(t, open(t), nil)) })
			t.Run("Expiry", func(t *testing.T) {
				testSessionExpiry(t, newSignInWorld(t, open(t), func(w *signInWorld) { w.srv.SessionIdle, w.srv.SessionMaxAge = time.Hour, 3*time.Hour }))
			})
			t.Run("SignOutAndRevoke", func(t *testing.T) { testSignOutAndRevoke(t, newSignInWorld(t, open(t), nil)) })
		})
	}
}

func testActorIsTheTokenName(t *testing.T, w *signInWorld) {
	ctx := context.Background()
	api := w.base + "/api/v1"
	code, body := call(t, "POST", api+"/orders/"+w.order.ID+"/transitions", allToken, map[string]string{"to": "payment_processing", "actor": "mallory"})
	require.Equal(t, 200, code, "%v", body)
	require.Equal(t, "ops", body["event"].(map[string]any)["actor"], "the token's name, not the body's actor")
	code, body = call(t, "POST", api+"/orders/"+w.order.ID+"/notes", shopAToken, map[string]string{"note": "no actor given"})
	require.Equal(t, 201, code, "%v", body)
	require.Equal(t, "shop-a-staff", body["actor"])
	code, body = call(t, "POST", api+"/orders/"+w.order.ID+"/notes", allToken, map[string]string{"actor": "mallory", "note": "claims to be mallory"})
	require.Equal(t, 201, code, "%v", body)
	code, _ = call(t, "POST", api+"/orders/"+w.order.ID+"/notes", allToken, map[string]string{"actor": "x"})
	require.Equal(t, 400, code, "a note is still required")

	b := newBrowser(t, w.base)
	b.signIn(shopAToken)
	resp, _ := b.post("/ui/orders/"+w.order.ID+"/notes", url.Values{"csrf": {b.csrf("/ui/orders")}, "note": {"from the dashboard"}, "actor": {"mallory"}}, w.base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	evs, err := w.st.ListEvents(ctx, w.order.ID)
	require.NoError(t, err)
	got := map[string]string{}
	for _, e := range evs {
		got[e.Note+string(e.To)] = e.Actor
	}
	require.Equal(t, "ops", got["payment_processing"])
	require.Equal(t, "shop-a-staff", got["no actor given"])
	require.Equal(t, "ops", got["claims to be mallory"])
	require.Equal(t, "shop-a-staff", got["from the dashboard"], "a dashboard action records the session's token")
	for _, e := range evs {
		require.NotEqual(t, "mallory", e.Actor)
	}
}

func testSessionExpiry(t *testing.T, w *signInWorld) {
	b := newBrowser(t, w.base)
	b.signIn(allToken)
	for i := 0; i < 3; i++ {
		w.clock.Advance(50 * time.Minute)
		require.True(t, b.signedIn(), "in use every 50 minutes (%d)", i)
	}
	w.clock.Advance(40 * time.Minute) // 3h10m after sign-in, 40 minutes idle
	require.False(t, b.signedIn(), "past the 3-hour maximum age however busy")

	idle := newBrowser(t, w.base)
	idle.signIn(allToken)
	w.clock.Advance(59 * time.Minute)
	require.True(t, idle.signedIn())
	w.clock.Advance(time.Hour)
	require.False(t, idle.signedIn(), "idle for an hour")
	resp, _ := idle.post("/ui/orders/"+w.order.ID+"/notes", url.Values{"note": {"after expiry"}}, w.base)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func testSignOutAndRevoke(t *testing.T, w *signInWorld) {
	ops, other, staff := newBrowser(t, w.base), newBrowser(t, w.base), newBrowser(t, w.base)
	ops.signIn(allToken)
	other.signIn(allToken)
	staff.signIn(shopAToken)

	// The cookie is not a bearer token, and sessions have their own CSRF.
	code, _ := call(t, "GET", w.base+"/api/v1/orders", ops.sessionCookie().Value, nil)
	require.Equal(t, http.StatusUnauthorized, code)
	resp, _ := ops.post("/ui/logout", url.Values{"csrf": {other.csrf("/ui/orders")}}, w.base)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "another session's CSRF token")
	require.True(t, ops.signedIn())

	// ops sees every session; the shop's staff only their token's.
	resp, page := ops.get("/ui/sessions")
	require.Equal(t, 200, resp.StatusCode)
	ids := sessionIDs(page)
	require.Len(t, ids, 3)
	require.Contains(t, page, "shop-a-staff")
	require.Contains(t, page, "127.0.0.1")
	require.Contains(t, page, "Go-http-client")
	require.Equal(t, 1, strings.Count(page, `data-testid="this-session"`))
	_, staffPage := staff.get("/ui/sessions")
	require.Len(t, sessionIDs(staffPage), 1)
	require.NotContains(t, staffPage, ">ops<")

	opsID, otherID := currentSessionID(t, ops), currentSessionID(t, other)
	require.NotEqual(t, opsID, otherID)

	// The staff cannot end an ops session: it is not theirs to see.
	resp, _ = staff.post("/ui/sessions/"+otherID+"/revoke", url.Values{"csrf": {staff.csrf("/ui/sessions")}}, w.base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.True(t, other.signedIn())

	// Revoking from the page ends the other session at once.
	resp, _ = ops.post("/ui/sessions/"+otherID+"/revoke", url.Values{"csrf": {ops.csrf("/ui/sessions")}}, w.base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/ui/sessions", resp.Header.Get("Location"))
	require.False(t, other.signedIn(), "revoked")
	require.True(t, ops.signedIn(), "the revoker's own session goes on")
	_, page = ops.get("/ui/sessions")
	require.NotContains(t, page, otherID)

	// Sign-out ends the session on the server: a copy of the cookie fails.
	copied := staff.cloneBrowser()
	resp, _ = staff.post("/ui/logout", url.Values{"csrf": {staff.csrf("/ui/orders")}}, w.base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.False(t, copied.signedIn())

	// Revoking one's own session signs out.
	resp, _ = ops.post("/ui/sessions/"+opsID+"/revoke", url.Values{"csrf": {ops.csrf("/ui/sessions")}}, w.base)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/ui/login", resp.Header.Get("Location"))
	require.False(t, ops.signedIn())
}

var sessionRowRE = regexp.MustCompile(`data-session="([0-9a-f-]{36})"`)

func sessionIDs(page string) []string {
	var out []string
	for _, m := range sessionRowRE.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

var currentRowRE = regexp.MustCompile(`data-session="([0-9a-f-]{36})" class="current"`)

func currentSessionID(t *testing.T, b *browser) string {
	t.Helper()
	_, page := b.get("/ui/sessions")
	m := currentRowRE.FindStringSubmatch(page)
	require.NotNil(t, m, "the sessions page marks this session")
	return m[1]
}

// TestChangedTokenEndsItsSessions: a token given a new value in the
// config (or removed) ends the sessions signed in with the old one.
func TestChangedTokenEndsItsSessions(t *testing.T) {
	t.Parallel()
	w := newSignInWorld(t, sqliteStore(t), nil)
	b := newBrowser(t, w.base)
	b.signIn(shopAToken)
	require.True(t, b.signedIn())
	w.srv.Tokens[1].Token = "a-new-value-for-the-shop-a-token"
	require.False(t, b.signedIn())
}

// failingThrottle is the throttle the sign-in tests use: 5 failures in a
// row, then one a minute.
func failingThrottle(t *testing.T, clock *fakeClock, redisURL, prefix string) *ratelimit.FailureThrottle {
	t.Helper()
	th, err := ratelimit.NewFailureThrottle(ratelimit.FailureOptions{RedisURL: redisURL, Prefix: prefix, Failures: 5, Window: 5 * time.Minute, Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = th.Close() })
	return th
}

// bearer calls the API with a token and an X-Forwarded-For, and returns
// the answer's status, Retry-After and error code.
func bearer(t *testing.T, base, token, forwardedFor string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/api/v1/orders", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	return resp.StatusCode, resp.Header.Get("Retry-After"), errCode(body)
}

func signInAttempt(t *testing.T, base, token string) (*http.Response, string) {
	t.Helper()
	b := newBrowser(t, base)
	return b.post("/ui/login", url.Values{"token": {token}}, base)
}

// TestBadCredentialsAreThrottled: bad bearer tokens and failed sign-ins
// from one address share one allowance; past it even the right token is
// answered 429 with Retry-After, until the wait is over.
func TestBadCredentialsAreThrottled(t *testing.T) {
	t.Parallel()
	w := newSignInWorld(t, sqliteStore(t), func(w *signInWorld) {
		w.srv.Throttle = failingThrottle(t, w.clock, "", "")
	})
	for i := 0; i < 3; i++ {
		code, retry, ecode := bearer(t, w.base, fmt.Sprintf("wrong-token-%d-0123456789", i), "")
		require.Equal(t, http.StatusUnauthorized, code)
		require.Empty(t, retry)
		require.Equal(t, "unauthorized", ecode)
	}
	for i := 0; i < 2; i++ {
		resp, _ := signInAttempt(t, w.base, "wrong-sign-in-0123456789")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	code, retry, ecode := bearer(t, w.base, "wrong-token-again-0123456789", "")
	require.Equal(t, http.StatusTooManyRequests, code, "the sixth failure in a row is not even heard")
	require.Equal(t, "60", retry)
	require.Equal(t, "rate_limited", ecode)
	code, retry, _ = bearer(t, w.base, allToken, "")
	require.Equal(t, http.StatusTooManyRequests, code, "not even the right token: a throttled guess learns nothing")
	require.Equal(t, "60", retry)
	resp, page := signInAttempt(t, w.base, allToken)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "60", resp.Header.Get("Retry-After"))
	require.Contains(t, page, "Too many failed sign-ins")
	code, _, _ = bearer(t, w.base, allToken, "198.51.100.7")
	require.Equal(t, http.StatusTooManyRequests, code, "X-Forwarded-For is not believed from an untrusted peer")

	w.clock.Advance(30 * time.Second)
	_, retry, _ = bearer(t, w.base, allToken, "")
	require.Equal(t, "30", retry)
	w.clock.Advance(30 * time.Second)
	code, _, _ = bearer(t, w.base, allToken, "")
	require.Equal(t, http.StatusOK, code, "the wait is over")
	resp, _ = signInAttempt(t, w.base, allToken)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

// TestTrustedProxyNamesTheClient: behind a trusted proxy each client
// address has its own allowance.
func TestTrustedProxyNamesTheClient(t *testing.T) {
	t.Parallel()
	w := newSignInWorld(t, sqliteStore(t), func(w *signInWorld) {
		w.srv.Throttle = failingThrottle(t, w.clock, "", "")
		w.srv.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	for i := 0; i < 5; i++ {
		code, _, _ := bearer(t, w.base, "wrong-token-0123456789", "203.0.113.5")
		require.Equal(t, http.StatusUnauthorized, code)
	}
	code, _, _ := bearer(t, w.base, allToken, "203.0.113.5")
	require.Equal(t, http.StatusTooManyRequests, code)
	code, _, _ = bearer(t, w.base, allToken, "203.0.113.5, 127.0.0.1")
	require.Equal(t, http.StatusTooManyRequests, code, "a trusted hop after the client is skipped")
	code, _, _ = bearer(t, w.base, allToken, "192.0.2.9")
	require.Equal(t, http.StatusOK, code, "another client behind the proxy")
	code, _, _ = bearer(t, w.base, allToken, "203.0.113.5, 192.0.2.9")
	require.Equal(t, http.StatusOK, code, "only the hop the proxy appended counts, not what the client wrote")
}

// TestBadCredentialsThrottledAcrossInstancesThroughRedis: two instances
// sharing one Redis share one allowance per address.
func TestBadCredentialsThrottledAcrossInstancesThroughRedis(t *testing.T) {
	t.Parallel()
	redisURL := redistest.URL(t)
	prefix := redistest.Unique("orderhub-test:") + ":"
	redistest.DropKeys(t, prefix+"*")
	st := sqliteStore(t)
	clock := &fakeClock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	var instances []*signInWorld
	for i := 0; i < 2; i++ {
		w := newSignInWorld(t, st, func(w *signInWorld) {
			w.clock = clock
			w.srv.Now = clock.Now
			w.srv.Throttle = failingThrottle(t, clock, redisURL, prefix)
		})
		instances = append(instances, w)
	}
	for i := 0; i < 5; i++ {
		base := instances[i%2].base
		if i%2 == 0 {
			code, _, _ := bearer(t, base, "wrong-token-0123456789", "")
			require.Equal(t, http.StatusUnauthorized, code, "failure %d", i+1)
		} else {
			resp, _ := signInAttempt(t, base, "wrong-token-0123456789")
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "failure %d", i+1)
		}
	}
	for _, w := range instances {
		code, retry, _ := bearer(t, w.base, allToken, "")
		require.Equal(t, http.StatusTooManyRequests, code, "each instance sees the five failures made on both")
		require.Equal(t, "60", retry)
	}
	clock.Advance(time.Minute)
	code, _, _ := bearer(t, instances[1].base, allToken, "")
	require.Equal(t, http.StatusOK, code)
}

// TestLiveStreamEndsWithItsSession: an open event stream stops soon
// after its session is revoked, rather than running on to its 10 minutes.
func TestLiveStreamEndsWithItsSession(t *testing.T) {
	t.Parallel()
	w := newSignInWorld(t, sqliteStore(t), func(w *signInWorld) {
		w.srv.Broker = live.NewBroker(nil)
		admin.SetHeartbeat(w.srv, 20*time.Millisecond)
	})
	ops, watcher := newBrowser(t, w.base), newBrowser(t, w.base)
	ops.signIn(allToken)
	watcher.signIn(allToken)
	req, err := http.NewRequest("GET", w.base+"/ui/events", nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := watcher.c.Do(req.WithContext(ctx))
	require.NoError(t, err)
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	for i := 0; i < 4; i++ { // the stream is open and pinging
		_, err := rd.ReadString('\n')
		require.NoError(t, err)
	}
	id := currentSessionID(t, watcher)
	r, _ := ops.post("/ui/sessions/"+id+"/revoke", url.Values{"csrf": {ops.csrf("/ui/sessions")}}, w.base)
	require.Equal(t, http.StatusSeeOther, r.StatusCode)
	_, err = io.ReadAll(rd)
	require.NoError(t, err, "the stream ended on its own, before the test's deadline")
	require.NoError(t, ctx.Err())
}
