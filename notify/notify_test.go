package notify_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/notify"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

var (
	nyc  = orderhub.Location{ID: "nyc", Kind: orderhub.LocationWarehouse, Priority: 1, Address: orderhub.Address{Country: "US"}}
	chi_ = orderhub.Location{ID: "chi", Kind: orderhub.LocationWarehouse, Priority: 2, Address: orderhub.Address{Country: "US"}}
	usd  = func(s string) orderhub.Money { return orderhub.MustParseMoney(s, "USD") }
)

type bundle struct {
	st    *sqlitestore.Store
	alloc *allocator.Allocator
	order orderhub.Order
	res   allocator.RouteResult
}

// setup routes an order of three lines: MUG from nyc, TEE from chi, and
// two RARE of which none are in stock (backordered).
func setup(t *testing.T) *bundle { return setupAt(t, nil) }

// setupAt is setup with the store on the clock now (time.Now when nil).
func setupAt(t *testing.T, now func() time.Time) *bundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "notify.db"), store.Options{Now: now})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	alloc, err := allocator.New(allocator.Config{Store: st, Locations: []orderhub.Location{nyc, chi_},
		Rules: routing.Rules{Order: []routing.Rule{routing.RulePriority}, AllowLineSplit: true, Backorders: routing.BackorderNotify}})
	require.NoError(t, err)
	alloc.SetHooks(notify.Hooks())
	for _, s := range []struct {
		loc, sku string
		n        int64
	}{{"nyc", "MUG", 5}, {"chi", "TEE", 5}} {
		_, err := st.SetStock(ctx, store.SetStockParams{LocationID: s.loc, SKU: s.sku, OnHand: s.n})
		require.NoError(t, err)
	}
	paid := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	o, err := st.CreateOrder(ctx, store.CreateOrderParams{Order: orderhub.Order{ShopID: "acme", Platform: "shopify", ExternalID: "1001",
		ExternalNumber: "#1001", Currency: "USD", Status: orderhub.StatusPaid, PaidAt: &paid,
		Customer: orderhub.Customer{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Phone: "+12125550100"},
		Lines: []orderhub.Line{
			{SKU: "MUG", Name: "Blue mug", Quantity: 2, UnitPrice: usd("12.00"), RequiresShp: true},
			{SKU: "TEE", Name: "T-shirt", Quantity: 1, UnitPrice: usd("20.00"), RequiresShp: true},
			{SKU: "RARE", Name: "Rare print", Quantity: 2, UnitPrice: usd("30.00"), RequiresShp: true},
		},
		Totals: orderhub.Totals{Total: usd("104.00")}}})
	require.NoError(t, err)
	res, err := alloc.Route(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, res.Fulfillments, 2)
	require.Len(t, res.Backorders, 1)
	o, err = st.GetOrder(ctx, o.ID)
	require.NoError(t, err)
	return &bundle{st: st, alloc: alloc, order: o, res: res}
}

func (b *bundle) fulfillmentAt(loc string) orderhub.Fulfillment {
	for _, f := range b.res.Fulfillments {
		if f.SourceID == loc {
			return f
		}
	}
	return orderhub.Fulfillment{}
}

func (b *bundle) notices(t *testing.T, kind string) []store.Notice {
	t.Helper()
	page, err := b.st.ListNotices(context.Background(), store.ListNoticesParams{OrderID: b.order.ID, Kind: kind})
	require.NoError(t, err)
	return page.Notices
}

// recorder is a Sender that keeps what it was given.
type recorder struct {
	mu   sync.Mutex
	sent []notify.Message
	fail error
	wait chan struct{} // when set, Send blocks until it is closed
}

func (r *recorder) Channel() string { return "webhook" }

func (r *recorder) Send(ctx context.Context, m notify.Message) error {
	if r.wait != nil {
		<-r.wait
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) messages() []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Message(nil), r.sent...)
}

