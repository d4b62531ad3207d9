package callbacks

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/connectors/easypost"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/connectors/supplier"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/store"
)

// ShipBobStatus is what a ShipBob event means for the fulfillment:
// order.shipped is shipped (its label was bought and scanned), a
// delivered topic delivered, an exception failed (ShipBob cannot fulfil
// it as is; the stock stays reserved for a retry), a cancellation
// cancelled (the stock is released). On-hold and tracking topics change
// no status ("" : tracking only).
func ShipBobStatus(k shipbob.EventKind) orderhub.FulfillmentStatus {
	switch k {
	case shipbob.KindShipped:
		return orderhub.FulfillmentShipped
	case shipbob.KindDelivered:
		return orderhub.FulfillmentDelivered
	case shipbob.KindException:
		return orderhub.FulfillmentFailed
	case shipbob.KindCancelled:
		return orderhub.FulfillmentCancelled
	}
	return ""
}

// EasyPostStatus is what a tracker status means: in_transit,
// out_for_delivery and available_for_pickup are shipped (the carrier has
// it), delivered delivered, return_to_sender, failure, cancelled and error
// failed; pre_transit and unknown change nothing (the label is bought,
// which made the fulfillment submitted already).
func EasyPostStatus(s string) orderhub.FulfillmentStatus {
	switch s {
	case easypost.TrackerInTransit, easypost.TrackerOutForDelivery, easypost.TrackerAvailableForPickup:
		return orderhub.FulfillmentShipped
	case easypost.TrackerDelivered:
		return orderhub.FulfillmentDelivered
	case easypost.TrackerReturnToSender, easypost.TrackerFailure, easypost.TrackerCancelled, easypost.TrackerError:
		return orderhub.FulfillmentFailed
	}
	return ""
}

// ShippoTrackStatus is what a Shippo track status means: TRANSIT is
// shipped, DELIVERED delivered, RETURNED and FAILURE failed; PRE_TRANSIT
// and UNKNOWN change nothing.
func ShippoTrackStatus(s string) orderhub.FulfillmentStatus {
	switch s {
	case shippo.TrackTransit:
		return orderhub.FulfillmentShipped
	case shippo.TrackDelivered:
		return orderhub.FulfillmentDelivered
	case shippo.TrackReturned, shippo.TrackFailure:
		return orderhub.FulfillmentFailed
	}
	return ""
}

// SupplierStatus is what a supplier update means: accepted is submitted,
// shipped shipped, delivered delivered, rejected failed (another source
// may take it) and cancelled cancelled.
func SupplierStatus(t string) orderhub.FulfillmentStatus {
	switch t {
	case supplier.TypeAccepted:
		return orderhub.FulfillmentSubmitted
	case supplier.TypeShipped:
		return orderhub.FulfillmentShipped
	case supplier.TypeDelivered:
		return orderhub.FulfillmentDelivered
	case supplier.TypeRejected:
		return orderhub.FulfillmentFailed
	case supplier.TypeCancelled:
		return orderhub.FulfillmentCancelled
	}
	return ""
}

// problem is the timeline note for a report that can leave a fulfillment
// where it is: a failure after the parcel left, an exception, a hold.
func problem(status orderhub.FulfillmentStatus, detail string) string {
	if status == orderhub.FulfillmentFailed || status == orderhub.FulfillmentCancelled || detail != "" {
		return strings.TrimSpace(fmt.Sprintf("reported %s %s", or(string(status), "a problem"), detail))
	}
	return ""
}

