package shopify

// Write-back through the Admin GraphQL API: fulfillments with tracking on
// the order's fulfillment orders, later tracking changes, and notes
// appended to the order's note.
//
// Exactly once. A fulfillment is created by fulfillmentCreate, whose answer
// carries its id; orderhub stores that id with its own fulfillment. The
// answer can be lost (a timeout, a crash before the id is saved), and a
// blind retry would then fulfil the same units twice or fail. So before
// creating, the Writer reads the order's fulfillments and adopts one that
// is already ours:
//
//  1. one carrying our tracking number (Shopify echoes trackingInfo back);
//  2. otherwise, when the fulfillment orders no longer hold enough
//     unfulfilled units for our lines (someone fulfilled them: us, before
//     the answer was lost, or the merchant), one whose line items are
//     exactly ours and that no other orderhub fulfillment of the order has
//     claimed. Shopify itself refuses to fulfil a unit twice, so this
//     never hides a duplicate; it only finds the id to store.
//
// Notes: Shopify has no API to write the order timeline, and orderUpdate's
// note overwrites, so a note is read, appended to and written back. Each
// orderhub note starts with a marker line "[orderhub KEY]": a note whose
// marker is already there is not added again, and after writing the note
// is read again, so a concurrent writer that overwrote ours is noticed and
// the append is retried.

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/orderhub/orderhub"
)

// OrderGID returns the GraphQL id of an order from its numeric id; a gid is
// returned unchanged.
func OrderGID(id string) string {
	if strings.HasPrefix(id, "gid://") {
		return id
	}
	return "gid://shopify/Order/" + id
}

// LineItemGID returns the GraphQL id of an order line item.
func LineItemGID(id string) string {
	if strings.HasPrefix(id, "gid://") {
		return id
	}
	return "gid://shopify/LineItem/" + id
}

// TrackingInfo is a fulfillment's tracking.
type TrackingInfo struct {
	Company string `json:"company,omitempty"`
	Number  string `json:"number,omitempty"`
	URL     string `json:"url,omitempty"`
}

// FulfillmentOrderLineItem is a line of a fulfillment order: its own id
// (what fulfilling needs) and the order line item it stands for.
type FulfillmentOrderLineItem struct {
	ID         string // gid://shopify/FulfillmentOrderLineItem/...
	LineItemID string // gid://shopify/LineItem/...
	Remaining  int64
	Total      int64
}

// FulfillmentOrder is a group of an order's line items to be fulfilled
// from one location.
type FulfillmentOrder struct {
	ID        string
	Status    string   // OPEN, IN_PROGRESS, CLOSED, ...
	Actions   []string // supported actions, e.g. CREATE_FULFILLMENT
	LineItems []FulfillmentOrderLineItem
}

// CanFulfil reports whether a fulfillment can be created on it.
func (f FulfillmentOrder) CanFulfil() bool {
	switch f.Status {
	case "CLOSED", "CANCELLED", "INCOMPLETE", "ON_HOLD", "SCHEDULED":
		return false
	}
	if len(f.Actions) == 0 {
		return true // an answer without the field: let Shopify decide
	}
	for _, a := range f.Actions {
		if a == "CREATE_FULFILLMENT" {
			return true
		}
	}
	return false
}

// FulfilledLine is a quantity of an order line item in a fulfillment.
type FulfilledLine struct {
	LineItemID string
	Quantity   int64
}

// Fulfillment is a fulfillment of the order on Shopify.
type Fulfillment struct {
	ID       string // gid://shopify/Fulfillment/...
	Status   string // SUCCESS, CANCELLED, ...
	Tracking []TrackingInfo
	Lines    []FulfilledLine
}

// HasTrackingNumber reports whether number is among its tracking numbers.
func (f Fulfillment) HasTrackingNumber(number string) bool {
	for _, t := range f.Tracking {
		if number != "" && strings.EqualFold(strings.TrimSpace(t.Number), strings.TrimSpace(number)) {
			return true
		}
	}
	return false
}

// FulfillmentState is what write-back reads of an order before acting.
type FulfillmentState struct {
	OrderID           string
	Note              string
	FulfillmentOrders []FulfillmentOrder
	Fulfillments      []Fulfillment
}