func TestShipmentNoticeSaysWhatIsInItAndWhatIsToCome(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	f := b.fulfillmentAt("nyc")
	_, err := b.alloc.Advance(ctx, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentShipped, Carrier: "UPS",
		TrackingNumber: "1Z999", TrackingURL: "https://ups.example/1Z999", Actor: "test"})
	require.NoError(t, err)
	// A repeat of the report stores nothing new.
	_, err = b.alloc.Advance(ctx, allocator.Progress{FulfillmentID: f.ID, Status: orderhub.FulfillmentShipped, Actor: "test"})
	require.NoError(t, err)
	ns := b.notices(t, notify.KindShipment)
	require.Len(t, ns, 1)
	require.Equal(t, notify.ShipmentKey(f.ID), ns[0].Key)
	require.Equal(t, f.ID, ns[0].FulfillmentID)
	n, err := b.st.Queue().CountJobs(ctx, notify.SendArgs{}.Kind())
	require.NoError(t, err)
	require.Equal(t, 1, n, "its delivery job was inserted with it")

	msg, err := notify.Render(ns[0], b.order, nil)
	require.NoError(t, err)
	require.Equal(t, "Part of your order #1001 has shipped", msg.Subject)
	require.Equal(t, []notify.Item{{LineID: b.order.Lines[0].ID, SKU: "MUG", Name: "Blue mug", Quantity: 2}}, msg.Payload.Shipped)
	require.Len(t, msg.Payload.ToCome, 2)
	require.Equal(t, "T-shirt", msg.Payload.ToCome[0].Name)
	require.Equal(t, "in another shipment", msg.Payload.ToCome[0].Status)
	require.Equal(t, "Rare print", msg.Payload.ToCome[1].Name)
	require.Equal(t, int64(2), msg.Payload.ToCome[1].Quantity)
	require.Equal(t, "backordered", msg.Payload.ToCome[1].Status)
	require.Contains(t, msg.Text, "In this shipment:\n- 2 × Blue mug")
	require.Contains(t, msg.Text, "Tracking: UPS 1Z999\nTrack it: https://ups.example/1Z999")
	require.Contains(t, msg.Text, "Still to come:\n- 1 × T-shirt (in another shipment)\n- 2 × Rare print (backordered)")
	require.Contains(t, msg.HTML, `<a href="https://ups.example/1Z999">1Z999</a>`)
}

func TestBackorderNoticeIsStoredByRoutingWithSignedLinks(t *testing.T) {
	b := setup(t)
	ns := b.notices(t, notify.KindBackorder)
	require.Len(t, ns, 1, "the Routed hook stored it in the routing transaction")
	require.Equal(t, notify.BackorderKey(b.order.ID, []string{b.res.Backorders[0].ID}), ns[0].Key)
	sent := time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
	links := &notify.Links{BaseURL: "https://hub.example.com", Key: []byte("k"), Now: func() time.Time { return sent }}
	msg, err := notify.Render(ns[0], b.order, links)
	require.NoError(t, err)
	require.Equal(t, "Your order #1001: part of it is on backorder", msg.Subject)
	bid := b.res.Backorders[0].ID
	wait := links.BackorderURL(bid, allocator.DecisionWait)
	exp := strconv.FormatInt(sent.Add(notify.DefaultLinkTTL).Unix(), 10)
	require.True(t, strings.HasPrefix(wait, "https://hub.example.com/notices/backorders/"+bid+"/wait?exp="+exp+"&sig="), wait)
	require.Contains(t, msg.Text, "The links work until 27 December 2026.", "30 days by default")
	require.Contains(t, msg.Text, "- 2 × Rare print, shipping date to be confirmed")
	require.Contains(t, msg.Text, "Wait for it:      "+wait)
	require.Contains(t, msg.Text, links.BackorderURL(bid, allocator.DecisionCancel))
	require.Equal(t, wait, msg.Links[bid]["wait"])
	require.Contains(t, msg.HTML, `href="`+strings.ReplaceAll(wait, "&", "&amp;")+`"`)

	// The allocator's job finds the same notice rather than a second one.
	rec := &recorder{}
	w := &notify.BackorderWorker{Store: b.st, Sender: rec}
	job := backorderJob(b)
	require.NoError(t, w.Work(context.Background(), job))
	require.NoError(t, w.Work(context.Background(), job))
	require.Len(t, b.notices(t, notify.KindBackorder), 1)
	require.Len(t, rec.messages(), 1, "sent once although the job ran twice")
}

