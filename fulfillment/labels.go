package fulfillment

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
)

// Label rules: which rate a warehouse buys.
const (
	RuleCheapest = "cheapest" // the lowest price; ties go to the fewer days
	RuleFastest  = "fastest"  // the fewest delivery days; ties go to the lower price
)

// Labels is one label account (an EasyPost or Shippo provider) as the
// warehouse executor needs it.
type Labels interface {
	// CreateShipment rates a parcel from one address to another; the
	// shipment is tagged with the fulfillment id (Reference), and a
	// repeated call for the same reference (a lost answer) must not make a
	// second shipment.
	CreateShipment(ctx context.Context, r ShipmentRequest) (Shipment, error)
	// GetShipment returns a shipment created before, with its rates and,
	// when the provider keeps it there, the label bought on it.
	GetShipment(ctx context.Context, id string) (Shipment, error)
	// FindLabel returns a label already bought for the fulfillment
	// (reference) on shipment s, or since the fulfillment was created:
	// what a job resuming after a crash must find before it buys.
	FindLabel(ctx context.Context, s Shipment, reference string, since time.Time) (Label, bool, error)
	// BuyLabel buys rate on shipment s for the fulfillment, never buying a
	// second label for it, and returns the label, possibly still pending.
	BuyLabel(ctx context.Context, s Shipment, rate Rate, reference string, since time.Time) (Label, error)
}

// ShipmentRequest is a parcel to rate.
type ShipmentRequest struct {
	Reference string    // the fulfillment id
	Since     time.Time // the fulfillment's creation: no shipment of it is older
	From, To  orderhub.Address
	Email     string // the customer's, for carrier notices
	Parcel    Parcel
}

// Parcel is one box: inches and ounces.
type Parcel struct {
	LengthIn, WidthIn, HeightIn float64
	WeightOz                    float64
}

// DefaultParcel is what a fulfillment is rated as: orderhub holds no
// product dimensions or weights, so it assumes a 10×8×4 in box and 1 lb
// per unit (16 oz; at least one unit). Set WarehouseExecutor.Parcel to
// rate real boxes.
func DefaultParcel(f orderhub.Fulfillment) Parcel {
	var units int64
	for _, l := range f.Lines {
		units += l.Quantity
	}
	return Parcel{LengthIn: 10, WidthIn: 8, HeightIn: 4, WeightOz: 16 * float64(max(units, 1))}
}

// Shipment is a rated shipment at a label provider.
type Shipment struct {
	ID    string
	Rates []Rate
	Label *Label // the label bought on it, when the provider says so here
}

// Rate is one offer.
type Rate struct {
	ID           string
	Carrier      string
	Service      string
	Amount       orderhub.Money
	DeliveryDays int // 0 when the provider gives no estimate
}

// String describes a rate for the timeline: carrier, service, price, days.
func (r Rate) String() string {
	s := strings.TrimSpace(r.Carrier + " " + r.Service)
	if r.Amount.Currency != "" {
		s += " " + r.Amount.String() + " " + r.Amount.Currency
	}
	if r.DeliveryDays > 0 {
		s += fmt.Sprintf(", %d day(s)", r.DeliveryDays)
	}
	return s
}

// LabelStatus is where a label purchase stands.
type LabelStatus string

// Label statuses.
const (
	LabelReady   LabelStatus = "ready"   // bought: tracking number and label
	LabelPending LabelStatus = "pending" // accepted, being processed (Shippo QUEUED)
	LabelFailed  LabelStatus = "failed"  // the provider or carrier refused it
)

// Label is a bought (or pending, or failed) label.
type Label struct {
	ID             string
	Status         LabelStatus
	Carrier        string
	TrackingNumber string
	TrackingURL    string
	LabelURL       string
	Problem        string // why it failed
}

// ChooseRate picks the rate rule asks for: cheapest (the default) or
// fastest. Ties are broken by the other criterion, then by carrier and
// service, so the choice is stable. Rates in another currency than the
// first rate's are compared only among themselves last; a rate without a
// day estimate is never the fastest while one with an estimate exists.
func ChooseRate(rates []Rate, rule string) (Rate, error) {
	if len(rates) == 0 {
		return Rate{}, orderhub.Errorf(orderhub.EInvalid, "the provider offered no rates")
	}
	if rule == "" {
		rule = RuleCheapest
	}
	if rule != RuleCheapest && rule != RuleFastest {
		return Rate{}, orderhub.Errorf(orderhub.EInvalid, "shipping rule %q is not one of cheapest, fastest", rule)
	}
	cur := rates[0].Amount.Currency
	rs := append([]Rate(nil), rates...)
	days := func(r Rate) int {
		if r.DeliveryDays <= 0 {
			return 1 << 30
		}
		return r.DeliveryDays
	}
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if (a.Amount.Currency == cur) != (b.Amount.Currency == cur) {
			return a.Amount.Currency == cur
		}
		price := func() (bool, bool) { return a.Amount.Amount < b.Amount.Amount, a.Amount.Amount != b.Amount.Amount }
		speed := func() (bool, bool) { return days(a) < days(b), days(a) != days(b) }
		first, second := price, speed
		if rule == RuleFastest {
			first, second = speed, price
		}
		if less, differ := first(); differ {
			return less
		}
		if less, differ := second(); differ {
			return less
		}
		if a.Carrier != b.Carrier {
			return a.Carrier < b.Carrier
		}
		return a.Service < b.Service
	})
	return rs[0], nil
}