const fulfillmentStateQuery = `query WriteBackState($id: ID!) {
  order(id: $id) {
    id
    note
    fulfillmentOrders(first: 50) {
      nodes {
        id
        status
        supportedActions { action }
        lineItems(first: 250) { nodes { id remainingQuantity totalQuantity lineItem { id } } }
      }
    }
    fulfillments(first: 250) {
      id
      status
      trackingInfo(first: 10) { company number url }
      fulfillmentLineItems(first: 250) { nodes { quantity lineItem { id } } }
    }
  }
}`

type gqlFulfillment struct {
	ID                   string         `json:"id"`
	Status               string         `json:"status"`
	TrackingInfo         []TrackingInfo `json:"trackingInfo"`
	FulfillmentLineItems struct {
		Nodes []struct {
			Quantity jsonInt `json:"quantity"`
			LineItem struct {
				ID string `json:"id"`
			} `json:"lineItem"`
		} `json:"nodes"`
	} `json:"fulfillmentLineItems"`
}

func (g gqlFulfillment) fulfillment() Fulfillment {
	f := Fulfillment{ID: g.ID, Status: g.Status, Tracking: g.TrackingInfo}
	for _, n := range g.FulfillmentLineItems.Nodes {
		f.Lines = append(f.Lines, FulfilledLine{LineItemID: n.LineItem.ID, Quantity: int64(n.Quantity)})
	}
	return f
}

// jsonInt decodes a JSON number or numeric string as an int64.
type jsonInt int64

func (j *jsonInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*j = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	*j = jsonInt(n)
	return nil
}

// FulfillmentState reads an order's note, fulfillment orders and
// fulfillments. An unknown order is NotFound.
func (c *Client) FulfillmentState(ctx context.Context, orderID string) (FulfillmentState, error) {
	var data struct {
		Order *struct {
			ID                string  `json:"id"`
			Note              *string `json:"note"`
			FulfillmentOrders struct {
				Nodes []struct {
					ID               string `json:"id"`
					Status           string `json:"status"`
					SupportedActions []struct {
						Action string `json:"action"`
					} `json:"supportedActions"`
					LineItems struct {
						Nodes []struct {
							ID                string  `json:"id"`
							RemainingQuantity jsonInt `json:"remainingQuantity"`
							TotalQuantity     jsonInt `json:"totalQuantity"`
							LineItem          struct {
								ID string `json:"id"`
							} `json:"lineItem"`
						} `json:"nodes"`
					} `json:"lineItems"`
				} `json:"nodes"`
			} `json:"fulfillmentOrders"`
			Fulfillments []gqlFulfillment `json:"fulfillments"`
		} `json:"order"`
	}
	gid := OrderGID(orderID)
	if err := c.GraphQL(ctx, fulfillmentStateQuery, map[string]any{"id": gid}, &data); err != nil {
		return FulfillmentState{}, err
	}
	if data.Order == nil {
		return FulfillmentState{}, orderhub.Errorf(orderhub.ENotFound, "shopify order %s not found", gid)
	}
	st := FulfillmentState{OrderID: data.Order.ID}
	if data.Order.Note != nil {
		st.Note = *data.Order.Note
	}
	for _, n := range data.Order.FulfillmentOrders.Nodes {
		fo := FulfillmentOrder{ID: n.ID, Status: strings.ToUpper(n.Status)}
		for _, a := range n.SupportedActions {
			fo.Actions = append(fo.Actions, strings.ToUpper(a.Action))
		}
		for _, l := range n.LineItems.Nodes {
			fo.LineItems = append(fo.LineItems, FulfillmentOrderLineItem{ID: l.ID, LineItemID: l.LineItem.ID,
				Remaining: int64(l.RemainingQuantity), Total: int64(l.TotalQuantity)})
		}
		st.FulfillmentOrders = append(st.FulfillmentOrders, fo)
	}
	for _, f := range data.Order.Fulfillments {
		st.Fulfillments = append(st.Fulfillments, f.fulfillment())
	}
	return st, nil
}

// FulfillmentOrderItems are the line items to fulfil of one fulfillment
// order.
type FulfillmentOrderItems struct {
	FulfillmentOrderID string
	Items              []FulfillmentOrderItem
}

