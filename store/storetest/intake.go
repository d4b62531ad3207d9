package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, exerciseIntake)
}

func exerciseIntake(t *testing.T, newStore NewStore) {
	t.Run("ReceiptInsertDedupesAndEnqueuesOneDrain", func(t *testing.T) { t.Parallel(); testReceiptInsert(t, newStore(t)) })
	t.Run("ReceiptGroupInsert", func(t *testing.T) { t.Parallel(); testReceiptGroupInsert(t, newStore(t)) })
	t.Run("ReceiptClaimFailDeadReplay", func(t *testing.T) { t.Parallel(); testReceiptLifecycle(t, newStore(t)) })
	t.Run("ReceiptConcurrentClaimsNeverOverlap", func(t *testing.T) { t.Parallel(); testConcurrentClaims(t, newStore(t)) })
	t.Run("ReceiptConcurrentDuplicatesStoreOne", func(t *testing.T) { t.Parallel(); testConcurrentReceiptInserts(t, newStore(t)) })
	t.Run("DrainJobOnlyWhenNoneIsOnItsWay", func(t *testing.T) { t.Parallel(); testDrainFlag(t, newStore(t)) })
	t.Run("ReceiptList", func(t *testing.T) { t.Parallel(); testReceiptList(t, newStore(t)) })
	t.Run("ReceiptPruneKeepsUnfinished", func(t *testing.T) { t.Parallel(); testReceiptPrune(t, newStore(t)) })
	t.Run("ReconcileCursor", func(t *testing.T) { t.Parallel(); testReconcileCursor(t, newStore(t)) })
	t.Run("UpsertCreatesAndWalks", func(t *testing.T) { t.Parallel(); testUpsertCreate(t, newStore(t)) })
	t.Run("UpsertStaleAndNewer", func(t *testing.T) { t.Parallel(); testUpsertStaleAndNewer(t, newStore(t)) })
	t.Run("UpsertRoutedKeepsLines", func(t *testing.T) { t.Parallel(); testUpsertRouted(t, newStore(t)) })
	t.Run("UpsertCancellation", func(t *testing.T) { t.Parallel(); testUpsertCancel(t, newStore(t)) })
	t.Run("UpsertRejectsBadInput", func(t *testing.T) { t.Parallel(); testUpsertInvalid(t, newStore(t)) })
	t.Run("UpsertConcurrentCreateMakesOneOrder", func(t *testing.T) { t.Parallel(); testUpsertConcurrent(t, newStore(t)) })
}

func receiptParams(shop, key string) store.InsertReceiptParams {
	return store.InsertReceiptParams{
		Platform: orderhub.PlatformShopify, ShopID: shop, DedupeKey: key, Topic: "orders/create",
		Headers: map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Event-Id": key},
		Body:    []byte(`{"id": 1, "note": "caf\u00e9 \/"}` + "\xff\x00"), // kept byte for byte, even when not UTF-8
	}
}

func drainJobs(t *testing.T, s store.Store) int {
	t.Helper()
	n, err := s.Queue().CountJobs(ctxT(t), orderhub.ProcessReceiptsArgs{}.Kind())
	require.NoError(t, err)
	return n
}

