package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("NoticesEnqueuedOnce", func(t *testing.T) { t.Parallel(); testNoticesOnce(t, newStore(t)) })
		t.Run("NoticesClaimAndFinish", func(t *testing.T) { t.Parallel(); testNoticesClaim(t, newStore(t)) })
		t.Run("NoticesConcurrentClaimOneWins", func(t *testing.T) { t.Parallel(); testNoticesConcurrentClaim(t, newStore(t)) })
		t.Run("NoticesRollBackWithTheChange", func(t *testing.T) { t.Parallel(); testNoticesRollback(t, newStore(t)) })
		t.Run("NoticesList", func(t *testing.T) { t.Parallel(); testNoticesList(t, newStore(t)) })
		t.Run("SecretsEnsuredOnce", func(t *testing.T) { t.Parallel(); testSecrets(t, newStore(t)) })
	})
}

// outboxOf returns the store's outbox operations. store.Tx embeds OutboxTx;
// the assertion keeps this area compiling while it is being wired in.
func outboxOf(t *testing.T, s any) store.OutboxTx {
	t.Helper()
	o, ok := s.(store.OutboxTx)
	require.True(t, ok, "%T does not implement store.OutboxTx", s)
	return o
}

func testNoticesOnce(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	ob := outboxOf(t, s)
	o := create(t, s, SampleOrder("shop-a", "n-1"))
	p := store.EnqueueNoticeParams{Key: "shipment:f-1", Kind: "shipment", ShopID: "shop-a", OrderID: o.ID, FulfillmentID: "f-1",
		Payload: json.RawMessage(`{"items":[{"sku":"SKU-A","quantity":2}],"big":9007199254740993}`)}
	n, created, err := ob.EnqueueNotice(ctx, p)
	require.NoError(t, err)
	require.True(t, created)
	require.NotEmpty(t, n.ID)
	require.Equal(t, store.NoticePending, n.Status)
	require.Equal(t, "f-1", n.FulfillmentID)
	require.JSONEq(t, string(p.Payload), string(n.Payload))
	require.Contains(t, string(n.Payload), "9007199254740993", "the payload is kept as written")
	require.Zero(t, n.Attempts)
	require.Nil(t, n.SentAt)

	p.Payload = json.RawMessage(`{"items":[]}`)
	again, created, err := ob.EnqueueNotice(ctx, p)
	require.NoError(t, err)
	require.False(t, created, "a second notice with the same key is not a new notice")
	require.Equal(t, n.ID, again.ID)
	require.JSONEq(t, `{"items":[{"sku":"SKU-A","quantity":2}],"big":9007199254740993}`, string(again.Payload), "the first payload stays")

	byKey, err := ob.GetNoticeByKey(ctx, "shipment:f-1")
	require.NoError(t, err)
	require.Equal(t, n.ID, byKey.ID)

	_, err = ob.GetNotice(ctx, "nope")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
	_, err = ob.GetNoticeByKey(ctx, "nope")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))

	for _, bad := range []store.EnqueueNoticeParams{
		{Kind: "shipment", OrderID: o.ID},
		{Key: "k", OrderID: o.ID},
		{Key: "k", Kind: "shipment"},
		{Key: "k", Kind: "shipment", OrderID: o.ID, Payload: json.RawMessage(`{not json`)},
	} {
		_, _, err := ob.EnqueueNotice(ctx, bad)
		require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "%+v", bad)
	}
	_, _, err = ob.EnqueueNotice(ctx, store.EnqueueNoticeParams{Key: "k-unknown", Kind: "shipment", OrderID: "no-such-order"})
	require.Error(t, err, "a notice needs a stored order")
}

