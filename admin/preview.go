package admin

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/httpjson"
	"github.com/orderhub/orderhub/routing"
)

// maxPreviewLines caps the lines of one preview.
const maxPreviewLines = 250

// locationList returns the configured locations sorted by id.
func (s *Server) locationList() []orderhub.Location {
	out := make([]orderhub.Location, 0, len(s.Locations))
	for _, l := range s.Locations {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// routingEngine returns the engine of the rules in force, built once.
func (s *Server) routingEngine() (*routing.Engine, error) {
	s.engineOnce.Do(func() {
		s.engine, s.engineErr = routing.NewEngine(s.locationList(), s.Suppliers, s.Rules)
	})
	return s.engine, s.engineErr
}

// PreviewLine is a SKU and a quantity.
type PreviewLine struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

type previewRequest struct {
	// Shop, when given, must be in the caller's scope.
	Shop   string           `json:"shop"`
	ShipTo orderhub.Address `json:"ship_to"`
	Lines  []PreviewLine    `json:"lines"`
}

// ETA is an estimated delivery window, as dates (YYYY-MM-DD).
type ETA struct {
	Earliest string `json:"earliest"`
	Latest   string `json:"latest"`
	// Basis says how the estimate was made, in words.
	Basis string `json:"basis"`
}

// PreviewShipment is one shipment a checkout would get.
type PreviewShipment struct {
	SourceID   string        `json:"source_id"`
	SourceKind string        `json:"source_kind"`
	Lines      []PreviewLine `json:"lines"`
	// DistanceKm is from the source to the ship-to address, when both have
	// coordinates.
	DistanceKm *float64 `json:"distance_km,omitempty"`
	ETA        ETA      `json:"eta"`
}

// PreviewBackorder is a quantity no source can ship now.
type PreviewBackorder struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
	// ETA is nil when nobody can say when stock arrives.
	ETA    *ETA   `json:"eta"`
	Reason string `json:"reason"`
}

// ShipmentPreview is what POST /shipment-preview answers.
type ShipmentPreview struct {
	Shipments  []PreviewShipment  `json:"shipments"`
	Backorders []PreviewBackorder `json:"backorders"`
	// Unavailable lists units refused because backorders are denied.
	Unavailable  []PreviewLine          `json:"unavailable"`
	Explanations []orderhub.Explanation `json:"explanations"`
	// StockScope is the location stock the plan used: "all" for a token
	// for every shop, "none" for a token scoped to shops, which sees no
	// location's stock.
	StockScope string `json:"stock_scope"`
}

// Handling and transit estimates for own and 3PL stock. A parcel leaves
// the next working day and travels by distance band; without coordinates
// the estimate falls back to whether source and customer share a country.
const handlingDays = 1

type transitBand struct {
	maxKm    float64
	min, max int
}

var transitBands = []transitBand{
	{500, 1, 2},
	{1500, 2, 3},
	{3000, 3, 5},
	{math.Inf(1), 5, 8},
}

// locationETA estimates delivery from a location to an address.
func locationETA(today time.Time, loc orderhub.Location, to orderhub.Address) (ETA, *float64) {
	var lo, hi int
	var basis string
	km, ok := routing.Distance(loc.Address, to)
	switch {
	case ok:
		for _, b := range transitBands {
			if km <= b.maxKm {
				lo, hi = b.min, b.max
				break
			}
		}
		basis = fmt.Sprintf("ships from %s within %d day, then %d–%d days in transit for %s", loc.ID, handlingDays, lo, hi, routing.FormatKm(km))
	case loc.Address.Country != "" && strings.EqualFold(loc.Address.Country, to.Country):
		lo, hi = 2, 5
		basis = fmt.Sprintf("ships from %s within %d day, then %d–%d days in transit within %s", loc.ID, handlingDays, lo, hi, to.Country)
	default:
		lo, hi = 5, 10
		basis = fmt.Sprintf("ships from %s within %d day, then %d–%d days in transit (distance unknown)", loc.ID, handlingDays, lo, hi)
	}
	var dist *float64
	if ok {
		r := math.Round(km*10) / 10
		dist = &r
	}
	return ETA{Earliest: day(today, handlingDays+lo), Latest: day(today, handlingDays+hi), Basis: basis}, dist
}

func day(today time.Time, n int) string { return today.AddDate(0, 0, n).Format("2006-01-02") }

// supplierLead returns a supplier's lead days for a SKU.
func (s *Server) supplierLead(supplierID, sku string) (int, bool) {
	for _, sup := range s.Suppliers {
		if sup.ID == supplierID {
			t, ok := sup.SKUs[sku]
			return t.LeadDays, ok
		}
	}
	return 0, false
}

// fastestSupplier returns the shortest lead time any supplier quotes for
// a SKU.
func (s *Server) fastestSupplier(sku string) (string, int, bool) {
	best, id := -1, ""
	for _, sup := range s.Suppliers {
		if t, ok := sup.SKUs[sku]; ok && (best < 0 || t.LeadDays < best) {
			best, id = t.LeadDays, sup.ID
		}
	}
	return id, best, best >= 0
}

// Preview plans lines to an address on the current stock the caller may
// see, without reserving anything, and estimates when each shipment
// arrives. A token scoped to shops sees no location's stock, so its
// preview ships from suppliers or backorders.
func (s *Server) Preview(ctx context.Context, shipTo orderhub.Address, lines []PreviewLine) (ShipmentPreview, error) {
	if len(lines) == 0 {
		return ShipmentPreview{}, orderhub.Errorf(orderhub.EInvalid, "lines: at least one line is required")
	}
	if len(lines) > maxPreviewLines {
		return ShipmentPreview{}, orderhub.Errorf(orderhub.EInvalid, "lines: %d lines is more than the %d a preview takes", len(lines), maxPreviewLines)
	}
	eng, err := s.previewEngine(ctx)
	if err != nil {
		return ShipmentPreview{}, err
	}
	ol := make([]orderhub.Line, len(lines))
	skus := make([]string, 0, len(lines))
	for i, l := range lines {
		if strings.TrimSpace(l.SKU) == "" {
			return ShipmentPreview{}, orderhub.Errorf(orderhub.EInvalid, "lines[%d].sku: is required", i)
		}
		if l.Quantity <= 0 {
			return ShipmentPreview{}, orderhub.Errorf(orderhub.EInvalid, "lines[%d].quantity: %d is not a positive whole number", i, l.Quantity)
		}
		ol[i] = orderhub.Line{ID: fmt.Sprintf("L%d", i+1), SKU: l.SKU, Quantity: l.Quantity, RequiresShp: true}
		skus = append(skus, l.SKU)
	}
	levels, err := s.stockInScope(ctx, skus)
	if err != nil {
		return ShipmentPreview{}, err
	}
	plan, err := eng.Plan(ol, shipTo, routing.NewStock(levels))
	if err != nil {
		return ShipmentPreview{}, err
	}
	today := s.now().Truncate(24 * time.Hour)
	out := ShipmentPreview{Shipments: []PreviewShipment{}, Backorders: []PreviewBackorder{}, Unavailable: []PreviewLine{},
		Explanations: plan.Explanations(), StockScope: stockScope(ScopeFrom(ctx))}
	for _, sh := range plan.Shipments() {
		ps := PreviewShipment{SourceID: sh.SourceID, SourceKind: sh.SourceKind}
		for _, l := range sh.Lines {
			ps.Lines = append(ps.Lines, PreviewLine{SKU: l.SKU, Quantity: l.Quantity})
		}
		if sh.SourceKind == orderhub.SourceSupplier {
			lead := 0
			for _, l := range sh.Lines {
				if d, ok := s.supplierLead(sh.SourceID, l.SKU); ok && d > lead {
					lead = d
				}
			}
			ps.ETA = ETA{Earliest: day(today, lead), Latest: day(today, lead), Basis: fmt.Sprintf("dropshipped by %s: supplier lead time of %d days", sh.SourceID, lead)}
		} else {
			ps.ETA, ps.DistanceKm = locationETA(today, s.Locations[sh.SourceID], shipTo)
		}
		out.Shipments = append(out.Shipments, ps)
	}
	for _, lp := range plan.Lines {
		if lp.Backordered > 0 {
			b := PreviewBackorder{SKU: lp.SKU, Quantity: lp.Backordered, Reason: lp.ShortReason}
			if id, lead, ok := s.fastestSupplier(lp.SKU); ok {
				b.ETA = &ETA{Earliest: day(today, lead), Latest: day(today, lead), Basis: fmt.Sprintf("supplier lead time: %s quotes %d days", id, lead)}
			}
			out.Backorders = append(out.Backorders, b)
		}
		if lp.Unfilled > 0 {
			out.Unavailable = append(out.Unavailable, PreviewLine{SKU: lp.SKU, Quantity: lp.Unfilled})
		}
	}
	return out, nil
}

func (s *Server) shipmentPreview(w http.ResponseWriter, r *http.Request) {
	var req previewRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Shop != "" && !ScopeFrom(r.Context()).CanSee(req.Shop) {
		s.fail(w, r, orderhub.Errorf(orderhub.ENotFound, "shop %s not found", req.Shop))
		return
	}
	p, err := s.Preview(r.Context(), req.ShipTo, req.Lines)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, p)
}
