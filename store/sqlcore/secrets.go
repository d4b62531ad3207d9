package sqlcore

import (
	"context"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

var _ store.SecretsTx = (*Core)(nil)

// GetSecret implements store.SecretsTx.
func (c *Core) GetSecret(ctx context.Context, name string) (store.Secret, error) {
	var s store.Secret
	var created int64
	var retired *int64
	err := c.q.QueryRow(ctx, c.sql("SecretsGetWithPrevious"), name).Scan(&s.Name, &s.Value, &created, &s.Previous, &retired)
	if err != nil {
		if c.d.IsNoRows(err) {
			return store.Secret{}, orderhub.Errorf(orderhub.ENotFound, "secret %s not found", name)
		}
		return store.Secret{}, c.mapErr(err)
	}
	// Drivers may hand back buffers they reuse.
	s.Value = append([]byte(nil), s.Value...)
	if s.Previous != nil {
		s.Previous = append([]byte(nil), s.Previous...)
	}
	s.CreatedAt = fromMicros(created)
	if retired != nil {
		t := fromMicros(*retired)
		s.RetiredAt = &t
	}
	return s, nil
}

// RotateSecret implements store.SecretsTx.
func (c *Core) RotateSecret(ctx context.Context, name string, fresh []byte) (store.Secret, error) {
	if strings.TrimSpace(name) == "" || len(fresh) == 0 {
		return store.Secret{}, orderhub.Errorf(orderhub.EInvalid, "a secret needs a name and a value")
	}
	var out store.Secret
	err := c.write(ctx, func(tc *Core) error {
		now := micros(tc.now())
		n, err := tc.q.Exec(ctx, tc.sql("SecretsRotate"), name, fresh, now)
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 0 {
			// Nothing to rotate yet: the fresh value is the first. Another
			// instance may create it meanwhile; then rotate that one.
			if n, err = tc.q.Exec(ctx, tc.sql("SecretsInsert"), name, fresh, now); err != nil {
				return tc.mapErr(err)
			}
			if n == 0 {
				if _, err := tc.q.Exec(ctx, tc.sql("SecretsRotate"), name, fresh, now); err != nil {
					return tc.mapErr(err)
				}
			}
		}
		out, err = tc.GetSecret(ctx, name)
		return err
	})
	return out, err
}
