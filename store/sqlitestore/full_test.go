package sqlitestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

// SetMaxPages sets PRAGMA max_page_count on every connection of db's pool
// (it is a setting of each connection). It takes every connection at once
// so that none is missed; conns is the pool's size.
func setMaxPages(t *testing.T, s *sqlitestore.Store, conns int, pages int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range conns {
		c, err := s.DB().Conn(ctx)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages))
		require.NoError(t, err)
	}
}

// TestDiskFullIsAStorageFailure fills a real SQLite database to its page
// limit: SQLite answers SQLITE_FULL ("database or disk is full"), which the
// store maps by code to an Unavailable storage failure, for a receipt's
// insert (with its job) and for the write probe alike; once the limit is
// lifted both succeed again.
func TestDiskFullIsAStorageFailure(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "orderhub.db"), store.Options{MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.ProbeWrite(ctx))

	setMaxPages(t, s, 2, 1) // never below the current size: the file may not grow
	body := bytes.Repeat([]byte("x"), 8<<10)
	var full error
	for i := 0; i < 1000 && full == nil; i++ {
		_, full = s.InsertReceipt(ctx, store.InsertReceiptParams{Platform: "shopify", ShopID: "s", DedupeKey: fmt.Sprint("k", i), Topic: "orders/create", Body: body})
	}
	require.Error(t, full, "the database never filled")
	require.True(t, store.IsStorageFailure(full), "%v", full)
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(full))
	var se *sqlite.Error
	require.True(t, errors.As(full, &se), "%v", full)
	require.Equal(t, sqlite3.SQLITE_FULL, se.Code()&0xff)

	err = s.ProbeWrite(ctx)
	require.True(t, store.IsStorageFailure(err), "the probe fails too: %v", err)
	require.NoError(t, s.Ping(ctx), "a full database still answers reads")

	setMaxPages(t, s, 2, 1<<30)
	require.NoError(t, s.ProbeWrite(ctx))
	_, err = s.InsertReceipt(ctx, store.InsertReceiptParams{Platform: "shopify", ShopID: "s", DedupeKey: "after", Topic: "orders/create", Body: body})
	require.NoError(t, err)
}
