package shopifytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
)

func client(t *testing.T, s *shopifytest.Server) *shopify.Client {
	t.Helper()
	c, err := shopify.NewClient(shopify.ClientConfig{
		BaseURL: s.URL, APIVersion: "2025-07", AccessToken: shopifytest.DefaultAccessToken,
		HTTP: apiclient.Options{MaxRetries: -1},
	})
	require.NoError(t, err)
	return c
}

func TestBuildOrderNormalizes(t *testing.T) {
	raw := shopifytest.MustBuildOrder(shopifytest.OrderSpec{
		Number: 1001, Currency: "JPY",
		Lines: []shopifytest.LineSpec{
			{SKU: "TEA-1", Quantity: 3, Price: "3000", Discount: "300", Tax: "216"},
			{SKU: "CARD", Quantity: 1, Price: "500", NoShipping: true},
		},
		ShippingPrice: "1000",
	})
	o, err := shopify.NormalizeOrder(raw)
	require.NoError(t, err)
	require.Equal(t, "JPY", o.Currency)
	require.Equal(t, "#1001", o.ExternalNumber)
	require.Equal(t, "820982911946155509", o.ExternalID, "ids beyond 2^53 survive")
	require.Len(t, o.Lines, 2)
	require.Equal(t, int64(300), o.Lines[0].Discount.Amount)
	require.Equal(t, int64(9500+1000-300+216), o.Totals.Total.Amount)
	require.Equal(t, orderhub.StatusPaid, o.Status)

	_, err = shopifytest.BuildOrder(shopifytest.OrderSpec{Lines: []shopifytest.LineSpec{{Price: "1.2.3"}}})
	require.Error(t, err)
}

func TestAddOrderAcceptsWrappedAndRejectsJunk(t *testing.T) {
	s := shopifytest.New(t, shopifytest.Options{})
	id, err := s.AddOrder([]byte(`{"order":{"id":450789469,"line_items":[]}}`))
	require.NoError(t, err)
	require.EqualValues(t, 450789469, id)
	raw, ok := s.Order(id)
	require.True(t, ok)
	require.Contains(t, string(raw), `"updated_at"`, "stamped")
	_, err = s.AddOrder([]byte(`{"name":"#1"}`))
	require.Error(t, err)
	_, err = s.AddOrder([]byte(`nope`))
	require.Error(t, err)
}

func TestPageInfoCannotBeCombined(t *testing.T) {
	s := shopifytest.New(t, shopifytest.Options{})
	for i := range 3 {
		_, err := s.AddOrder(shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: int64(1001 + i)}))
		require.NoError(t, err)
	}
	get := func(q string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/admin/api/2025-07/orders.json?"+q, nil)
		req.Header.Set("X-Shopify-Access-Token", shopifytest.DefaultAccessToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := get("limit=2&status=any")
	require.Equal(t, 200, resp.StatusCode)
	next := shopify.NextLink(resp.Header)
	require.Contains(t, next, "page_info=")
	require.Equal(t, "1/40", resp.Header.Get("X-Shopify-Shop-Api-Call-Limit"))
	pi := next[strings.Index(next, "page_info="):]
	resp = get(pi + "&status=any")
	require.Equal(t, 400, resp.StatusCode)
	resp = get(pi + "&limit=2")
	require.Equal(t, 200, resp.StatusCode)
	var page struct{ Orders []json.RawMessage }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
	require.Len(t, page.Orders, 1)
	require.Empty(t, shopify.NextLink(resp.Header))
}

func TestFulfillmentWriteBack(t *testing.T) {
	s := shopifytest.New(t, shopifytest.Options{})
	c := client(t, s)
	ctx := context.Background()
	id, err := s.AddOrder(shopifytest.MustBuildOrder(shopifytest.OrderSpec{
		Number: 1001,
		Lines:  []shopifytest.LineSpec{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}, {SKU: "GIFTCARD", NoShipping: true}},
	}))
	require.NoError(t, err)

	fos, ok := s.FulfillmentOrders(id)
	require.True(t, ok)
	require.Len(t, fos, 1)
	require.Len(t, fos[0].LineItems, 2, "only lines that ship")
	require.NotEqual(t, fos[0].LineItems[0].ID, fos[0].LineItems[0].LineItemID, "FO line ids are not order line ids")

	// Read the fulfillment orders through GraphQL, as write-back would.
	var q struct {
		Order struct {
			FulfillmentOrders struct {
				Nodes []struct {
					ID        string
					Status    string
					LineItems struct {
						Nodes []struct {
							ID                string
							RemainingQuantity int64
							LineItem          struct{ SKU string }
						}
					}
				}
			}
		}
	}
	err = c.GraphQL(ctx, `query FO($id: ID!) { order(id: $id) { fulfillmentOrders(first: 10) { nodes { id status lineItems(first: 50) { nodes { id remainingQuantity lineItem { sku } } } } } } }`,
		map[string]any{"id": "gid://shopify/Order/" + jsonNum(id)}, &q)
	require.NoError(t, err)
	fo := q.Order.FulfillmentOrders.Nodes[0]
	require.Equal(t, "OPEN", fo.Status)
	require.Equal(t, "A", fo.LineItems.Nodes[0].LineItem.SKU)

	const mutation = `mutation Ship($fulfillment: FulfillmentInput!) { fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id status trackingInfo { company number url } } userErrors { field message } } }`
	ship := func(lineID string, qty int) (map[string]any, error) {
		var out struct {
			FulfillmentCreate struct {
				Fulfillment map[string]any
				UserErrors  []shopify.UserError
			}
		}
		err := c.GraphQL(ctx, mutation, map[string]any{"fulfillment": map[string]any{
			"lineItemsByFulfillmentOrder": []any{map[string]any{
				"fulfillmentOrderId":        fo.ID,
				"fulfillmentOrderLineItems": []any{map[string]any{"id": lineID, "quantity": qty}},
			}},
			"trackingInfo":   map[string]any{"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"},
			"notifyCustomer": true,
		}}, &out)
		if err != nil {
			return nil, err
		}
		if len(out.FulfillmentCreate.UserErrors) > 0 {
			return nil, orderhub.Errorf(orderhub.EInvalid, "%s", out.FulfillmentCreate.UserErrors[0].Message)
		}
		return out.FulfillmentCreate.Fulfillment, nil
	}
	_, err = ship(fo.LineItems.Nodes[0].ID, 3)
	require.ErrorContains(t, err, "Invalid fulfillment order line item quantity requested.")
	f, err := ship(fo.LineItems.Nodes[0].ID, 2)
	require.NoError(t, err)
	require.Equal(t, "SUCCESS", f["status"])

	raw, _ := s.Order(id)
	require.Contains(t, string(raw), `"fulfillment_status":"partial"`)
	fs := s.Fulfillments()
	require.Len(t, fs, 1)
	require.Equal(t, "1Z999", fs[0].TrackingNumber)
	require.True(t, fs[0].NotifyCustomer)
	require.EqualValues(t, 2, fs[0].LineItems[0].Quantity)

	_, err = ship(fo.LineItems.Nodes[1].ID, 1)
	require.NoError(t, err)
	raw, _ = s.Order(id)
	require.Contains(t, string(raw), `"fulfillment_status":"fulfilled"`)
	fos, _ = s.FulfillmentOrders(id)
	require.Equal(t, "closed", fos[0].Status)
	_, err = ship(fo.LineItems.Nodes[1].ID, 1)
	require.ErrorContains(t, err, "not in a fulfillable state")

	// The order note overwrites, as Shopify's does.
	var upd struct {
		OrderUpdate struct {
			Order      struct{ Note string }
			UserErrors []shopify.UserError
		}
	}
	require.NoError(t, c.GraphQL(ctx, `mutation N($input: OrderInput!) { orderUpdate(input: $input) { order { id note } userErrors { field message } } }`,
		map[string]any{"input": map[string]any{"id": "gid://shopify/Order/" + jsonNum(id), "note": "shipped A from nyc"}}, &upd))
	require.Empty(t, upd.OrderUpdate.UserErrors)
	require.Equal(t, "shipped A from nyc", upd.OrderUpdate.Order.Note)
	raw, _ = s.Order(id)
	o, err := shopify.NormalizeOrder(raw)
	require.NoError(t, err)
	require.Equal(t, "shipped A from nyc", o.Note)

	// And REST shows the same fulfillment order.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/admin/api/2025-07/orders/"+jsonNum(id)+"/fulfillment_orders.json", nil)
	req.Header.Set("X-Shopify-Access-Token", shopifytest.DefaultAccessToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(b), `"fulfillable_quantity":0`)
}