func TestOutboxSendsOnceWhenTheWorkerRunsTwice(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	_, err := b.alloc.Advance(ctx, allocator.Progress{FulfillmentID: b.fulfillmentAt("chi").ID, Status: orderhub.FulfillmentShipped, TrackingNumber: "T1"})
	require.NoError(t, err)
	n := b.notices(t, notify.KindShipment)[0]

	// Two workers at once: one sends, the other finds it claimed and comes
	// back later.
	rec := &recorder{wait: make(chan struct{})}
	d := &notify.Deliverer{Store: b.st, Sender: rec}
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- d.Deliver(ctx, n.ID) }()
	}
	first := <-errs // the one that found the claim returns at once
	require.Error(t, first, "the second worker is told to come back")
	var snoozed *rivertype.JobSnoozeError
	require.ErrorAs(t, first, &snoozed)
	require.Greater(t, snoozed.Duration, time.Minute, "until the claim lapses")
	close(rec.wait)
	require.NoError(t, <-errs)
	require.Len(t, rec.messages(), 1)

	// And again, sequentially: nothing more.
	require.NoError(t, d.Deliver(ctx, n.ID))
	require.Len(t, rec.messages(), 1)
	got, err := b.st.GetNotice(ctx, n.ID)
	require.NoError(t, err)
	require.Equal(t, store.NoticeSent, got.Status)
	require.Equal(t, "webhook", got.Channel)
	require.Equal(t, 1, got.Attempts)
	events, err := b.st.ListEvents(ctx, b.order.ID)
	require.NoError(t, err)
	sent := 0
	for _, e := range events {
		if e.Actor == notify.ActorNotify && strings.Contains(e.Note, "shipment notice sent to ada@example.com by webhook") {
			sent++
		}
	}
	require.Equal(t, 1, sent)
}

func TestFailedDeliveryIsRetriedAndNoChannelIsSkipped(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	_, err := b.alloc.Advance(ctx, allocator.Progress{FulfillmentID: b.fulfillmentAt("nyc").ID, Status: orderhub.FulfillmentShipped})
	require.NoError(t, err)
	n := b.notices(t, notify.KindShipment)[0]
	rec := &recorder{fail: errors.New("endpoint down")}
	d := &notify.Deliverer{Store: b.st, Sender: rec}
	require.ErrorContains(t, d.Deliver(ctx, n.ID), "endpoint down")
	got, err := b.st.GetNotice(ctx, n.ID)
	require.NoError(t, err)
	require.Equal(t, store.NoticePending, got.Status, "back to pending for the retry")
	require.NotEmpty(t, got.LastError)
	rec.fail = nil
	require.NoError(t, d.Deliver(ctx, n.ID))
	require.Len(t, rec.messages(), 1)

	// Without a channel the backorder notice is skipped, and the timeline
	// says the customer was not told.
	bo := b.notices(t, notify.KindBackorder)[0]
	require.NoError(t, (&notify.Deliverer{Store: b.st}).Deliver(ctx, bo.ID))
	got, err = b.st.GetNotice(ctx, bo.ID)
	require.NoError(t, err)
	require.Equal(t, store.NoticeSkipped, got.Status)
	events, err := b.st.ListEvents(ctx, b.order.ID)
	require.NoError(t, err)
	require.Contains(t, events[len(events)-1].Note, "customer not told of the backorder: no notification channel is configured")
}

func TestWebhookDeliveryIsAKlaviyoStyleEvent(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	var mu sync.Mutex
	var bodies []map[string]any
	var keys []string
	fail := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			fail = false
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		var m map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&m))
		bodies = append(bodies, m)
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	bo := b.notices(t, notify.KindBackorder)[0]
	d := &notify.Deliverer{Store: b.st, Sender: notify.WebhookSender{URL: srv.URL},
		Links: notify.StoredLinks(b.st, notify.LinkSettings{PublicURL: "https://hub.example.com"})}
	require.Error(t, d.Deliver(ctx, bo.ID), "a 502 is retried")
	require.NoError(t, d.Deliver(ctx, bo.ID))
	require.NoError(t, d.Deliver(ctx, bo.ID))
	require.Len(t, bodies, 1)
	require.Equal(t, []string{bo.Key}, keys)
	data := bodies[0]["data"].(map[string]any)
	require.Equal(t, "event", data["type"])
	attrs := data["attributes"].(map[string]any)
	require.Equal(t, bo.Key, attrs["unique_id"])
	require.Equal(t, "Order Backordered", attrs["metric"].(map[string]any)["data"].(map[string]any)["attributes"].(map[string]any)["name"])
	require.Equal(t, "ada@example.com", attrs["profile"].(map[string]any)["data"].(map[string]any)["attributes"].(map[string]any)["email"])
	props := attrs["properties"].(map[string]any)
	require.Equal(t, "#1001", props["order_number"])
	links := props["links"].(map[string]any)[b.res.Backorders[0].ID].(map[string]any)
	require.Contains(t, links["cancel"], "https://hub.example.com/notices/backorders/")
	require.Contains(t, props["text"], "Rare print")
}

