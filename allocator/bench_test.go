package allocator_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/store/pgstore"
	"github.com/orderhub/orderhub/store/pgstore/pgtest"
	"github.com/orderhub/orderhub/store/sqlitestore"
)

// benchStore opens a migrated store of kind for a benchmark.
func benchStore(b *testing.B, kind string) store.Store {
	b.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	if kind == "sqlite" {
		st, err = sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	} else {
		st, err = pgstore.Open(ctx, pgtest.NewDatabase(b), store.Options{MaxConns: 40})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return st
}

// baselineInsert measures the store's raw single-row insert transactions:
// the same-run yardstick for the figures below.
func baselineInsert(b *testing.B, st store.Store) {
	ctx := context.Background()
	var seq atomic.Int64
	var exec func() error
	switch s := st.(type) {
	case *sqlitestore.Store:
		if _, err := s.DB().ExecContext(ctx, "CREATE TABLE bench_baseline (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
			b.Fatal(err)
		}
		exec = func() error {
			tx, err := s.DB().BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO bench_baseline (id, v) VALUES ($1, 'x')", seq.Add(1)); err != nil {
				tx.Rollback()
				return err
			}
			return tx.Commit()
		}
	case *pgstore.Store:
		if _, err := s.Pool().Exec(ctx, "CREATE TABLE bench_baseline (id BIGINT PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
			b.Fatal(err)
		}
		exec = func() error {
			_, err := s.Pool().Exec(ctx, "INSERT INTO bench_baseline (id, v) VALUES ($1, 'x')", seq.Add(1))
			return err
		}
	}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := exec(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func forStores(b *testing.B, fn func(b *testing.B, kind string)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, "sqlite") })
	b.Run("postgres", func(b *testing.B) { pgtest.ServerURL(b); fn(b, "postgres") })
}

// BenchmarkBaselineInsert is the yardstick: one-row insert transactions.
func BenchmarkBaselineInsert(b *testing.B) {
	forStores(b, func(b *testing.B, kind string) { baselineInsert(b, benchStore(b, kind)) })
}

// BenchmarkHotSKUReserve has 32 workers reserve one unit each of one SKU,
// each in its own transaction: the guarded update at its most contended.
func BenchmarkHotSKUReserve(b *testing.B) {
	forStores(b, func(b *testing.B, kind string) {
		st := benchStore(b, kind)
		ctx := context.Background()
		if _, err := st.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: "HOT", OnHand: int64(b.N) + 1}); err != nil {
			b.Fatal(err)
		}
		b.SetParallelism(16) // 16 × GOMAXPROCS(2) = 32 workers
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				err := st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
					return tx.Reserve(ctx, store.StockMove{LocationID: "nyc", SKU: "HOT", Quantity: 1, Ref: "bench"})
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		l, err := st.GetStock(ctx, "nyc", "HOT")
		if err != nil || l.Reserved > l.OnHand {
			b.Fatalf("oversold: %+v %v", l, err)
		}
	})
}

// BenchmarkHotSKURoute routes one-unit orders for one SKU from 32 workers:
// the whole routing transaction (plan, reserve, fulfillment, events, jobs).
func BenchmarkHotSKURoute(b *testing.B) {
	forStores(b, func(b *testing.B, kind string) {
		benchHotSKURoute(b, kind, func(a *allocator.Allocator) func(context.Context, string) (allocator.RouteResult, error) {
			return a.Route
		})
	})
}

// BenchmarkHotSKURouteGrouped is BenchmarkHotSKURoute through a
// GroupRouter wired as the app wires it (one committer on SQLite, four on
// PostgreSQL): the 32 workers' routes share transactions.
func BenchmarkHotSKURouteGrouped(b *testing.B) {
	forStores(b, func(b *testing.B, kind string) {
		committers := 1
		if kind == "postgres" {
			committers = 4
		}
		benchHotSKURoute(b, kind, func(a *allocator.Allocator) func(context.Context, string) (allocator.RouteResult, error) {
			return allocator.NewGroupRouter(a, 0, committers).Route
		})
	})
}