func jsonNum(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestUnknownGraphQLOperation(t *testing.T) {
	s := shopifytest.New(t, shopifytest.Options{})
	err := client(t, s).GraphQL(context.Background(), `{ shop { name } }`, nil, nil)
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

// recordingHub is a stand-in for orderhub's intake.
type recordingHub struct {
	mu     sync.Mutex
	header []http.Header
	body   [][]byte
	srv    *httptest.Server
}

func newHub(t *testing.T, status int) *recordingHub {
	h := &recordingHub{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.header = append(h.header, r.Header.Clone())
		h.body = append(h.body, b)
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func TestDeliverAndTriggerAreSigned(t *testing.T) {
	hub := newHub(t, 200)
	s := shopifytest.New(t, shopifytest.Options{WebhookSecret: "app-secret"})
	body := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 1005})
	d, err := s.Deliver(context.Background(), hub.srv.URL, "acme-shopify", "app-secret", "orders/create", body)
	require.NoError(t, err)
	require.Equal(t, 200, d.Status)
	require.NoError(t, shopify.VerifyWebhook(hub.header[0], hub.body[0], "app-secret"))
	require.True(t, bytes.Equal(body, hub.body[0]))
	require.Equal(t, "acme.myshopify.com", hub.header[0].Get("X-Shopify-Shop-Domain"))

	id, err := s.AddOrder(body)
	require.NoError(t, err)
	s.AddSubscription("orders/paid", hub.srv.URL+"/a")
	s.AddSubscription("orders/paid", hub.srv.URL+"/b")
	s.AddSubscription("orders/create", hub.srv.URL+"/c")
	ds, err := s.Trigger(context.Background(), "orders/paid", id)
	require.NoError(t, err)
	require.Len(t, ds, 2)
	a, b := shopify.ParseDelivery(hub.header[1]), shopify.ParseDelivery(hub.header[2])
	require.Equal(t, a.EventID, b.EventID, "one event, two subscriptions")
	require.NotEqual(t, a.WebhookID, b.WebhookID)
	for i := 1; i <= 2; i++ {
		require.NoError(t, shopify.VerifyWebhook(hub.header[i], hub.body[i], "app-secret"))
		_, err := shopify.NormalizeOrder(hub.body[i])
		require.NoError(t, err)
	}
	_, err = s.Trigger(context.Background(), "orders/paid", 1)
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
}