// smtpServer is just enough SMTP for one client on loopback: it keeps each
// message's envelope and data.
type smtpServer struct {
	addr string
	mu   sync.Mutex
	msgs []smtpMessage
}

type smtpMessage struct {
	from string
	to   []string
	data string
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	s := &smtpServer{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 localhost ESMTP test")
	var m smtpMessage
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-localhost")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "HELO"):
			say("250 localhost")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m = smtpMessage{from: strings.TrimSpace(line[len("MAIL FROM:"):])}
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.to = append(m.to, strings.TrimSpace(line[len("RCPT TO:"):]))
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(l)
			}
			m.data = data.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default: // NOOP, RSET, ...
			say("250 OK")
		}
	}
}

func (s *smtpServer) messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

func TestMailDelivery(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	srv := startSMTP(t)
	host, port, _ := net.SplitHostPort(srv.addr)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	_, err = b.alloc.Advance(ctx, allocator.Progress{FulfillmentID: b.fulfillmentAt("nyc").ID, Status: orderhub.FulfillmentShipped,
		Carrier: "UPS", TrackingNumber: "1Z1"})
	require.NoError(t, err)
	n := b.notices(t, notify.KindShipment)[0]
	d := &notify.Deliverer{Store: b.st, Sender: notify.MailSender{Host: host, Port: p, From: "orders@acme.example", Timeout: 5 * time.Second}}
	require.NoError(t, d.Deliver(ctx, n.ID))
	require.NoError(t, d.Deliver(ctx, n.ID))
	msgs := srv.messages()
	require.Len(t, msgs, 1, "one mail for one notice")
	m := msgs[0]
	require.Equal(t, "<orders@acme.example>", strings.Fields(m.from)[0])
	require.Equal(t, []string{"<ada@example.com>"}, m.to)
	require.Contains(t, m.data, "Subject: Part of your order #1001 has shipped")
	require.Contains(t, m.data, `To: "Ada Lovelace" <ada@example.com>`)
	require.Contains(t, m.data, "Message-ID: <"+notify.MessageID(notify.Message{IdempotencyKey: n.Key}, "orders@acme.example")+">")
	require.Contains(t, m.data, "X-Orderhub-Notice: "+n.Key)
	require.Contains(t, m.data, "multipart/alternative")
	require.Contains(t, m.data, "text/html")
	require.Contains(t, m.data, "1Z1")
	got, err := b.st.GetNotice(ctx, n.ID)
	require.NoError(t, err)
	require.Equal(t, "mail", got.Channel)
	require.Equal(t, store.NoticeSent, got.Status)
}

func TestMailWithoutACustomerEmailIsSkipped(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	o, err := b.st.CreateOrder(ctx, store.CreateOrderParams{Order: orderhub.Order{ShopID: "acme", Platform: "shopify", ExternalID: "1002",
		Currency: "USD", Lines: []orderhub.Line{{SKU: "MUG", Quantity: 1, UnitPrice: usd("1.00"), RequiresShp: true}}}})
	require.NoError(t, err)
	n, _, err := b.st.EnqueueNotice(ctx, store.EnqueueNoticeParams{Key: "shipment:x", Kind: notify.KindShipment, ShopID: "acme", OrderID: o.ID})
	require.NoError(t, err)
	// Port 1 answers nothing: a mail attempt would fail the delivery.
	d := &notify.Deliverer{Store: b.st, Sender: notify.MailSender{Host: "127.0.0.1", Port: 1, From: "orders@acme.example"}}
	require.NoError(t, d.Deliver(ctx, n.ID))
	got, err := b.st.GetNotice(ctx, n.ID)
	require.NoError(t, err)
	require.Equal(t, store.NoticeSkipped, got.Status)
	require.Contains(t, got.LastError, "the order has no email address")
	err = notify.MailSender{Host: "127.0.0.1", Port: 1}.Send(ctx, notify.Message{})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

// backorderJob is the backorder_notice job routing enqueued for b.
func backorderJob(b *bundle) *river.Job[orderhub.BackorderNoticeArgs] {
	args := orderhub.BackorderNoticeArgs{OrderID: b.order.ID}
	for _, bo := range b.res.Backorders {
		args.Items = append(args.Items, orderhub.BackorderNoticeItem{BackorderID: bo.ID, LineID: bo.LineID, SKU: bo.SKU, Quantity: bo.Quantity})
	}
	return &river.Job[orderhub.BackorderNoticeArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: 25}, Args: args}
}

