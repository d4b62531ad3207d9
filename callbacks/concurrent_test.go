package callbacks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/shipbob/shipbobtest"
)

// TestConcurrentDuplicates delivers the same order.shipped message 8 times
// at once, and 8 different messages about the same shipment at once: one
// delivery of each is applied, the stock is consumed once, and no delivery
// fails. It runs on SQLite and, where available, PostgreSQL.
func TestConcurrentDuplicates(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); concurrentDuplicates(t, setup(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); concurrentDuplicates(t, setupPostgres(t)) })
}

func concurrentDuplicates(t *testing.T, w *world) {
	ctx := context.Background()
	f := w.shipbobOrder(t, 2)
	order, err := w.shipbob.Ship(f.ID, shipbob.Tracking{Carrier: "USPS", TrackingNumber: "9400CONC"})
	require.NoError(t, err)
	body, _ := json.Marshal(order)
	url := shipbobtest.HubURL(w.hub, "shipbob-main")

	deliver := func(msgID func(i int) string) []fakeplatform.Delivery {
		out := make([]fakeplatform.Delivery, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i], errs[i] = w.shipbob.Post(ctx, url, shipbob.TopicOrderShipped, msgID(i), body)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		return out
	}
	count := func(ds []fakeplatform.Delivery) map[string]int {
		n := map[string]int{}
		for _, d := range ds {
			if d.Status != http.StatusOK {
				n["status "+http.StatusText(d.Status)]++
				continue
			}
			n[answer(t, d.Body)["status"].(string)]++
		}
		return n
	}
	same := count(deliver(func(int) string { return "msg_same" }))
	require.Equal(t, map[string]int{"accepted": 1, "duplicate": 7}, same)
	different := count(deliver(func(i int) string { return "msg_" + string(rune('a'+i)) }))
	require.Equal(t, map[string]int{"accepted": 8}, different, "new messages apply, and change nothing more")

	require.Equal(t, orderhub.FulfillmentShipped, w.get(t, f.ID).Status)
	require.Equal(t, orderhub.StockLevel{LocationID: "la-3pl", SKU: "POSTER", OnHand: 8}, w.stock(t, "la-3pl", "POSTER"), "stock consumed once")
}
