package webhooks_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/store/pgstore"
	"github.com/orderhub/orderhub/store/sqlitestore"
	"github.com/orderhub/orderhub/webhooks"
)

// BenchmarkIntake measures the acknowledged-webhook path (verify, dedupe,
// durable store with the drain job, 200) on SQLite, beside the baseline
// the ingest target is stated against (DESIGN.md §4): one single-row INSERT
// per transaction on the same database, in the same run, with the same
// concurrency. Compare ns/op of baseline-single-insert-tx with
// intake-group-commit (the app's wiring) and intake-one-tx-per-webhook.
//
//	go test -run XXX -bench Intake -benchtime 5s ./webhooks/
func BenchmarkIntake(b *testing.B) {
	body := testdata(b, "shopify", "order-jpy-paid-modern.json")
	b.Run("baseline-single-insert-tx", func(b *testing.B) {
		bu := setup(b)
		db := bu.store.(*sqlitestore.Store).DB()
		if _, err := db.Exec(`CREATE TABLE bench (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, body BLOB NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64
		b.SetBytes(int64(len(body)))
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				tx, err := db.BeginTx(context.Background(), nil)
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := tx.Exec(`INSERT INTO bench (k, body) VALUES ($1, $2)`, fmt.Sprint(n.Add(1)), body); err != nil {
					b.Error(err)
					_ = tx.Rollback()
					return
				}
				if err := tx.Commit(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("intake-one-tx-per-webhook", func(b *testing.B) { benchIntake(b, body, false) })
	b.Run("intake-group-commit", func(b *testing.B) { benchIntake(b, body, true) })
}

// benchIntake posts distinct signed Shopify deliveries from 16 goroutines
// per CPU straight into the router (no sockets), storing each through the
// store directly or through a GroupInbox.
func benchIntake(b *testing.B, body []byte, group bool) {
	bu := setup(b)
	var inbox webhooks.Inbox = bu.store
	if group {
		inbox = webhooks.NewGroupInbox(bu.store, 0, 0)
	}
	benchHandler(b, body, inbox)
}

func benchHandler(b *testing.B, body []byte, inbox webhooks.Inbox) {
	h, err := webhooks.NewHandler(webhooks.HandlerOptions{Shops: testShops, Inbox: inbox})
	if err != nil {
		b.Fatal(err)
	}
	r := chi.NewRouter()
	h.Routes(r)
	sig := shopify.Sign(shopifySecret, body)
	var n atomic.Int64
	b.SetBytes(int64(len(body)))
	b.SetParallelism(16) // concurrent deliveries, as platforms send them
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify/acme-shopify", bytes.NewReader(body))
			req.Header.Set(shopify.HeaderHmac, sig)
			req.Header.Set(shopify.HeaderTopic, "orders/create")
			req.Header.Set(shopify.HeaderEventID, fmt.Sprint("evt-", n.Add(1)))
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Errorf("answer %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}

// BenchmarkIntakePostgres is BenchmarkIntake on the PostgreSQL in
// ORDERHUB_TEST_POSTGRES_URL, with four group committers as the app wires
// them there.
//
//	ORDERHUB_TEST_POSTGRES_URL=postgres://... go test -run XXX -bench IntakePostgres ./webhooks/
func BenchmarkIntakePostgres(b *testing.B) {
	body := testdata(b, "shopify", "order-jpy-paid-modern.json")
	b.Run("baseline-single-insert-tx", func(b *testing.B) {
		bu := setup(b, setupOpts{postgres: true})
		pool := bu.store.(*pgstore.Store).Pool()
		ctx := context.Background()
		if _, err := pool.Exec(ctx, `CREATE TABLE bench (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k TEXT NOT NULL UNIQUE, body BYTEA NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64
		b.SetBytes(int64(len(body)))
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				tx, err := pool.Begin(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := tx.Exec(ctx, `INSERT INTO bench (k, body) VALUES ($1, $2)`, fmt.Sprint(n.Add(1)), body); err != nil {
					b.Error(err)
					_ = tx.Rollback(ctx)
					return
				}
				if err := tx.Commit(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("intake-group-commit", func(b *testing.B) {
		bu := setup(b, setupOpts{postgres: true})
		benchHandler(b, body, webhooks.NewGroupInbox(bu.store, 0, 4))
	})
}
