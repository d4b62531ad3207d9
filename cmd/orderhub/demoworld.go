package main

import (
	"fmt"
	"time"

	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/bigcommerce/bigcommercetest"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
)

// fakeWorld is the platforms `orderhub demo` and the end-to-end tests run
// against: one in-process fake per configured shop, on loopback, that
// follows the platform's documented API and signs its deliveries.
type fakeWorld struct {
	shopify map[string]*shopifytest.Server
	woo     map[string]*woocommercetest.Server
	bc      map[string]*bigcommercetest.Server
	sources *sourceFakes // ShipBob, EasyPost, Shippo and the suppliers
	closers []func()
}

// startFakeWorld starts a fake for every shop in cfg and points the shop's
// api_base_url at it. The fakes accept exactly the shop's credentials, and
// a shop with a rate_limit gets the API quota of a plan that allows it.
func startFakeWorld(cfg *config.Config) *fakeWorld {
	w := &fakeWorld{shopify: map[string]*shopifytest.Server{}, woo: map[string]*woocommercetest.Server{}, bc: map[string]*bigcommercetest.Server{}}
	for i := range cfg.Shops {
		s := &cfg.Shops[i]
		switch s.Platform {
		case config.PlatformShopify:
			o := shopifytest.Options{AccessToken: s.AccessToken, ShopDomain: s.Domain, APIVersion: s.APIVersion, WebhookSecret: s.WebhookSecret}
			if r := s.RateLimit; r != nil { // the shop's plan allows the pace it is configured for
				o.LeakRate, o.BucketSize = r.PerSecond, max(shopifytest.DefaultBucketSize, 2*r.Burst)
			}
			f := shopifytest.NewServer(o)
			w.shopify[s.ID] = f
			w.closers = append(w.closers, f.Close)
			s.APIBaseURL = f.URL
		case config.PlatformWooCommerce:
			f := woocommercetest.NewServer(woocommercetest.Options{ConsumerKey: s.ConsumerKey, ConsumerSecret: s.ConsumerSecret, SiteURL: "https://" + s.Domain})
			w.woo[s.ID] = f
			w.closers = append(w.closers, f.Close)
			s.APIBaseURL = f.URL
		case config.PlatformBigCommerce:
			o := bigcommercetest.Options{StoreHash: s.StoreHash, StoreID: "1001", AccessToken: s.AccessToken, ClientSecret: s.ClientSecret}
			if r := s.RateLimit; r != nil {
				o.Quota, o.Window = int(r.PerSecond*30), 30*time.Second
			}
			f := bigcommercetest.NewServer(o)
			w.bc[s.ID] = f
			w.closers = append(w.closers, f.Close)
			s.APIBaseURL = f.URL
		}
	}
	w.sources = startSourceFakes(cfg)
	w.closers = append(w.closers, w.sources.Close)
	return w
}

// Close stops every fake.
func (w *fakeWorld) Close() {
	for _, c := range w.closers {
		c()
	}
}

// demoOrders are the orders the demo sends, one per platform: a split order
// (warehouse, 3PL and dropship), an order with a backordered line, and an
// order one warehouse ships whole. The SKUs match examples/inventory.csv.
var demoCreated = time.Date(2026, 11, 27, 15, 4, 5, 0, time.UTC)

func demoShopifyOrder() []byte {
	return shopifytest.MustBuildOrder(shopifytest.OrderSpec{
		Number: 1001, Email: "ada@example.com", FinancialStatus: "paid", CreatedAt: demoCreated,
		ShipTo: shopifytest.Address{FirstName: "Ada", LastName: "Lovelace", Address1: "1 Broad St", City: "Newark",
			Province: "New Jersey", ProvinceCode: "NJ", Zip: "07102", Country: "United States", CountryCode: "US"},
		ShippingTitle: "Standard", ShippingPrice: "9.95",
		Lines: []shopifytest.LineSpec{
			{SKU: "IPOD2008GREEN", Title: "IPod Nano - Green", Quantity: 2, Price: "199.00", Discount: "20.00", Tax: "23.88"},
			{SKU: "SKU-POSTER", Title: "Tour poster", Quantity: 1, Price: "15.00", Tax: "0.90"},
			{SKU: "SKU-HOODIE-L", Title: "Hoodie (L)", Quantity: 1, Price: "45.00", Tax: "2.70"},
		},
	})
}

func demoWooOrder() []byte {
	return woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{
		ID: 727, Status: "processing", CreatedAt: demoCreated.Add(time.Minute),
		Lines: []woocommercetest.LineSpec{
			{SKU: "SKU-MUG", Name: "Mug &ndash; blue", Quantity: 2, Price: "12.50"},
			{SKU: "IPOD2008BLACK", Name: "IPod Nano &ndash; Black", Quantity: 1, Price: "199.00"},
		},
	})
}

func demoBigCommerceOrder() (order, products, addresses []byte) {
	return bigcommercetest.MustBuildOrder(bigcommercetest.OrderSpec{
		ID: 250, StatusID: 11, CreatedAt: demoCreated.Add(2 * time.Minute),
		Lines: []bigcommercetest.LineSpec{
			{SKU: "IPOD2008RED", Name: "IPod Nano - Red", Quantity: 2, Price: "189.00"},
			{SKU: "SKU-TSHIRT-BLUE-M", Name: "T-shirt blue M", Quantity: 1, Price: "25.00"},
		},
	})
}

// configShop returns the first configured shop of a platform.
func configShop(cfg config.Config, platform string) (config.Shop, error) {
	for _, s := range cfg.Shops {
		if s.Platform == platform {
			return s, nil
		}
	}
	return config.Shop{}, fmt.Errorf("the config has no %s shop", platform)
}
