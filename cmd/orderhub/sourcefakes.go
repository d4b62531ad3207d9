package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
	"github.com/orderhub/orderhub/connectors/easypost"
	"github.com/orderhub/orderhub/connectors/easypost/easyposttest"
	"github.com/orderhub/orderhub/connectors/shipbob"
	"github.com/orderhub/orderhub/connectors/shipbob/shipbobtest"
	"github.com/orderhub/orderhub/connectors/shippo"
	"github.com/orderhub/orderhub/connectors/shippo/shippotest"
	"github.com/orderhub/orderhub/connectors/supplier/suppliertest"
)

// sourceFakes are in-process fakes of every configured provider (ShipBob,
// EasyPost, Shippo) and supplier, on loopback, for `orderhub demo` and the
// end-to-end tests.
type sourceFakes struct {
	shipbob  map[string]*shipbobtest.Server  // by provider id
	easypost map[string]*easyposttest.Server // by provider id
	shippo   map[string]*shippotest.Server   // by provider id
	supplier map[string]*suppliertest.Server // by supplier id
	closers  []func()
}

// startSourceFakes starts a fake per provider and supplier of cfg, with
// the credentials and secrets cfg holds, and points cfg's api_base_url and
// delivery.webhook_url values at them.
func startSourceFakes(cfg *config.Config) *sourceFakes {
	w := &sourceFakes{shipbob: map[string]*shipbobtest.Server{}, easypost: map[string]*easyposttest.Server{},
		shippo: map[string]*shippotest.Server{}, supplier: map[string]*suppliertest.Server{}}
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		switch p.Kind {
		case config.ProviderShipBob:
			f := shipbobtest.NewServer(shipbobtest.Options{Token: p.Token, ChannelID: p.ChannelID, WebhookSecret: p.WebhookSecret})
			w.shipbob[p.ID], p.APIBaseURL = f, f.URL
			w.closers = append(w.closers, f.Close)
		case config.ProviderEasyPost:
			f := easyposttest.NewServer(easyposttest.Options{APIKey: p.APIKey, WebhookSecret: p.WebhookSecret})
			w.easypost[p.ID], p.APIBaseURL = f, f.URL
			w.closers = append(w.closers, f.Close)
		case config.ProviderShippo:
			f := shippotest.NewServer(shippotest.Options{APIKey: p.APIKey, WebhookSecret: p.WebhookSecret, Auth: p.Auth})
			w.shippo[p.ID], p.APIBaseURL = f, f.URL
			w.closers = append(w.closers, f.Close)
		}
	}
	for i := range cfg.Suppliers {
		s := &cfg.Suppliers[i]
		f := suppliertest.NewServer(suppliertest.Options{Secret: s.Delivery.Secret})
		w.supplier[s.ID], s.Delivery.WebhookURL = f, f.POURL()
		w.closers = append(w.closers, f.Close)
	}
	return w
}

// Close stops every fake.
func (w *sourceFakes) Close() {
	for _, c := range w.closers {
		c()
	}
}

// ship plays the carrier (or the 3PL, or the supplier) of one submitted
// fulfillment: the parcel is scanned, and the fake that holds it reports
// so to the hub at hubURL as that source does: ShipBob order.shipped,
// EasyPost tracker.updated in_transit, Shippo track_updated TRANSIT, the
// supplier's purchase_order.shipped.
func (w *sourceFakes) ship(ctx context.Context, cfg config.Config, hubURL string, f orderhub.Fulfillment) (fakeplatform.Delivery, error) {
	return w.report(ctx, cfg, hubURL, f, false)
}

// deliver plays the carrier's delivery scan of one shipped fulfillment.
func (w *sourceFakes) deliver(ctx context.Context, cfg config.Config, hubURL string, f orderhub.Fulfillment) (fakeplatform.Delivery, error) {
	return w.report(ctx, cfg, hubURL, f, true)
}

func (w *sourceFakes) report(ctx context.Context, cfg config.Config, hubURL string, f orderhub.Fulfillment, delivered bool) (fakeplatform.Delivery, error) {
	none := fakeplatform.Delivery{}
	switch f.SourceKind {
	case orderhub.SourceSupplier:
		fake := w.supplier[f.SourceID]
		if fake == nil {
			return none, fmt.Errorf("no fake supplier %s", f.SourceID)
		}
		if delivered {
			return fake.Deliver(ctx, hubURL, f.ID)
		}
		return fake.Ship(ctx, hubURL, f.ID, "UPS", "1ZDEMO"+strings.ToUpper(strings.ReplaceAll(f.ID, "-", ""))[:10])
	case orderhub.Source3PL:
		loc, _ := cfg.Location(f.SourceID)
		fake := w.shipbob[loc.Provider]
		if fake == nil {
			return none, fmt.Errorf("no fake 3PL for location %s", f.SourceID)
		}
		if delivered {
			return fake.DeliverOrder(ctx, hubURL, loc.Provider, f.ID)
		}
		number := "9400" + strings.ToUpper(strings.ReplaceAll(f.ID, "-", ""))[:12]
		return fake.ShipOrder(ctx, hubURL, loc.Provider, f.ID, shipbob.Tracking{Carrier: "USPS", CarrierService: "Priority", TrackingNumber: number,
			TrackingURL: "https://tools.usps.com/go/TrackConfirmAction?tLabels=" + number})
	case orderhub.SourceWarehouse:
		loc, _ := cfg.Location(f.SourceID)
		pid := loc.Shipping.Provider
		if fake := w.easypost[pid]; fake != nil {
			status := easypost.TrackerInTransit
			if delivered {
				status = easypost.TrackerDelivered
			}
			d, _, err := fake.Track(ctx, hubURL, pid, f.ExternalID, status)
			return d, err
		}
		if fake := w.shippo[pid]; fake != nil {
			status := shippo.TrackTransit
			if delivered {
				status = shippo.TrackDelivered
			}
			d, _, err := fake.TrackUpdate(ctx, hubURL, pid, f.TrackingNumber, status)
			return d, err
		}
		return none, fmt.Errorf("no fake label account for warehouse %s", f.SourceID)
	}
	return none, fmt.Errorf("fulfillment %s has an unknown source kind %q", f.ID, f.SourceKind)
}
