package shippo_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/connectors/shippo/shippotest"
)

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func setup(t *testing.T, o shippotest.Options) (*shippotest.Server, *shippo.Client, *sleeps) {
	t.Helper()
	fake := shippotest.New(t, o)
	sl := &sleeps{}
	c, err := shippo.NewClient(shippo.ClientConfig{BaseURL: fake.URL, APIKey: shippotest.DefaultAPIKey, HTTP: apiclient.Options{Sleep: sl.sleep, MaxRetries: 3}})
	require.NoError(t, err)
	return fake, c, sl
}

func shipmentReq(ref string) shippo.ShipmentRequest {
	return shippo.ShipmentRequest{Metadata: ref,
		From:   shippo.Address{Company: "Acme Chicago", Street1: "233 S Wacker Dr", City: "Chicago", State: "IL", Zip: "60606", Country: "US"},
		To:     shippo.Address{Name: "Jo Doe", Street1: "1 Main St", City: "Newark", State: "NJ", Zip: "07102", Country: "US"},
		Parcel: shippo.Parcel{Length: "10", Width: "8", Height: "4", DistanceUnit: "in", Weight: "16", MassUnit: "oz"}}
}

func TestShipmentAndLabel(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t, shippotest.Options{})
	ctx := context.Background()
	sh, err := c.CreateShipment(ctx, shipmentReq("f-1"))
	require.NoError(t, err)
	require.Len(t, sh.Rates, 3)
	require.Equal(t, 5, sh.Rates[0].DeliveryDays())
	require.Equal(t, "ShippoToken "+shippotest.DefaultAPIKey, fake.Requests()[0].Header.Get("Authorization"))

	tx, err := c.BuyLabel(ctx, sh.Rates[0].ObjectID, "f-1", time.Now())
	require.NoError(t, err)
	require.Equal(t, shippo.TxSuccess, tx.Status)
	require.NotEmpty(t, tx.TrackingNumber)
	require.NotEmpty(t, tx.LabelURL)
	require.Equal(t, sh.Rates[0].ObjectID, tx.RateID())

	found, ok, err := c.FindTransaction(ctx, "f-1", time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, tx.ObjectID, found.ObjectID)
	_, ok, err = c.FindTransaction(ctx, "f-other", time.Time{})
	require.NoError(t, err)
	require.False(t, ok)

	track, err := c.GetTrack(ctx, "usps", tx.TrackingNumber)
	require.NoError(t, err)
	require.Equal(t, shippo.TrackPreTransit, track.Status())
	_, err = c.GetTrack(ctx, "ups", tx.TrackingNumber)
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
}

func TestBuyLabelNeverBuysTwice(t *testing.T) {
	t.Parallel()
	for name, inject := range map[string]func(*shippotest.Server){
		"lost answer": func(f *shippotest.Server) {
			f.LoseAnswerNext(1, func(r *http.Request) bool {
				return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/transactions")
			})
		},
		"500": func(f *shippotest.Server) {
			f.InjectFailure(2, fakeFailure(http.StatusInternalServerError))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fake, c, _ := setup(t, shippotest.Options{})
			ctx := context.Background()
			sh, err := c.CreateShipment(ctx, shipmentReq("f-2"))
			require.NoError(t, err)
			inject(fake)
			tx, err := c.BuyLabel(ctx, sh.Rates[1].ObjectID, "f-2", time.Now().Add(-time.Minute))
			require.NoError(t, err)
			require.Equal(t, shippo.TxSuccess, tx.Status)
			require.Equal(t, 1, fake.LabelsBought(), "one label, however the purchase failed")
		})
	}
}

func TestBuyLabelWaitsOutA429(t *testing.T) {
	t.Parallel()
	fake, c, sl := setup(t, shippotest.Options{})
	ctx := context.Background()
	sh, err := c.CreateShipment(ctx, shipmentReq("f-3"))
	require.NoError(t, err)
	fake.RateLimitNext(1, "4")
	_, err = c.BuyLabel(ctx, sh.Rates[0].ObjectID, "f-3", time.Now())
	require.NoError(t, err)
	require.Equal(t, 1, fake.LabelsBought())
	require.Contains(t, sl.d, 4*time.Second)
}

func TestQueuedLabel(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t, shippotest.Options{QueuedPolls: 2})
	ctx := context.Background()
	sh, err := c.CreateShipment(ctx, shipmentReq("f-4"))
	require.NoError(t, err)
	tx, err := c.BuyLabel(ctx, sh.Rates[0].ObjectID, "f-4", time.Now())
	require.NoError(t, err)
	require.True(t, shippo.Pending(tx))
	short, err := c.WaitTransaction(ctx, tx, 0, time.Second)
	require.NoError(t, err)
	require.True(t, shippo.Pending(short), "no time to wait: still queued")
	done, err := c.WaitTransaction(ctx, tx, time.Minute, time.Second)
	require.NoError(t, err)
	require.Equal(t, shippo.TxSuccess, done.Status)
	require.NotEmpty(t, done.TrackingNumber)
	require.Equal(t, 1, fake.LabelsBought())
}

func TestFailedLabel(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, shippotest.Options{FailLabels: true})
	ctx := context.Background()
	sh, err := c.CreateShipment(ctx, shipmentReq("f-5"))
	require.NoError(t, err)
	tx, err := c.BuyLabel(ctx, sh.Rates[0].ObjectID, "f-5", time.Now())
	require.NoError(t, err)
	require.Equal(t, shippo.TxError, tx.Status)
	require.Contains(t, tx.Problem(), "did not respond")
	_, found, err := c.FindTransaction(ctx, "f-5", time.Time{})
	require.NoError(t, err)
	require.False(t, found, "a failed purchase is not a label")
}

func TestEnsureShipmentNeverCreatesTwo(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t, shippotest.Options{})
	ctx := context.Background()
	fake.LoseAnswerNext(1, func(r *http.Request) bool { return r.Method == http.MethodPost })
	sh, err := c.EnsureShipment(ctx, shipmentReq("f-6"), time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.Equal(t, "f-6", sh.Metadata)
	require.Equal(t, 1, fake.ShipmentsCreated(), "the lost answer's shipment is found, not made again")
	require.Len(t, fake.RequestsTo(http.MethodPost, "/shipments/"), 1, "the create was not sent again")
	found, ok, err := c.FindShipment(ctx, "f-6", time.Time{})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, sh.ObjectID, found.ObjectID)
	_, err = c.EnsureShipment(ctx, shippo.ShipmentRequest{}, time.Time{})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}