// Site is an own warehouse that buys labels.
type Site struct {
	ID       string
	Address  orderhub.Address // where parcels ship from
	Provider string           // the label account's provider id
	Rule     string           // cheapest (default) or fastest
}

// WarehouseExecutor buys a label for a fulfillment at an own warehouse,
// through the label account of the warehouse's shipping provider.
//
// It never buys two labels for a fulfillment: it creates the provider's
// shipment (which costs nothing), stores its id as the fulfillment's
// external id in a transaction of its own, and only then buys. A job that
// finds an external id is resuming after a failure: it reuses that
// shipment and asks the account for a label already bought for the
// fulfillment before buying one. A bought label makes the fulfillment
// submitted with its carrier, tracking number and label URL; the carrier's
// first scan, reported by callback, makes it shipped. A label still
// pending (Shippo QUEUED) makes it submitted and the callback adds the
// tracking; a refusal makes it failed with the provider's reason.
type WarehouseExecutor struct {
	Advancer Advancer
	Sites    map[string]Site   // by location id
	Accounts map[string]Labels // by provider id
	// Parcel sizes a fulfillment; DefaultParcel when nil.
	Parcel func(f orderhub.Fulfillment) Parcel
}

// Execute implements Executor.
func (x *WarehouseExecutor) Execute(ctx context.Context, f orderhub.Fulfillment, o orderhub.Order) error {
	site, ok := x.Sites[f.SourceID]
	if !ok || site.Provider == "" {
		return orderhub.Errorf(orderhub.EUnsupported, "warehouse %s has no shipping provider to buy labels with", f.SourceID)
	}
	acct := x.Accounts[site.Provider]
	if acct == nil {
		return orderhub.Errorf(orderhub.EUnsupported, "label account %s of warehouse %s is not configured", site.Provider, f.SourceID)
	}
	actor := site.Provider
	var sh Shipment
	var err error
	if f.ExternalID == "" {
		parcel := DefaultParcel
		if x.Parcel != nil {
			parcel = x.Parcel
		}
		req := ShipmentRequest{Reference: f.ID, Since: f.CreatedAt, From: site.Address, To: o.ShippingAddr, Email: o.Customer.Email, Parcel: parcel(f)}
		if req.To.Name == "" {
			req.To.Name = strings.TrimSpace(o.Customer.FirstName + " " + o.Customer.LastName)
		}
		if sh, err = acct.CreateShipment(ctx, req); err != nil {
			if permanent(err) {
				return fail(ctx, x.Advancer, f, actor, "label shipment refused: "+orderhub.ErrorMessage(err))
			}
			return err
		}
		// Saved before buying: a retry reuses this shipment.
		if _, err := x.Advancer.Advance(ctx, allocator.Progress{FulfillmentID: f.ID, ExternalID: sh.ID, Actor: actor,
			Note: fmt.Sprintf("label shipment %s created at %s with %d rate(s)", sh.ID, site.Provider, len(sh.Rates))}); err != nil {
			return err
		}
	} else {
		if sh, err = acct.GetShipment(ctx, f.ExternalID); err != nil {
			return err
		}
		lbl, found, err := acct.FindLabel(ctx, sh, f.ID, f.CreatedAt)
		if err != nil {
			return err
		}
		if found {
			return x.record(ctx, f, actor, lbl, "label bought before a retry found")
		}
	}
	rate, err := ChooseRate(sh.Rates, site.Rule)
	if err != nil {
		return fail(ctx, x.Advancer, f, actor, fmt.Sprintf("no label bought for shipment %s: %s", sh.ID, orderhub.ErrorMessage(err)))
	}
	rule := site.Rule
	if rule == "" {
		rule = RuleCheapest
	}
	lbl, err := acct.BuyLabel(ctx, sh, rate, f.ID, f.CreatedAt)
	if err != nil {
		if permanent(err) {
			return fail(ctx, x.Advancer, f, actor, fmt.Sprintf("label purchase of %s refused: %s", rate, orderhub.ErrorMessage(err)))
		}
		return err
	}
	return x.record(ctx, f, actor, lbl, fmt.Sprintf("label bought: %s (%s of %d rate(s))", rate, rule, len(sh.Rates)))
}

// record applies a label's outcome to the fulfillment.
func (x *WarehouseExecutor) record(ctx context.Context, f orderhub.Fulfillment, actor string, lbl Label, note string) error {
	p := allocator.Progress{FulfillmentID: f.ID, Actor: actor, Carrier: lbl.Carrier, TrackingNumber: lbl.TrackingNumber,
		TrackingURL: lbl.TrackingURL, LabelURL: lbl.LabelURL}
	switch lbl.Status {
	case LabelReady:
		p.Status, p.Note = orderhub.FulfillmentSubmitted, note
	case LabelPending:
		p.Status, p.Note = orderhub.FulfillmentSubmitted, fmt.Sprintf("label %s is being processed by %s; its tracking follows by callback", lbl.ID, actor)
	default:
		p.Status, p.Note = orderhub.FulfillmentFailed, fmt.Sprintf("label %s failed: %s", lbl.ID, or(lbl.Problem, "no reason given"))
	}
	_, err := x.Advancer.Advance(ctx, p)
	return err
}

func or(s, d string) string {
	if strings.TrimSpace(s) == "" {
		return d
	}
	return s
}
