package bigcommercetest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
)

// CallbackBody returns the thin callback BigCommerce sends for scope about
// an order (or, for store/shipment/* scopes, a shipment of orderID):
// scope, store_id, data, a hash of the data (the same for every delivery of
// one event), created_at and producer.
func (s *Server) CallbackBody(scope string, orderID int64) []byte {
	data := map[string]any{"type": "order", "id": orderID}
	if strings.HasPrefix(scope, "store/shipment/") {
		data = map[string]any{"type": "shipment", "id": orderID*100 + 1, "orderId": orderID}
	}
	if scope == "store/order/statusUpdated" {
		s.mu.Lock()
		if o, ok := s.orders[orderID]; ok {
			st, _ := strconv.ParseInt(fakeplatform.JSONString(o.data["status_id"]), 10, 64)
			data["status"] = map[string]any{"previous_status_id": 0, "new_status_id": st}
		}
		s.mu.Unlock()
	}
	d, _ := json.Marshal(data)
	created := s.Clock().Unix()
	sum := sha1.Sum([]byte(scope + string(d) + strconv.FormatInt(created, 10)))
	b, _ := json.Marshal(map[string]any{
		"scope": scope, "store_id": s.o.StoreID, "data": json.RawMessage(d),
		"hash": hex.EncodeToString(sum[:]), "created_at": created, "producer": "stores/" + s.o.StoreHash,
	})
	return b
}

// DeliveryHeaders returns the headers of one callback of body: the
// Standard Webhooks signature under clientSecret (none when it is empty)
// and the custom headers of the hook.
func (s *Server) DeliveryHeaders(clientSecret string, body []byte, custom map[string]string) (http.Header, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if clientSecret != "" {
		sig, err := bigcommerce.SignHeaders(clientSecret, "msg_"+strings.ReplaceAll(uuid.NewString(), "-", ""), s.Clock(), body)
		if err != nil {
			return nil, err
		}
		h = sig
	}
	for k, v := range custom {
		h.Set(k, v)
	}
	return h, nil
}

// HubURL is where orderhub takes a shop's callbacks:
// {hubURL}/webhooks/bigcommerce/{shopID}.
func HubURL(hubURL, shopID string) string {
	return strings.TrimRight(hubURL, "/") + "/webhooks/bigcommerce/" + shopID
}

// Deliver sends one callback to the hub, as BigCommerce does: signed with
// secret (the app's client secret; "" sends no signature), with the custom
// headers of a hook of that scope pointed at the hub if there is one. topic
// is the scope. It returns the hub's answer.
func (s *Server) Deliver(ctx context.Context, hubURL, shopID, secret, topic string, body []byte) (fakeplatform.Delivery, error) {
	url := HubURL(hubURL, shopID)
	var custom map[string]string
	for _, h := range s.Subscriptions() {
		if h.Scope == topic && h.Destination == url {
			custom = h.Headers
			break
		}
	}
	hdr, err := s.DeliveryHeaders(secret, body, custom)
	if err != nil {
		return fakeplatform.Delivery{}, err
	}
	return fakeplatform.Post(ctx, s.o.HTTPClient, url, hdr, body)
}

// Trigger fires scope for a stored order: every active hook of that scope
// (or of its wildcard, e.g. store/order/*) gets the thin callback, signed
// with Options.ClientSecret and carrying the hook's headers. It returns the
// answers in hook order.
func (s *Server) Trigger(ctx context.Context, scope string, orderID int64) ([]fakeplatform.Delivery, error) {
	s.mu.Lock()
	_, ok := s.orders[orderID]
	s.mu.Unlock()
	if !ok {
		return nil, orderhub.Errorf(orderhub.ENotFound, "bigcommercetest: no order %d", orderID)
	}
	body := s.CallbackBody(scope, orderID)
	wildcard := scope[:strings.LastIndex(scope, "/")+1] + "*"
	if strings.HasPrefix(scope, "store/order/") {
		wildcard = "store/order/*"
	}
	var out []fakeplatform.Delivery
	for _, h := range s.Subscriptions() {
		if !h.IsActive || (h.Scope != scope && h.Scope != wildcard) {
			continue
		}
		hdr, err := s.DeliveryHeaders(s.o.ClientSecret, body, h.Headers)
		if err != nil {
			return out, err
		}
		d, err := fakeplatform.Post(ctx, s.o.HTTPClient, h.Destination, hdr, body)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}