func testNoticesClaim(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	ob := outboxOf(t, s)
	o := create(t, s, SampleOrder("shop-a", "n-2"))
	n, _, err := ob.EnqueueNotice(ctx, store.EnqueueNoticeParams{Key: "backorder:x", Kind: "backorder", ShopID: "shop-a", OrderID: o.ID})
	require.NoError(t, err)
	require.Equal(t, "null", string(n.Payload))

	until := time.Now().Add(time.Hour)
	got, claimed, err := ob.ClaimNotice(ctx, store.ClaimNoticeParams{ID: n.ID, Token: "t1", Until: until})
	require.NoError(t, err)
	require.True(t, claimed)
	require.Equal(t, store.NoticeSending, got.Status)
	require.Equal(t, 1, got.Attempts)
	require.NotNil(t, got.ClaimedUntil)

	_, claimed, err = ob.ClaimNotice(ctx, store.ClaimNoticeParams{ID: n.ID, Token: "t2", Until: until})
	require.NoError(t, err)
	require.False(t, claimed, "a live claim holds the notice")

	_, err = ob.FinishNotice(ctx, store.FinishNoticeParams{ID: n.ID, Token: "t2", Status: store.NoticeSent})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "only the holder finishes")

	back, err := ob.FinishNotice(ctx, store.FinishNoticeParams{ID: n.ID, Token: "t1", Status: store.NoticePending, Error: "smtp: 451 try later"})
	require.NoError(t, err)
	require.Equal(t, store.NoticePending, back.Status)
	require.Equal(t, "smtp: 451 try later", back.LastError)
	require.Nil(t, back.ClaimedUntil)

	// An expired claim (its worker died) can be taken over.
	_, claimed, err = ob.ClaimNotice(ctx, store.ClaimNoticeParams{ID: n.ID, Token: "t3", Until: time.Now().Add(-time.Minute)})
	require.NoError(t, err)
	require.True(t, claimed)
	got, claimed, err = ob.ClaimNotice(ctx, store.ClaimNoticeParams{ID: n.ID, Token: "t4", Until: until})
	require.NoError(t, err)
	require.True(t, claimed, "the lapsed claim of t3 is taken over")
	require.Equal(t, 3, got.Attempts)
	_, err = ob.FinishNotice(ctx, store.FinishNoticeParams{ID: n.ID, Token: "t3", Status: store.NoticeSent})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "t3 lost its claim")

	sent, err := ob.FinishNotice(ctx, store.FinishNoticeParams{ID: n.ID, Token: "t4", Status: store.NoticeSent, Channel: "mail"})
	require.NoError(t, err)
	require.Equal(t, store.NoticeSent, sent.Status)
	require.Equal(t, "mail", sent.Channel)
	require.Empty(t, sent.LastError)
	require.NotNil(t, sent.SentAt)

	_, claimed, err = ob.ClaimNotice(ctx, store.ClaimNoticeParams{ID: n.ID, Token: "t5", Until: until})
	require.NoError(t, err)
	require.False(t, claimed, "a sent notice is never claimed again")

	_, err = ob.FinishNotice(ctx, store.FinishNoticeParams{ID: n.ID, Token: "t4", Status: "lost"})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	_, _, err = ob.ClaimNotice(ctx, store.ClaimNoticeParams{ID: "nope", Token: "t"})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
}

func testNoticesConcurrentClaim(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	ob := outboxOf(t, s)
	o := create(t, s, SampleOrder("shop-a", "n-3"))
	n, _, err := ob.EnqueueNotice(ctx, store.EnqueueNoticeParams{Key: "shipment:c", Kind: "shipment", ShopID: "shop-a", OrderID: o.ID})
	require.NoError(t, err)
	const workers = 8
	var wg sync.WaitGroup
	results := make(chan bool, workers)
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, claimed, err := ob.ClaimNotice(ctx, store.ClaimNoticeParams{ID: n.ID, Token: fmt.Sprintf("w%d", i), Until: time.Now().Add(time.Hour)})
			if err != nil && orderhub.ErrorCode(err) != orderhub.EUnavailable {
				errs <- err
				return
			}
			results <- claimed
		}()
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	wins := 0
	for c := range results {
		if c {
			wins++
		}
	}
	require.Equal(t, 1, wins, "exactly one worker holds the notice")
	got, err := ob.GetNotice(ctx, n.ID)
	require.NoError(t, err)
	require.Equal(t, 1, got.Attempts)
}

