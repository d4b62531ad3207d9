package shopify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
)

type wbBundle struct {
	fake   *shopifytest.Server
	writer *shopify.Writer
	order  orderhub.Order
	id     int64
}

// wbSetup stores a three-line order on a fake shop and returns it
// normalised, with orderhub line ids L0, L1, L2.
func wbSetup(t *testing.T, note string) wbBundle {
	t.Helper()
	fake := shopifytest.New(t, shopifytest.Options{})
	body := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 1042, Note: note, Lines: []shopifytest.LineSpec{
		{SKU: "MUG", Quantity: 2}, {SKU: "TEE", Quantity: 1}, {SKU: "CAP", Quantity: 3},
	}})
	id, err := fake.AddOrder(body)
	require.NoError(t, err)
	o, err := shopify.NormalizeOrder(body)
	require.NoError(t, err)
	for i := range o.Lines {
		o.Lines[i].ID = "L" + strconv.Itoa(i)
	}
	c, err := shopify.NewClient(shopify.ClientConfig{BaseURL: fake.URL, APIVersion: "2025-07", AccessToken: shopifytest.DefaultAccessToken})
	require.NoError(t, err)
	return wbBundle{fake: fake, writer: &shopify.Writer{Client: c}, order: o, id: id}
}

func gqlCalls(fake *shopifytest.Server, op string) int {
	n := 0
	for _, r := range fake.RequestsTo("POST", "/admin/api/2025-07/graphql.json") {
		var q struct {
			Query string `json:"query"`
		}
		_ = json.Unmarshal(r.Body, &q)
		if strings.Contains(q.Query, op+"(") && r.Status == 200 {
			n++
		}
	}
	return n
}

func TestWriteFulfillmentOnceWithLineItemsAndTracking(t *testing.T) {
	b := wbSetup(t, "")
	ctx := context.Background()
	f := orderhub.Fulfillment{ID: "f-1", OrderID: "o", Status: orderhub.FulfillmentShipped, Carrier: "UPS", TrackingNumber: "1Z999AA10123456784",
		TrackingURL: "https://www.ups.com/track?tracknum=1Z999AA10123456784",
		Lines:       []orderhub.FulfillmentLine{{LineID: "L0", SKU: "MUG", Quantity: 2}, {LineID: "L2", SKU: "CAP", Quantity: 1}}}

	gid, err := b.writer.WriteFulfillment(ctx, b.order, f, nil)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(gid, "gid://shopify/Fulfillment/"), gid)
	fs := b.fake.FulfillmentsOf(b.id)
	require.Len(t, fs, 1)
	got := fs[0]
	require.Equal(t, gid, got.GID())
	require.Equal(t, "UPS", got.TrackingCompany)
	require.Equal(t, f.TrackingNumber, got.TrackingNumber)
	require.Equal(t, f.TrackingURL, got.TrackingURL)
	require.False(t, got.NotifyCustomer, "orderhub sends its own shipment notice")
	lineQty := map[string]int64{}
	for _, l := range got.LineItems {
		lineQty[strconv.FormatInt(l.LineItemID, 10)] += l.Quantity
	}
	require.Equal(t, map[string]int64{b.order.Lines[0].ExternalID: 2, b.order.Lines[2].ExternalID: 1}, lineQty,
		"the order's line items, through the fulfillment order line items")
	fos, _ := b.fake.FulfillmentOrders(b.id)
	require.Equal(t, "in_progress", fos[0].Status)

	// The answer was lost: orderhub never stored the gid and tries again.
	again, err := b.writer.WriteFulfillment(ctx, b.order, f, nil)
	require.NoError(t, err)
	require.Equal(t, gid, again, "found by its tracking number")
	require.Len(t, b.fake.FulfillmentsOf(b.id), 1, "no second fulfillment")
	require.Equal(t, 1, gqlCalls(b.fake, "fulfillmentCreate"))

	// Tracking changes later: an update, not a second create.
	f.PlatformID = gid
	f.Carrier, f.TrackingNumber, f.TrackingURL = "FedEx", "7489", "https://fedex.example/7489"
	same, err := b.writer.WriteFulfillment(ctx, b.order, f, nil)
	require.NoError(t, err)
	require.Equal(t, gid, same)
	fs = b.fake.FulfillmentsOf(b.id)
	require.Len(t, fs, 1)
	require.Equal(t, "7489", fs[0].TrackingNumber)
	require.Equal(t, "FedEx", fs[0].TrackingCompany)
	require.Equal(t, 1, gqlCalls(b.fake, "fulfillmentCreate"))
	require.Equal(t, 1, gqlCalls(b.fake, "fulfillmentTrackingInfoUpdate"))
}

func TestWriteFulfillmentWithoutTrackingAdoptsByLineItems(t *testing.T) {
	b := wbSetup(t, "")
	ctx := context.Background()
	first := orderhub.Fulfillment{ID: "f-a", Lines: []orderhub.FulfillmentLine{{LineID: "L0", Quantity: 2}}}
	second := orderhub.Fulfillment{ID: "f-b", Lines: []orderhub.FulfillmentLine{{LineID: "L1", Quantity: 1}, {LineID: "L2", Quantity: 3}}}
	a, err := b.writer.WriteFulfillment(ctx, b.order, first, nil)
	require.NoError(t, err)
	bid, err := b.writer.WriteFulfillment(ctx, b.order, second, nil)
	require.NoError(t, err)
	require.NotEqual(t, a, bid)
	first.PlatformID, second.PlatformID = "", bid

	// first's answer was lost, and it has no tracking number to find it by:
	// its units are fulfilled, and one fulfillment has exactly its lines.
	again, err := b.writer.WriteFulfillment(ctx, b.order, first, []orderhub.Fulfillment{first, second})
	require.NoError(t, err)
	require.Equal(t, a, again)
	require.Len(t, b.fake.FulfillmentsOf(b.id), 2)

	// A tracking number that arrives later is added to that fulfillment.
	first.PlatformID, first.TrackingNumber, first.Carrier = a, "9400111899223197428490", "USPS"
	_, err = b.writer.WriteFulfillment(ctx, b.order, first, nil)
	require.NoError(t, err)
	require.Equal(t, "9400111899223197428490", b.fake.FulfillmentsOf(b.id)[0].TrackingNumber)
	require.Equal(t, 2, gqlCalls(b.fake, "fulfillmentCreate"))
}