// FulfillmentOrderItem is a quantity of one fulfillment order line item.
type FulfillmentOrderItem struct {
	ID       string // the fulfillment order line item's id
	Quantity int64
}

// FulfillmentInput is what fulfillmentCreate takes.
type FulfillmentInput struct {
	LineItems      []FulfillmentOrderItems
	Tracking       TrackingInfo
	NotifyCustomer bool
}

const createFulfillmentMutation = `mutation CreateFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}`

// CreateFulfillment creates one fulfillment (fulfillmentCreate). It is not
// idempotent, so it is not retried after a failure that may have followed
// its effect; Writer.WriteFulfillment checks for an existing one first.
func (c *Client) CreateFulfillment(ctx context.Context, in FulfillmentInput) (Fulfillment, error) {
	groups := make([]any, 0, len(in.LineItems))
	for _, g := range in.LineItems {
		items := make([]any, 0, len(g.Items))
		for _, it := range g.Items {
			items = append(items, map[string]any{"id": it.ID, "quantity": it.Quantity})
		}
		groups = append(groups, map[string]any{"fulfillmentOrderId": g.FulfillmentOrderID, "fulfillmentOrderLineItems": items})
	}
	input := map[string]any{"lineItemsByFulfillmentOrder": groups, "notifyCustomer": in.NotifyCustomer}
	if in.Tracking != (TrackingInfo{}) {
		input["trackingInfo"] = in.Tracking
	}
	var data struct {
		FulfillmentCreate struct {
			Fulfillment *gqlFulfillment `json:"fulfillment"`
			UserErrors  []UserError     `json:"userErrors"`
		} `json:"fulfillmentCreate"`
	}
	if err := c.graphQL(ctx, createFulfillmentMutation, map[string]any{"fulfillment": input}, &data, true); err != nil {
		return Fulfillment{}, err
	}
	if err := userErrors("fulfillmentCreate", data.FulfillmentCreate.UserErrors); err != nil {
		return Fulfillment{}, err
	}
	if data.FulfillmentCreate.Fulfillment == nil {
		return Fulfillment{}, orderhub.Errorf(orderhub.EUnavailable, "shopify fulfillmentCreate: no fulfillment in the answer")
	}
	return data.FulfillmentCreate.Fulfillment.fulfillment(), nil
}

const updateTrackingMutation = `mutation UpdateTracking($fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!, $notifyCustomer: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput, notifyCustomer: $notifyCustomer) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}`

// UpdateTracking sets a fulfillment's tracking
// (fulfillmentTrackingInfoUpdate). Setting the same tracking again changes
// nothing.
func (c *Client) UpdateTracking(ctx context.Context, fulfillmentID string, t TrackingInfo, notifyCustomer bool) (Fulfillment, error) {
	var data struct {
		Update struct {
			Fulfillment *gqlFulfillment `json:"fulfillment"`
			UserErrors  []UserError     `json:"userErrors"`
		} `json:"fulfillmentTrackingInfoUpdate"`
	}
	vars := map[string]any{"fulfillmentId": fulfillmentID, "trackingInfoInput": t, "notifyCustomer": notifyCustomer}
	if err := c.GraphQL(ctx, updateTrackingMutation, vars, &data); err != nil {
		return Fulfillment{}, err
	}
	if err := userErrors("fulfillmentTrackingInfoUpdate", data.Update.UserErrors); err != nil {
		return Fulfillment{}, err
	}
	if data.Update.Fulfillment == nil {
		return Fulfillment{}, orderhub.Errorf(orderhub.EUnavailable, "shopify fulfillmentTrackingInfoUpdate: no fulfillment in the answer")
	}
	return data.Update.Fulfillment.fulfillment(), nil
}

const orderNoteQuery = `query OrderNote($id: ID!) { order(id: $id) { id note } }`

// OrderNote returns an order's note ("" when it has none).
func (c *Client) OrderNote(ctx context.Context, orderID string) (string, error) {
	var data struct {
		Order *struct {
			Note *string `json:"note"`
		} `json:"order"`
	}
	gid := OrderGID(orderID)
	if err := c.GraphQL(ctx, orderNoteQuery, map[string]any{"id": gid}, &data); err != nil {
		return "", err
	}
	if data.Order == nil {
		return "", orderhub.Errorf(orderhub.ENotFound, "shopify order %s not found", gid)
	}
	if data.Order.Note == nil {
		return "", nil
	}
	return *data.Order.Note, nil
}

