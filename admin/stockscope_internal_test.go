package admin

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/routing"
)

// explainAll plans lines that make the routing engine write every stock
// phrase it has: a location that had part of a line, one that had stock
// but was not needed, one whose stock went to earlier lines, one held back
// by safety stock, one all reserved, and a line that no single location
// could ship whole.
func explainAll(t *testing.T) []orderhub.Explanation {
	t.Helper()
	loc := func(id string, prio int, safety int64) orderhub.Location {
		return orderhub.Location{ID: id, Kind: orderhub.LocationWarehouse, Priority: prio, SafetyStock: safety}
	}
	locs := []orderhub.Location{loc("a", 1, 0), loc("b", 2, 0), loc("c", 3, 2), loc("d", 4, 0), loc("e", 5, 0)}
	levels := []orderhub.StockLevel{
		{LocationID: "a", SKU: "MUG", OnHand: 3}, {LocationID: "b", SKU: "MUG", OnHand: 10},
		{LocationID: "c", SKU: "MUG", OnHand: 2}, {LocationID: "d", SKU: "MUG", OnHand: 4, Reserved: 4},
		{LocationID: "e", SKU: "MUG", OnHand: 7}, {LocationID: "a", SKU: "TEE", OnHand: 3},
	}
	var out []orderhub.Explanation
	for _, split := range []bool{true, false} {
		eng, err := routing.NewEngine(locs, nil, routing.Rules{Order: []routing.Rule{routing.RulePriority}, AllowLineSplit: split})
		require.NoError(t, err)
		lines := []orderhub.Line{
			{ID: "L1", SKU: "MUG", Quantity: 5, RequiresShp: true},
			{ID: "L2", SKU: "MUG", Quantity: 8, RequiresShp: true},
			{ID: "L3", SKU: "TEE", Quantity: 20, RequiresShp: true},
		}
		plan, err := eng.Plan(lines, orderhub.Address{Country: "US"}, routing.NewStock(levels))
		require.NoError(t, err)
		out = append(out, plan.Explanations()...)
	}
	return out
}

func reasons(ex []orderhub.Explanation) string {
	var b strings.Builder
	for _, e := range ex {
		b.WriteString(e.Summary + "\n")
		for _, c := range e.Candidates {
			b.WriteString(c.Reason + "\n")
		}
	}
	return b.String()
}

// TestScopedExplanationsHoldNoStockQuantity: the explanations a scoped
// token reads keep every ranking and what its order shipped, and lose what
// any location held.
func TestScopedExplanationsHoldNoStockQuantity(t *testing.T) {
	t.Parallel()
	ex := explainAll(t)
	full := reasons(ex)
	for _, phrase := range []string{"has 3 of 5, ships 3", "has 7, not needed", "its 3 went to earlier lines", "safety stock 2",
		"all on hand reserved", "has 3 of 20, line split not allowed"} {
		require.Contains(t, full, phrase, "the engine writes %q (else this test checks too little)", phrase)
	}
	require.Equal(t, full, reasons(explanationsInScope(Scope{all: true}, ex)), "a token for every shop reads them whole")

	scoped := reasons(explanationsInScope(Scope{shops: []string{"shop-a"}}, ex))
	require.NotRegexp(t, regexp.MustCompile(`has \d|its \d|safety stock \d|reserved`), scoped)
	for _, kept := range []string{"ships 3 of 5", "ships the remaining 2", "a: ranked 1st", "b: ranked 2nd", "not needed",
		"cannot ship all 20, line split not allowed", "no stock left after earlier lines"} {
		require.Contains(t, scoped, kept)
	}
	require.Equal(t, full, reasons(ex), "the stored explanations are not changed")
}
