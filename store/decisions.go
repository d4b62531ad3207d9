package store

import (
	"context"

	"github.com/orderhub/orderhub"
)

// BackorderDecisionsTx records the answers to backorder notices on the
// backorders themselves. A customer answers once: the decision is kept with
// who gave it and when, and the notice's wait/cancel links stop acting.
type BackorderDecisionsTx interface {
	// RecordBackorderDecision stores a decision ("wait" or "cancel") on a
	// backorder with its actor, at the store's clock. A backorder that
	// already has one is a Conflict naming it and changes nothing, unless
	// Override is set (an operator's correction), which replaces it. The
	// guard is in SQL, so of two concurrent first answers exactly one is
	// kept. An unknown backorder is NotFound; any other decision is
	// Invalid. It records only the answer: carrying it out (a status, a
	// cancellation) is the caller's.
	RecordBackorderDecision(ctx context.Context, p RecordBackorderDecisionParams) (orderhub.Backorder, error)
}

// RecordBackorderDecisionParams are the inputs of RecordBackorderDecision.
type RecordBackorderDecisionParams struct {
	ID       string
	Decision string // wait or cancel
	Actor    string
	Override bool // replace a recorded decision instead of refusing
}
