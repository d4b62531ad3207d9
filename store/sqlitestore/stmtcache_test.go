package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/sqlcore"
)

type cacheBundle struct {
	ctx   context.Context
	store *Store
}

// setupCache opens a migrated store. Its context ends in a minute, so that
// a call that waits for a connection for ever fails the test instead.
func setupCache(t *testing.T, opts store.Options) cacheBundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	s, err := Open(ctx, filepath.Join(t.TempDir(), "orderhub.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return cacheBundle{ctx: ctx, store: s}
}

// stockRound runs reads outside a transaction and writes in one, on sku.
func stockRound(ctx context.Context, s *Store, sku string) error {
	if _, err := s.AdjustStock(ctx, store.AdjustStockParams{LocationID: "nyc", SKU: sku, Delta: 2, Reason: "test"}); err != nil {
		return fmt.Errorf("adjust: %w", err)
	}
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.Reserve(ctx, store.StockMove{LocationID: "nyc", SKU: sku, Quantity: 1, Ref: "test"}); err != nil {
			return err
		}
		_, err := tx.GetStock(ctx, "nyc", sku)
		return err
	})
	if err != nil {
		return fmt.Errorf("reserve: %w", err)
	}
	if _, err := s.GetStock(ctx, "nyc", sku); err != nil {
		return fmt.Errorf("get: %w", err)
	}
	if _, err := s.ListStock(ctx, store.ListStockParams{SKUs: []string{sku}}); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	return nil
}

