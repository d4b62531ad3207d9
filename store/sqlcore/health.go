package sqlcore

import (
	"context"
	"fmt"
)

// probeBytes is the size of the readiness probe's row: about a webhook
// receipt's, so that a database with room for the probe has room for the
// next receipt too.
const probeBytes = 16 << 10

// ProbeWrite implements store.WriteProber.
func (c *Core) ProbeWrite(ctx context.Context) error {
	err := c.write(ctx, func(tc *Core) error {
		id := NewID()
		if _, err := tc.q.Exec(ctx, tc.sql("HealthProbeInsert"), id, make([]byte, probeBytes), micros(tc.now())); err != nil {
			return tc.mapErr(err)
		}
		_, err := tc.q.Exec(ctx, tc.sql("HealthProbeDelete"), id)
		return tc.mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("probe a write: %w", err)
	}
	return nil
}
