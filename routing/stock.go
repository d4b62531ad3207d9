package routing

import (
	"slices"
	"strings"
	"sync/atomic"

	"github.com/orderhub/orderhub"
)

// Stock is a snapshot of on-hand and reserved units per location and SKU,
// indexed by SKU so that planning an order touches only the order's SKUs.
// Build it with NewStock (bulk) or Set; the zero value is an empty snapshot.
// Plan only reads a Stock, so one snapshot may serve concurrent plans as
// long as nobody calls Set meanwhile. Use it by pointer.
type Stock struct {
	bySKU  map[string][]stockEntry
	locIDs []string         // interned location ids
	locIdx map[string]int32 // location id → index in locIDs
	n      int

	// bound caches how this snapshot's locations map onto one Engine's, so
	// planning does no per-location map lookups. It is a pure cache: plans
	// are the same with or without it.
	bound atomic.Pointer[stockBinding]
}

type stockEntry struct {
	loc      int32 // index in Stock.locIDs
	onHand   int64
	reserved int64
}

type stockBinding struct {
	eng   *Engine
	n     int     // len(locIDs) when built; Set may add locations
	xlate []int32 // stock location index → engine location index, or -1
}

// NewStock builds a snapshot from stock levels, for example the rows a store
// loaded for an order's SKUs. When a location and SKU appear twice the last
// level wins.
func NewStock(levels []orderhub.StockLevel) *Stock {
	sorted := slices.Clone(levels)
	slices.SortStableFunc(sorted, func(a, b orderhub.StockLevel) int {
		if c := strings.Compare(a.SKU, b.SKU); c != 0 {
			return c
		}
		return strings.Compare(a.LocationID, b.LocationID)
	})
	entries := make([]stockEntry, 0, len(sorted))
	s := &Stock{bySKU: make(map[string][]stockEntry)}
	for i := 0; i < len(sorted); {
		sku, start := sorted[i].SKU, len(entries)
		for ; i < len(sorted) && sorted[i].SKU == sku; i++ {
			l := sorted[i]
			e := stockEntry{loc: s.intern(l.LocationID), onHand: l.OnHand, reserved: l.Reserved}
			if n := len(entries); n > start && entries[n-1].loc == e.loc {
				entries[n-1] = e
				continue
			}
			entries = append(entries, e)
		}
		s.bySKU[sku] = entries[start:len(entries):len(entries)]
	}
	s.n = len(entries)
	return s
}

func (s *Stock) intern(location string) int32 {
	if i, ok := s.locIdx[location]; ok {
		return i
	}
	if s.locIdx == nil {
		s.locIdx = make(map[string]int32)
	}
	i := int32(len(s.locIDs))
	s.locIDs = append(s.locIDs, location)
	s.locIdx[location] = i
	return i
}

// Set records a location's on-hand and reserved units of a SKU, replacing
// what was there. It costs a scan of the locations that stock the SKU, so
// load large snapshots with NewStock.
func (s *Stock) Set(location, sku string, onHand, reserved int64) {
	if s.bySKU == nil {
		s.bySKU = make(map[string][]stockEntry)
	}
	loc := s.intern(location)
	es := s.bySKU[sku]
	for i := range es {
		if es[i].loc == loc {
			es[i].onHand, es[i].reserved = onHand, reserved
			return
		}
	}
	s.bySKU[sku] = append(es, stockEntry{loc: loc, onHand: onHand, reserved: reserved})
	s.n++
}

// Level returns the recorded level of a SKU at a location, and whether one
// was recorded.
func (s *Stock) Level(location, sku string) (orderhub.StockLevel, bool) {
	l := orderhub.StockLevel{LocationID: location, SKU: sku}
	if s == nil {
		return l, false
	}
	loc, ok := s.locIdx[location]
	if !ok {
		return l, false
	}
	for _, e := range s.bySKU[sku] {
		if e.loc == loc {
			l.OnHand, l.Reserved = e.onHand, e.reserved
			return l, true
		}
	}
	return l, false
}

// Len returns the number of location and SKU levels recorded.
func (s *Stock) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// binding returns, for each of the snapshot's locations, its index in e, or
// -1 when e does not know it.
func (s *Stock) binding(e *Engine) []int32 {
	if b := s.bound.Load(); b != nil && b.eng == e && b.n == len(s.locIDs) {
		return b.xlate
	}
	x := make([]int32, len(s.locIDs))
	for i, id := range s.locIDs {
		x[i] = -1
		if li, ok := e.index[id]; ok {
			x[i] = li
		}
	}
	s.bound.Store(&stockBinding{eng: e, n: len(x), xlate: x})
	return x
}

// available is what routing may take: on hand less reserved less safety
// stock, never below zero. A negative reserved count or safety stock counts
// as zero, so bad data can never make more than on hand available, and the
// arithmetic cannot overflow.
func available(onHand, reserved, safety int64) int64 {
	if onHand <= 0 {
		return 0
	}
	a := onHand - max(reserved, 0)
	if a <= 0 {
		return 0
	}
	a -= max(safety, 0)
	return max(a, 0)
}
