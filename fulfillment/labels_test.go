package fulfillment_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/fulfillment"
)

func usd(s string) orderhub.Money { return orderhub.MustParseMoney(s, "USD") }

func TestChooseRate(t *testing.T) {
	t.Parallel()
	rates := []fulfillment.Rate{
		{ID: "slow-cheap", Carrier: "USPS", Service: "Ground", Amount: usd("6.95"), DeliveryDays: 5},
		{ID: "mid", Carrier: "USPS", Service: "Priority", Amount: usd("9.80"), DeliveryDays: 2},
		{ID: "fast", Carrier: "UPS", Service: "NextDay", Amount: usd("38.10"), DeliveryDays: 1},
		{ID: "fast-dear", Carrier: "FedEx", Service: "Overnight", Amount: usd("45.00"), DeliveryDays: 1},
		{ID: "unknown-days", Carrier: "DHL", Service: "Eco", Amount: usd("7.10")},
		{ID: "cheap-same-price", Carrier: "ABC", Service: "Ground", Amount: usd("6.95"), DeliveryDays: 7},
	}
	for _, c := range []struct {
		name, rule, want string
		rates            []fulfillment.Rate
	}{
		{"cheapest, ties to the faster", fulfillment.RuleCheapest, "slow-cheap", rates},
		{"default is cheapest", "", "slow-cheap", rates},
		{"fastest, ties to the cheaper", fulfillment.RuleFastest, "fast", rates},
		{"no day estimates: fastest falls back to price", fulfillment.RuleFastest, "b", []fulfillment.Rate{{ID: "a", Amount: usd("9")}, {ID: "b", Amount: usd("8")}}},
		{"unknown days never beat known days", fulfillment.RuleFastest, "known", []fulfillment.Rate{{ID: "u", Amount: usd("1")}, {ID: "known", Amount: usd("50"), DeliveryDays: 9}}},
		{"other currencies come last", fulfillment.RuleCheapest, "usd", []fulfillment.Rate{{ID: "usd", Amount: usd("20")}, {ID: "eur", Amount: orderhub.MustParseMoney("1.00", "EUR")}}},
		{"stable on full ties", fulfillment.RuleCheapest, "a", []fulfillment.Rate{{ID: "b", Carrier: "B", Amount: usd("5")}, {ID: "a", Carrier: "A", Amount: usd("5")}}},
	} {
		got, err := fulfillment.ChooseRate(c.rates, c.rule)
		require.NoError(t, err, c.name)
		require.Equal(t, c.want, got.ID, c.name)
	}
	_, err := fulfillment.ChooseRate(nil, "")
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	_, err = fulfillment.ChooseRate(rates, "slowest")
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

func TestDefaultParcel(t *testing.T) {
	t.Parallel()
	p := fulfillment.DefaultParcel(orderhub.Fulfillment{Lines: []orderhub.FulfillmentLine{{Quantity: 2}, {Quantity: 1}}})
	require.Equal(t, fulfillment.Parcel{LengthIn: 10, WidthIn: 8, HeightIn: 4, WeightOz: 48}, p)
	require.Equal(t, 16.0, fulfillment.DefaultParcel(orderhub.Fulfillment{}).WeightOz, "at least one pound")
}

// stubLabels is an in-memory label account. loseBuys makes that many
// purchases succeed at the "provider" but fail for the caller, as a lost
// answer does.
type stubLabels struct {
	mu        sync.Mutex
	shipments map[string]*fulfillment.Shipment
	labels    map[string]fulfillment.Label // by reference
	requests  []fulfillment.ShipmentRequest
	created   int
	bought    int
	loseBuys  int
	createErr error
	buyErr    error
	status    fulfillment.LabelStatus
}

func newStub() *stubLabels {
	return &stubLabels{shipments: map[string]*fulfillment.Shipment{}, labels: map[string]fulfillment.Label{}, status: fulfillment.LabelReady}
}

func (s *stubLabels) CreateShipment(_ context.Context, r fulfillment.ShipmentRequest) (fulfillment.Shipment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.createErr != nil {
		return fulfillment.Shipment{}, s.createErr
	}
	s.created++
	s.requests = append(s.requests, r)
	sh := &fulfillment.Shipment{ID: fmt.Sprintf("shp_%d", s.created), Rates: []fulfillment.Rate{
		{ID: "r-ground", Carrier: "USPS", Service: "Ground", Amount: usd("6.95"), DeliveryDays: 5},
		{ID: "r-air", Carrier: "UPS", Service: "Air", Amount: usd("30.00"), DeliveryDays: 1},
	}}
	s.shipments[sh.ID] = sh
	return *sh, nil
}

func (s *stubLabels) GetShipment(_ context.Context, id string) (fulfillment.Shipment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.shipments[id]
	if !ok {
		return fulfillment.Shipment{}, orderhub.Errorf(orderhub.ENotFound, "no shipment %s", id)
	}
	return *sh, nil
}

func (s *stubLabels) FindLabel(_ context.Context, _ fulfillment.Shipment, ref string, _ time.Time) (fulfillment.Label, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.labels[ref]
	return l, ok, nil
}

func (s *stubLabels) BuyLabel(_ context.Context, sh fulfillment.Shipment, rate fulfillment.Rate, ref string, _ time.Time) (fulfillment.Label, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buyErr != nil {
		return fulfillment.Label{}, s.buyErr
	}
	s.bought++
	l := fulfillment.Label{ID: "lbl_" + sh.ID, Status: s.status, Carrier: rate.Carrier}
	switch s.status {
	case fulfillment.LabelReady:
		l.TrackingNumber, l.TrackingURL, l.LabelURL = "TRK"+sh.ID, "https://track.example/"+sh.ID, "https://labels.example/"+sh.ID+".pdf"
	case fulfillment.LabelFailed:
		l.Problem = "carrier timeout"
	}
	s.labels[ref] = l
	if s.loseBuys > 0 {
		s.loseBuys--
		return fulfillment.Label{}, orderhub.Errorf(orderhub.EUnavailable, "the answer was lost")
	}
	return l, nil
}

func warehouseExec(b bundle, acct fulfillment.Labels, rule string) *fulfillment.WarehouseExecutor {
	return &fulfillment.WarehouseExecutor{Advancer: b.alloc, Sites: map[string]fulfillment.Site{"nyc": {ID: "nyc", Address: nyc.Address, Provider: "ep", Rule: rule}},
		Accounts: map[string]fulfillment.Labels{"ep": acct}}
}

func TestWarehouseLabelOnceWhenTheJobRunsTwice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	o, fs := routed(t, b)
	stub := newStub()
	w := worker(b, map[string]fulfillment.Executor{orderhub.SourceWarehouse: warehouseExec(b, stub, "")})
	f := fs["nyc"]
	require.NoError(t, w.Work(context.Background(), job(f.ID)))
	require.NoError(t, w.Work(context.Background(), job(f.ID)))
	require.Equal(t, 1, stub.created)
	require.Equal(t, 1, stub.bought)

	got := get(t, b, f.ID)
	require.Equal(t, orderhub.FulfillmentSubmitted, got.Status, "a bought label is submitted; the carrier's scan ships it")
	require.Equal(t, "shp_1", got.ExternalID)
	require.Equal(t, "USPS", got.Carrier, "the cheapest rate")
	require.Equal(t, "TRKshp_1", got.TrackingNumber)
	require.Equal(t, "https://labels.example/shp_1.pdf", got.LabelURL)

	req := stub.requests[0]
	require.Equal(t, f.ID, req.Reference)
	require.Equal(t, "450 W 33rd St", req.From.Address1)
	require.Equal(t, "1 Main St", req.To.Address1)
	require.Equal(t, "jo@example.com", req.Email)
	require.Equal(t, 16.0, req.Parcel.WeightOz, "one mug, one pound")

	joined := strings.Join(notes(t, b, o.ID), "\n")
	require.Contains(t, joined, "label shipment shp_1 created at ep")
	require.Contains(t, joined, "label bought: USPS Ground 6.95 USD, 5 day(s) (cheapest of 2 rate(s))")
	st, err := b.st.GetStock(context.Background(), "nyc", "MUG")
	require.NoError(t, err)
	require.Equal(t, int64(10), st.OnHand, "nothing leaves the shelf before the carrier scans it")
	require.Equal(t, int64(1), st.Reserved)
}

