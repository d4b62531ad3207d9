package sqlcore

import (
	"context"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

var _ store.BackorderDecisionsTx = (*Core)(nil)

// RecordBackorderDecision implements store.BackorderDecisionsTx.
func (c *Core) RecordBackorderDecision(ctx context.Context, p store.RecordBackorderDecisionParams) (orderhub.Backorder, error) {
	if p.Decision != "wait" && p.Decision != "cancel" {
		return orderhub.Backorder{}, orderhub.Errorf(orderhub.EInvalid, "decision: %q is not one of wait, cancel", p.Decision)
	}
	var out orderhub.Backorder
	err := c.write(ctx, func(tc *Core) error {
		now := tc.now().UTC().Truncate(time.Microsecond)
		n, err := tc.q.Exec(ctx, tc.sql("BackordersRecordDecision"), p.ID, p.Decision, p.Actor, micros(now), p.Override)
		if err != nil {
			return tc.mapErr(err)
		}
		out, err = tc.GetBackorder(ctx, p.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return orderhub.Errorf(orderhub.EConflict, "backorder %s was already decided: %s", p.ID, out.Decision)
		}
		return nil
	})
	return out, err
}