func testReceiptInsert(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	p := receiptParams("shop-a", "evt-1")
	p.TriggeredAt = time.Date(2026, 11, 2, 15, 4, 5, 123456789, time.FixedZone("x", 3600))
	r, err := s.InsertReceipt(ctx, p)
	require.NoError(t, err)
	require.NotEmpty(t, r.ID)
	require.Equal(t, store.ReceiptPending, r.Status)
	require.Equal(t, 1, drainJobs(t, s), "the drain job is enqueued with the receipt")

	got, err := s.GetReceipt(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, p.Body, got.Body, "the body is stored verbatim")
	require.Equal(t, len(p.Body), got.BodySize)
	require.Equal(t, p.Headers, got.Headers)
	require.Equal(t, "orders/create", got.Topic)
	require.Equal(t, store.ReceiptPending, got.Status)
	require.Zero(t, got.Attempts)
	require.NotNil(t, got.TriggeredAt)
	require.Equal(t, p.TriggeredAt.UTC().Truncate(time.Microsecond), *got.TriggeredAt)
	require.Equal(t, time.UTC, got.ReceivedAt.Location())
	require.Nil(t, got.ProcessedAt)

	_, err = s.InsertReceipt(ctx, p)
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "a duplicate is a Conflict: %v", err)

	// Another key, shop or platform is another receipt; the drain job is still one.
	_, err = s.InsertReceipt(ctx, receiptParams("shop-a", "evt-2"))
	require.NoError(t, err)
	_, err = s.InsertReceipt(ctx, receiptParams("shop-b", "evt-1"))
	require.NoError(t, err)
	other := receiptParams("shop-a", "evt-1")
	other.Platform = orderhub.PlatformWooCommerce
	_, err = s.InsertReceipt(ctx, other)
	require.NoError(t, err)
	require.Equal(t, 1, drainJobs(t, s), "at most one drain job waits")

	page, err := s.ListReceipts(ctx, store.ListReceiptsParams{})
	require.NoError(t, err)
	require.Len(t, page.Receipts, 4)

	// A receipt whose transaction rolls back leaves nothing behind.
	errAbandon := fmt.Errorf("abandon")
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.InsertReceipt(ctx, receiptParams("shop-c", "evt-9")); err != nil {
			return err
		}
		return errAbandon
	})
	require.ErrorIs(t, err, errAbandon)
	page, err = s.ListReceipts(ctx, store.ListReceiptsParams{ShopIDs: []string{"shop-c"}})
	require.NoError(t, err)
	require.Empty(t, page.Receipts)

	_, err = s.GetReceipt(ctx, "no-such-receipt")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	_, err = s.InsertReceipt(ctx, store.InsertReceiptParams{Platform: "shopify", ShopID: "x"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

// testReceiptGroupInsert stores a group at once: new receipts are stored
// byte for byte, one already stored, one repeated within the group and one
// invalid each get their own error, and one drain job is enqueued.
func testReceiptGroupInsert(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.InsertReceipt(ctx, receiptParams("shop-g", "old"))
	require.NoError(t, err)
	jobs := drainJobs(t, s)
	trig := time.Date(2026, 11, 2, 15, 4, 5, 123000000, time.UTC)
	withTrig := receiptParams("shop-g", "new-2")
	withTrig.TriggeredAt = trig
	ps := []store.InsertReceiptParams{
		receiptParams("shop-g", "new-1"), receiptParams("shop-g", "old"), withTrig,
		receiptParams("shop-g", "new-1"), {Platform: "shopify", ShopID: "shop-g"}, receiptParams("shop-h", "old"),
	}
	var rs []store.Receipt
	var errs []error
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		rs, errs, err = tx.InsertReceipts(ctx, ps)
		return err
	})
	require.NoError(t, err)
	require.Len(t, rs, len(ps))
	for i, want := range []string{"", orderhub.EConflict, "", orderhub.EConflict, orderhub.EInvalid, ""} {
		require.Equal(t, want, orderhub.ErrorCode(errs[i]), "receipt %d: %v", i, errs[i])
		if want == "" {
			got, err := s.GetReceipt(ctx, rs[i].ID)
			require.NoError(t, err)
			require.Equal(t, ps[i].Body, got.Body)
			require.Equal(t, ps[i].DedupeKey, got.DedupeKey)
			require.Equal(t, ps[i].ShopID, got.ShopID)
		} else {
			require.Empty(t, rs[i].ID)
		}
	}
	got, err := s.GetReceipt(ctx, rs[2].ID)
	require.NoError(t, err)
	require.NotNil(t, got.TriggeredAt)
	require.True(t, trig.Equal(*got.TriggeredAt))
	require.LessOrEqual(t, drainJobs(t, s), jobs+1, "at most one drain job for the group")
	page, err := s.ListReceipts(ctx, store.ListReceiptsParams{ShopIDs: []string{"shop-g", "shop-h"}})
	require.NoError(t, err)
	require.Len(t, page.Receipts, 4)
}

