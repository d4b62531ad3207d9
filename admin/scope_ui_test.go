package admin_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"
	"riverqueue.com/riverui"

	"github.com/orderhub/orderhub/admin"
	"github.com/orderhub/orderhub/admin/live"
	"github.com/orderhub/orderhub/store/sqlcore"
)

// withJobsUI gives w's dashboard the River job UI over its queue.
func withJobsUI(t *testing.T, w *world) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	client := w.st.Queue().(sqlcore.RiverQueue[*sql.Tx]).Client
	h, err := riverui.NewHandler(&riverui.HandlerOpts{Endpoints: riverui.NewEndpoints(client, nil), Logger: slog.New(slog.DiscardHandler),
		Prefix: admin.UIPrefix + "/jobs"})
	require.NoError(t, err)
	require.NoError(t, h.Start(ctx))
	w.srv.JobsUI = h
}

// TestEveryDashboardRouteHoldsScope walks every route of the dashboard
// signed in with shop A's token: shop B's things are absent, shop A's own
// pages show nothing of shop B's and no location's stock, the live stream
// carries only shop A's events, and the job queue is closed to it.
func TestEveryDashboardRouteHoldsScope(t *testing.T) {
	t.Parallel()
	w := worldSetup(t)
	withJobsUI(t, w)
	base := dashboard(t, w)
	a := newBrowser(t, base)
	a.signIn(shopAToken)
	csrf := a.csrf("/ui/orders")

	type page struct {
		method, pattern string
		// check calls the route as shop A and checks the answer.
		check func(t *testing.T)
	}
	// ownPage gets one of shop A's pages, which must show want and nothing
	// that is not shop A's.
	ownPage := func(path string, want ...string) func(t *testing.T) {
		return func(t *testing.T) {
			resp, body := a.get(path)
			require.Equal(t, 200, resp.StatusCode, path)
			for _, s := range want {
				require.Contains(t, body, s, "%s is about shop A's things", path)
			}
			for _, leak := range w.shopBLeaks() {
				require.NotRegexp(t, leak, body, "%s shows shop A what is not its own", path)
			}
		}
	}
	// notFound posts to shop B's things, which must look absent.
	notFound := func(path string, form url.Values) func(t *testing.T) {
		return func(t *testing.T) {
			form.Set("csrf", csrf)
			resp, _ := a.post(path, form, base)
			require.Equal(t, 404, resp.StatusCode, path)
		}
	}
	jobsClosed := func(t *testing.T) {
		for _, path := range []string{"/ui/jobs", "/ui/jobs/", "/ui/jobs/api/jobs?state=discarded", fmt.Sprintf("/ui/jobs/api/jobs/%d", w.jobB)} {
			resp, body := a.get(path)
			require.Equal(t, 404, resp.StatusCode, path)
			require.NotContains(t, body, "admin_test_fail", path)
		}
		// A token for every shop gets in, so the 404 is the scope's doing.
		all := newBrowser(t, base)
		all.signIn(allToken)
		resp, body := all.get("/ui/jobs/api/jobs?state=discarded")
		require.Equal(t, 200, resp.StatusCode)
		require.Contains(t, body, "admin_test_fail")
	}
	pages := []page{
		{"GET", "/", func(t *testing.T) {
			resp, _ := a.get("/ui/")
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		}},
		{"*", "/static/*", func(t *testing.T) {
			resp, body := a.get("/ui/static/app.js")
			require.Equal(t, 200, resp.StatusCode)
			require.NotContains(t, body, "shop-b")
		}},
		{"GET", "/login", ownPage("/ui/login", `name="token"`)},
		{"POST", "/login", func(t *testing.T) {
			other := newBrowser(t, base)
			other.signIn(shopAToken)
			resp, body := other.get("/ui/orders")
			require.Equal(t, 200, resp.StatusCode)
			require.NotContains(t, body, "#2002")
		}},
		{"POST", "/logout", func(t *testing.T) {
			other := newBrowser(t, base)
			other.signIn(shopAToken)
			resp, _ := other.post("/ui/logout", url.Values{"csrf": {other.csrf("/ui/orders")}}, base)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		}},
		{"GET", "/orders", func(t *testing.T) {
			ownPage("/ui/orders", "#1001")(t)
			ownPage("/ui/orders?shop=shop-b")(t)
			// A search echoes what was asked, and finds nothing of shop B's.
			for q, leak := range map[string]string{"#2002": w.b.ID, w.b.ID: "#2002"} {
				resp, body := a.get("/ui/orders?q=" + url.QueryEscape(q))
				require.Equal(t, 200, resp.StatusCode)
				require.Contains(t, body, "No order matches")
				require.NotContains(t, body, leak)
				require.NotContains(t, body, "shop-b")
			}
		}},
		{"GET", "/orders/{id}", func(t *testing.T) {
			// Its own order's explanations keep their ranks and lose what
			// the other locations held ("nyc: ... has 5, not needed").
			ownPage("/ui/orders/"+w.a.ID, "#1001", "Why each line went where it went", "nyc: ranked 2nd")(t)
			resp, body := a.get("/ui/orders/" + w.b.ID)
			require.Equal(t, 404, resp.StatusCode)
			require.NotContains(t, body, "#2002")
		}},
		{"POST", "/orders/{id}/notes", notFound("/ui/orders/"+w.b.ID+"/notes", url.Values{"note": {"x"}})},
		{"GET", "/inventory", ownPage("/ui/inventory?sku=MUG", "only a token for every shop")},
		{"POST", "/inventory", notFound("/ui/inventory", url.Values{"location": {"nyc"}, "sku": {"MUG"}, "mode": {"set"}, "quantity": {"0"}})},
		{"GET", "/backorders", ownPage("/ui/backorders?status=all", "WIDGET")},
		{"POST", "/backorders/{id}/decision", notFound("/ui/backorders/"+w.bBackorder+"/decision", url.Values{"decision": {"cancel"}})},
		{"GET", "/stuck", ownPage("/ui/stuck", "#1001")},
		{"GET", "/dead-letters", ownPage("/ui/dead-letters", fmt.Sprintf("job-%d", w.jobA))},
		{"POST", "/dead-letters/{id}/replay", notFound(fmt.Sprintf("/ui/dead-letters/job-%d/replay", w.jobB), url.Values{})},
		{"GET", "/routing", func(t *testing.T) {
			path := "/ui/routing?simulate=1&rules=closest%2C+priority&allow_line_split=1&dropship=1&backorders=notify&limit=50"
			ownPage(path, "1 of 1 orders would ship differently", "chi ×2", "backorder ×2", `data-testid="stock-scope"`)(t)
		}},
		{"GET", "/sessions", func(t *testing.T) {
			ops := newBrowser(t, base)
			ops.signIn(allToken)
			resp, body := a.get("/ui/sessions")
			require.Equal(t, 200, resp.StatusCode)
			require.Contains(t, body, "shop-a-staff")
			require.NotContains(t, body, ">ops<", "shop A sees only its own token's sessions")
		}},
		{"POST", "/sessions/{id}/revoke", func(t *testing.T) {
			ops := newBrowser(t, base)
			ops.signIn(allToken)
			_, mine := a.get("/ui/sessions")
			_, all := ops.get("/ui/sessions")
			for _, id := range sessionIDs(all) {
				if slices.Contains(sessionIDs(mine), id) {
					continue
				}
				resp, _ := a.post("/ui/sessions/"+id+"/revoke", url.Values{"csrf": {csrf}}, base)
				require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			}
			require.True(t, ops.signedIn(), "shop A cannot end another token's session")
			require.True(t, a.signedIn())
		}},
		{"GET", "/events", func(t *testing.T) { liveEventsHoldScope(t, w, a, base) }},
		{"*", "/jobs", jobsClosed},
		{"*", "/jobs/*", jobsClosed},
	}
	var covered, served []routeOf
	for _, p := range pages {
		covered = append(covered, routeOf{p.method, p.pattern})
	}
	methods := map[string][]string{}
	require.NoError(t, chi.Walk(w.srv.UI().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		methods[route] = append(methods[route], method)
		return nil
	}))
	for route, ms := range methods {
		if slices.Contains(ms, "TRACE") { // Handle serves every method: "*" stands for them
			ms = []string{"*"}
		}
		for _, m := range ms {
			served = append(served, routeOf{m, route})
		}
	}
	byRoute := func(rs []routeOf) func(i, j int) bool {
		return func(i, j int) bool { return rs[i].path+rs[i].method < rs[j].path+rs[j].method }
	}
	sort.Slice(covered, byRoute(covered))
	sort.Slice(served, byRoute(served))
	require.Equal(t, served, covered, "the table covers every dashboard route")
	for _, p := range pages {
		t.Run(p.method+" "+p.pattern, p.check)
	}
}

// liveEventsHoldScope opens shop A's live stream, publishes shop B's
// change, a stock change and a dead job of no shop, then shop A's change:
// shop A's is the first event it hears.
func liveEventsHoldScope(t *testing.T, w *world, a *browser, base string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/ui/events", nil)
	require.NoError(t, err)
	resp, err := a.c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	rd := bufio.NewReader(resp.Body)
	for w.srv.Broker.Subscribers() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	w.srv.Broker.Publish(ctx, live.Event{Type: live.OrderChanged, ShopID: "shop-b", OrderID: w.b.ID})
	w.srv.Broker.Publish(ctx, live.Event{Type: live.StockChanged, Note: "nyc MUG"})
	w.srv.Broker.Publish(ctx, live.Event{Type: live.DeadLetterChanged, Note: fmt.Sprintf("job-%d", w.jobNo)})
	w.srv.Broker.Publish(ctx, live.Event{Type: live.OrderChanged, ShopID: "shop-a", OrderID: w.a.ID})
	for {
		line, err := rd.ReadString('\n')
		require.NoError(t, err)
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			require.Contains(t, data, w.a.ID, "shop B's change, the shared stock's and the job of no shop were held back")
			return
		}
	}
}