// benchHotSKURoute routes b.N one-unit orders for one SKU from 32 workers
// through the Route that with returns, then checks that every order was
// routed once and nothing oversold.
func benchHotSKURoute(b *testing.B, kind string, with func(*allocator.Allocator) func(context.Context, string) (allocator.RouteResult, error)) {
	st := benchStore(b, kind)
	ctx := context.Background()
	nyc := orderhub.Location{ID: "nyc", Kind: orderhub.LocationWarehouse, Priority: 1}
	a, err := allocator.New(allocator.Config{Store: st, Locations: []orderhub.Location{nyc},
		Rules: routing.Rules{Order: []routing.Rule{routing.RulePriority}, AllowLineSplit: true}})
	if err != nil {
		b.Fatal(err)
	}
	route := with(a)
	if _, err := st.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: "HOT", OnHand: int64(b.N) + 1}); err != nil {
		b.Fatal(err)
	}
	ids := make(chan string, b.N)
	for i := 0; i < b.N; i++ {
		o, err := st.CreateOrder(ctx, store.CreateOrderParams{Order: orderhub.Order{ShopID: "s", Platform: "shopify", ExternalID: fmt.Sprint(i),
			Currency: "USD", Status: orderhub.StatusPaid, Lines: []orderhub.Line{{SKU: "HOT", Quantity: 1, RequiresShp: true, UnitPrice: orderhub.MustParseMoney("1.00", "USD")}}}})
		if err != nil {
			b.Fatal(err)
		}
		ids <- o.ID
	}
	close(ids)
	var routed atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := route(ctx, <-ids)
			if err != nil {
				b.Error(err)
				return
			}
			if res.Skipped == "" {
				routed.Add(1)
			}
		}
	})
	b.StopTimer()
	l, err := st.GetStock(ctx, "nyc", "HOT")
	if err != nil || l.Reserved > l.OnHand || l.Reserved != int64(b.N) || routed.Load() != int64(b.N) {
		b.Fatalf("oversold or lost: %+v, %d of %d routed, %v", l, routed.Load(), b.N, err)
	}
}

// BenchmarkRestockFill backorders n one-unit orders of one SKU, then times
// the restock that fills them all, oldest paid first, in one transaction:
// reserve, fulfillment, backorder, events and jobs per backorder. DESIGN §4
// asks for 100k pending backorders filled in under 2 s; s/100k projects the
// measured rate to that many (the fill is linear: it walks the FIFO index
// in batches).
//
//	go test -run '^$' -bench RestockFill -benchtime 1x ./allocator
func BenchmarkRestockFill(b *testing.B) {
	const n = 5000
	forStores(b, func(b *testing.B, kind string) {
		ctx := context.Background()
		var took float64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			st := benchStore(b, kind)
			nyc := orderhub.Location{ID: "nyc", Kind: orderhub.LocationWarehouse, Priority: 1}
			a, err := allocator.New(allocator.Config{Store: st, Locations: []orderhub.Location{nyc},
				Rules: routing.Rules{Order: []routing.Rule{routing.RulePriority}, AllowLineSplit: true, Backorders: routing.BackorderNotify}})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.SetStock(ctx, store.SetStockParams{LocationID: "nyc", SKU: "R", OnHand: 0}); err != nil {
				b.Fatal(err)
			}
			for j := 0; j < n; j++ {
				o, err := st.CreateOrder(ctx, store.CreateOrderParams{Order: orderhub.Order{ShopID: "s", Platform: "shopify", ExternalID: fmt.Sprint(j),
					Currency: "USD", Status: orderhub.StatusPaid, Lines: []orderhub.Line{{SKU: "R", Quantity: 1, RequiresShp: true, UnitPrice: orderhub.MustParseMoney("1.00", "USD")}}}})
				if err != nil {
					b.Fatal(err)
				}
				if res, err := a.Route(ctx, o.ID); err != nil || len(res.Backorders) != 1 {
					b.Fatalf("route: %v %+v", err, res)
				}
			}
			b.StartTimer()
			start := time.Now()
			_, fills, err := a.AdjustStock(ctx, store.AdjustStockParams{LocationID: "nyc", SKU: "R", Delta: n, Reason: "restock"})
			took += time.Since(start).Seconds()
			if err != nil {
				b.Fatal(err)
			}
			if len(fills) != n {
				b.Fatalf("filled %d of %d", len(fills), n)
			}
		}
		perFill := took / float64(b.N*n)
		b.ReportMetric(1/perFill, "backorders/s")
		b.ReportMetric(perFill*100_000, "s/100k")
	})
}
