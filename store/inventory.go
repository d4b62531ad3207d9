package store

// InventoryTx is the operations on stock, reservations, routing plans,
// fulfillments and backorders.
type InventoryTx interface {
}