func TestWriteFulfillmentNeverAdoptsAnotherFulfillment(t *testing.T) {
	b := wbSetup(t, "")
	ctx := context.Background()
	mine := orderhub.Fulfillment{ID: "f-a", Lines: []orderhub.FulfillmentLine{{LineID: "L1", Quantity: 1}}}
	gid, err := b.writer.WriteFulfillment(ctx, b.order, mine, nil)
	require.NoError(t, err)
	mine.PlatformID = gid
	// Another orderhub fulfillment of the same line, whose units Shopify
	// already counts as fulfilled by mine: adopting mine would hide it.
	other := orderhub.Fulfillment{ID: "f-z", Lines: []orderhub.FulfillmentLine{{LineID: "L1", Quantity: 1}}}
	_, err = b.writer.WriteFulfillment(ctx, b.order, other, []orderhub.Fulfillment{mine, other})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err))
	require.Len(t, b.fake.FulfillmentsOf(b.id), 1)
}

func TestWriteFulfillmentErrors(t *testing.T) {
	b := wbSetup(t, "")
	ctx := context.Background()
	_, err := b.writer.WriteFulfillment(ctx, b.order, orderhub.Fulfillment{ID: "f", Lines: []orderhub.FulfillmentLine{{LineID: "nope", Quantity: 1}}}, nil)
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	missing := b.order
	missing.ExternalID = "1"
	_, err = b.writer.WriteFulfillment(ctx, missing, orderhub.Fulfillment{ID: "f", Lines: []orderhub.FulfillmentLine{{LineID: "L0", Quantity: 1}}}, nil)
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))

	b.fake.ThrottleNext(1)
	gid, err := b.writer.WriteFulfillment(ctx, b.order, orderhub.Fulfillment{ID: "f", TrackingNumber: "T1", Lines: []orderhub.FulfillmentLine{{LineID: "L0", Quantity: 1}}}, nil)
	require.NoError(t, err, "a THROTTLED answer is waited out")
	require.NotEmpty(t, gid)
}

func TestAddNoteAppendsOnce(t *testing.T) {
	b := wbSetup(t, "Gift wrap, please")
	ctx := context.Background()
	require.NoError(t, b.writer.AddNote(ctx, b.order, "routed", "MUG from nyc; TEE dropshipped by dropco"))
	require.NoError(t, b.writer.AddNote(ctx, b.order, "routed", "MUG from nyc; TEE dropshipped by dropco"))
	require.NoError(t, b.writer.AddNote(ctx, b.order, "cancel-7", "cancelled 1 × CAP"))
	raw, ok := b.fake.Order(b.id)
	require.True(t, ok)
	var o struct {
		Note string `json:"note"`
	}
	require.NoError(t, json.Unmarshal(raw, &o))
	require.Equal(t, "Gift wrap, please\n[orderhub routed] MUG from nyc; TEE dropshipped by dropco\n[orderhub cancel-7] cancelled 1 × CAP", o.Note,
		"the merchant's note stays, each orderhub note once")
	require.Equal(t, 2, gqlCalls(b.fake, "orderUpdate"))
}

func TestAddNoteRetriesWhenOverwritten(t *testing.T) {
	b := wbSetup(t, "")
	ctx := context.Background()
	// Another app overwrites the note right after our first write lands,
	// before we read it back.
	var writes atomic.Int32
	proxy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		out, _ := http.NewRequest(r.Method, b.fake.URL+r.URL.RequestURI(), bytes.NewReader(body))
		out.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "orderUpdate(") && writes.Add(1) == 1 {
			_ = b.fake.UpdateOrder(b.id, func(o map[string]any) { o["note"] = "replaced by another app" })
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		w.Write(answer)
	})
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	c, err := shopify.NewClient(shopify.ClientConfig{BaseURL: srv.URL, APIVersion: "2025-07", AccessToken: shopifytest.DefaultAccessToken})
	require.NoError(t, err)
	w := &shopify.Writer{Client: c}
	require.NoError(t, w.AddNote(ctx, b.order, "routed", "routing note"))
	require.Equal(t, int32(2), writes.Load(), "the overwritten note was written again")
	raw, _ := b.fake.Order(b.id)
	var o struct {
		Note string `json:"note"`
	}
	require.NoError(t, json.Unmarshal(raw, &o))
	require.Equal(t, "replaced by another app\n[orderhub routed] routing note", o.Note)
}

func TestAppendNote(t *testing.T) {
	require.Equal(t, "[orderhub k] hi", shopify.AppendNote("", "k", " hi "))
	require.Equal(t, "a\n[orderhub k] hi", shopify.AppendNote("a\n\n", "k", "hi"))
	long := shopify.AppendNote("", "k", strings.Repeat("x", 5000))
	require.Less(t, len(long), 1100)
}
