package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
)

// ShipBobPollArgs asks for one ShipBob provider to be polled for tracking
// its webhooks did not deliver (ShipBob's order_shipped can arrive without
// tracking, or not at all; PLATFORMS.md §4).
type ShipBobPollArgs struct {
	ProviderID string `json:"provider_id"`
}

// Kind names the job.
func (ShipBobPollArgs) Kind() string { return "shipbob_poll" }

// InsertOpts keeps one poll per provider queued or running at a time.
func (ShipBobPollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: allocator.QueueFulfillment, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// DefaultPollInterval is how often each 3PL is polled; ShipBob suggests
// every 15 to 30 minutes.
const DefaultPollInterval = 15 * time.Minute

// PollPeriodicJobs returns one periodic poll per provider, every interval
// (DefaultPollInterval when 0), not run at start.
func PollPeriodicJobs(providerIDs []string, interval time.Duration) []*river.PeriodicJob {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	var out []*river.PeriodicJob
	for _, id := range providerIDs {
		args := ShipBobPollArgs{ProviderID: id}
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(interval),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil }, &river.PeriodicJobOpts{ID: "shipbob_poll:" + id}))
	}
	return out
}

// TrackingPoller is a 3PL account as the poll needs it.
type TrackingPoller interface {
	// PendingTracking returns the shipments with tracking that orderhub
	// has not acknowledged.
	PendingTracking(ctx context.Context) ([]TrackedShipment, error)
	// Acknowledge marks shipments so the next poll skips them.
	Acknowledge(ctx context.Context, shipmentIDs []string) error
}

// TrackedShipment is one shipment a 3PL reports, with what it means for
// the fulfillment whose id is its Reference.
type TrackedShipment struct {
	ID          string
	Reference   string                     // the fulfillment id
	Status      orderhub.FulfillmentStatus // shipped or delivered
	Carrier     string
	Tracking    string
	TrackingURL string
}

// PollWorker is the River worker of shipbob_poll jobs: it applies each
// shipment's tracking through the allocator (a repeat changes nothing),
// then acknowledges what it applied. A shipment whose reference is no
// fulfillment of orderhub's is acknowledged too, so it is not fetched
// forever; one whose update failed is left for the next poll.
type PollWorker struct {
	river.WorkerDefaults[ShipBobPollArgs]
	Advancer Advancer
	Pollers  map[string]TrackingPoller // by provider id
	Logger   *slog.Logger
}

// Timeout implements river.Worker.
func (w *PollWorker) Timeout(*river.Job[ShipBobPollArgs]) time.Duration { return JobTimeout }

// Work implements river.Worker.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[ShipBobPollArgs]) error {
	p := w.Pollers[job.Args.ProviderID]
	if p == nil {
		return river.JobCancel(orderhub.Errorf(orderhub.EUnsupported, "provider %s cannot be polled for tracking", job.Args.ProviderID))
	}
	_, err := Poll(ctx, w.Advancer, job.Args.ProviderID, p, w.Logger)
	return err
}

// PollResult counts what one poll did.
type PollResult struct {
	Seen, Changed, Unknown, Failed int
}

// Poll runs one poll of provider: see PollWorker. A nil log discards.
func Poll(ctx context.Context, adv Advancer, provider string, p TrackingPoller, log *slog.Logger) (PollResult, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var res PollResult
	shipments, err := p.PendingTracking(ctx)
	if err != nil {
		return res, err
	}
	var ack []string
	var errs []error
	for _, s := range shipments {
		res.Seen++
		r, err := adv.Advance(ctx, allocator.Progress{FulfillmentID: s.Reference, Status: s.Status, Carrier: s.Carrier, TrackingNumber: s.Tracking,
			TrackingURL: s.TrackingURL, Actor: provider, Note: fmt.Sprintf("tracking polled from %s (shipment %s)", provider, s.ID)})
		switch {
		case orderhub.ErrorCode(err) == orderhub.ENotFound:
			res.Unknown++
			log.InfoContext(ctx, "polled shipment is no fulfillment of ours", "provider", provider, "shipment", s.ID, "reference", s.Reference)
		case err != nil:
			res.Failed++
			errs = append(errs, fmt.Errorf("shipment %s: %w", s.ID, err))
			continue
		case r.Changed:
			res.Changed++
		}
		ack = append(ack, s.ID)
	}
	if len(ack) > 0 {
		if err := p.Acknowledge(ctx, ack); err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}