func testNoticesRollback(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	o := create(t, s, SampleOrder("shop-a", "n-4"))
	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, _, err := outboxOf(t, tx).EnqueueNotice(ctx, store.EnqueueNoticeParams{Key: "shipment:rb", Kind: "shipment", OrderID: o.ID}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = outboxOf(t, s).GetNoticeByKey(ctx, "shipment:rb")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "the notice goes with the rolled-back change")

	require.NoError(t, s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, created, err := outboxOf(t, tx).EnqueueNotice(ctx, store.EnqueueNoticeParams{Key: "shipment:rb", Kind: "shipment", OrderID: o.ID})
		require.True(t, created)
		return err
	}))
	_, err = outboxOf(t, s).GetNoticeByKey(ctx, "shipment:rb")
	require.NoError(t, err)
}

func testNoticesList(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	ob := outboxOf(t, s)
	a := create(t, s, SampleOrder("shop-a", "n-5"))
	b := create(t, s, SampleOrder("shop-a", "n-6"))
	var ids []string
	for i := range 5 {
		o, kind := a, "shipment"
		if i%2 == 1 {
			o, kind = b, "backorder"
		}
		n, _, err := ob.EnqueueNotice(ctx, store.EnqueueNoticeParams{Key: fmt.Sprintf("k-%d", i), Kind: kind, ShopID: "shop-a", OrderID: o.ID})
		require.NoError(t, err)
		ids = append(ids, n.ID)
	}
	_, claimed, err := ob.ClaimNotice(ctx, store.ClaimNoticeParams{ID: ids[0], Token: "t", Until: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.True(t, claimed)
	_, err = ob.FinishNotice(ctx, store.FinishNoticeParams{ID: ids[0], Token: "t", Status: store.NoticeSent, Channel: "webhook"})
	require.NoError(t, err)

	page, err := ob.ListNotices(ctx, store.ListNoticesParams{Limit: 2})
	require.NoError(t, err)
	require.Len(t, page.Notices, 2)
	require.Equal(t, ids[:2], []string{page.Notices[0].ID, page.Notices[1].ID}, "oldest first")
	require.Equal(t, ids[1], page.Next)
	page, err = ob.ListNotices(ctx, store.ListNoticesParams{After: page.Next, Limit: 10})
	require.NoError(t, err)
	require.Len(t, page.Notices, 3)
	require.Empty(t, page.Next)

	page, err = ob.ListNotices(ctx, store.ListNoticesParams{OrderID: b.ID})
	require.NoError(t, err)
	require.Len(t, page.Notices, 2)
	page, err = ob.ListNotices(ctx, store.ListNoticesParams{Kind: "shipment", Status: store.NoticePending})
	require.NoError(t, err)
	require.Len(t, page.Notices, 2, "two shipment notices are still pending; the third was sent")
	page, err = ob.ListNotices(ctx, store.ListNoticesParams{Status: store.NoticeSent})
	require.NoError(t, err)
	require.Len(t, page.Notices, 1)
	require.Equal(t, "webhook", page.Notices[0].Channel)
}

func testSecrets(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	ob := outboxOf(t, s)
	first := []byte{0, 1, 2, 0xff, 'k'}
	got, err := ob.EnsureSecret(ctx, "notice_links", first)
	require.NoError(t, err)
	require.Equal(t, first, got, "bytes are kept exactly, zeros and all")
	again, err := ob.EnsureSecret(ctx, "notice_links", []byte("another"))
	require.NoError(t, err)
	require.Equal(t, first, again, "the first secret stays")
	other, err := ob.EnsureSecret(ctx, "other", []byte("another"))
	require.NoError(t, err)
	require.Equal(t, []byte("another"), other)

	var wg sync.WaitGroup
	seen := make(chan string, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := ob.EnsureSecret(ctx, "race", []byte(fmt.Sprintf("v%d", i)))
			if err == nil {
				seen <- string(v)
			}
		}()
	}
	wg.Wait()
	close(seen)
	var vals []string
	for v := range seen {
		vals = append(vals, v)
	}
	require.NotEmpty(t, vals)
	for _, v := range vals {
		require.Equal(t, vals[0], v, "every instance reads the same secret")
	}
	_, err = ob.EnsureSecret(ctx, "", []byte("x"))
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
	_, err = ob.EnsureSecret(ctx, "x", nil)
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}
