package store

// IntakeTx is the operations on webhook receipts: the durable inbox.
type IntakeTx interface {
}
