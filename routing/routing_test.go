package routing

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/orderhub/orderhub"
)

// planCase is one table case: sources, stock, rules and an order, with the
// expected decisions and fragments the explanation must contain.
type planCase struct {
	name      string
	locations []orderhub.Location // fourLocations() when nil
	suppliers []orderhub.Supplier
	stock     []orderhub.StockLevel
	lines     []orderhub.Line
	shipTo    orderhub.Address
	rules     Rules
	want      []string // describe(plan)
	explain   []string // fragments of explanationText(plan)
	splits    int      // SplitCount; checked when want is set
}

func runCases(t *testing.T, cases []planCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := Input{
				Lines: tc.lines, ShipTo: tc.shipTo, Locations: tc.locations,
				Suppliers: tc.suppliers, Stock: NewStock(tc.stock), Rules: tc.rules,
			}
			if in.Locations == nil {
				in.Locations = fourLocations()
			}
			p, err := Route(in)
			if err != nil {
				t.Fatalf("Route: %v", err)
			}
			text := explanationText(p)
			if got := describe(p); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("plan\n got %q\nwant %q\n%s", got, tc.want, text)
			}
			if got := p.SplitCount(); got != tc.splits {
				t.Errorf("SplitCount = %d, want %d", got, tc.splits)
			}
			for _, frag := range tc.explain {
				if !strings.Contains(text, frag) {
					t.Errorf("explanation lacks %q:\n%s", frag, text)
				}
			}
			checkInvariants(t, in, p)
		})
	}
}

func TestRuleClosest(t *testing.T) {
	t.Parallel()
	split := Rules{Order: []Rule{RuleClosest}, AllowLineSplit: true}
	runCases(t, []planCase{
		{
			name:   "nearest location with stock wins",
			stock:  []orderhub.StockLevel{level("nyc", "A", 5), level("chi", "A", 5), level("la", "A", 5)},
			lines:  []orderhub.Line{line("L1", "A", 3)},
			shipTo: bostonAddr, rules: split,
			want:   []string{"L1: nyc=3"},
			splits: 1,
			explain: []string{
				"L1 A: 3 from nyc (closest with stock)\n",
				"#1 nyc warehouse chosen | nyc: ranked 1st, closest with stock (306 km); ships all 3\n",
				"#2 chi warehouse | chi: ranked 2nd, 1,366 km vs nyc 306 km; has 5, not needed\n",
				"#3 la warehouse | la: ranked 3rd, 4,170 km vs nyc 306 km; has 5, not needed\n",
				"#0 tor warehouse | tor: no stock\n",
			},
		},
		{
			name:   "split takes the nearest first",
			stock:  []orderhub.StockLevel{level("nyc", "A", 2), level("chi", "A", 3), level("la", "A", 10)},
			lines:  []orderhub.Line{line("L1", "A", 6)},
			shipTo: bostonAddr, rules: split,
			want:   []string{"L1: nyc=2 chi=3 la=1"},
			splits: 3,
			explain: []string{
				"L1 A: 2 from nyc (closest with stock), 3 from chi, 1 from la\n",
				"nyc: ranked 1st, closest with stock (306 km); has 2 of 6, ships 2",
				"chi: ranked 2nd, 1,366 km vs nyc 306 km; has 3 of 6, ships 3",
				"la: ranked 3rd, 4,170 km vs nyc 306 km; ships the remaining 1",
			},
		},
		{
			name:   "without ship-to coordinates: same province, then same country, then the rest",
			stock:  []orderhub.StockLevel{level("tor", "A", 5), level("nyc", "A", 5), level("chi", "A", 1), level("la", "A", 5)},
			lines:  []orderhub.Line{line("L1", "A", 3)},
			shipTo: orderhub.Address{Country: "us", Province: "il"}, rules: split,
			// chi is in the province; la and nyc tie on country, so id orders them.
			want:   []string{"L1: chi=1 la=2"},
			splits: 2,
			explain: []string{
				"chi: ranked 1st, closest with stock (same province); has 1 of 3, ships 1",
				"la: ranked 2nd, same country vs chi same province; ships the remaining 2",
				"nyc: ranked 3rd, same country vs chi same province; has 5, not needed",
				"tor: ranked 4th, outside the ship-to country vs chi same province; has 5, not needed",
			},
		},
		{
			name: "a location without coordinates ranks after those with a distance",
			locations: []orderhub.Location{
				location("nyc", orderhub.Address{Country: "US", Province: "MA"}, 1),
				location("la", laAddr, 2),
			},
			stock:  []orderhub.StockLevel{level("nyc", "A", 5), level("la", "A", 5)},
			lines:  []orderhub.Line{line("L1", "A", 1)},
			shipTo: bostonAddr, rules: split,
			want:   []string{"L1: la=1"},
			splits: 1,
			explain: []string{
				"nyc: ranked 2nd, same province (no coordinates) vs la 4,170 km",
			},
		},
	})
}

