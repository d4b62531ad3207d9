package routing

import (
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/orderhub/orderhub"
)

type randChooser struct{ r *rand.Rand }

func (c randChooser) intn(n int) int { return c.r.IntN(n) }

// byteChooser draws choices from fuzz bytes; when they run out every
// choice is 0.
type byteChooser struct{ b []byte }

func (c *byteChooser) intn(n int) int {
	if len(c.b) == 0 || n <= 1 {
		return 0
	}
	v := c.b[0]
	c.b = c.b[1:]
	return int(v) % n
}

// planChecked plans in, checks every invariant, and checks that planning
// again, or planning the same input given in another order, gives the same
// plan and the same explanations.
func planChecked(t testing.TB, c chooser, in Input) {
	t.Helper()
	p, err := Route(in)
	if err != nil {
		// Generated inputs are valid except for an empty line id repeated.
		if orderhub.ErrorCode(err) != orderhub.EInvalid {
			t.Fatalf("Route: %v", err)
		}
		return
	}
	checkInvariants(t, in, p)
	again, err := Route(shuffled(c, in))
	if err != nil {
		t.Fatalf("Route on shuffled input: %v", err)
	}
	if !reflect.DeepEqual(describe(p), describe(again)) {
		t.Fatalf("shuffling the input changed the plan:\n%v\n%v", describe(p), describe(again))
	}
	if a, b := explanationText(p), explanationText(again); a != b {
		t.Fatalf("shuffling the input changed the explanation:\n%s\n%s", a, b)
	}
	checkPlanOrder(t, c, in)
}

// checkPlanOrder plans in's lines as an order in which some lines need no
// shipping, and checks that PlanOrder leaves exactly those out, with their
// reason, and plans and explains the others exactly as Plan does alone.
func checkPlanOrder(t testing.TB, c chooser, in Input) {
	t.Helper()
	o := orderhub.Order{ShippingAddr: in.ShipTo}
	var ship []orderhub.Line
	var notShipped int64
	for _, l := range in.Lines {
		l.RequiresShp = c.intn(3) > 0
		if l.RequiresShp {
			ship = append(ship, l)
		} else {
			notShipped = satAdd(notShipped, l.OpenQuantity())
			if c.intn(2) == 0 {
				l.NoShippingReason = "a download"
			}
		}
		o.Lines = append(o.Lines, l)
	}
	e, err := NewEngine(in.Locations, in.Suppliers, in.Rules)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	p, err := e.PlanOrder(o, in.Stock)
	if err != nil {
		t.Fatalf("PlanOrder: %v", err)
	}
	alone, err := e.Plan(ship, in.ShipTo, in.Stock)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if len(p.Lines) != len(o.Lines) {
		t.Fatalf("PlanOrder has %d lines, the order %d", len(p.Lines), len(o.Lines))
	}
	exs, aloneExs := p.Explanations(), alone.Explanations()
	j := 0
	for i, l := range o.Lines {
		lp, ex := p.Lines[i], exs[i]
		if l.RequiresShp {
			if a, b := describe(Plan{Lines: []LinePlan{lp}}), describe(Plan{Lines: []LinePlan{alone.Lines[j]}}); !reflect.DeepEqual(a, b) {
				t.Fatalf("line %s: PlanOrder %v, Plan alone %v", l.ID, a, b)
			}
			if !reflect.DeepEqual(ex, aloneExs[j]) {
				t.Fatalf("line %s: PlanOrder explains %+v, Plan alone %+v", l.ID, ex, aloneExs[j])
			}
			j++
			continue
		}
		want := l.NoShippingReason
		if want == "" {
			want = noShippingDefault
		}
		open := l.OpenQuantity()
		if lp.LineID != l.ID || lp.Quantity != open || lp.NotShipped != open || lp.NoShippingReason != want ||
			len(lp.Assignments) != 0 || lp.Backordered != 0 || lp.Unfilled != 0 || lp.Held != 0 {
			t.Fatalf("line %s needs no shipping, planned %+v", l.ID, lp)
		}
		if len(ex.Candidates) != 0 || !strings.Contains(ex.Summary, "needs no shipping: "+want) {
			t.Fatalf("line %s needs no shipping, explained %+v", l.ID, ex)
		}
	}
	pt, at := p.Totals(), alone.Totals()
	at.NotShipped = notShipped
	if pt != at {
		t.Fatalf("PlanOrder totals %+v, Plan alone %+v and %d not shipped", pt, at, notShipped)
	}
	if !reflect.DeepEqual(p.Shipments(), alone.Shipments()) || !reflect.DeepEqual(p.Reservations(), alone.Reservations()) {
		t.Fatalf("PlanOrder ships %v reserving %v, Plan alone %v reserving %v", p.Shipments(), p.Reservations(), alone.Shipments(), alone.Reservations())
	}
}

// TestPlanProperties checks the invariants over many random inputs.
func TestPlanProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(20261128, 1))
	c := randChooser{r}
	n := 5000
	if testing.Short() {
		n = 500
	}
	for i := range n {
		in := genInput(c)
		t.Run("", func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("case %d: input %+v", i, in)
				}
			}()
			planChecked(t, c, in)
		})
		if t.Failed() {
			return
		}
	}
}

// TestPlanPropertiesBigOrders checks the invariants with many lines and
// locations, where the greedy cover runs many rounds.
func TestPlanPropertiesBigOrders(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for range 200 {
		in := Input{Stock: &Stock{}, ShipTo: addr("US", "NY", 40, -74)}
		in.Rules = Rules{Order: []Rule{RuleMinimizeSplits, RuleClosest, RulePriority}, AllowLineSplit: r.IntN(2) == 0, Dropship: r.IntN(2) == 0}
		for i := range 40 {
			id := string(rune('a'+i%26)) + string(rune('a'+i/26))
			in.Locations = append(in.Locations, location(id, addr("US", "NY", float64(r.IntN(60)), float64(-r.IntN(120))), r.IntN(5)))
			for _, sku := range skuPool {
				if r.IntN(2) == 0 {
					in.Stock.Set(id, sku, int64(r.IntN(4)), int64(r.IntN(2)))
				}
			}
		}
		in.Suppliers = []orderhub.Supplier{supplier("dropco", map[string]string{"SKU-A": "1.00", "SKU-B": "2.00"}, 2)}
		for i := range 30 {
			in.Lines = append(in.Lines, line("L"+string(rune('A'+i)), skuPool[r.IntN(len(skuPool))], int64(1+r.IntN(12))))
		}
		planChecked(t, randChooser{r}, in)
	}
}

// FuzzPlan builds a routing input from the fuzzer's bytes and checks that
// planning never panics and always keeps the invariants.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x06\x03\x01\x02\x00\x05\x0f\x0f\x0f\x0f"))
	for seed := range uint64(8) {
		r := rand.New(rand.NewPCG(seed, 99))
		b := make([]byte, 256)
		for i := 0; i < len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], r.Uint64())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &byteChooser{b: data}
		in := genInput(c)
		planChecked(t, c, in)
	})
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
