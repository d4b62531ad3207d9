package pgstore_test

import (
	"context"
	"testing"

	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
	"github.com/orderhub/orderhub/store/storetest"
)

func TestConformance(t *testing.T) {
	pgtest.ServerURL(t)
	storetest.Exercise(t, func(t *testing.T) store.Store {
		ctx := context.Background()
		s, err := pgstore.Open(ctx, pgtest.NewDatabase(t), store.Options{MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	})
}