func TestRulePriority(t *testing.T) {
	t.Parallel()
	runCases(t, []planCase{
		{
			name:   "lowest priority number first, distance ignored",
			stock:  []orderhub.StockLevel{level("nyc", "A", 5), level("chi", "A", 5), level("la", "A", 5)},
			lines:  []orderhub.Line{line("L1", "A", 2)},
			shipTo: laAddr,
			rules:  Rules{Order: []Rule{RulePriority, RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: nyc=2"},
			splits: 1,
			explain: []string{
				"L1 A: 2 from nyc (highest priority with stock)\n",
				"nyc: ranked 1st, highest priority with stock (priority 1); ships all 2",
				"chi: ranked 2nd, priority 2 vs nyc priority 1; has 5, not needed",
				"la: ranked 3rd, priority 3 vs nyc priority 1",
			},
		},
		{
			name: "equal priority falls through to the next rule",
			locations: []orderhub.Location{
				location("nyc", nycAddr, 1), location("chi", chiAddr, 1), location("la", laAddr, 0),
			},
			stock:  []orderhub.StockLevel{level("nyc", "A", 5), level("chi", "A", 5)},
			lines:  []orderhub.Line{line("L1", "A", 2)},
			shipTo: laAddr,
			rules:  Rules{Order: []Rule{RulePriority, RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: chi=2"},
			splits: 1,
			explain: []string{
				"2 from chi (closest with stock)",
				"chi: ranked 1st, closest with stock (2,804 km)",
				"nyc: ranked 2nd, 3,936 km vs chi 2,804 km",
				"la: no stock",
			},
		},
		{
			name: "negative priorities rank before positive ones",
			locations: []orderhub.Location{
				location("nyc", nycAddr, 1), location("la", laAddr, -5),
			},
			stock:   []orderhub.StockLevel{level("nyc", "A", 5), level("la", "A", 5)},
			lines:   []orderhub.Line{line("L1", "A", 2)},
			rules:   Rules{Order: []Rule{RulePriority}, AllowLineSplit: true},
			want:    []string{"L1: la=2"},
			splits:  1,
			explain: []string{"nyc: ranked 2nd, priority 1 vs la priority -5"},
		},
		{
			name: "full ties go to the lower id",
			locations: []orderhub.Location{
				location("b-east", orderhub.Address{}, 1), location("a-west", orderhub.Address{}, 1),
			},
			stock:  []orderhub.StockLevel{level("b-east", "A", 5), level("a-west", "A", 5)},
			lines:  []orderhub.Line{line("L1", "A", 2)},
			rules:  Rules{Order: []Rule{RulePriority}, AllowLineSplit: true},
			want:   []string{"L1: a-west=2"},
			splits: 1,
			explain: []string{
				"2 from a-west (first by id among equal locations)",
				"b-east: ranked 2nd, ties with a-west on every rule, ordered by id",
			},
		},
	})
}

func TestRuleStayInMarket(t *testing.T) {
	t.Parallel()
	runCases(t, []planCase{
		{
			name:   "a domestic location beats a closer or higher-priority foreign one",
			stock:  []orderhub.StockLevel{level("nyc", "A", 5), level("chi", "A", 5), level("tor", "A", 5)},
			lines:  []orderhub.Line{line("L1", "A", 2)},
			shipTo: addr("CA", "ON", 43.6532, -79.3832), // Toronto, where tor has priority 4
			rules:  Rules{Order: []Rule{RuleStayInMarket, RulePriority}, AllowLineSplit: true},
			want:   []string{"L1: tor=2"},
			splits: 1,
			explain: []string{
				"L1 A: 2 from tor (in the ship-to market)\n",
				"tor: ranked 1st, in the ship-to market (in CA); ships all 2",
				"nyc: ranked 2nd, outside CA vs tor in CA; has 5, not needed",
				"chi: ranked 3rd, outside CA vs tor in CA",
			},
		},
		{
			name:   "within the market the next rule decides",
			stock:  []orderhub.StockLevel{level("nyc", "A", 5), level("chi", "A", 5), level("tor", "A", 5)},
			lines:  []orderhub.Line{line("L1", "A", 2)},
			shipTo: addr("US", "IL", 41.8781, -87.6298), // Chicago: tor (701 km) is closer than nyc
			rules:  Rules{Order: []Rule{RuleStayInMarket, RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: chi=2"},
			splits: 1,
			explain: []string{
				"chi: ranked 1st, closest with stock (0.0 km)",
				"nyc: ranked 2nd, 1,144 km vs chi 0.0 km",
				"tor: ranked 3rd, outside US vs chi in US",
			},
		},
	})
}

func TestRuleMinimizeSplits(t *testing.T) {
	t.Parallel()
	// nyc, closest to Boston, has only A; chi has both A and B.
	stock := []orderhub.StockLevel{level("nyc", "A", 5), level("chi", "A", 5), level("chi", "B", 5), level("la", "B", 5)}
	lines := []orderhub.Line{line("L1", "A", 2), line("L2", "B", 2)}
	runCases(t, []planCase{
		{
			name:  "closest alone splits the order",
			stock: stock, lines: lines, shipTo: bostonAddr,
			rules:  Rules{Order: []Rule{RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: nyc=2", "L2: chi=2"},
			splits: 2,
		},
		{
			name:  "one location that ships the whole order wins",
			stock: stock, lines: lines, shipTo: bostonAddr,
			rules:  Rules{Order: []Rule{RuleMinimizeSplits, RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: chi=2", "L2: chi=2"},
			splits: 1,
			explain: []string{
				"L1 A: 2 from chi (ships the whole order)\n",
				"chi: ranked 1st, ships the whole order; ships all 2",
				"nyc: ranked 2nd, cannot ship the whole order, chi can; has 5, not needed",
				"L2 B: 2 from chi (ships the whole order)\n",
				"la: ranked 2nd, cannot ship the whole order, chi can; has 5, not needed",
			},
		},
		{
			name: "among whole-order locations the next rule decides",
			stock: []orderhub.StockLevel{
				level("nyc", "A", 5), level("nyc", "B", 5), level("chi", "A", 5), level("chi", "B", 5), level("la", "A", 9),
			},
			lines: lines, shipTo: bostonAddr,
			rules:  Rules{Order: []Rule{RuleMinimizeSplits, RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: nyc=2", "L2: nyc=2"},
			splits: 1,
			explain: []string{
				"nyc: ranked 1st, closest with stock (306 km)",
				"chi: ranked 2nd, 1,366 km vs nyc 306 km",
				"la: ranked 3rd, cannot ship the whole order, nyc can",
			},
		},
		{
			name: "no whole-order location: the greedy cover needs two shipments, closest needs three",
			// chi covers A and B; C is only at la. Closest would take A from
			// nyc and B from tor.
			stock: []orderhub.StockLevel{
				level("nyc", "A", 5), level("tor", "B", 5), level("chi", "A", 5), level("chi", "B", 5), level("la", "C", 5),
			},
			lines:  []orderhub.Line{line("L1", "A", 1), line("L2", "B", 1), line("L3", "C", 1)},
			shipTo: bostonAddr,
			rules:  Rules{Order: []Rule{RuleMinimizeSplits, RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: chi=1", "L2: chi=1", "L3: la=1"},
			splits: 2,
			explain: []string{
				"L1 A: 1 from chi (fewest shipments)\n",
				"chi: ranked 1st, fewest shipments (picked 1st to cover the order); ships all 1",
				"nyc: ranked 2nd, not needed to cover the order, chi is; has 5, not needed",
				"L3 C: 1 from la (only location with stock)\n",
			},
		},
		{
			name: "the cover prefers shipping whole lines to shipping more units",
			// la ships A and B whole (2 units); nyc has more units (A and 9
			// of C) but only A whole. Picking la, then chi for C, needs two
			// shipments; picking nyc first would need three.
			stock: []orderhub.StockLevel{
				level("la", "A", 1), level("la", "B", 1), level("nyc", "A", 1), level("nyc", "C", 9), level("chi", "C", 10),
			},
			lines:  []orderhub.Line{line("L1", "A", 1), line("L2", "B", 1), line("L3", "C", 10)},
			shipTo: bostonAddr,
			rules:  Rules{Order: []Rule{RuleMinimizeSplits, RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: la=1", "L2: la=1", "L3: chi=10"},
			splits: 2,
			explain: []string{
				"la: ranked 1st, fewest shipments (picked 1st to cover the order); ships all 1",
				"nyc: ranked 2nd, not needed to cover the order, la is",
				"chi: ranked 1st, fewest shipments (picked 2nd to cover the order); ships all 10",
			},
		},
		{
			name: "minimize splits after closest only breaks distance ties",
			stock: []orderhub.StockLevel{
				level("nyc", "A", 5), level("tor", "B", 5), level("chi", "A", 5), level("chi", "B", 5), level("la", "C", 5),
			},
			lines:  []orderhub.Line{line("L1", "A", 1), line("L2", "B", 1), line("L3", "C", 1)},
			shipTo: bostonAddr,
			rules:  Rules{Order: []Rule{RuleClosest, RuleMinimizeSplits}, AllowLineSplit: true},
			want:   []string{"L1: nyc=1", "L2: tor=1", "L3: la=1"},
			splits: 3,
		},
	})
}

func TestRuleCheapestDropship(t *testing.T) {
	t.Parallel()
	suppliers := []orderhub.Supplier{
		supplier("dropco", map[string]string{"A": "4.20"}, 5),
		supplier("fastco", map[string]string{"A": "5.00"}, 2),
		supplier("otherco", map[string]string{"B": "1.00"}, 1),
	}
	runCases(t, []planCase{
		{
			name:      "cheapest supplier first",
			suppliers: suppliers,
			lines:     []orderhub.Line{line("L1", "A", 3)},
			rules:     Rules{Order: []Rule{RuleClosest, RuleCheapestDropship}, AllowLineSplit: true, Dropship: true},
			want:      []string{"L1: dropco=3"},
			splits:    1,
			explain: []string{
				"L1 A: 3 dropshipped by dropco (cheapest supplier)\n",
				"#1 dropco supplier chosen | dropco: ranked 1st, cheapest supplier (4.20 USD, 5 days lead); dropships 3",
				"#2 fastco supplier | fastco: ranked 2nd, 5.00 USD vs dropco 4.20 USD",
				"#0 nyc warehouse | nyc: no stock",
			},
		},
		{
			name:      "without the rule, shortest lead time first",
			suppliers: suppliers,
			lines:     []orderhub.Line{line("L1", "A", 3)},
			rules:     Rules{Order: []Rule{RuleClosest}, AllowLineSplit: true, Dropship: true},
			want:      []string{"L1: fastco=3"},
			splits:    1,
			explain: []string{
				"3 dropshipped by fastco (shortest lead time)",
				"dropco: ranked 2nd, 5 days lead vs fastco 2 days lead",
			},
		},
		{
			name:      "equal cost falls to lead days",
			suppliers: []orderhub.Supplier{supplier("slow", map[string]string{"A": "4.20"}, 5), supplier("quick", map[string]string{"A": "4.20"}, 1)},
			lines:     []orderhub.Line{line("L1", "A", 1)},
			rules:     Rules{Order: []Rule{RuleCheapestDropship}, Dropship: true},
			want:      []string{"L1: quick=1"},
			splits:    1,
			explain:   []string{"slow: ranked 2nd, 5 days lead vs quick 1 day lead"},
		},
		{
			name:      "own stock first, the rest dropshipped",
			suppliers: suppliers,
			stock:     []orderhub.StockLevel{level("nyc", "A", 2)},
			lines:     []orderhub.Line{line("L1", "A", 5)},
			shipTo:    bostonAddr,
			rules:     Rules{Order: []Rule{RuleCheapestDropship}, AllowLineSplit: true, Dropship: true},
			want:      []string{"L1: nyc=2 dropco=3"},
			splits:    2,
			explain: []string{
				"L1 A: 2 from nyc (only location with stock), 3 dropshipped by dropco (cheapest supplier)\n",
				"#2 dropco supplier chosen | dropco: ranked 2nd",
				"#3 fastco supplier | fastco: ranked 3rd, 5.00 USD vs dropco 4.20 USD",
			},
		},
		{
			name:      "suppliers are not needed when stock ships the line",
			suppliers: suppliers,
			stock:     []orderhub.StockLevel{level("nyc", "A", 9)},
			lines:     []orderhub.Line{line("L1", "A", 5)},
			rules:     Rules{Order: []Rule{RuleCheapestDropship}, AllowLineSplit: true, Dropship: true},
			want:      []string{"L1: nyc=5"},
			splits:    1,
			explain:   []string{"dropco: ranked 2nd, not needed: own stock ships the line"},
		},
	})
}

func TestLineSplitOption(t *testing.T) {
	t.Parallel()
	noSplit := Rules{Order: []Rule{RuleClosest}}
	dropco := []orderhub.Supplier{supplier("dropco", map[string]string{"A": "4.20"}, 3)}
	runCases(t, []planCase{
		{
			name:   "without split the first location with all of it ships it",
			stock:  []orderhub.StockLevel{level("nyc", "A", 2), level("chi", "A", 5)},
			lines:  []orderhub.Line{line("L1", "A", 4)},
			shipTo: bostonAddr, rules: noSplit,
			want:   []string{"L1: chi=4"},
			splits: 1,
			explain: []string{
				"L1 A: 4 from chi (first with all 4)\n",
				"nyc: ranked 1st, closest with stock (306 km); has 2 of 4, line split not allowed",
				"chi: ranked 2nd, 1,366 km vs nyc 306 km; ships all 4",
			},
		},
		{
			name:      "without split and no location with all of it, the whole line is dropshipped",
			suppliers: dropco,
			stock:     []orderhub.StockLevel{level("nyc", "A", 2), level("chi", "A", 3)},
			lines:     []orderhub.Line{line("L1", "A", 4)},
			shipTo:    bostonAddr, rules: Rules{Order: []Rule{RuleClosest}, Dropship: true},
			want:    []string{"L1: dropco=4"},
			splits:  1,
			explain: []string{"4 dropshipped by dropco (only supplier of A)"},
		},
		{
			name:      "without split or dropship the whole line is backordered",
			suppliers: dropco,
			stock:     []orderhub.StockLevel{level("nyc", "A", 2), level("chi", "A", 3)},
			lines:     []orderhub.Line{line("L1", "A", 4)},
			shipTo:    bostonAddr, rules: noSplit,
			want:   []string{"L1: backordered=4"},
			splits: 0,
			explain: []string{
				"L1 A: 4 backordered (no single location has all 4, line split not allowed, dropship disabled)\n",
				"#0 dropco supplier | dropco: dropship disabled",
			},
		},
		{
			name:   "with split the same stock ships most of it",
			stock:  []orderhub.StockLevel{level("nyc", "A", 2), level("chi", "A", 3)},
			lines:  []orderhub.Line{line("L1", "A", 6)},
			shipTo: bostonAddr, rules: Rules{Order: []Rule{RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: nyc=2 chi=3 backordered=1"},
			splits: 2,
			explain: []string{
				"L1 A: 2 from nyc (closest with stock), 3 from chi; 1 backordered (only 5 of 6 in stock, no supplier carries A)\n",
			},
		},
	})
}

func TestBackorderPolicy(t *testing.T) {
	t.Parallel()
	stock := []orderhub.StockLevel{level("nyc", "A", 2)}
	lines := []orderhub.Line{line("L1", "A", 5), line("L2", "Z", 1)}
	runCases(t, []planCase{
		{
			name:  "notify backorders the rest",
			stock: stock, lines: lines,
			rules:  Rules{AllowLineSplit: true, Backorders: BackorderNotify},
			want:   []string{"L1: nyc=2 backordered=3", "L2: backordered=1"},
			splits: 1,
			explain: []string{
				"L1 A: 2 from nyc (only location with stock); 3 backordered (only 2 of 5 in stock, no supplier carries A)\n",
				"L2 Z: 1 backordered (SKU Z not stocked anywhere nor carried by a supplier)\n",
			},
		},
		{
			name:  "deny reports the rest as unfilled, never backordered",
			stock: stock, lines: lines,
			rules:  Rules{AllowLineSplit: true, Backorders: BackorderDeny},
			want:   []string{"L1: nyc=2 unfilled=3", "L2: unfilled=1"},
			splits: 1,
			explain: []string{
				"L1 A: 2 from nyc (only location with stock); 3 unfilled (backorders denied: only 2 of 5 in stock, no supplier carries A)\n",
				"L2 Z: 1 unfilled (backorders denied: SKU Z not stocked anywhere nor carried by a supplier)\n",
			},
		},
	})
}

func TestStockAvailability(t *testing.T) {
	t.Parallel()
	locs := fourLocations()
	locs[0].SafetyStock = 2 // nyc
	runCases(t, []planCase{
		{
			name:      "safety stock is held back",
			locations: locs,
			stock:     []orderhub.StockLevel{level("nyc", "A", 2), level("chi", "A", 3)},
			lines:     []orderhub.Line{line("L1", "A", 1)},
			shipTo:    bostonAddr, rules: Rules{Order: []Rule{RuleClosest}, AllowLineSplit: true},
			want:    []string{"L1: chi=1"},
			splits:  1,
			explain: []string{"#0 nyc warehouse | nyc: no stock (safety stock 2)\n"},
		},
		{
			name:      "reserved units are not available",
			locations: locs,
			stock: []orderhub.StockLevel{
				{LocationID: "nyc", SKU: "A", OnHand: 5, Reserved: 2},    // 5-2-2 = 1 left
				{LocationID: "chi", SKU: "A", OnHand: 3, Reserved: 3},    // all reserved
				{LocationID: "la", SKU: "A", OnHand: 9, Reserved: 1},     // 8
				{LocationID: "ghost", SKU: "A", OnHand: 99},              // unknown location: ignored
				{LocationID: "tor", SKU: "A", OnHand: -4, Reserved: -10}, // bad data: nothing
			},
			lines:  []orderhub.Line{line("L1", "A", 4)},
			shipTo: bostonAddr, rules: Rules{Order: []Rule{RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: nyc=1 la=3"},
			splits: 2,
			explain: []string{
				"nyc: ranked 1st, closest with stock (306 km); has 1 of 4, ships 1",
				"#0 chi warehouse | chi: no stock (all on hand reserved)\n",
				"#0 tor warehouse | tor: no stock\n",
			},
		},
		{
			name:   "lines with the same SKU share stock",
			stock:  []orderhub.StockLevel{level("nyc", "A", 4), level("chi", "A", 10)},
			lines:  []orderhub.Line{line("L1", "A", 3), line("L2", "A", 3), line("L3", "B", 1), line("L4", "A", 2)},
			shipTo: bostonAddr, rules: Rules{Order: []Rule{RuleClosest}, AllowLineSplit: true},
			want:   []string{"L1: nyc=3", "L2: nyc=1 chi=2", "L3: backordered=1", "L4: chi=2"},
			splits: 2,
			explain: []string{
				"L2 A: 1 from nyc (closest with stock), 2 from chi\n",
				"L4 A: 2 from chi (only location with stock)\n",
				"#0 nyc warehouse | nyc: no stock left, its 4 went to earlier lines\n",
			},
		},
		{
			name:   "shared stock without split",
			stock:  []orderhub.StockLevel{level("nyc", "A", 4), level("chi", "A", 10)},
			lines:  []orderhub.Line{line("L1", "A", 3), line("L2", "A", 3)},
			shipTo: bostonAddr, rules: Rules{Order: []Rule{RuleClosest}},
			want:   []string{"L1: nyc=3", "L2: chi=3"},
			splits: 2,
			explain: []string{
				"nyc: ranked 1st, closest with stock (306 km); has 1 of 3, line split not allowed",
			},
		},
		{
			name:   "cancelled units are not routed",
			stock:  []orderhub.StockLevel{level("nyc", "A", 4)},
			lines:  []orderhub.Line{{ID: "L1", SKU: "A", Quantity: 3, Cancelled: 3}, {ID: "L2", SKU: "A", Quantity: 5, Cancelled: 2}},
			rules:  Rules{AllowLineSplit: true},
			want:   []string{"L1:", "L2: nyc=3"},
			splits: 1,
			explain: []string{
				"L1 A: nothing to route: no open quantity\n",
				"L2 A: 3 from nyc (only location with stock)\n",
			},
		},
	})
}

// TestNoRulesOrdersByID checks the zero Rules: ids decide, dropship is off
// and backorders notify.
func TestNoRulesOrdersByID(t *testing.T) {
	t.Parallel()
	runCases(t, []planCase{{
		name:      "zero rules",
		suppliers: []orderhub.Supplier{supplier("dropco", map[string]string{"A": "1.00"}, 1)},
		stock:     []orderhub.StockLevel{level("tor", "A", 1), level("nyc", "A", 1), level("la", "A", 1)},
		lines:     []orderhub.Line{line("L1", "A", 1), line("L2", "A", 1)},
		want:      []string{"L1: la=1", "L2: nyc=1"},
		splits:    2,
		explain:   []string{"L1 A: 1 from la (first by id among equal locations)\n", "dropco: dropship disabled"},
	}})
}

// TestDeterminism plans the same orders twice and with sources and stock
// given in other orders; plans and explanations must not change.
func TestDeterminism(t *testing.T) {
	t.Parallel()
	in := Input{
		Locations: fourLocations(),
		Suppliers: []orderhub.Supplier{
			supplier("dropco", map[string]string{"A": "4.20", "B": "1.00"}, 3),
			supplier("acme", map[string]string{"A": "4.20", "B": "1.00"}, 3),
		},
		Stock: NewStock([]orderhub.StockLevel{
			level("nyc", "A", 2), level("chi", "A", 2), level("la", "A", 2), level("tor", "A", 2),
			level("nyc", "B", 1), level("tor", "B", 1),
		}),
		Lines:  []orderhub.Line{line("L1", "A", 5), line("L2", "B", 3), line("L3", "A", 2)},
		ShipTo: orderhub.Address{Country: "US"},
		Rules:  Rules{Order: []Rule{RuleMinimizeSplits, RuleStayInMarket, RuleClosest, RuleCheapestDropship}, AllowLineSplit: true, Dropship: true},
	}
	first, err := Route(in)
	if err != nil {
		t.Fatal(err)
	}
	wantPlan, wantText := describe(first), explanationText(first)
	// Guard against a vacuous test: the input must have real ties.
	if !strings.Contains(wantText, "ties with") {
		t.Fatalf("expected ties in the explanation:\n%s", wantText)
	}
	c := randChooser{newRand(1)}
	for range 50 {
		p, err := Route(shuffled(c, in))
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(p); !reflect.DeepEqual(got, wantPlan) {
			t.Fatalf("plan changed:\n%v\n%v", got, wantPlan)
		}
		if got := explanationText(p); got != wantText {
			t.Fatalf("explanation changed:\n%s\n%s", got, wantText)
		}
	}
}

func TestShipmentsTotalsReservations(t *testing.T) {
	t.Parallel()
	e, err := NewEngine(fourLocations(),
		[]orderhub.Supplier{supplier("dropco", map[string]string{"C": "2.50"}, 4)},
		Rules{Order: []Rule{RuleClosest}, AllowLineSplit: true, Dropship: true})
	if err != nil {
		t.Fatal(err)
	}
	stock := NewStock([]orderhub.StockLevel{level("nyc", "A", 3), level("chi", "A", 9), level("chi", "B", 9)})
	lines := []orderhub.Line{line("L1", "A", 5), line("L2", "B", 1), line("L3", "C", 2), line("L4", "D", 1), line("L5", "A", 1)}
	p, err := e.Plan(lines, bostonAddr, stock)
	if err != nil {
		t.Fatal(err)
	}
	wantShip := []Shipment{
		{SourceID: "nyc", SourceKind: "warehouse", Lines: []orderhub.FulfillmentLine{{LineID: "L1", SKU: "A", Quantity: 3}}},
		{SourceID: "chi", SourceKind: "warehouse", Lines: []orderhub.FulfillmentLine{
			{LineID: "L1", SKU: "A", Quantity: 2}, {LineID: "L2", SKU: "B", Quantity: 1}, {LineID: "L5", SKU: "A", Quantity: 1},
		}},
		{SourceID: "dropco", SourceKind: "supplier", Lines: []orderhub.FulfillmentLine{{LineID: "L3", SKU: "C", Quantity: 2}}},
	}
	if got := p.Shipments(); !reflect.DeepEqual(got, wantShip) {
		t.Errorf("Shipments\n got %+v\nwant %+v", got, wantShip)
	}
	if got := p.SplitCount(); got != 3 {
		t.Errorf("SplitCount = %d, want 3", got)
	}
	wantTot := Totals{Open: 10, Allocated: 7, Dropshipped: 2, Backordered: 1}
	if got := p.Totals(); got != wantTot {
		t.Errorf("Totals = %+v, want %+v", got, wantTot)
	}
	wantRes := []Reservation{{"chi", "A", 3}, {"chi", "B", 1}, {"nyc", "A", 3}}
	if got := p.Reservations(); !reflect.DeepEqual(got, wantRes) {
		t.Errorf("Reservations = %+v, want %+v", got, wantRes)
	}
	if drop := p.Lines[2].Assignments[0]; !drop.Dropship() || p.Lines[0].Assignments[0].Dropship() {
		t.Errorf("Dropship() wrong for %+v or %+v", drop, p.Lines[0].Assignments[0])
	}
	if ex, ok := p.Explanation("L4"); !ok || ex.Summary != "1 backordered (SKU D not stocked anywhere nor carried by a supplier)" {
		t.Errorf("Explanation(L4) = %+v, %v", ex, ok)
	}
	if _, ok := p.Explanation("nope"); ok {
		t.Error("Explanation of an unknown line found something")
	}

	// Re-planning after losing a race: the same engine with a fresher
	// snapshot, where another order took nyc's stock.
	stock.Set("nyc", "A", 3, 3)
	p2, err := e.Plan(lines, bostonAddr, stock)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(p2)[0], "L1: chi=5"; got != want {
		t.Errorf("after losing nyc's stock, L1 = %q, want %q", got, want)
	}
}

func TestPlanRejectsBadLines(t *testing.T) {
	t.Parallel()
	e, err := NewEngine(nil, nil, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	many := make([]orderhub.Line, 20)
	for i := range many {
		many[i] = line(string(rune('a'+i)), "A", 1)
	}
	many[19].ID = "c"
	for _, tc := range []struct {
		name  string
		lines []orderhub.Line
		want  string
	}{
		{"negative quantity", []orderhub.Line{line("L1", "A", -1)}, `line "L1": quantity -1 with 0 cancelled`},
		{"over-cancelled", []orderhub.Line{{ID: "L1", SKU: "A", Quantity: 2, Cancelled: 3}}, `line "L1": quantity 2 with 3 cancelled`},
		{"duplicate id", []orderhub.Line{line("L1", "A", 1), line("L1", "B", 1)}, `line id "L1" appears twice`},
		{"duplicate id in a big order", many, `line id "c" appears twice`},
	} {
		_, err := e.Plan(tc.lines, orderhub.Address{}, nil)
		if err == nil || orderhub.ErrorCode(err) != orderhub.EInvalid || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want Invalid containing %q", tc.name, err, tc.want)
		}
	}
	// Nil stock is no stock, not an error.
	p, err := e.Plan([]orderhub.Line{line("L1", "A", 2)}, orderhub.Address{}, nil)
	if err != nil || p.Lines[0].Backordered != 2 {
		t.Errorf("nil stock: %v, %v", describe(p), err)
	}
}

func TestNewEngineErrors(t *testing.T) {
	t.Parallel()
	good := location("nyc", nycAddr, 1)
	bad := func(mut func(*orderhub.Location)) []orderhub.Location {
		l := good
		mut(&l)
		return []orderhub.Location{l}
	}
	for _, tc := range []struct {
		name string
		locs []orderhub.Location
		sups []orderhub.Supplier
		r    Rules
		want string
	}{
		{"empty id", bad(func(l *orderhub.Location) { l.ID = "" }), nil, Rules{}, "locations[0]: id is empty"},
		{"bad kind", bad(func(l *orderhub.Location) { l.Kind = "warhouse" }), nil, Rules{}, `location "nyc": kind "warhouse" is not one of warehouse, 3pl`},
		{"negative safety", bad(func(l *orderhub.Location) { l.SafetyStock = -1 }), nil, Rules{}, `location "nyc": safety stock -1 is negative`},
		{"duplicate location", []orderhub.Location{good, good}, nil, Rules{}, `location "nyc" is declared twice`},
		{"duplicate supplier", nil, []orderhub.Supplier{{ID: "d"}, {ID: "d"}}, Rules{}, `supplier "d" is declared twice`},
		{"empty supplier id", nil, []orderhub.Supplier{{}}, Rules{}, "supplier id is empty"},
		{"negative lead", nil, []orderhub.Supplier{{ID: "d", SKUs: map[string]orderhub.SupplierSKU{"A": {LeadDays: -2}}}}, Rules{}, `supplier "d": sku "A": lead days -2 is negative`},
		{"unknown rule", nil, nil, Rules{Order: []Rule{RuleClosest, "nearest"}}, `rules[1]: routing rule "nearest" is not one of minimize_splits, closest, priority, stay_in_market, cheapest_dropship`},
		{"repeated rule", nil, nil, Rules{Order: []Rule{RuleClosest, RulePriority, RuleClosest}}, `rules[2]: routing rule "closest" is already rules[0]`},
		{"bad policy", nil, nil, Rules{Backorders: "maybe"}, `backorder policy "maybe" is not one of notify, deny`},
	} {
		_, err := NewEngine(tc.locs, tc.sups, tc.r)
		if err == nil || orderhub.ErrorCode(err) != orderhub.EInvalid || orderhub.ErrorMessage(err) != tc.want {
			t.Errorf("%s: err = %v, want Invalid %q", tc.name, err, tc.want)
		}
	}
}

func TestParseRule(t *testing.T) {
	t.Parallel()
	for _, r := range AllRules() {
		got, err := ParseRule(string(r))
		if err != nil || got != r {
			t.Errorf("ParseRule(%q) = %q, %v", r, got, err)
		}
	}
	_, err := ParseRule("closest ")
	var e *orderhub.Error
	if !errors.As(err, &e) || e.Code != orderhub.EInvalid ||
		e.Message != `routing rule "closest " is not one of minimize_splits, closest, priority, stay_in_market, cheapest_dropship` {
		t.Errorf("ParseRule(bad) = %v", err)
	}
	rules, err := ParseRules([]string{"minimize_splits", "closest", "priority"})
	if err != nil || !slices.Equal(rules, []Rule{RuleMinimizeSplits, RuleClosest, RulePriority}) {
		t.Errorf("ParseRules = %v, %v", rules, err)
	}
	if _, err := ParseRules([]string{"closest", "cheapest"}); err == nil || !strings.Contains(err.Error(), `rules[1]: routing rule "cheapest"`) {
		t.Errorf("ParseRules(bad) = %v", err)
	}
	if _, err := ParseRules([]string{"closest", "closest"}); err == nil || !strings.Contains(err.Error(), "already rules[0]") {
		t.Errorf("ParseRules(repeat) = %v", err)
	}
	for _, s := range []string{"notify", "deny"} {
		if p, err := ParseBackorderPolicy(s); err != nil || string(p) != s {
			t.Errorf("ParseBackorderPolicy(%q) = %q, %v", s, p, err)
		}
	}
	if _, err := ParseBackorderPolicy(""); err == nil {
		t.Error("ParseBackorderPolicy(\"\") accepted the empty policy")
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	london, paris := addr("GB", "", 51.5074, -0.1278), addr("FR", "", 48.8566, 2.3522)
	for _, tc := range []struct {
		name   string
		a, b   orderhub.Address
		wantKm float64 // published great-circle distances
	}{
		{"New York–Los Angeles", nycAddr, laAddr, 3936},
		{"London–Paris", london, paris, 344},
		{"same point", nycAddr, nycAddr, 0},
		{"antipodes", addr("", "", 0, 0), addr("", "", 0, 180), 20015},
	} {
		km, ok := Distance(tc.a, tc.b)
		if !ok || km < tc.wantKm-1 || km > tc.wantKm+1 {
			t.Errorf("%s: Distance = %.1f, %v; want %.0f±1 km", tc.name, km, ok, tc.wantKm)
		}
		if back, _ := Distance(tc.b, tc.a); back != km {
			t.Errorf("%s: not symmetric: %v vs %v", tc.name, km, back)
		}
	}
	for _, tc := range []struct {
		name string
		a    orderhub.Address
	}{
		{"no coordinates", orderhub.Address{Country: "US"}},
		{"latitude only", orderhub.Address{Latitude: ptr(1)}},
		{"out of range", addr("", "", 91, 0)},
		{"longitude out of range", addr("", "", 0, 181)},
	} {
		if km, ok := Distance(tc.a, nycAddr); ok {
			t.Errorf("%s: Distance = %v, true; want not ok", tc.name, km)
		}
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for km, want := range map[float64]string{
		0: "0.0 km", 12.34: "12.3 km", 99.94: "99.9 km", 100: "100 km", 3939.6: "3,940 km",
		1150: "1,150 km", 20015.1: "20,015 km", 1234567: "1,234,567 km",
	} {
		if got := FormatKm(km); got != want {
			t.Errorf("FormatKm(%v) = %q, want %q", km, got, want)
		}
	}
	for n, want := range map[int32]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 102: "102nd", 111: "111th"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestStock(t *testing.T) {
	t.Parallel()
	s := NewStock([]orderhub.StockLevel{
		{LocationID: "b", SKU: "A", OnHand: 1},
		{LocationID: "a", SKU: "A", OnHand: 2, Reserved: 1},
		{LocationID: "b", SKU: "A", OnHand: 7}, // later wins
	})
	if s.Len() != 2 {
		t.Errorf("Len = %d, want 2", s.Len())
	}
	if l, ok := s.Level("b", "A"); !ok || l.OnHand != 7 {
		t.Errorf("Level(b, A) = %+v, %v", l, ok)
	}
	s.Set("a", "A", 4, 0)
	s.Set("c", "B", 3, 1)
	if l, _ := s.Level("a", "A"); l.OnHand != 4 || l.Reserved != 0 || s.Len() != 3 {
		t.Errorf("after Set: %+v, Len %d", l, s.Len())
	}
	if l, ok := s.Level("c", "A"); ok || l != (orderhub.StockLevel{LocationID: "c", SKU: "A"}) {
		t.Errorf("Level of nothing = %+v, %v", l, ok)
	}
	var zero Stock
	zero.Set("a", "A", 1, 0)
	var nilStock *Stock
	if zero.Len() != 1 || nilStock.Len() != 0 {
		t.Errorf("zero Stock Len %d, nil Stock Len %d", zero.Len(), nilStock.Len())
	}
	for _, tc := range []struct{ onHand, reserved, safety, want int64 }{
		{10, 3, 2, 5}, {10, 9, 2, 0}, {-5, -10, 0, 0}, {5, -3, 0, 5}, {5, 0, -1, 5},
		{1 << 62, -(1 << 62), 0, 1 << 62},
	} {
		if got := available(tc.onHand, tc.reserved, tc.safety); got != tc.want {
			t.Errorf("available(%d, %d, %d) = %d, want %d", tc.onHand, tc.reserved, tc.safety, got, tc.want)
		}
	}
}

func TestEngineRulesCopy(t *testing.T) {
	t.Parallel()
	order := []Rule{RuleClosest, RulePriority}
	e, err := NewEngine(nil, nil, Rules{Order: order})
	if err != nil {
		t.Fatal(err)
	}
	order[0] = RuleStayInMarket // the caller's slice is not the engine's
	got := e.Rules()
	if !slices.Equal(got.Order, []Rule{RuleClosest, RulePriority}) || got.Backorders != BackorderNotify {
		t.Errorf("Rules() = %+v", got)
	}
}

// TestMinimizeSplitsCoverIsBounded checks that an order needing more
// sources than the greedy cover picks still ships in full, with the rest
// ordered by the next rule, and says so.
func TestMinimizeSplitsCoverIsBounded(t *testing.T) {
	t.Parallel()
	in := Input{
		Stock: &Stock{},
		Lines: []orderhub.Line{line("L1", "A", 40)},
		Rules: Rules{Order: []Rule{RuleMinimizeSplits, RulePriority}, AllowLineSplit: true},
	}
	for i := range 40 {
		id := fmt.Sprintf("loc-%02d", i)
		// Priority runs against the id, so the cover's picks and the
		// priority order are both visible.
		in.Locations = append(in.Locations, location(id, orderhub.Address{}, 100-i))
		in.Stock.Set(id, "A", 1, 0)
	}
	p, err := Route(in)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, in, p)
	if got := p.Lines[0].Allocated(); got != 40 {
		t.Fatalf("allocated %d of 40", got)
	}
	// Every pick covers one unit, so ties go to priority: loc-39 first.
	if a := p.Lines[0].Assignments; a[0].SourceID != "loc-39" || a[7].SourceID != "loc-32" || a[8].SourceID != "loc-31" {
		t.Errorf("assignments start %v", a[:9])
	}
	text := explanationText(p)
	for _, frag := range []string{
		"loc-39: ranked 1st, fewest shipments (picked 1st to cover the order); has 1 of 40, ships 1",
		"loc-32: ranked 8th, picked 8th to cover the order, loc-39 1st",
		"loc-31: ranked 9th, not among the first 8 picks to cover the order, loc-39 is",
	} {
		if !strings.Contains(text, frag) {
			t.Errorf("explanation lacks %q:\n%s", frag, text)
		}
	}
}

// A line without a SKU can be asked of no location or supplier: every one
// of its units is held for the operator, whatever the backorder policy or
// an (impossible) stock record or supplier for the empty SKU says.
func TestLinesWithoutSKUAreHeld(t *testing.T) {
	t.Parallel()
	stock := []orderhub.StockLevel{level("nyc", "A", 5), level("nyc", "", 9)}
	anyone := []orderhub.Supplier{supplier("dropco", map[string]string{"": "1.00"}, 1)}
	lines := []orderhub.Line{line("L1", "A", 1), line("L2", "", 2), line("L3", "  ", 1)}
	for _, policy := range []BackorderPolicy{BackorderNotify, BackorderDeny} {
		runCases(t, []planCase{{
			name:  "policy " + string(policy),
			stock: stock, lines: lines, suppliers: anyone,
			rules:  Rules{Order: []Rule{RuleMinimizeSplits, RuleClosest}, AllowLineSplit: true, Dropship: true, Backorders: policy},
			want:   []string{"L1: nyc=1", "L2: held=2", "L3: held=1"},
			splits: 1,
			explain: []string{
				"L1 A: 1 from nyc (only location with stock)\n",
				"L2 : 2 held for the operator (no SKU, so no location or supplier can be asked for it); ship by hand or cancel\n",
				"L3   : 1 held for the operator (no SKU, so no location or supplier can be asked for it); ship by hand or cancel\n",
			},
		}})
	}
	e, err := NewEngine(fourLocations(), anyone, Rules{AllowLineSplit: true, Dropship: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Plan(lines, nycAddr, NewStock(stock))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Totals(), (Totals{Open: 4, Allocated: 1, Held: 3}); got != want {
		t.Errorf("Totals = %+v, want %+v", got, want)
	}
	if ex := p.Explanations()[1]; len(ex.Candidates) != 0 {
		t.Errorf("a held line considers no source: %+v", ex.Candidates)
	}
}

// PlanOrder leaves the lines that need no shipping out on purpose, says
// why, and plans the rest as Plan would.
func TestPlanOrderLeavesOutLinesThatNeedNoShipping(t *testing.T) {
	t.Parallel()
	e, err := NewEngine(fourLocations(), nil, Rules{Order: []Rule{RuleClosest}, AllowLineSplit: true})
	if err != nil {
		t.Fatal(err)
	}
	ships := func(l orderhub.Line) orderhub.Line { l.RequiresShp = true; return l }
	o := orderhub.Order{ShippingAddr: bostonAddr, Lines: []orderhub.Line{
		ships(line("L1", "A", 2)),
		{ID: "L2", SKU: "EBOOK", Quantity: 1, NoShippingReason: "Shopify says requires_shipping: false (a digital product or a gift card)"},
		ships(line("L3", "", 1)),
		{ID: "L4", SKU: "GIFT", Quantity: 3, Cancelled: 1},
	}}
	p, err := e.PlanOrder(o, NewStock([]orderhub.StockLevel{level("nyc", "A", 5), level("nyc", "EBOOK", 5)}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(p), []string{"L1: nyc=2", "L2: not-shipped=1", "L3: held=1", "L4: not-shipped=2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("plan = %v, want %v", got, want)
	}
	want := "L1 A: 2 from nyc (only location with stock)\n" +
		"L2 EBOOK: 1 left out, needs no shipping: Shopify says requires_shipping: false (a digital product or a gift card)\n" +
		"L3 : 1 held for the operator (no SKU, so no location or supplier can be asked for it); ship by hand or cancel\n" +
		"L4 GIFT: 2 left out, needs no shipping: the platform says the line needs no shipping\n"
	var summaries strings.Builder
	for _, ex := range p.Explanations() {
		summaries.WriteString(ex.LineID + " " + ex.SKU + ": " + ex.Summary + "\n")
	}
	if summaries.String() != want {
		t.Errorf("explanations\n got %s\nwant %s", summaries.String(), want)
	}
	if got, want := p.Totals(), (Totals{Open: 3, Allocated: 2, Held: 1, NotShipped: 3}); got != want {
		t.Errorf("Totals = %+v, want %+v", got, want)
	}
	if got := p.Reservations(); !reflect.DeepEqual(got, []Reservation{{"nyc", "A", 2}}) {
		t.Errorf("the digital line took stock: %+v", got)
	}
	o.Lines = append(o.Lines, orderhub.Line{ID: "L2", SKU: "X", Quantity: 1})
	if _, err := e.PlanOrder(o, nil); orderhub.ErrorCode(err) != orderhub.EInvalid {
		t.Errorf("a line id repeated across shipping and digital lines: err = %v", err)
	}
}