func testReceiptLifecycle(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	var ids []string
	for i := 0; i < 3; i++ {
		r, err := s.InsertReceipt(ctx, receiptParams("shop-a", fmt.Sprintf("evt-%d", i)))
		require.NoError(t, err)
		ids = append(ids, r.ID)
	}
	before := time.Now()
	claimed, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{Limit: 2})
	require.NoError(t, err)
	require.Len(t, claimed, 2)
	require.Equal(t, ids[:2], []string{claimed[0].ID, claimed[1].ID}, "oldest first")
	for _, r := range claimed {
		require.Equal(t, 1, r.Attempts)
		require.NotEmpty(t, r.Body, "claims carry the body")
		require.True(t, r.NextAttemptAt.After(before.Add(4*time.Minute)), "a claim leases the receipt")
	}
	again, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, again, 1, "leased receipts are not due")
	require.Equal(t, ids[2], again[0].ID)

	require.NoError(t, s.CompleteReceipt(ctx, store.CompleteReceiptParams{ID: ids[0], Outcome: "created order x", OrderID: "order-x"}))
	done, err := s.GetReceipt(ctx, ids[0])
	require.NoError(t, err)
	require.Equal(t, store.ReceiptProcessed, done.Status)
	require.Equal(t, "created order x", done.Outcome)
	require.Equal(t, "order-x", done.OrderID)
	require.NotNil(t, done.ProcessedAt)

	failed, err := s.FailReceipt(ctx, store.FailReceiptParams{ID: ids[1], Error: "boom", RetryAt: time.Now().Add(-time.Second)})
	require.NoError(t, err)
	require.Equal(t, store.ReceiptFailed, failed.Status)
	require.Equal(t, "boom", failed.LastError)
	retried, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{})
	require.NoError(t, err)
	require.Len(t, retried, 1, "a failed receipt past its retry time is due")
	require.Equal(t, ids[1], retried[0].ID)
	require.Equal(t, 2, retried[0].Attempts)

	_, err = s.FailReceipt(ctx, store.FailReceiptParams{ID: ids[2], Error: "later", RetryAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	dead, err := s.FailReceipt(ctx, store.FailReceiptParams{ID: ids[1], Error: "gave up: order 9 is not valid", Dead: true})
	require.NoError(t, err)
	require.Equal(t, store.ReceiptDead, dead.Status)
	none, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{})
	require.NoError(t, err)
	require.Empty(t, none, "dead receipts and receipts waiting to retry are not due")

	letters, err := s.ListDeadReceipts(ctx, store.ListReceiptsParams{})
	require.NoError(t, err)
	require.Len(t, letters.Receipts, 1)
	require.Equal(t, ids[1], letters.Receipts[0].ID)
	require.Equal(t, "gave up: order 9 is not valid", letters.Receipts[0].LastError)
	require.Empty(t, letters.Receipts[0].Body, "lists leave bodies out")
	require.NotZero(t, letters.Receipts[0].BodySize)

	replayed, err := s.ReplayReceipt(ctx, ids[1])
	require.NoError(t, err)
	require.Equal(t, store.ReceiptPending, replayed.Status)
	require.Zero(t, replayed.Attempts)
	require.Empty(t, replayed.LastError)
	n, err := s.Queue().CountJobs(ctx, orderhub.ProcessReceiptsArgs{}.Kind(), rivertype.JobStateAvailable)
	require.NoError(t, err)
	require.Equal(t, 1, n, "a drain job waits for the replayed receipt")
	due, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{})
	require.NoError(t, err)
	require.Len(t, due, 1)
	require.Equal(t, ids[1], due[0].ID)

	_, err = s.ReplayReceipt(ctx, ids[0])
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "a processed receipt is not replayed")
	require.Contains(t, err.Error(), "processed")
	_, err = s.ReplayReceipt(ctx, "missing")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(s.CompleteReceipt(ctx, store.CompleteReceiptParams{ID: "missing"})))
	_, err = s.FailReceipt(ctx, store.FailReceiptParams{ID: "missing", Dead: true})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
}

