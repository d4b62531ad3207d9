package store

import (
	"context"
	"time"
)

// SecretsTx reads and rotates the secrets kept in the database so that
// every instance signs with the same key (EnsureSecret creates them). A
// rotated secret keeps the value it replaced, with the time it was retired,
// so what was signed with it can still be checked for a while.
type SecretsTx interface {
	// GetSecret returns a secret with its previous value, or NotFound.
	GetSecret(ctx context.Context, name string) (Secret, error)
	// RotateSecret makes fresh the current value of a secret and keeps the
	// value it replaces as Previous, retired now (the store's clock); the
	// value before that is dropped. A secret not yet stored is created
	// with no previous value. An empty name or fresh value is Invalid.
	RotateSecret(ctx context.Context, name string, fresh []byte) (Secret, error)
}

// Secret is a named secret: its current value and the one it replaced.
type Secret struct {
	Name      string
	Value     []byte
	CreatedAt time.Time // when Value became current
	// Previous is the value Value replaced, nil before the first rotation;
	// RetiredAt is when it was replaced.
	Previous  []byte
	RetiredAt *time.Time
}