func TestWarehouseResumesAfterALostPurchaseAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, fs := routed(t, b)
	stub := newStub()
	stub.loseBuys = 1
	w := worker(b, map[string]fulfillment.Executor{orderhub.SourceWarehouse: warehouseExec(b, stub, fulfillment.RuleFastest)})
	f := fs["nyc"]
	err := w.Work(context.Background(), job(f.ID))
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err), "the job fails and River retries it")
	mid := get(t, b, f.ID)
	require.Equal(t, orderhub.FulfillmentPending, mid.Status)
	require.Equal(t, "shp_1", mid.ExternalID, "the shipment id was saved before buying")

	require.NoError(t, w.Work(context.Background(), job(f.ID)))
	require.Equal(t, 1, stub.created, "the retry reuses the shipment")
	require.Equal(t, 1, stub.bought, "and finds the label instead of buying another")
	got := get(t, b, f.ID)
	require.Equal(t, orderhub.FulfillmentSubmitted, got.Status)
	require.Equal(t, "UPS", got.Carrier, "the fastest rate")
}

func TestWarehouseOutcomes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		tweak  func(*stubLabels)
		status orderhub.FulfillmentStatus
		note   string
		err    string
	}{
		{"address refused", func(s *stubLabels) { s.createErr = orderhub.Errorf(orderhub.EInvalid, "to_address is not deliverable") },
			orderhub.FulfillmentFailed, "label shipment refused: to_address is not deliverable", ""},
		{"purchase refused", func(s *stubLabels) { s.buyErr = orderhub.Errorf(orderhub.EInvalid, "insufficient funds") },
			orderhub.FulfillmentFailed, "refused: insufficient funds", ""},
		{"label queued", func(s *stubLabels) { s.status = fulfillment.LabelPending },
			orderhub.FulfillmentSubmitted, "is being processed by ep", ""},
		{"label failed", func(s *stubLabels) { s.status = fulfillment.LabelFailed },
			orderhub.FulfillmentFailed, "failed: carrier timeout", ""},
		{"outage", func(s *stubLabels) {
			s.createErr = orderhub.Errorf(orderhub.EUnavailable, "easypost API POST /v2/shipments: unavailable")
		},
			orderhub.FulfillmentPending, "", "unavailable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			o, fs := routed(t, b)
			stub := newStub()
			c.tweak(stub)
			err := worker(b, map[string]fulfillment.Executor{orderhub.SourceWarehouse: warehouseExec(b, stub, "")}).Work(context.Background(), job(fs["nyc"].ID))
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, c.status, get(t, b, fs["nyc"].ID).Status)
			if c.note != "" {
				require.Contains(t, strings.Join(notes(t, b, o.ID), "\n"), c.note)
			}
		})
	}
}