func testConcurrentClaims(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const n = 60
	for i := 0; i < n; i++ {
		_, err := s.InsertReceipt(ctx, receiptParams("shop-a", fmt.Sprintf("evt-%d", i)))
		require.NoError(t, err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rs, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{Limit: 7})
				if err != nil {
					errs <- err
					return
				}
				if len(rs) == 0 {
					return
				}
				mu.Lock()
				for _, r := range rs {
					seen[r.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, seen, n, "every receipt is claimed")
	for id, c := range seen {
		require.Equal(t, 1, c, "receipt %s claimed %d times", id, c)
	}
}

func testConcurrentReceiptInserts(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const n = 24
	var wg sync.WaitGroup
	results := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.InsertReceipt(ctx, receiptParams("shop-a", "same-event"))
			results <- err
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch orderhub.ErrorCode(err) {
		case "":
			ok++
		case orderhub.EConflict:
		default:
			require.NoError(t, err)
		}
	}
	require.Equal(t, 1, ok, "exactly one delivery is stored")
	page, err := s.ListReceipts(ctx, store.ListReceiptsParams{})
	require.NoError(t, err)
	require.Len(t, page.Receipts, 1)
	require.Equal(t, 1, drainJobs(t, s))
}

func testReceiptList(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	var ids []string
	for i := 0; i < 7; i++ {
		shop := "shop-a"
		if i%3 == 0 {
			shop = "shop-b"
		}
		r, err := s.InsertReceipt(ctx, receiptParams(shop, fmt.Sprintf("k-%d", i)))
		require.NoError(t, err)
		ids = append(ids, r.ID)
	}
	var all []string
	after := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		page, err := s.ListReceipts(ctx, store.ListReceiptsParams{Limit: 3, After: after})
		require.NoError(t, err)
		for _, r := range page.Receipts {
			all = append(all, r.ID)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	require.Equal(t, want, all, "newest first, no gaps or repeats")

	page, err := s.ListReceipts(ctx, store.ListReceiptsParams{ShopIDs: []string{"shop-b"}})
	require.NoError(t, err)
	require.Len(t, page.Receipts, 3)
	page, err = s.ListReceipts(ctx, store.ListReceiptsParams{ShopIDs: []string{}})
	require.NoError(t, err)
	require.Empty(t, page.Receipts, "an empty shop scope sees nothing")
	page, err = s.ListReceipts(ctx, store.ListReceiptsParams{Status: store.ReceiptProcessed})
	require.NoError(t, err)
	require.Empty(t, page.Receipts)
	page, err = s.ListDeadReceipts(ctx, store.ListReceiptsParams{})
	require.NoError(t, err)
	require.Empty(t, page.Receipts)
}

func testReconcileCursor(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	at, err := s.GetReconcileCursor(ctx, "shop-a")
	require.NoError(t, err)
	require.True(t, at.IsZero(), "a shop never reconciled has no cursor")

	t1 := time.Date(2026, 11, 2, 15, 4, 5, 123456000, time.UTC)
	require.NoError(t, s.SetReconcileCursor(ctx, "shop-a", t1))
	at, err = s.GetReconcileCursor(ctx, "shop-a")
	require.NoError(t, err)
	require.Equal(t, t1, at)

	require.NoError(t, s.SetReconcileCursor(ctx, "shop-a", t1.Add(-time.Hour)))
	at, err = s.GetReconcileCursor(ctx, "shop-a")
	require.NoError(t, err)
	require.Equal(t, t1, at, "a cursor never moves back")

	require.NoError(t, s.SetReconcileCursor(ctx, "shop-a", t1.Add(time.Minute)))
	at, err = s.GetReconcileCursor(ctx, "shop-a")
	require.NoError(t, err)
	require.Equal(t, t1.Add(time.Minute), at)

	at, err = s.GetReconcileCursor(ctx, "shop-b")
	require.NoError(t, err)
	require.True(t, at.IsZero(), "cursors are per shop")
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(s.SetReconcileCursor(ctx, "", t1)))
}

// platformOrder is SampleOrder as a platform reports it at updated.
func platformOrder(ext string, st orderhub.Status, platformStatus string, updated time.Time) orderhub.Order {
	o := SampleOrder("shop-a", ext)
	o.Status, o.PlatformStatus, o.PlatformUpdate = st, platformStatus, updated
	if st != orderhub.StatusPaid {
		o.PaidAt = nil
	}
	return o
}

func upsert(t *testing.T, s store.Store, o orderhub.Order, topic string) store.UpsertPlatformOrderResult {
	t.Helper()
	res, err := s.UpsertPlatformOrder(ctxT(t), store.UpsertPlatformOrderParams{Order: o, Actor: o.Platform, Topic: topic, ReceiptID: "r-" + topic})
	require.NoError(t, err)
	return res
}

func events(t *testing.T, s store.Store, orderID string) []orderhub.OrderEvent {
	t.Helper()
	ev, err := s.ListEvents(ctxT(t), orderID)
	require.NoError(t, err)
	st, err := orderhub.ReplayStatus(ev)
	require.NoError(t, err, "the timeline replays")
	o, err := s.GetOrder(ctxT(t), orderID)
	require.NoError(t, err)
	require.Equal(t, o.Status, st, "the timeline replays to the stored status")
	return ev
}

func notesContaining(ev []orderhub.OrderEvent, sub string) int {
	n := 0
	for _, e := range ev {
		if strings.Contains(e.Note, sub) {
			n++
		}
	}
	return n
}

var t0 = time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)

