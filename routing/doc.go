// Package routing owns orderhub's allocation decision: given an order's
// lines and ship-to address, the merchant's locations and dropship
// suppliers, a stock snapshot and the routing rules, it decides where every
// open unit of every line goes — own stock first, then a dropship supplier,
// else a backorder — and explains each decision in words a merchant can
// read on the order timeline.
//
// The package is pure. It does no I/O, reads no clock, starts no goroutine
// and keeps no state between calls: the same input always gives the same
// Plan. It must not reserve stock, write fulfillments or store anything; the
// caller reserves the planned stock and stores the plan in one transaction.
//
// Because planning is pure, losing a race for stock needs no undo: when the
// caller's reservation finds that another order took the units first (its
// conditional update matches fewer rows than planned), it rolls back, loads
// a fresh Stock snapshot and calls Plan again.
//
// A plan never allocates more than a line's open quantity, never more than a
// location's available units of a SKU across all lines of the order (lines
// that share a SKU share its stock), and accounts for every open unit: the
// sum of a line's assignments, backordered and unfilled units is exactly its
// open quantity.
package routing
