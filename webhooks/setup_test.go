package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/bodylimit"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
	"github.com/orderhub/orderhub/store/sqlitestore"
	"github.com/orderhub/orderhub/webhooks"
)

// Secrets of the test shops. Tests check that none reaches a log line.
const (
	shopifySecret     = "shpss_current-secret"
	shopifyOldSecret  = "shpss_previous-secret"
	wooSecret         = "woo&amp;secret" // WooCommerce signs with the entity-decoded "woo&secret"
	bcClientSecret    = "bc-client-secret-123"
	bcAuthHeaderValue = "hdr-value-456"
)

var testShops = []webhooks.ShopConfig{
	{ID: "acme-shopify", Platform: orderhub.PlatformShopify, WebhookSecret: shopifySecret, PreviousWebhookSecret: shopifyOldSecret},
	{ID: "acme-woo", Platform: orderhub.PlatformWooCommerce, WebhookSecret: wooSecret},
	{ID: "acme-bc", Platform: orderhub.PlatformBigCommerce, ClientSecret: bcClientSecret},
	{ID: "acme-bc-hdr", Platform: orderhub.PlatformBigCommerce, AuthHeader: "X-Orderhub-Auth", AuthValue: bcAuthHeaderValue},
}

// clock is a settable test clock shared by the store, the handler and the
// processor.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeBC answers FetchOrder from canned responses keyed by order id, and
// records the calls.
type fakeBC struct {
	mu     sync.Mutex
	orders map[string][3][]byte
	err    error
	calls  []string
	during func(ctx context.Context) error // runs inside each fetch, e.g. to prove no transaction is open
}

func (f *fakeBC) FetchOrder(ctx context.Context, shopID, orderID string) ([]byte, []byte, []byte, error) {
	f.mu.Lock()
	f.calls = append(f.calls, shopID+"/"+orderID)
	o, ok := f.orders[orderID]
	err, during := f.err, f.during
	f.mu.Unlock()
	if during != nil {
		if err := during(ctx); err != nil {
			return nil, nil, nil, err
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if !ok {
		return nil, nil, nil, orderhub.Errorf(orderhub.ENotFound, "bigcommerce order %s not found", orderID)
	}
	return o[0], o[1], o[2], nil
}

func (f *fakeBC) set(orderID string, order, products, addrs []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.orders == nil {
		f.orders = map[string][3][]byte{}
	}
	f.orders[orderID] = [3][]byte{order, products, addrs}
}

// fakeCanceller records CancelOrder calls and cancels the order in tx.
type fakeCanceller struct {
	mu    sync.Mutex
	calls []string
}

func (c *fakeCanceller) CancelOrder(ctx context.Context, tx store.Tx, orderID, actor, reason string) error {
	c.mu.Lock()
	c.calls = append(c.calls, orderID+"|"+actor+"|"+reason)
	c.mu.Unlock()
	_, _, err := tx.TransitionOrder(ctx, store.TransitionParams{OrderID: orderID, To: orderhub.StatusCancelled, Actor: actor, Note: reason})
	return err
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// bundle is what a test needs: a real SQLite store in a temporary folder,
// the intake on a real HTTP server, and a processor.
type bundle struct {
	t      testing.TB
	path   string // the SQLite file, or the PostgreSQL database URL
	pg     bool
	store  store.Store
	clock  *clock
	srv    *httptest.Server
	proc   *webhooks.Processor
	bc     *fakeBC
	cancel *fakeCanceller
	logs   *syncBuffer
	logger *slog.Logger
}

type setupOpts struct {
	maxBody  int64
	postgres bool              // on the PostgreSQL in ORDERHUB_TEST_POSTGRES_URL instead of SQLite
	budget   *bodylimit.Budget // the handler's own when nil
}

// setupFunc makes a bundle; eachStore hands tests one per store kind.
type setupFunc func(t testing.TB, opts ...setupOpts) *bundle

// eachStore runs test against SQLite and, when ORDERHUB_TEST_POSTGRES_URL
// is set, PostgreSQL: the intake must behave the same on both.
func eachStore(t *testing.T, test func(t *testing.T, setup setupFunc)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, setup)
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.ServerURL(t)
		t.Parallel()
		test(t, func(t testing.TB, opts ...setupOpts) *bundle {
			var o setupOpts
			if len(opts) > 0 {
				o = opts[0]
			}
			o.postgres = true
			return setup(t, o)
		})
	})
}

func setup(t testing.TB, opts ...setupOpts) *bundle {
	t.Helper()
	var o setupOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	b := &bundle{t: t, pg: o.postgres, bc: &fakeBC{}, cancel: &fakeCanceller{}, logs: &syncBuffer{},
		clock: &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}}
	if b.pg {
		b.path = pgtest.NewDatabase(t)
	} else {
		b.path = filepath.Join(t.TempDir(), "orderhub.db")
	}
	b.logger = slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b.open()
	// The intake stores through a GroupInbox, as the app wires it.
	h, err := webhooks.NewHandler(webhooks.HandlerOptions{Shops: testShops, Inbox: webhooks.NewGroupInbox(b.store, 0, 0), Now: b.clock.Now, Logger: b.logger, MaxBodyBytes: o.maxBody, Budget: o.budget})
	require.NoError(t, err)
	r := chi.NewRouter()
	h.Routes(r)
	b.srv = httptest.NewServer(r)
	t.Cleanup(b.srv.Close)
	t.Cleanup(func() {
		logs := b.logs.String()
		for _, secret := range []string{shopifySecret, shopifyOldSecret, "woo&secret", bcClientSecret, bcAuthHeaderValue} {
			if strings.Contains(logs, secret) {
				t.Errorf("a secret reached the logs: %q", secret)
			}
		}
	})
	return b
}