func testUpsertCreate(t *testing.T, s store.Store) {
	in := platformOrder("1001", orderhub.StatusPaid, "paid", t0)
	res := upsert(t, s, in, "orders/paid")
	require.True(t, res.Created)
	require.False(t, res.Stale)
	require.Equal(t, []orderhub.Status{orderhub.StatusPaymentProcessing, orderhub.StatusPaid}, res.Entered)
	require.Equal(t, orderhub.StatusPaid, res.Order.Status)
	require.Len(t, res.Order.Lines, 3)
	require.Equal(t, in.PaidAt.UTC(), res.Order.PaidAt.UTC(), "the platform's paid time is kept")
	require.Equal(t, t0, res.Order.PlatformUpdate)
	require.Empty(t, in.ID, "the caller's order is not changed")

	ev := events(t, s, res.Order.ID)
	require.Len(t, ev, 3)
	require.Equal(t, orderhub.EventCreated, ev[0].Kind)
	require.Equal(t, orderhub.StatusPending, ev[0].To, "a new order starts pending")
	require.Contains(t, ev[0].Note, "orders/paid")
	for _, e := range ev[1:] {
		require.Equal(t, orderhub.EventTransition, e.Kind)
		require.Equal(t, "shopify", e.Actor)
		require.Contains(t, e.Note, "shopify reports paid")
	}

	cancelled := upsert(t, s, platformOrder("1002", orderhub.StatusCancelled, "voided", t0), "orders/cancelled")
	require.True(t, cancelled.Created)
	require.False(t, cancelled.CancelRequested, "a new order is created cancelled, nothing to release")
	require.Equal(t, orderhub.StatusCancelled, cancelled.Order.Status)
	require.Equal(t, []orderhub.Status{orderhub.StatusCancelled}, cancelled.Entered)

	refunded := upsert(t, s, platformOrder("1003", orderhub.StatusRefunded, "refunded", t0), "orders/updated")
	require.Equal(t, orderhub.StatusRefunded, refunded.Order.Status)
	require.Len(t, refunded.Entered, 6, "every step to refunded is recorded")
	events(t, s, refunded.Order.ID)
}