// fakeClock is a settable clock: tests move it, nothing else does.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// linkServer serves the decision links of b's store on a test server.
type linkServer struct {
	t     *testing.T
	b     *bundle
	srv   *httptest.Server
	links func(context.Context) (*notify.Links, error)
}

func serveLinks(t *testing.T, b *bundle, s notify.LinkSettings) *linkServer {
	t.Helper()
	s.PublicURL = "https://hub.example.com"
	links := notify.StoredLinks(b.st, s)
	h := &notify.DecisionHandler{Store: b.st, Decider: b.alloc, Links: links}
	r := chi.NewRouter()
	h.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &linkServer{t: t, b: b, srv: srv, links: links}
}

// signer is the links as they stand in the database now.
func (ls *linkServer) signer() *notify.Links {
	l, err := ls.links(context.Background())
	require.NoError(ls.t, err)
	return l
}

// local turns a public link into one to the test server.
func (ls *linkServer) local(u string) string {
	return ls.srv.URL + strings.TrimPrefix(u, "https://hub.example.com")
}

func (ls *linkServer) do(method, u string, form url.Values) (int, string) {
	ls.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(ls.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(ls.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (ls *linkServer) backorder() orderhub.Backorder {
	bo, err := ls.b.st.GetBackorder(context.Background(), ls.b.res.Backorders[0].ID)
	require.NoError(ls.t, err)
	return bo
}

func TestDecisionLinks(t *testing.T) {
	clock := newClock()
	b := setupAt(t, clock.Now)
	ctx := context.Background()
	ls := serveLinks(t, b, notify.LinkSettings{Now: clock.Now})
	l := ls.signer()
	again, err := notify.LoadLinks(ctx, b.st, notify.LinkSettings{PublicURL: "https://other.example"})
	require.NoError(t, err)
	require.Equal(t, l.Key, again.Key, "every instance signs with the key in the database")
	bid := b.res.Backorders[0].ID

	wait := ls.local(l.BackorderURL(bid, allocator.DecisionWait))
	cancel := ls.local(l.BackorderURL(bid, allocator.DecisionCancel))
	exp := l.Expiry()
	expQ := "?exp=" + strconv.FormatInt(exp.Unix(), 10)
	for _, bad := range []string{
		ls.srv.URL + notify.BackorderPath(bid, allocator.DecisionWait),                                                               // no signature
		ls.srv.URL + notify.BackorderPath(bid, allocator.DecisionWait) + expQ + "&sig=AAAA",                                          // a forged one
		ls.srv.URL + notify.BackorderPath(bid, allocator.DecisionCancel) + expQ + "&sig=" + l.Sign(bid, allocator.DecisionWait, exp), // wait's, on cancel
		ls.srv.URL + notify.BackorderPath("other", allocator.DecisionWait) + expQ + "&sig=" + l.Sign(bid, allocator.DecisionWait, exp),
		ls.srv.URL + notify.BackorderPath(bid, allocator.DecisionWait) + "?exp=" + strconv.FormatInt(exp.Add(time.Hour).Unix(), 10) + // a later expiry
			"&sig=" + l.Sign(bid, allocator.DecisionWait, exp),
	} {
		code, _ := ls.do("GET", bad, nil)
		require.Equal(t, http.StatusForbidden, code, bad)
		code, _ = ls.do("POST", bad, url.Values{})
		require.Equal(t, http.StatusForbidden, code, bad)
	}
	require.Equal(t, orderhub.BackorderPending, ls.backorder().Status, "nothing was decided")

	code, page := ls.do("GET", wait, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, page, "<form method=\"post\"")
	require.Contains(t, page, "2 × RARE")
	require.Equal(t, orderhub.BackorderPending, ls.backorder().Status, "a GET only asks to confirm")

	// The confirmation form carries the expiry and signature.
	code, page = ls.do("GET", cancel, nil)
	require.Equal(t, http.StatusOK, code)
	u, err := url.Parse(cancel)
	require.NoError(t, err)
	code, page = ls.do("POST", ls.srv.URL+u.Path, url.Values{"exp": {u.Query().Get("exp")}, "sig": {u.Query().Get("sig")}})
	require.Equal(t, http.StatusOK, code, page)
	require.Contains(t, page, "You will be refunded 60.00 USD")
	bo := ls.backorder()
	require.Equal(t, orderhub.BackorderCancelled, bo.Status)
	require.Equal(t, "cancel", bo.Decision)
	require.Equal(t, notify.ActorCustomer, bo.DecidedBy)
	o, err := b.st.GetOrder(ctx, b.order.ID)
	require.NoError(t, err)
	require.Equal(t, int64(2), o.Lines[2].Cancelled)

	for _, m := range []string{"GET", "POST"} {
		for _, link := range []string{cancel, wait} {
			code, page = ls.do(m, link, url.Values{})
			require.Equal(t, http.StatusConflict, code, "a decided backorder stays decided")
			require.Contains(t, page, "The decision on these items (2 × RARE) was already made on 27 November 2026: to cancel them")
			require.NotContains(t, page, "<form")
		}
	}
}

func TestDecisionLinksStopOnceDecided(t *testing.T) {
	clock := newClock()
	b := setupAt(t, clock.Now)
	ctx := context.Background()
	ls := serveLinks(t, b, notify.LinkSettings{Now: clock.Now})
	l := ls.signer()
	bid := b.res.Backorders[0].ID
	wait := ls.local(l.BackorderURL(bid, allocator.DecisionWait))
	cancel := ls.local(l.BackorderURL(bid, allocator.DecisionCancel))

	code, page := ls.do("POST", wait, url.Values{})
	require.Equal(t, http.StatusOK, code, page)
	waited := ls.backorder()
	require.Equal(t, "wait", waited.Decision)
	clock.Advance(time.Hour)
	for _, m := range []string{"GET", "POST"} {
		for _, link := range []string{cancel, wait} {
			code, page = ls.do(m, link, url.Values{})
			require.Equal(t, http.StatusConflict, code, "the customer chose to wait: neither link acts any more (%s %s)", m, link)
			require.Contains(t, page, "was already made on 27 November 2026: to wait for them")
			require.NotContains(t, page, "<form")
		}
	}
	require.Equal(t, waited, ls.backorder(), "nothing changed")
	o, err := b.st.GetOrder(ctx, b.order.ID)
	require.NoError(t, err)
	require.Zero(t, o.Lines[2].Cancelled)

	// An operator may still cancel (the API's decision); the links then
	// say so, and still change nothing.
	_, refund, err := b.alloc.Decide(ctx, bid, allocator.DecisionCancel, "ops@acme")
	require.NoError(t, err)
	require.Equal(t, "60.00", refund.Amount.String())
	code, page = ls.do("POST", wait, url.Values{})
	require.Equal(t, http.StatusConflict, code)
	require.Contains(t, page, "to cancel them")
	require.Equal(t, orderhub.BackorderCancelled, ls.backorder().Status)
}

func TestDecisionLinksStopAfterAnOperatorsDecision(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	ls := serveLinks(t, b, notify.LinkSettings{})
	l := ls.signer()
	bid := b.res.Backorders[0].ID
	// Through the API (POST /api/v1/backorders/{id}/decision).
	_, _, err := b.alloc.Decide(ctx, bid, allocator.DecisionWait, "customer")
	require.NoError(t, err)
	code, page := ls.do("POST", ls.local(l.BackorderURL(bid, allocator.DecisionCancel)), url.Values{})
	require.Equal(t, http.StatusConflict, code)
	require.Contains(t, page, "to wait for them")
	bo := ls.backorder()
	require.Equal(t, orderhub.BackorderWaiting, bo.Status)
	require.Equal(t, "customer", bo.DecidedBy)
}

func TestDecisionLinksExpire(t *testing.T) {
	clock := newClock()
	b := setupAt(t, clock.Now)
	ls := serveLinks(t, b, notify.LinkSettings{TTL: 72 * time.Hour, Now: clock.Now})
	l := ls.signer()
	bid := b.res.Backorders[0].ID
	require.Equal(t, clock.Now().Add(72*time.Hour), l.Expiry())
	wait := ls.local(l.BackorderURL(bid, allocator.DecisionWait))
	cancel := ls.local(l.BackorderURL(bid, allocator.DecisionCancel))

	clock.Advance(72*time.Hour - time.Second)
	code, _ := ls.do("GET", cancel, nil)
	require.Equal(t, http.StatusOK, code, "in date until its last second")

	clock.Advance(time.Second)
	for _, m := range []string{"GET", "POST"} {
		for _, link := range []string{cancel, wait} {
			code, page := ls.do(m, link, url.Values{})
			require.Equal(t, http.StatusGone, code, "%s %s", m, link)
			require.Contains(t, page, "This link has expired")
			require.Contains(t, page, "nothing was changed")
			require.NotContains(t, page, "<form")
		}
	}
	bo := ls.backorder()
	require.Equal(t, orderhub.BackorderPending, bo.Status, "an expired link changes nothing")
	require.Empty(t, bo.Decision)

	// A link made now is in date again.
	code, _ = ls.do("POST", ls.local(ls.signer().BackorderURL(bid, allocator.DecisionWait)), url.Values{})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "wait", ls.backorder().Decision)
}

func TestDecisionLinksWithoutAnExpiryHaveExpired(t *testing.T) {
	b := setup(t)
	ls := serveLinks(t, b, notify.LinkSettings{})
	l := ls.signer()
	bid := b.res.Backorders[0].ID
	// A link as they were made before they carried an expiry.
	m := hmac.New(sha256.New, l.Key)
	m.Write([]byte("backorder\x00" + bid + "\x00cancel"))
	old := ls.srv.URL + notify.BackorderPath(bid, allocator.DecisionCancel) + "?sig=" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	code, page := ls.do("POST", old, url.Values{})
	require.Equal(t, http.StatusGone, code, page)
	require.Equal(t, orderhub.BackorderPending, ls.backorder().Status)
}

func TestDecisionLinkKeyRotation(t *testing.T) {
	clock := newClock()
	b := setupAt(t, clock.Now)
	ctx := context.Background()
	ls := serveLinks(t, b, notify.LinkSettings{TTL: 720 * time.Hour, PreviousFor: 48 * time.Hour, Now: clock.Now})
	before := ls.signer()
	bid := b.res.Backorders[0].ID
	oldWait := ls.local(before.BackorderURL(bid, allocator.DecisionWait))
	oldCancel := ls.local(before.BackorderURL(bid, allocator.DecisionCancel))

	clock.Advance(time.Hour)
	sec, err := notify.RotateLinkKey(ctx, b.st)
	require.NoError(t, err)
	require.Equal(t, before.Key, sec.Previous)
	require.Equal(t, clock.Now(), *sec.RetiredAt)
	after := ls.signer()
	require.NotEqual(t, before.Key, after.Key, "the loader reads the rotated key at once")
	require.Equal(t, sec.Value, after.Key)
	newWait := after.BackorderURL(bid, allocator.DecisionWait)
	u, err := url.Parse(newWait)
	require.NoError(t, err)
	require.Equal(t, notify.LinkInvalid, before.Check(bid, allocator.DecisionWait, u.Query().Get("exp"), u.Query().Get("sig")),
		"new links are signed with the new key, not the old")

	// Within the window the old key's links still work.
	clock.Advance(48*time.Hour - time.Second)
	code, page := ls.do("GET", oldCancel, nil)
	require.Equal(t, http.StatusOK, code, page)
	require.Contains(t, page, "<form")

	// After it they are refused, though not yet expired by themselves.
	clock.Advance(time.Second)
	for _, m := range []string{"GET", "POST"} {
		for _, link := range []string{oldCancel, oldWait} {
			code, page = ls.do(m, link, url.Values{})
			require.Equal(t, http.StatusGone, code, "%s %s", m, link)
			require.Contains(t, page, "This link has expired")
		}
	}
	require.Equal(t, orderhub.BackorderPending, ls.backorder().Status, "the refused link changed nothing")

	// The new key's link works.
	code, page = ls.do("POST", ls.local(newWait), url.Values{})
	require.Equal(t, http.StatusOK, code, page)
	require.Equal(t, orderhub.BackorderWaiting, ls.backorder().Status)

	// A second rotation drops the first key altogether.
	_, err = notify.RotateLinkKey(ctx, b.st)
	require.NoError(t, err)
	code, _ = ls.do("GET", oldCancel, nil)
	require.Equal(t, http.StatusForbidden, code)
}