// open opens (or reopens) the store and points the processor at it.
func (b *bundle) open() {
	b.t.Helper()
	ctx := context.Background()
	opts := store.Options{Now: b.clock.Now, Logger: b.logger}
	var s store.Store
	var err error
	if b.pg {
		s, err = pgstore.Open(ctx, b.path, opts)
	} else {
		s, err = sqlitestore.Open(ctx, b.path, opts)
	}
	require.NoError(b.t, err)
	require.NoError(b.t, s.Migrate(ctx))
	b.t.Cleanup(func() { _ = s.Close() })
	b.store = s
	b.proc = &webhooks.Processor{Store: s, Logger: b.logger, Now: b.clock.Now, BigCommerce: b.bc, Canceller: b.cancel, MaxAttempts: 3}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// reply is a decoded answer.
type reply struct {
	Status int
	Body   map[string]any
	Raw    string
}

func (r reply) code() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (r reply) message() string {
	e, _ := r.Body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// post sends body with header to /webhooks/{platform}/{shop} over real
// HTTP. It never calls t.Fatal, so goroutines may use it.
func (b *bundle) post(platform, shop string, body []byte, header http.Header) (reply, error) {
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/webhooks/"+platform+"/"+shop, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{Status: resp.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &r.Body); err != nil {
		return r, err
	}
	return r, nil
}

func (b *bundle) mustPost(platform, shop string, body []byte, header http.Header) reply {
	b.t.Helper()
	r, err := b.post(platform, shop, body, header)
	require.NoError(b.t, err, "every answer is JSON: %s", r.Raw)
	return r
}

func (b *bundle) accept(platform, shop string, body []byte, header http.Header) string {
	b.t.Helper()
	r := b.mustPost(platform, shop, body, header)
	require.Equal(b.t, http.StatusOK, r.Status, r.Raw)
	require.Equal(b.t, "accepted", r.Body["status"], r.Raw)
	id, _ := r.Body["receipt_id"].(string)
	require.NotEmpty(b.t, id)
	return id
}

func (b *bundle) drain() int {
	b.t.Helper()
	n, err := b.proc.Drain(ctxT(b.t))
	require.NoError(b.t, err)
	return n
}

func (b *bundle) receipts() []store.Receipt {
	b.t.Helper()
	page, err := b.store.ListReceipts(ctxT(b.t), store.ListReceiptsParams{Limit: 500})
	require.NoError(b.t, err)
	return page.Receipts
}

func (b *bundle) receipt(id string) store.Receipt {
	b.t.Helper()
	r, err := b.store.GetReceipt(ctxT(b.t), id)
	require.NoError(b.t, err)
	return r
}

func (b *bundle) orders() []orderhub.Order {
	b.t.Helper()
	page, err := b.store.ListOrders(ctxT(b.t), store.ListOrdersParams{Limit: 500})
	require.NoError(b.t, err)
	return page.Orders
}

func (b *bundle) order(shop, externalID string) orderhub.Order {
	b.t.Helper()
	o, err := b.store.GetOrderByExternalID(ctxT(b.t), shop, externalID)
	require.NoError(b.t, err)
	return o
}

func (b *bundle) events(orderID string) []orderhub.OrderEvent {
	b.t.Helper()
	ev, err := b.store.ListEvents(ctxT(b.t), orderID)
	require.NoError(b.t, err)
	st, err := orderhub.ReplayStatus(ev)
	require.NoError(b.t, err)
	o, err := b.store.GetOrder(ctxT(b.t), orderID)
	require.NoError(b.t, err)
	require.Equal(b.t, o.Status, st, "the timeline replays to the stored status")
	return ev
}

func (b *bundle) jobs(kind string) int {
	b.t.Helper()
	n, err := b.store.Queue().CountJobs(ctxT(b.t), kind)
	require.NoError(b.t, err)
	return n
}

// Signed delivery headers, as each platform sends them.

func shopifyHeaders(body []byte, topic, eventID string) http.Header {
	return shopify.SignHeaders(shopifySecret, body, shopify.Delivery{
		Topic: topic, ShopDomain: "acme.myshopify.com", APIVersion: "2025-07",
		WebhookID: "wh-" + eventID, EventID: eventID, TriggeredAt: time.Date(2026, 11, 28, 11, 59, 0, 0, time.UTC),
	})
}

func wooHeaders(body []byte, topic string) http.Header {
	return woocommerce.SignHeaders(wooSecret, body, woocommerce.Delivery{
		Source: "https://shop.acme.example/", Topic: topic, WebhookID: "17", DeliveryID: "d41d8cd98f00b204e9800998ecf8427e",
	})
}

func (b *bundle) bcHeaders(body []byte, msgID string) http.Header {
	h, err := bigcommerce.SignHeaders(bcClientSecret, msgID, b.clock.Now(), body)
	require.NoError(b.t, err)
	return h
}

func testdata(t testing.TB, platform, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "connectors", platform, "testdata", name))
	require.NoError(t, err)
	return body
}

// sharedFixture reads ../shared/fixtures, which the project keeps no copy
// of; tests that use it skip where it is absent.
func sharedFixture(t *testing.T, platform, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "fixtures", platform, name)
	body, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		t.Skipf("shared fixture %s is absent (see PLATFORMS.md); the connectors' testdata cases still run", p)
	}
	require.NoError(t, err)
	return body
}

func noteCount(ev []orderhub.OrderEvent, sub string) int {
	n := 0
	for _, e := range ev {
		if strings.Contains(e.Note, sub) {
			n++
		}
	}
	return n
}