func testUpsertStaleAndNewer(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	first := upsert(t, s, platformOrder("2001", orderhub.StatusPaid, "paid", t0.Add(time.Minute)), "orders/updated")
	id := first.Order.ID

	// The older "create" arrives late: recorded, not applied.
	stale := platformOrder("2001", orderhub.StatusPending, "pending", t0)
	stale.Customer.Email = "old@example.com"
	res := upsert(t, s, stale, "orders/create")
	require.True(t, res.Stale)
	require.False(t, res.Updated)
	require.Empty(t, res.Entered)
	require.Equal(t, orderhub.StatusPaid, res.Order.Status)
	require.Equal(t, "bob@example.com", res.Order.Customer.Email)
	ev := events(t, s, id)
	require.Equal(t, 1, notesContaining(ev, "stale update from shopify ignored: updated_at 2026-11-02T15:00:00Z older than 2026-11-02T15:01:00Z"))
	last := ev[len(ev)-1]
	require.Equal(t, orderhub.EventWebhook, last.Kind)
	require.Contains(t, string(last.Data), `"receipt_id":"r-orders/create"`)

	// A newer update overwrites the platform's fields and replaces unrouted
	// lines, keeping the ids of lines still there.
	newer := platformOrder("2001", orderhub.StatusPaid, "paid", t0.Add(2*time.Minute))
	newer.Customer.Email = "new@example.com"
	newer.ShippingAddr.City = "Brooklyn"
	newer.Totals.Total = usd("50.00")
	newer.Note, newer.Tags = "leave at door", []string{"vip", "rush"}
	newer.Lines = append(newer.Lines[:1:1], newer.Lines[2], orderhub.Line{ExternalID: "4", SKU: "SKU-D", Name: "D", Quantity: 5, UnitPrice: usd("1.00"), RequiresShp: true})
	newer.Lines[0].Quantity = 3
	res = upsert(t, s, newer, "orders/updated")
	require.True(t, res.Updated)
	require.False(t, res.Stale)
	got, err := s.GetOrder(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "new@example.com", got.Customer.Email)
	require.Equal(t, "Brooklyn", got.ShippingAddr.City)
	require.Equal(t, int64(5000), got.Totals.Total.Amount)
	require.Equal(t, "leave at door", got.Note)
	require.Equal(t, []string{"vip", "rush"}, got.Tags)
	require.Equal(t, t0.Add(2*time.Minute), got.PlatformUpdate)
	require.Len(t, got.Lines, 3)
	require.Equal(t, []string{"SKU-A", "SKU-C", "SKU-D"}, []string{got.Lines[0].SKU, got.Lines[1].SKU, got.Lines[2].SKU})
	require.Equal(t, int64(3), got.Lines[0].Quantity)
	require.Equal(t, first.Order.Lines[0].ID, got.Lines[0].ID, "a line the platform still has keeps its id")
	require.Equal(t, first.Order.Lines[2].ID, got.Lines[1].ID)
	require.Equal(t, orderhub.StatusPaid, got.Status)

	// Same time, later status: moves forward; fields stay.
	same := platformOrder("2001", orderhub.StatusFulfilled, "paid", t0.Add(2*time.Minute))
	same.Customer.Email = "same-second@example.com"
	res = upsert(t, s, same, "orders/fulfilled")
	require.False(t, res.Updated, "an update of the same time overwrites nothing")
	require.Equal(t, []orderhub.Status{orderhub.StatusAwaitingFulfillment, orderhub.StatusPartiallyFulfilled, orderhub.StatusFulfilled}, res.Entered)
	require.Equal(t, "new@example.com", res.Order.Customer.Email)

	// Newer but backwards, with the platform's own status changed: recorded, ignored.
	back := platformOrder("2001", orderhub.StatusPending, "pending", t0.Add(3*time.Minute))
	res = upsert(t, s, back, "orders/updated")
	require.Equal(t, orderhub.StatusPending, res.Ignored)
	require.Equal(t, orderhub.StatusFulfilled, res.Order.Status)
	ev = events(t, s, id)
	require.Equal(t, 1, notesContaining(ev, `shopify status "pending" (pending) ignored: the order is fulfilled and cannot move back`))

	// The same backwards status again says nothing new.
	again := platformOrder("2001", orderhub.StatusPending, "pending", t0.Add(4*time.Minute))
	res = upsert(t, s, again, "orders/updated")
	require.Empty(t, res.Ignored)
	ev2 := events(t, s, id)
	require.Equal(t, 1, notesContaining(ev2, "cannot move back"))

	// Nothing moves a fulfilled order to cancelled.
	cancel := platformOrder("2001", orderhub.StatusCancelled, "voided", t0.Add(5*time.Minute))
	res = upsert(t, s, cancel, "orders/cancelled")
	require.False(t, res.CancelRequested)
	require.Equal(t, orderhub.StatusCancelled, res.Ignored)
	require.Equal(t, orderhub.StatusFulfilled, res.Order.Status)
}

func testUpsertRouted(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	first := upsert(t, s, platformOrder("3001", orderhub.StatusPaid, "paid", t0), "orders/create")
	id := first.Order.ID
	routed, err := s.OrderHasRoutedWork(ctx, id)
	require.NoError(t, err)
	require.False(t, routed, "a paid order not yet routed has no routed work")
	advance(t, s, id, orderhub.StatusAwaitingFulfillment)
	routed, err = s.OrderHasRoutedWork(ctx, id)
	require.NoError(t, err)
	require.True(t, routed)
	_, err = s.OrderHasRoutedWork(ctx, "missing")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))

	upd := platformOrder("3001", orderhub.StatusPaid, "paid", t0.Add(time.Minute))
	upd.Lines = upd.Lines[:2]
	upd.ShippingAddr.Zip = "10002"
	res := upsert(t, s, upd, "orders/updated")
	require.True(t, res.Updated)
	require.Empty(t, res.Ignored, "a platform still calling a routed order paid is merely behind")
	require.Empty(t, res.Entered)
	got, err := s.GetOrder(ctx, id)
	require.NoError(t, err)
	require.Len(t, got.Lines, 3, "routed lines are never replaced by the platform")
	require.Equal(t, "10002", got.ShippingAddr.Zip, "the address still follows the platform")
	require.Equal(t, orderhub.StatusAwaitingFulfillment, got.Status)
	ev := events(t, s, id)
	require.Equal(t, 1, notesContaining(ev, "lines changed on shopify after routing"))
	require.Zero(t, notesContaining(ev, "cannot move back"))

	// A routed order can still be cancelled, by the caller.
	res = upsert(t, s, platformOrder("3001", orderhub.StatusCancelled, "voided", t0.Add(2*time.Minute)), "orders/cancelled")
	require.True(t, res.CancelRequested)
	require.Equal(t, orderhub.StatusAwaitingFulfillment, res.Order.Status, "the upsert never cancels an existing order itself")
}