func TestStmtCacheBounded(t *testing.T) {
	t.Parallel()
	b := setupCache(t, store.Options{})
	s := b.store

	if err := stockRound(b.ctx, s, "SKU-0"); err != nil {
		t.Fatal(err)
	}
	cached, prepares := s.stmts.len(), s.stmts.prepares.Load()
	if cached == 0 {
		t.Fatal("no statement was cached")
	}
	for i := 1; i < 200; i++ {
		if err := stockRound(b.ctx, s, fmt.Sprint("SKU-", i%7)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.stmts.len(); got != cached {
		t.Errorf("cached statements: %d after the first round, %d after 200", cached, got)
	}
	if got := s.stmts.prepares.Load(); got != prepares {
		t.Errorf("statements prepared on the pool: %d after the first round, %d after 200", prepares, got)
	}
	if max := len(s.stmts.stmts); cached > max {
		t.Errorf("%d statements cached, more than the %d named queries", cached, max)
	}
}

// TestStmtCacheOnlyNamedQueries runs texts that are not named queries, as a
// migration script does: they run, and the cache does not grow.
func TestStmtCacheOnlyNamedQueries(t *testing.T) {
	t.Parallel()
	b := setupCache(t, store.Options{})
	s := b.store
	before := s.stmts.len()
	for i := range 50 {
		text := fmt.Sprintf("SELECT %d", i)
		var n int
		if err := s.pool().QueryRow(b.ctx, text).Scan(&n); err != nil || n != i {
			t.Fatalf("%s: %d, %v", text, n, err)
		}
		err := s.runTx(b.ctx, func(q sqlcore.Querier, _ sqlcore.InsertJobFunc) error {
			_, err := q.Exec(b.ctx, fmt.Sprintf("CREATE TABLE t%d (id INTEGER PRIMARY KEY); INSERT INTO t%d VALUES (1)", i, i))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := s.stmts.len(); got != before {
		t.Errorf("cached statements: %d, then %d after running unnamed SQL", before, got)
	}
}

func TestStmtCacheConcurrentTx(t *testing.T) {
	t.Parallel()
	b := setupCache(t, store.Options{MaxConns: 4})
	s := b.store
	if _, err := s.SetStock(b.ctx, store.SetStockParams{LocationID: "nyc", SKU: "HOT", OnHand: 1000, Reason: "test"}); err != nil {
		t.Fatal(err)
	}

	const workers, rounds = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for range rounds {
				err := s.InTx(b.ctx, func(ctx context.Context, tx store.Tx) error {
					if err := tx.Reserve(ctx, store.StockMove{LocationID: "nyc", SKU: "HOT", Quantity: 1, Ref: "test"}); err != nil {
						return err
					}
					_, err := tx.GetStock(ctx, "nyc", "HOT")
					return err
				})
				if err == nil {
					err = stockRound(b.ctx, s, fmt.Sprint("SKU-", w))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.db.Stats().OpenConnections; n < 2 {
		t.Errorf("the transactions ran on %d connection; want several", n)
	}
	l, err := s.GetStock(b.ctx, "nyc", "HOT")
	if err != nil {
		t.Fatal(err)
	}
	if l.Reserved != workers*rounds {
		t.Errorf("reserved %d, want %d", l.Reserved, workers*rounds)
	}
	if max := len(s.stmts.stmts); s.stmts.len() > max || s.stmts.prepares.Load() > int64(max)*2 {
		t.Errorf("%d statements cached after %d prepares, for %d named queries", s.stmts.len(), s.stmts.prepares.Load(), max)
	}
}

// TestStmtCacheOneConnection: a transaction that meets a statement not yet
// prepared must not wait for a second connection to prepare it.
func TestStmtCacheOneConnection(t *testing.T) {
	t.Parallel()
	b := setupCache(t, store.Options{MaxConns: 1})
	for i := range 3 {
		if err := stockRound(b.ctx, b.store, "SKU"); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
	}
	if b.store.stmts.len() == 0 {
		t.Error("no statement was cached")
	}
}

// TestStmtCacheNestedRows reruns a query in a transaction while the rows of
// its previous run are open: both see every row.
func TestStmtCacheNestedRows(t *testing.T) {
	t.Parallel()
	b := setupCache(t, store.Options{})
	s := b.store
	query := s.d.Queries.Get("ListMigrations")
	count := func(rows sqlcore.Rows) (int, error) {
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		return n, rows.Err()
	}
	all, err := s.pool().Query(b.ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	want, err := count(all)
	if err != nil || want < 2 {
		t.Fatalf("%d migrations, %v; want at least 2", want, err)
	}
	if st, _ := s.stmts.cached(query); st == nil {
		t.Fatal("ListMigrations is not cached")
	}
	for range 2 {
		err := s.runTx(b.ctx, func(q sqlcore.Querier, _ sqlcore.InsertJobFunc) error {
			outer, err := q.Query(b.ctx, query)
			if err != nil {
				return err
			}
			if !outer.Next() {
				return fmt.Errorf("outer query: no row, %v", outer.Err())
			}
			inner, err := q.Query(b.ctx, query)
			if err != nil {
				return err
			}
			if n, err := count(inner); err != nil || n != want {
				return fmt.Errorf("inner query: %d rows, %v; want %d", n, err, want)
			}
			if n, err := count(outer); err != nil || n+1 != want {
				return fmt.Errorf("outer query: %d rows, %v; want %d", n+1, err, want)
			}
			var v int
			if err := q.QueryRow(b.ctx, query).Scan(&v); err != nil || v != 1 {
				return fmt.Errorf("query row: %d, %v", v, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestStmtCacheClose(t *testing.T) {
	t.Parallel()
	b := setupCache(t, store.Options{})
	s := b.store
	if err := stockRound(b.ctx, s, "SKU"); err != nil {
		t.Fatal(err)
	}
	stmts := map[string]*sql.Stmt{}
	for text := range s.stmts.stmts {
		if st, _ := s.stmts.cached(text); st != nil {
			stmts[text] = st
		}
	}
	if len(stmts) == 0 {
		t.Fatal("no statement was cached")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := s.stmts.len(); n != 0 {
		t.Errorf("%d statements cached after Close", n)
	}
	for text, st := range stmts {
		// database/sql reports a closed statement before it looks at the
		// closed pool.
		if _, err := st.ExecContext(b.ctx); err == nil || !strings.Contains(err.Error(), "statement is closed") {
			t.Errorf("%s\nafter Close: %v, want the statement closed", text, err)
		}
	}
	if _, err := s.GetStock(b.ctx, "nyc", "SKU"); err == nil {
		t.Error("GetStock after Close: no error")
	}
}

func TestCacheable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sql  string
		want bool
	}{
		{"SELECT 1", true},
		{"select 1", true},
		{"-- a comment\n-- and another\nUPDATE t SET a = 1", true},
		{"INSERT INTO t VALUES (1)\nRETURNING id", true},
		{"DELETE\nFROM t", true},
		{"WITH x AS (SELECT 1) SELECT * FROM x", true},
		{"CREATE TABLE IF NOT EXISTS t (a INTEGER)", false},
		{"-- comment\nCREATE INDEX i ON t (a)", false},
		{"PRAGMA foreign_keys", false},
		{"INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)", false},
		{"", false},
		{"-- only a comment", false},
	} {
		if got := cacheable(tc.sql); got != tc.want {
			t.Errorf("cacheable(%q) = %v, want %v", tc.sql, got, tc.want)
		}
	}
}
