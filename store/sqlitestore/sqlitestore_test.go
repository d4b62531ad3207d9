package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlitestore"
	"github.com/orderhub/orderhub/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store {
		ctx := context.Background()
		s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "orderhub.db"), store.Options{})
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