const setOrderNoteMutation = `mutation SetOrderNote($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id note }
    userErrors { field message }
  }
}`

// SetOrderNote replaces an order's note (orderUpdate). It overwrites: read
// the note first and append, as Writer.AddNote does.
func (c *Client) SetOrderNote(ctx context.Context, orderID, note string) error {
	var data struct {
		OrderUpdate struct {
			UserErrors []UserError `json:"userErrors"`
		} `json:"orderUpdate"`
	}
	vars := map[string]any{"input": map[string]any{"id": OrderGID(orderID), "note": note}}
	if err := c.GraphQL(ctx, setOrderNoteMutation, vars, &data); err != nil {
		return err
	}
	return userErrors("orderUpdate", data.OrderUpdate.UserErrors)
}

// NoteMarker is the line that starts every orderhub note with key, so the
// note is recognised when it is already there.
func NoteMarker(key string) string { return "[orderhub " + key + "]" }

// maxNoteText caps one appended note.
const maxNoteText = 1000

// AppendNote returns note with "[orderhub key] text" appended on a line of
// its own.
func AppendNote(note, key, text string) string {
	text = strings.TrimSpace(text)
	if r := []rune(text); len(r) > maxNoteText {
		text = string(r[:maxNoteText-1]) + "…"
	}
	line := NoteMarker(key) + " " + text
	note = strings.TrimRight(note, "\n ")
	if note == "" {
		return line
	}
	return note + "\n" + line
}

// Writer writes orderhub's fulfillments and notes back to one shop.
type Writer struct {
	Client *Client
	// NotifyCustomer lets Shopify send its own shipping confirmation;
	// off by default because orderhub sends the shipment notice itself.
	NotifyCustomer bool
}

// WriteFulfillment makes the order on Shopify show f as fulfilled with its
// tracking, once: it updates the tracking of the fulfillment f is written
// as (f.PlatformID), adopts one that already exists (see the file
// comment), or creates it. siblings are the order's other fulfillments,
// whose platform ids are not to be adopted. It returns the fulfillment's
// gid, to store as f.PlatformID.
func (w *Writer) WriteFulfillment(ctx context.Context, o orderhub.Order, f orderhub.Fulfillment, siblings []orderhub.Fulfillment) (string, error) {
	tracking := TrackingInfo{Company: f.Carrier, Number: f.TrackingNumber, URL: f.TrackingURL}
	if f.PlatformID != "" {
		if f.TrackingNumber == "" {
			return f.PlatformID, nil
		}
		if _, err := w.Client.UpdateTracking(ctx, f.PlatformID, tracking, w.NotifyCustomer); err != nil {
			return "", fmt.Errorf("update tracking of %s: %w", f.PlatformID, err)
		}
		return f.PlatformID, nil
	}
	want, err := wantedLines(o, f)
	if err != nil {
		return "", err
	}
	st, err := w.Client.FulfillmentState(ctx, o.ExternalID)
	if err != nil {
		return "", err
	}
	claimed := map[string]bool{}
	for _, s := range siblings {
		if s.ID != f.ID && s.PlatformID != "" {
			claimed[s.PlatformID] = true
		}
	}
	live := func(x Fulfillment) bool {
		return !claimed[x.ID] && x.Status != "CANCELLED" && x.Status != "ERROR" && x.Status != "FAILURE"
	}

	// 1. Ours, by tracking number.
	if f.TrackingNumber != "" {
		for _, x := range st.Fulfillments {
			if live(x) && x.HasTrackingNumber(f.TrackingNumber) {
				return w.adopt(ctx, x, tracking)
			}
		}
	}
	// 2. Create when the units are still to fulfil.
	groups, short := allocateLines(st.FulfillmentOrders, want)
	if !short {
		created, err := w.Client.CreateFulfillment(ctx, FulfillmentInput{LineItems: groups, Tracking: tracking, NotifyCustomer: w.NotifyCustomer})
		if err != nil {
			return "", err
		}
		return created.ID, nil
	}
	// 3. They were fulfilled already: find the fulfillment that did it.
	for i := len(st.Fulfillments) - 1; i >= 0; i-- {
		x := st.Fulfillments[i]
		if live(x) && sameLines(x.Lines, want) {
			return w.adopt(ctx, x, tracking)
		}
	}
	return "", orderhub.Errorf(orderhub.EConflict,
		"shopify order %s: the items of fulfillment %s are no longer open to fulfil, and no fulfillment on Shopify has exactly them", o.ExternalID, f.ID)
}

