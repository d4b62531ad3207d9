package webhooks_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
	"github.com/orderhub/orderhub/webhooks"
)

func inboxParams(key string) store.InsertReceiptParams {
	return store.InsertReceiptParams{Platform: orderhub.PlatformShopify, ShopID: "acme-shopify", DedupeKey: key,
		Topic: "orders/create", Body: []byte(`{"id": 1}`)}
}

// insertAll submits params from one goroutine each and returns the results
// in order.
func insertAll(g *webhooks.GroupInbox, params []store.InsertReceiptParams) ([]store.Receipt, []error) {
	rs, errs := make([]store.Receipt, len(params)), make([]error, len(params))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, p := range params {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rs[i], errs[i] = g.InsertReceipt(context.Background(), p)
		}()
	}
	close(start)
	wg.Wait()
	return rs, errs
}

func TestGroupInboxCommitsBeforeItAnswers(t *testing.T) {
	eachStore(t, testGroupInboxCommitsBeforeItAnswers)
}

func testGroupInboxCommitsBeforeItAnswers(t *testing.T, setup setupFunc) {
	b := setup(t)
	g := webhooks.NewGroupInbox(b.store, 16, 2)
	var params []store.InsertReceiptParams
	for i := 0; i < 150; i++ {
		params = append(params, inboxParams(fmt.Sprint("k-", i)))
	}
	// Every answer is checked against the database as soon as it arrives:
	// an acknowledged receipt is already committed.
	var wg sync.WaitGroup
	errs := make(chan error, len(params))
	for _, p := range params {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := g.InsertReceipt(context.Background(), p)
			if err != nil {
				errs <- err
				return
			}
			if _, err := b.store.GetReceipt(context.Background(), r.ID); err != nil {
				errs <- fmt.Errorf("receipt %s acknowledged but not readable: %w", r.ID, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, b.receipts(), 150)
	require.Equal(t, 1, b.jobs(orderhub.ProcessReceiptsArgs{}.Kind()), "one drain job for the lot")
}

func TestGroupInboxDuplicatesInOneGroup(t *testing.T) {
	eachStore(t, testGroupInboxDuplicatesInOneGroup)
}

func testGroupInboxDuplicatesInOneGroup(t *testing.T, setup setupFunc) {
	b := setup(t)
	g := webhooks.NewGroupInbox(b.store, 0, 0)
	params := make([]store.InsertReceiptParams, 40)
	for i := range params {
		params[i] = inboxParams("same")
	}
	_, errs := insertAll(g, params)
	stored := 0
	for _, err := range errs {
		switch orderhub.ErrorCode(err) {
		case "":
			stored++
		case orderhub.EConflict:
		default:
			require.NoError(t, err)
		}
	}
	require.Equal(t, 1, stored)
	require.Len(t, b.receipts(), 1)
}

func TestGroupInboxABadReceiptFailsAlone(t *testing.T) {
	eachStore(t, testGroupInboxABadReceiptFailsAlone)
}

func testGroupInboxABadReceiptFailsAlone(t *testing.T, setup setupFunc) {
	b := setup(t)
	g := webhooks.NewGroupInbox(b.store, 0, 0)
	var params []store.InsertReceiptParams
	for i := 0; i < 30; i++ {
		params = append(params, inboxParams(fmt.Sprint("ok-", i)))
	}
	params = append(params, store.InsertReceiptParams{Platform: "shopify", ShopID: "acme-shopify"}) // no key
	_, errs := insertAll(g, params)
	for i, err := range errs[:30] {
		require.NoError(t, err, "receipt %d", i)
	}
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(errs[30]))
	require.Len(t, b.receipts(), 30)
}

func TestGroupInboxRestartsAfterIdling(t *testing.T) {
	t.Parallel()
	b := setup(t)
	g := webhooks.NewGroupInbox(b.store, 0, 0)
	_, err := g.InsertReceipt(ctxT(t), inboxParams("before"))
	require.NoError(t, err)
	time.Sleep(2200 * time.Millisecond) // its committer has stopped
	_, err = g.InsertReceipt(ctxT(t), inboxParams("after"))
	require.NoError(t, err)
	require.Len(t, b.receipts(), 2)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = g.InsertReceipt(ctx, inboxParams("never"))
	require.ErrorIs(t, err, context.Canceled)
}