func TestWorkerCancelsWhatNothingCanExecute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	o, fs := routed(t, b)
	w := worker(b, map[string]fulfillment.Executor{orderhub.SourceWarehouse: &fulfillment.WarehouseExecutor{Advancer: b.alloc}})
	err := w.Work(context.Background(), job(fs["nyc"].ID))
	var cancel *river.JobCancelError
	require.ErrorAs(t, err, &cancel)
	err = w.Work(context.Background(), job(fs["dropco"].ID))
	require.ErrorAs(t, err, &cancel)
	joined := strings.Join(notes(t, b, o.ID), "\n")
	require.Contains(t, joined, "warehouse nyc has no shipping provider to buy labels with")
	require.Contains(t, joined, "no executor for supplier sources is configured")
	require.Equal(t, orderhub.FulfillmentPending, get(t, b, fs["nyc"].ID).Status, "left pending, visibly")
}

type rateLimited struct{}

func (rateLimited) Execute(context.Context, orderhub.Fulfillment, orderhub.Order) error {
	return &orderhub.Error{Code: orderhub.ERateLimited, Message: "shipbob API POST /order: rate limited",
		Err: &apiclientStatusError}
}

func TestWorkerSnoozesOnALongRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, fs := routed(t, b)
	err := worker(b, map[string]fulfillment.Executor{orderhub.Source3PL: rateLimited{}}).Work(context.Background(), job(fs["la-3pl"].ID))
	var snooze *river.JobSnoozeError
	require.ErrorAs(t, err, &snooze)
	require.Equal(t, 5*time.Minute, snooze.Duration, "the job comes back when the 3PL said")
}