// adopt takes an existing fulfillment as ours, bringing its tracking up to
// date.
func (w *Writer) adopt(ctx context.Context, x Fulfillment, t TrackingInfo) (string, error) {
	if t.Number != "" {
		current := false
		for _, have := range x.Tracking {
			if have.Number == t.Number && (t.Company == "" || have.Company == t.Company) && (t.URL == "" || have.URL == t.URL) {
				current = true
			}
		}
		if !current {
			if _, err := w.Client.UpdateTracking(ctx, x.ID, t, w.NotifyCustomer); err != nil {
				return "", fmt.Errorf("update tracking of %s: %w", x.ID, err)
			}
		}
	}
	return x.ID, nil
}

// wantedLines maps a fulfillment's lines to Shopify line item gids.
func wantedLines(o orderhub.Order, f orderhub.Fulfillment) (map[string]int64, error) {
	ext := map[string]string{}
	for _, l := range o.Lines {
		ext[l.ID] = l.ExternalID
	}
	want := map[string]int64{}
	for _, fl := range f.Lines {
		id := ext[fl.LineID]
		if id == "" {
			return nil, orderhub.Errorf(orderhub.EInvalid, "fulfillment %s: line %s has no Shopify line item id", f.ID, fl.LineID)
		}
		want[LineItemGID(id)] += fl.Quantity
	}
	if len(want) == 0 {
		return nil, orderhub.Errorf(orderhub.EInvalid, "fulfillment %s has no lines to write back", f.ID)
	}
	return want, nil
}

// allocateLines takes the wanted quantities from the fulfillment orders'
// open line items, in Shopify's order. short is true when they do not hold
// enough.
func allocateLines(fos []FulfillmentOrder, want map[string]int64) ([]FulfillmentOrderItems, bool) {
	left := map[string]int64{}
	for k, v := range want {
		left[k] = v
	}
	var out []FulfillmentOrderItems
	for _, fo := range fos {
		if !fo.CanFulfil() {
			continue
		}
		g := FulfillmentOrderItems{FulfillmentOrderID: fo.ID}
		for _, li := range fo.LineItems {
			n := min(left[li.LineItemID], li.Remaining)
			if n <= 0 {
				continue
			}
			left[li.LineItemID] -= n
			g.Items = append(g.Items, FulfillmentOrderItem{ID: li.ID, Quantity: n})
		}
		if len(g.Items) > 0 {
			out = append(out, g)
		}
	}
	for _, n := range left {
		if n > 0 {
			return nil, true
		}
	}
	return out, false
}

func sameLines(lines []FulfilledLine, want map[string]int64) bool {
	got := map[string]int64{}
	for _, l := range lines {
		got[l.LineItemID] += l.Quantity
	}
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// AddNote appends "[orderhub key] text" to the order's note unless a note
// with that marker is there already. Because orderUpdate overwrites, it
// reads the note back after writing and tries again, up to three times,
// when a concurrent writer dropped the line.
func (w *Writer) AddNote(ctx context.Context, o orderhub.Order, key, text string) error {
	marker := NoteMarker(key)
	for range 3 {
		note, err := w.Client.OrderNote(ctx, o.ExternalID)
		if err != nil {
			return err
		}
		if strings.Contains(note, marker) {
			return nil
		}
		if err := w.Client.SetOrderNote(ctx, o.ExternalID, AppendNote(note, key, text)); err != nil {
			return err
		}
		after, err := w.Client.OrderNote(ctx, o.ExternalID)
		if err != nil {
			return err
		}
		if strings.Contains(after, marker) {
			return nil
		}
	}
	return orderhub.Errorf(orderhub.EConflict, "shopify order %s: note %s was overwritten by another writer three times", o.ExternalID, marker)
}
