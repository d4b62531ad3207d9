package orderhub

// Location kinds.
const (
	LocationWarehouse = "warehouse" // the merchant's own stock; labels bought here
	Location3PL       = "3pl"       // a third-party logistics provider's stock
)

// Location is a place that holds stock and ships it.
type Location struct {
	ID               string  `json:"id"`
	Kind             string  `json:"kind"`     // warehouse or 3pl
	Provider         string  `json:"provider"` // the 3PL provider id for a 3pl location
	Address          Address `json:"address"`
	Priority         int     `json:"priority"`     // lower ranks first
	SafetyStock      int64   `json:"safety_stock"` // units held back from routing
	ShippingProvider string  `json:"shipping_provider,omitempty"`
}

// Supplier is a dropship supplier that ships some SKUs on the merchant's
// behalf.
type Supplier struct {
	ID   string                 `json:"id"`
	SKUs map[string]SupplierSKU `json:"skus"`
}

// SupplierSKU is what a supplier charges for a SKU and how long it takes.
type SupplierSKU struct {
	Cost     Money `json:"cost"`
	LeadDays int   `json:"lead_days"`
}

// StockLevel is a location's inventory of one SKU. Available to route is
// OnHand − Reserved − the location's safety stock.
type StockLevel struct {
	LocationID string `json:"location_id"`
	SKU        string `json:"sku"`
	OnHand     int64  `json:"on_hand"`
	Reserved   int64  `json:"reserved"`
}

// Available returns what routing may still reserve, never below zero.
func (s StockLevel) Available(safety int64) int64 {
	a := s.OnHand - s.Reserved - safety
	if a < 0 {
		return 0
	}
	return a
}
