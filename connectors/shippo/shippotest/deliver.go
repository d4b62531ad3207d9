package shippotest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/shippo"
)

// HubURL is where orderhub takes a provider's callbacks,
// {hubURL}/webhooks/shippo/{providerID}, with ?token=secret when token
// auth is used (secret != "").
func HubURL(hubURL, providerID, secret string) string {
	u := strings.TrimRight(hubURL, "/") + "/webhooks/shippo/" + providerID
	if secret != "" {
		u += "?" + url.Values{shippo.TokenParam: {secret}}.Encode()
	}
	return u
}

// Envelope wraps data as Shippo's webhook body.
func Envelope(event string, data any) []byte {
	b, _ := json.Marshal(map[string]any{"event": event, "test": true, "data": data})
	return b
}

// Post sends one webhook body for event to the provider's callback URL on
// the hub, authenticated the way Options.Auth says: the URL token, or the
// Shippo-Auth-Signature HMAC (and no token).
func (s *Server) Post(ctx context.Context, hubURL, providerID, event string, body []byte) (fakeplatform.Delivery, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(shippo.HeaderEvent, event)
	target := HubURL(hubURL, providerID, s.o.WebhookSecret)
	if s.o.Auth == AuthHMAC {
		target = HubURL(hubURL, providerID, "")
		h.Set(shippo.HeaderSignature, shippo.SignHMAC(s.o.WebhookSecret, s.Clock(), body))
	}
	return fakeplatform.Post(ctx, s.o.HTTPClient, target, h, body)
}

// TrackUpdate moves a tracking number's track to status and posts
// track_updated with the track as data. It returns the answer and the
// body (post it again to redeliver).
func (s *Server) TrackUpdate(ctx context.Context, hubURL, providerID, number, status string) (fakeplatform.Delivery, []byte, error) {
	t, err := s.SetTrackStatus(number, status, "Status is "+strings.ToLower(status))
	if err != nil {
		return fakeplatform.Delivery{}, nil, err
	}
	body := Envelope(shippo.EventTrackUpdated, t)
	d, err := s.Post(ctx, hubURL, providerID, shippo.EventTrackUpdated, body)
	return d, body, err
}

// TransactionUpdate posts transaction_updated with the transaction as
// data (finish a QUEUED one with CompleteQueued first).
func (s *Server) TransactionUpdate(ctx context.Context, hubURL, providerID, id string) (fakeplatform.Delivery, error) {
	s.mu.Lock()
	t, ok := s.txs[id]
	var tx shippo.Transaction
	if ok {
		tx = t.tx
	}
	s.mu.Unlock()
	if !ok {
		return fakeplatform.Delivery{}, orderhub.Errorf(orderhub.ENotFound, "shippotest: no transaction %s", id)
	}
	return s.Post(ctx, hubURL, providerID, shippo.EventTransactionUpdated, Envelope(shippo.EventTransactionUpdated, tx))
}