func testUpsertCancel(t *testing.T, s store.Store) {
	first := upsert(t, s, platformOrder("4001", orderhub.StatusPending, "pending", t0), "orders/create")
	require.Equal(t, orderhub.StatusPending, first.Order.Status)
	require.Empty(t, first.Entered)
	res := upsert(t, s, platformOrder("4001", orderhub.StatusCancelled, "voided", t0.Add(time.Minute)), "orders/cancelled")
	require.True(t, res.CancelRequested)
	require.True(t, res.Updated)
	require.Equal(t, "voided", res.Order.PlatformStatus)
	require.Equal(t, orderhub.StatusPending, res.Order.Status)

	stale := upsert(t, s, platformOrder("4001", orderhub.StatusCancelled, "voided", t0.Add(-time.Minute)), "orders/cancelled")
	require.True(t, stale.Stale)
	require.False(t, stale.CancelRequested, "a stale cancellation is not applied")
}

func testUpsertInvalid(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := platformOrder("5001", "", "", t0)
	_, err := s.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{Order: o})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	o = platformOrder("5001", orderhub.StatusPaid, "paid", t0)
	o.Lines[1].Quantity = 0
	_, err = s.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{Order: o})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	page, err := s.ListOrders(ctx, store.ListOrdersParams{})
	require.NoError(t, err)
	require.Empty(t, page.Orders, "nothing is stored from an invalid order")

	upsert(t, s, platformOrder("5002", orderhub.StatusPaid, "paid", t0), "orders/create")
	eur := platformOrder("5002", orderhub.StatusPaid, "paid", t0.Add(time.Minute))
	eur.Currency = "EUR"
	for i := range eur.Lines {
		eur.Lines[i].UnitPrice.Currency, eur.Lines[i].Discount.Currency, eur.Lines[i].Tax.Currency = "EUR", "EUR", "EUR"
	}
	_, err = s.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{Order: eur})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	require.Contains(t, err.Error(), "currency")
}

// testUpsertConcurrent creates one order from many goroutines at once, as
// a webhook and a reconciliation pass may: one creation wins, the others
// fail with Conflict (PostgreSQL) or find the order (SQLite), and a retry
// of a loser changes nothing.
func testUpsertConcurrent(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const n = 8
	var wg sync.WaitGroup
	type out struct {
		res store.UpsertPlatformOrderResult
		err error
	}
	results := make(chan out, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := s.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{Order: platformOrder("6001", orderhub.StatusPaid, "paid", t0), Actor: "shopify"})
			results <- out{res, err}
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	created, conflicts := 0, 0
	for r := range results {
		switch orderhub.ErrorCode(r.err) {
		case "":
			if r.res.Created {
				created++
			}
		case orderhub.EConflict:
			conflicts++
		default:
			require.NoError(t, r.err)
		}
	}
	require.Equal(t, 1, created, "exactly one upsert creates the order")
	for i := 0; i < conflicts; i++ {
		res := upsert(t, s, platformOrder("6001", orderhub.StatusPaid, "paid", t0), "orders/paid")
		require.False(t, res.Created)
		require.Empty(t, res.Entered)
	}
	page, err := s.ListOrders(ctx, store.ListOrdersParams{ExternalID: "6001"})
	require.NoError(t, err)
	require.Len(t, page.Orders, 1)
	ev := events(t, s, page.Orders[0].ID)
	require.Len(t, ev, 3, "one creation and two steps, whatever the interleaving")
}

