package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/bigcommerce"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/store"
)

// Reconciliation defaults.
const (
	// DefaultLookback is how far back a shop's first reconciliation pass
	// looks, when it has no cursor yet.
	DefaultLookback = 24 * time.Hour
	// ReconcileTimeout bounds one shop's pass: listing may page through many
	// orders under the platform's rate limit.
	ReconcileTimeout = 10 * time.Minute
)

// ReconcileArgs asks for one shop's reconciliation pass.
type ReconcileArgs struct {
	ShopID string `json:"shop_id"`
}

// Kind names the job.
func (ReconcileArgs) Kind() string { return "reconcile_shop" }

// RawOrder is one order as a platform's API returned it: for Shopify and
// WooCommerce the order resource; for BigCommerce the v2 order with its
// products and shipping addresses (each collection one JSON array).
type RawOrder struct {
	Order             []byte
	Products          []byte // BigCommerce only
	ShippingAddresses []byte // BigCommerce only
}

// OrderLister lists a shop's orders updated at or after since, through the
// platform's API (Shopify updated_at_min, WooCommerce modified_after,
// BigCommerce min_date_modified). The composition root wires it to the API
// clients.
type OrderLister interface {
	ListUpdatedSince(ctx context.Context, shopID string, since time.Time) ([]RawOrder, error)
}

// Reconciler fetches the orders a platform changed since the shop's cursor
// and stores each version webhooks did not already bring as a receipt
// (topic TopicReconcile, key "reconcile:<external id>:<updated_at>"), so
// the drain applies it through the same upsert as a webhook, and polling
// the same version again stores nothing.
type Reconciler struct {
	river.WorkerDefaults[ReconcileArgs]

	Store  Store
	Lister OrderLister
	Shops  []ShopConfig
	Now    func() time.Time
	Logger *slog.Logger
	// Lookback is how far back a shop's first pass looks; DefaultLookback
	// when 0.
	Lookback time.Duration
}

// ReconcileResult says what a pass did.
type ReconcileResult struct {
	Listed int       // orders the platform returned
	Stored int       // new receipts: versions no earlier pass or webhook key had
	Cursor time.Time // the cursor after the pass
}

// Work implements river.Worker: one pass for the job's shop. A shop that is
// no longer configured cancels the job rather than retrying it.
func (r *Reconciler) Work(ctx context.Context, job *river.Job[ReconcileArgs]) error {
	res, err := r.ReconcileShop(ctx, job.Args.ShopID)
	log := r.logger().With("shop", job.Args.ShopID)
	if err != nil {
		if orderhub.ErrorCode(err) == orderhub.ENotFound {
			return river.JobCancel(err)
		}
		log.WarnContext(ctx, "reconciliation failed; will retry", "err", err)
		return err
	}
	if res.Stored > 0 {
		log.InfoContext(ctx, "reconciliation found orders webhooks missed", "listed", res.Listed, "stored", res.Stored)
	}
	return nil
}

// Timeout implements river.Worker.
func (r *Reconciler) Timeout(*river.Job[ReconcileArgs]) time.Duration { return ReconcileTimeout }

func (r *Reconciler) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// ReconcileShop runs one pass for a shop. The cursor moves, to the newest
// platform updated_at seen, only once every receipt is stored.
func (r *Reconciler) ReconcileShop(ctx context.Context, shopID string) (ReconcileResult, error) {
	var shop *ShopConfig
	for i := range r.Shops {
		if r.Shops[i].ID == shopID {
			shop = &r.Shops[i]
		}
	}
	if shop == nil {
		return ReconcileResult{}, orderhub.Errorf(orderhub.ENotFound, "shop %q is not configured", shopID)
	}
	if r.Lister == nil {
		return ReconcileResult{}, orderhub.Errorf(orderhub.EUnsupported, "no order lister is configured for reconciliation")
	}
	cursor, err := r.Store.GetReconcileCursor(ctx, shopID)
	if err != nil {
		return ReconcileResult{}, err
	}
	since := cursor
	if since.IsZero() {
		lookback := r.Lookback
		if lookback <= 0 {
			lookback = DefaultLookback
		}
		now := time.Now
		if r.Now != nil {
			now = r.Now
		}
		since = now().Add(-lookback)
	}
	raws, err := r.Lister.ListUpdatedSince(ctx, shopID, since)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("list %s orders of shop %s updated since %s: %w", shop.Platform, shopID, since.UTC().Format(time.RFC3339), err)
	}
	res := ReconcileResult{Listed: len(raws), Cursor: cursor}
	params := make([]store.InsertReceiptParams, 0, len(raws))
	newest := cursor
	for _, raw := range raws {
		p, updated, err := reconcileReceipt(shop.Platform, shopID, raw)
		if err != nil {
			return res, err
		}
		if updated.After(newest) {
			newest = updated
		}
		params = append(params, p)
	}
	stored := 0
	err = r.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		stored = 0
		for _, p := range params {
			_, err := tx.InsertReceipt(ctx, p)
			switch orderhub.ErrorCode(err) {
			case "":
				stored++
			case orderhub.EConflict: // this version was reconciled before
			default:
				return err
			}
		}
		if newest.After(cursor) {
			return tx.SetReconcileCursor(ctx, shopID, newest)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("store reconciled orders of shop %s: %w", shopID, err)
	}
	res.Stored, res.Cursor = stored, newest
	return res, nil
}

