package routing

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/orderhub/orderhub"
)

// benchSetup is a merchant with nLoc locations across North America, each
// stocking nSKU SKUs (about one level in ten is zero), three suppliers, and
// 1,024 three-line orders to cycle through.
type benchSetup struct {
	engine *Engine
	stock  *Stock
	orders []benchOrder
	levels map[[2]string]int64 // the same stock as a flat map, for the baseline
	locIDs []string
}

type benchOrder struct {
	lines  []orderhub.Line
	shipTo orderhub.Address
}

func newBench(b *testing.B, nLoc, nSKU int) *benchSetup {
	b.Helper()
	r := rand.New(rand.NewPCG(uint64(nLoc), uint64(nSKU)))
	s := &benchSetup{levels: map[[2]string]int64{}}
	var locs []orderhub.Location
	for i := range nLoc {
		id := fmt.Sprintf("loc-%04d", i)
		s.locIDs = append(s.locIDs, id)
		locs = append(locs, orderhub.Location{
			ID: id, Kind: orderhub.LocationWarehouse, Priority: r.IntN(5), SafetyStock: int64(r.IntN(2)),
			Address: addr("US", "NY", 25+r.Float64()*24, -124+r.Float64()*57),
		})
	}
	sku := func(i int) string { return fmt.Sprintf("SKU-%05d", i) }
	levels := make([]orderhub.StockLevel, 0, nLoc*nSKU)
	for _, id := range s.locIDs {
		for k := range nSKU {
			onHand := int64(0)
			if r.IntN(10) > 0 {
				onHand = int64(1 + r.IntN(20))
			}
			levels = append(levels, orderhub.StockLevel{LocationID: id, SKU: sku(k), OnHand: onHand, Reserved: int64(r.IntN(2))})
			if nLoc <= 20 {
				s.levels[[2]string{id, sku(k)}] = onHand
			}
		}
	}
	s.stock = NewStock(levels)
	var sups []orderhub.Supplier
	for i := range 3 {
		sup := orderhub.Supplier{ID: fmt.Sprintf("sup-%d", i), SKUs: map[string]orderhub.SupplierSKU{}}
		for k := range nSKU {
			if r.IntN(3) == 0 {
				sup.SKUs[sku(k)] = orderhub.SupplierSKU{Cost: orderhub.Money{Amount: int64(100 + r.IntN(900)), Currency: "USD"}, LeadDays: 1 + r.IntN(7)}
			}
		}
		sups = append(sups, sup)
	}
	e, err := NewEngine(locs, sups, Rules{
		Order:          []Rule{RuleMinimizeSplits, RuleClosest, RulePriority, RuleCheapestDropship},
		AllowLineSplit: true, Dropship: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	s.engine = e
	for range 1024 {
		o := benchOrder{shipTo: addr("US", "CA", 25+r.Float64()*24, -124+r.Float64()*57)}
		for l := range 3 {
			o.lines = append(o.lines, line(fmt.Sprintf("L%d", l+1), sku(r.IntN(nSKU)), int64(1+r.IntN(3))))
		}
		s.orders = append(s.orders, o)
	}
	return s
}

// reportCPU reports CPU nanoseconds per operation since start, when the
// platform can tell.
func reportCPU(b *testing.B, start int64) {
	if end := cpuTime(); start > 0 && end > start {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

func (s *benchSetup) run(b *testing.B) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		o := &s.orders[i%len(s.orders)]
		if _, err := s.engine.Plan(o.lines, o.shipTo, s.stock); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, cpu0)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkPlan20Locations is DESIGN.md §4's routing target: three-line
// orders over 20 locations with stock for 10k SKUs, at least 100k orders/s
// on one core.
func BenchmarkPlan20Locations(b *testing.B) { newBench(b, 20, 10_000).run(b) }

// BenchmarkPlan1000Locations is the other target: under 1 ms an order at
// 1,000 locations (1,000 SKUs stocked everywhere).
func BenchmarkPlan1000Locations(b *testing.B) { newBench(b, 1000, 1000).run(b) }

// BenchmarkExplain20Locations measures rendering the explanations, which
// Plan defers: the caller pays it once, when it stores the plan.
func BenchmarkExplain20Locations(b *testing.B) {
	s := newBench(b, 20, 10_000)
	plans := make([]Plan, len(s.orders))
	for i, o := range s.orders {
		p, err := s.engine.Plan(o.lines, o.shipTo, s.stock)
		if err != nil {
			b.Fatal(err)
		}
		plans[i] = p
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		_ = plans[i%len(plans)].Explanations()
		i++
	}
	reportCPU(b, cpu0)
}

// BenchmarkBaseline20Locations is the floor any router pays, measured in
// the same run: look up every line's SKU at every one of the 20 locations
// in a flat map and take the first with enough stock. No rules, no
// explanation.
func BenchmarkBaseline20Locations(b *testing.B) {
	s := newBench(b, 20, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	i, found := 0, 0
	for b.Loop() {
		o := &s.orders[i%len(s.orders)]
		for _, l := range o.lines {
			for _, id := range s.locIDs {
				if s.levels[[2]string{id, l.SKU}] >= l.Quantity {
					found++
					break
				}
			}
		}
		i++
	}
	reportCPU(b, cpu0)
	if found == 0 {
		b.Fatal("baseline found no stock")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkPlan1000LocationsScattered is minimize_splits' worst case: no
// location has more than a unit or two, so the greedy cover runs until its
// bound.
func BenchmarkPlan1000LocationsScattered(b *testing.B) {
	var locs []orderhub.Location
	stock := &Stock{}
	for i := range 1000 {
		id := fmt.Sprintf("loc-%04d", i)
		locs = append(locs, orderhub.Location{ID: id, Kind: orderhub.LocationWarehouse, Priority: i % 7,
			Address: addr("US", "NY", 25+float64(i%24), -124+float64(i%57))})
		stock.Set(id, "SKU-A", int64(1+i%2), 0)
		stock.Set(id, "SKU-B", int64(i%2), 0)
		stock.Set(id, "SKU-C", 1, 0)
	}
	e, err := NewEngine(locs, nil, Rules{Order: []Rule{RuleMinimizeSplits, RuleClosest, RulePriority}, AllowLineSplit: true})
	if err != nil {
		b.Fatal(err)
	}
	lines := []orderhub.Line{line("L1", "SKU-A", 900), line("L2", "SKU-B", 400), line("L3", "SKU-C", 700)}
	s := &benchSetup{engine: e, stock: stock, orders: []benchOrder{{lines: lines, shipTo: bostonAddr}}}
	s.run(b)
}