// testDrainFlag checks the enqueueing contract: one drain job per time the
// inbox goes from idle to busy, whatever the number of receipts, and a new
// one as soon as the drain has finished.
func testDrainFlag(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	idle, err := s.FinishDrain(ctx)
	require.NoError(t, err)
	require.True(t, idle, "an empty inbox is idle")

	first, err := s.InsertReceipt(ctx, receiptParams("shop-a", "d-1"))
	require.NoError(t, err)
	_, err = s.InsertReceipt(ctx, receiptParams("shop-a", "d-2"))
	require.NoError(t, err)
	require.Equal(t, 1, drainJobs(t, s), "one drain job for however many receipts")

	idle, err = s.FinishDrain(ctx)
	require.NoError(t, err)
	require.False(t, idle, "receipts are due: the drain must carry on")
	_, err = s.InsertReceipt(ctx, receiptParams("shop-a", "d-3"))
	require.NoError(t, err)
	require.Equal(t, 1, drainJobs(t, s), "the drain job is still on its way")

	claimed, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{})
	require.NoError(t, err)
	require.Len(t, claimed, 3)
	for _, r := range claimed {
		require.NoError(t, s.CompleteReceipt(ctx, store.CompleteReceiptParams{ID: r.ID, Outcome: "ok"}))
	}
	idle, err = s.FinishDrain(ctx)
	require.NoError(t, err)
	require.True(t, idle)

	// The drain finished: the next receipt enqueues a new job, even while
	// the old one may still be on the books as running.
	_, err = s.InsertReceipt(ctx, receiptParams("shop-a", "d-4"))
	require.NoError(t, err)
	require.Equal(t, 2, drainJobs(t, s))
	_, err = s.InsertReceipt(ctx, receiptParams("shop-a", "d-5"))
	require.NoError(t, err)
	require.Equal(t, 2, drainJobs(t, s))

	// A failed receipt waiting for its retry is not due, so the drain may
	// finish; a replay makes it due and enqueues a job again.
	claimed, err = s.ClaimReceipts(ctx, store.ClaimReceiptsParams{})
	require.NoError(t, err)
	require.Len(t, claimed, 2)
	require.NoError(t, s.CompleteReceipt(ctx, store.CompleteReceiptParams{ID: claimed[0].ID}))
	_, err = s.FailReceipt(ctx, store.FailReceiptParams{ID: claimed[1].ID, Error: "x", RetryAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	idle, err = s.FinishDrain(ctx)
	require.NoError(t, err)
	require.True(t, idle, "nothing due until the retry time")
	_, err = s.ReplayReceipt(ctx, claimed[1].ID)
	require.NoError(t, err)
	require.Equal(t, 3, drainJobs(t, s), "a replay wakes the drain")
	_, err = s.ReplayReceipt(ctx, first.ID)
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err))
	require.Equal(t, 3, drainJobs(t, s))
}

// testReceiptPrune: old processed receipts go; pending, failed and dead
// ones stay whatever their age, and nothing newer than the cut-off goes.
func testReceiptPrune(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	var ids []string
	for i := 0; i < 5; i++ {
		r, err := s.InsertReceipt(ctx, receiptParams("shop-a", fmt.Sprintf("prune-%d", i)))
		require.NoError(t, err)
		ids = append(ids, r.ID)
	}
	claimed, err := s.ClaimReceipts(ctx, store.ClaimReceiptsParams{Limit: 3})
	require.NoError(t, err)
	require.Len(t, claimed, 3)
	for _, r := range claimed {
		require.NoError(t, s.CompleteReceipt(ctx, store.CompleteReceiptParams{ID: r.ID, Outcome: "ok"}))
	}
	n, err := s.PruneReceipts(ctx, time.Now().Add(-time.Hour), 100)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is older than an hour")

	n, err = s.PruneReceipts(ctx, time.Now().Add(time.Hour), 2)
	require.NoError(t, err)
	require.Equal(t, 2, n, "the limit bounds one pass")
	n, err = s.PruneReceipts(ctx, time.Now().Add(time.Hour), 100)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	for i, id := range ids {
		_, err := s.GetReceipt(ctx, id)
		if i < 3 {
			require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "processed receipt %d pruned", i)
		} else {
			require.NoError(t, err, "pending receipt %d kept", i)
		}
	}
}