// reconcileReceipt turns one listed order into a receipt, and says its
// platform updated_at. An order that does not normalise is stored anyway,
// keyed by its hash, so that it becomes a dead letter an operator sees
// instead of blocking the cursor for ever.
func reconcileReceipt(platform, shopID string, raw RawOrder) (store.InsertReceiptParams, time.Time, error) {
	p := store.InsertReceiptParams{
		Platform: platform, ShopID: shopID, Topic: TopicReconcile,
		Headers: map[string]string{"X-Orderhub-Source": "reconcile"}, Body: raw.Order,
	}
	var o orderhub.Order
	var err error
	switch platform {
	case orderhub.PlatformShopify:
		o, err = shopify.NormalizeOrder(raw.Order)
	case orderhub.PlatformWooCommerce:
		o, err = woocommerce.NormalizeOrder(raw.Order)
	case orderhub.PlatformBigCommerce:
		env := reconcileEnvelope{Order: nullIfEmpty(raw.Order), Products: nullIfEmpty(raw.Products), ShippingAddresses: nullIfEmpty(raw.ShippingAddresses)}
		if p.Body, err = json.Marshal(env); err != nil {
			return p, time.Time{}, orderhub.WrapError(orderhub.EInvalid, err, "bigcommerce order listed for reconciliation is not JSON")
		}
		o, err = bigcommerce.NormalizeOrder(raw.Order, raw.Products, raw.ShippingAddresses)
	default:
		return p, time.Time{}, orderhub.Errorf(orderhub.EInvalid, "platform %q cannot be reconciled", platform)
	}
	if err != nil || o.ExternalID == "" {
		sum := sha256.Sum256(p.Body)
		p.DedupeKey = "reconcile:sha256:" + hex.EncodeToString(sum[:])
		return p, time.Time{}, nil
	}
	p.DedupeKey = "reconcile:" + o.ExternalID + ":" + o.PlatformUpdate.UTC().Format(time.RFC3339Nano)
	return p, o.PlatformUpdate, nil
}

func nullIfEmpty(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// uniqueWhileWaiting is unique per kind (and args when byArgs) while a job
// is available, pending, scheduled or running, and not once it completed.
func uniqueWhileWaiting(byArgs bool) *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: byArgs, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

// PeriodicJobs returns the jobs the intake needs on a schedule: the drain
// sweep every sweep (also at start, so receipts stored before a restart are
// drained), and when reconcile is positive a reconciliation pass of each
// shop every reconcile.
func PeriodicJobs(shopIDs []string, sweep, reconcile time.Duration) []*river.PeriodicJob {
	if sweep <= 0 {
		sweep = DefaultSweep
	}
	jobs := []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(sweep),
		func() (river.JobArgs, *river.InsertOpts) { return orderhub.ProcessReceiptsArgs{}, store.DrainJobOpts() },
		&river.PeriodicJobOpts{ID: "process_receipts_sweep", RunOnStart: true})}
	if reconcile <= 0 {
		return jobs
	}
	for _, id := range shopIDs {
		jobs = append(jobs, river.NewPeriodicJob(river.PeriodicInterval(reconcile),
			func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{ShopID: id}, uniqueWhileWaiting(true) },
			&river.PeriodicJobOpts{ID: "reconcile_shop:" + id}))
	}
	return jobs
}