func or(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// ShipBob serves POST /webhooks/shipbob/{provider id}: Standard Webhooks
// signed with the provider's whsec_ secret, deduped on webhook-id, mapped
// to the fulfillment by reference_id (orderhub's fulfillment id) or, when
// the body has none, by ShipBob's order id.
func (h *Handler) ShipBob(w http.ResponseWriter, r *http.Request) {
	p, ok := h.provider(w, r, SourceShipBob)
	if !ok {
		return
	}
	log := h.log.With("platform", SourceShipBob, "provider", p.ID)
	body, release, err := h.readBody(w, r)
	defer release()
	if err != nil {
		reject(w, r, log, err)
		return
	}
	msg, err := shipbob.VerifyWebhook(r.Header, body, p.WebhookSecret, h.now())
	if err != nil {
		reject(w, r, log, err)
		return
	}
	topic := shipbob.TopicOf(r.Header)
	if topic == "" {
		reject(w, r, log, orderhub.Errorf(orderhub.EInvalid, "the delivery names no topic (%s or %s)", shipbob.HeaderTopic, shipbob.HeaderLegacyTopic))
		return
	}
	ev, err := shipbob.DecodeWebhook(topic, body)
	if err != nil {
		reject(w, r, log, err)
		return
	}
	if ev.Kind == shipbob.KindOther {
		httpjson.Write(w, http.StatusOK, Response{Status: StatusIgnored, Reason: "topic " + topic + " does not concern fulfillments"})
		return
	}
	status := ShipBobStatus(ev.Kind)
	locate := byID(ev.ReferenceID)
	if ev.OrderID != 0 {
		locate = firstOf(locate, byRef(store.FindFulfillmentParams{SourceKind: orderhub.Source3PL, ExternalID: strconv.FormatInt(ev.OrderID, 10)}))
	}
	detail := ev.Detail
	if ev.Kind == shipbob.KindOnHold {
		detail = strings.TrimSpace("on hold " + detail)
	}
	h.finish(w, r, log, change{source: SourceShipBob, sourceID: p.ID, eventID: msg.ID, topic: topic, locate: locate,
		progress: allocator.Progress{Status: status, Carrier: ev.Carrier, TrackingNumber: ev.Tracking, TrackingURL: ev.TrackingURL,
			Actor: p.ID, Note: strings.TrimSpace("ShipBob " + topic + " " + detail)},
		problem: problem(status, detail)})
}

// EasyPost serves POST /webhooks/easypost/{provider id}: X-Hmac-Signature
// with the NFKD-normalised secret, deduped on the Event id; tracker events
// map to the fulfillment by shipment id (its external id) or tracking
// code. Other events are answered 200 "ignored".
func (h *Handler) EasyPost(w http.ResponseWriter, r *http.Request) {
	p, ok := h.provider(w, r, SourceEasyPost)
	if !ok {
		return
	}
	log := h.log.With("platform", SourceEasyPost, "provider", p.ID)
	body, release, err := h.readBody(w, r)
	defer release()
	if err != nil {
		reject(w, r, log, err)
		return
	}
	if err := easypost.VerifyWebhook(r.Header, body, p.WebhookSecret); err != nil {
		reject(w, r, log, err)
		return
	}
	ev, err := easypost.DecodeEvent(body)
	if err != nil {
		reject(w, r, log, err)
		return
	}
	if ev.Tracker == nil {
		httpjson.Write(w, http.StatusOK, Response{Status: StatusIgnored, Reason: "event " + ev.Description + " does not concern fulfillments"})
		return
	}
	t := ev.Tracker
	status := EasyPostStatus(t.Status)
	detail := t.StatusDetail
	if status != orderhub.FulfillmentFailed {
		detail = ""
	}
	h.finish(w, r, log, change{source: SourceEasyPost, sourceID: p.ID, eventID: ev.ID, topic: ev.Description,
		locate: byRef(store.FindFulfillmentParams{SourceKind: orderhub.SourceWarehouse, ExternalID: t.ShipmentID, TrackingNumber: t.TrackingCode}),
		progress: allocator.Progress{Status: status, Carrier: t.Carrier, TrackingNumber: t.TrackingCode, TrackingURL: t.PublicURL, Actor: p.ID,
			Note: "EasyPost tracker " + t.Status},
		problem: problem(status, detail)})
}

// Shippo serves POST /webhooks/shippo/{provider id}, authenticated by URL
// token or HMAC as the provider is configured. The body only names the
// object: the transaction or track is re-fetched from Shippo and the
// fetched one is acted on. The dedupe key is the object and its state
// (transaction id and status; track and status object id), so a repeated
// report of the same state is a duplicate.
func (h *Handler) Shippo(w http.ResponseWriter, r *http.Request) {
	p, ok := h.provider(w, r, SourceShippo)
	if !ok {
		return
	}
	log := h.log.With("platform", SourceShippo, "provider", p.ID)
	body, release, err := h.readBody(w, r)
	defer release()
	if err != nil {
		reject(w, r, log, err)
		return
	}
	if p.Auth == "hmac" {
		err = shippo.VerifyHMAC(r.Header, body, p.WebhookSecret, h.now(), 0)
	} else {
		err = shippo.VerifyToken(r.URL.Query().Get(shippo.TokenParam), p.WebhookSecret)
	}
	if err != nil {
		reject(w, r, log, err)
		return
	}
	hook, err := shippo.DecodeWebhook(body)
	if err != nil {
		reject(w, r, log, err)
		return
	}
	api := h.shippo[p.ID]
	var c change
	switch hook.Event {
	case shippo.EventTransactionCreated, shippo.EventTransactionUpdated:
		c, err = h.shippoTransaction(r.Context(), api, p, hook)
	case shippo.EventTrackUpdated:
		c, err = h.shippoTrack(r.Context(), api, p, hook)
	default:
		httpjson.Write(w, http.StatusOK, Response{Status: StatusIgnored, Reason: "event " + hook.Event + " does not concern fulfillments"})
		return
	}
	switch {
	case orderhub.ErrorCode(err) == orderhub.ENotFound:
		httpjson.Write(w, http.StatusOK, Response{Status: StatusIgnored, Reason: "Shippo does not know the object the callback names"})
		return
	case err != nil:
		// Our fault (an outage, our credentials): 503, and Shippo retries.
		log.WarnContext(r.Context(), "shippo re-fetch failed", "err", err)
		httpjson.Error(w, r, nil, orderhub.WrapError(orderhub.EUnavailable, err, "the object could not be re-fetched from Shippo; retry later"))
		return
	case c.locate == nil:
		httpjson.Write(w, http.StatusOK, Response{Status: StatusIgnored, Reason: c.topic})
		return
	}
	h.finish(w, r, log, c)
}

func (h *Handler) shippoTransaction(ctx context.Context, api ShippoAPI, p Provider, hook shippo.Webhook) (change, error) {
	tx, err := api.GetTransaction(ctx, hook.TransactionID)
	if err != nil {
		return change{}, err
	}
	var status orderhub.FulfillmentStatus
	var prob string
	switch tx.Status {
	case shippo.TxSuccess:
		status = orderhub.FulfillmentSubmitted
	case shippo.TxError:
		status, prob = orderhub.FulfillmentFailed, "label failed: "+or(tx.Problem(), "no reason given")
	default:
		return change{topic: "transaction " + tx.ObjectID + " is " + tx.Status + "; nothing to apply yet"}, nil
	}
	return change{source: SourceShippo, sourceID: p.ID, eventID: "transaction:" + tx.ObjectID + ":" + tx.Status, topic: hook.Event,
		locate: byID(tx.Metadata),
		progress: allocator.Progress{Status: status, TrackingNumber: tx.TrackingNumber, TrackingURL: tx.TrackingURLProvider, LabelURL: tx.LabelURL,
			Actor: p.ID, Note: or(prob, "Shippo label "+tx.ObjectID+" is ready")},
		problem: prob}, nil
}

func (h *Handler) shippoTrack(ctx context.Context, api ShippoAPI, p Provider, hook shippo.Webhook) (change, error) {
	t, err := api.GetTrack(ctx, hook.Carrier, hook.TrackingNumber)
	if err != nil {
		return change{}, err
	}
	status := ShippoTrackStatus(t.Status())
	state := t.Status()
	detail := ""
	if t.TrackingStatus != nil {
		state += ":" + or(t.TrackingStatus.ObjectID, t.TrackingStatus.StatusDate)
		detail = t.TrackingStatus.StatusDetails
	}
	number := or(t.TrackingNumber, hook.TrackingNumber)
	locate := byRef(store.FindFulfillmentParams{SourceKind: orderhub.SourceWarehouse, TrackingNumber: number})
	if t.Metadata != "" {
		locate = firstOf(byID(t.Metadata), locate)
	}
	if status != orderhub.FulfillmentFailed {
		detail = ""
	}
	return change{source: SourceShippo, sourceID: p.ID, eventID: "track:" + strings.ToLower(hook.Carrier) + ":" + number + ":" + state, topic: hook.Event,
		locate:   locate,
		progress: allocator.Progress{Status: status, Carrier: strings.ToUpper(or(t.Carrier, hook.Carrier)), TrackingNumber: number, Actor: p.ID, Note: "Shippo track " + t.Status()},
		problem:  problem(status, detail)}, nil
}

// Supplier serves POST /webhooks/supplier/{supplier id}: Standard Webhooks
// signed with the supplier's delivery secret, deduped on webhook-id, about
// the purchase order whose id is orderhub's fulfillment id. A purchase
// order that is not this supplier's is 404: the supplier sent a wrong id.
func (h *Handler) Supplier(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	s, ok := h.suppliers[id]
	if !ok {
		httpjson.Error(w, r, nil, orderhub.Errorf(orderhub.ENotFound, "no supplier %q is configured", id))
		return
	}
	log := h.log.With("platform", SourceSupplier, "supplier", s.ID)
	body, release, err := h.readBody(w, r)
	defer release()
	if err != nil {
		reject(w, r, log, err)
		return
	}
	msg, err := supplier.VerifyCallback(r.Header, body, s.Secret, h.now())
	if err != nil {
		reject(w, r, log, err)
		return
	}
	u, err := supplier.DecodeCallback(body)
	if err != nil {
		reject(w, r, log, err)
		return
	}
	status := SupplierStatus(u.Type)
	c := change{source: SourceSupplier, sourceID: s.ID, eventID: msg.ID, topic: u.Type, locate: byID(u.PurchaseOrderID),
		progress: allocator.Progress{Status: status, Carrier: u.Carrier, TrackingNumber: u.TrackingNumber, TrackingURL: u.TrackingURL, Actor: s.ID,
			Note: strings.TrimSpace("supplier " + u.Type + " " + u.Note)},
		problem: problem(status, u.Note)}
	resp, err := h.apply(r.Context(), c)
	switch {
	case err != nil:
		h.finishErr(w, r, log, c, err)
	case resp.Status == StatusIgnored:
		httpjson.Error(w, r, nil, orderhub.Errorf(orderhub.ENotFound, "supplier %s has no purchase order %q", s.ID, u.PurchaseOrderID))
	default:
		httpjson.Write(w, http.StatusOK, resp)
	}
}

// finishErr answers a callback whose change failed: 409 for a concurrent
// change, 503 for an outage, 500 otherwise; the sender retries.
func (h *Handler) finishErr(w http.ResponseWriter, r *http.Request, log *slog.Logger, c change, err error) {
	code := orderhub.ErrorCode(err)
	switch {
	case store.IsStorageFailure(err): // full, failing or unreachable: 503 with Retry-After
		err = orderhub.WrapError(orderhub.EUnavailable, err, "the callback could not be stored now; retry later")
	case code != orderhub.EConflict && code != orderhub.EUnavailable:
		err = orderhub.WrapError(orderhub.EInternal, err, "callback could not be applied")
	}
	log.ErrorContext(r.Context(), "callback not applied", "err", err, "event", c.eventID)
	httpjson.Error(w, r, nil, err)
}
