package main

// The load generator of `orderhub load`: signed order webhooks from every
// platform, each order first added to its platform's fake so the hub can
// fetch it, sent at a target rate (or as fast as the hub answers) with a
// share of exact re-deliveries and of out-of-order updated-before-created
// pairs, spread over one or more hubs.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/bigcommerce/bigcommercetest"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
)

// loadOptions shape one load run.
type loadOptions struct {
	Targets     []string // hub base URLs; deliveries go round-robin
	Orders      int
	Rate        float64 // orders per second; 0 sends as fast as the hub answers
	Concurrency int     // deliveries in flight
	Duplicates  float64 // share of orders whose first delivery is sent again later
	Reorder     float64 // share of orders whose "updated" delivery comes before "created"
	SKUs        []string
	Lines       int   // lines per order
	FirstNumber int64 // order numbers and ids count up from it
	Seed        uint64
}

// loadOrder is one order the generator sent.
type loadOrder struct {
	Shop, Platform, ExternalID string
	FirstSent                  time.Time
	acked                      atomic.Bool
}

// Acked reports whether the hub answered 200 to any delivery of it.
func (o *loadOrder) Acked() bool { return o.acked.Load() }

// loadDelivery is one HTTP delivery.
type loadDelivery struct {
	order  *loadOrder
	path   string // /webhooks/{platform}/{shop}
	header http.Header
	body   []byte
	dup    bool
}

// loadStats is what the generator saw.
type loadStats struct {
	Start, End time.Time
	Deliveries int64 // sent, including duplicates
	Duplicates int64 // re-deliveries sent
	Acked      int64 // answered 200
	Rejected   int64 // answered anything else
	Failed     int64 // no answer (connection refused or reset, timeout)
	Retries    int64 // deliveries sent again after no answer or a 5xx
	Statuses   map[int]int64
	Errors     []string // the first few, to say what went wrong
	Ack        []time.Duration
	Orders     []*loadOrder
}

// Throughput is acknowledged deliveries per second over the run.
func (s *loadStats) Throughput() float64 {
	d := s.End.Sub(s.Start).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(s.Acked) / d
}

// percentile returns the q-quantile (0..1) of sorted durations, or 0.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)) + 0.5)
	i = min(max(i, 1), len(sorted)) - 1
	return sorted[i]
}

// loadGenerator builds the deliveries of one run.
type loadGenerator struct {
	o     loadOptions
	shops []config.Shop
	world *fakeWorld
	rng   *rand.Rand
}

// next builds the deliveries of the i-th order, in sending order, adding
// the order to its platform's fake first.
func (g *loadGenerator) next(i int) (*loadOrder, []loadDelivery, error) {
	shop := g.shops[i%len(g.shops)]
	n := g.o.FirstNumber + int64(i)
	created := time.Now().UTC().Truncate(time.Second)
	picked := map[string]bool{}
	type line struct {
		sku string
		qty int64
	}
	var lines []line
	for len(lines) < g.o.Lines && len(picked) < len(g.o.SKUs) {
		sku := g.o.SKUs[g.rng.IntN(len(g.o.SKUs))]
		if picked[sku] {
			continue
		}
		picked[sku] = true
		lines = append(lines, line{sku, int64(1 + g.rng.IntN(2))})
	}
	reorder := g.rng.Float64() < g.o.Reorder
	o := &loadOrder{Shop: shop.ID, Platform: shop.Platform}
	var created1, updated loadDelivery
	switch shop.Platform {
	case config.PlatformShopify:
		f := g.world.shopify[shop.ID]
		spec := shopifytest.OrderSpec{Number: n, Email: fmt.Sprintf("buyer%d@example.com", n), FinancialStatus: "paid", CreatedAt: created}
		for _, l := range lines {
			spec.Lines = append(spec.Lines, shopifytest.LineSpec{SKU: l.sku, Title: l.sku, Quantity: l.qty, Price: "12.50"})
		}
		body, err := shopifytest.BuildOrder(spec)
		if err != nil {
			return nil, nil, err
		}
		id, err := f.AddOrder(body)
		if err != nil {
			return nil, nil, err
		}
		o.ExternalID = strconv.FormatInt(id, 10)
		path := "/webhooks/shopify/" + shop.ID
		created1 = loadDelivery{o, path, f.DeliveryHeaders(shop.WebhookSecret, "orders/create", body), body, false}
		updated = loadDelivery{o, path, f.DeliveryHeaders(shop.WebhookSecret, "orders/updated", body), body, false}
	case config.PlatformWooCommerce:
		f := g.world.woo[shop.ID]
		spec := woocommercetest.OrderSpec{ID: n, Status: "processing", CreatedAt: created}
		for _, l := range lines {
			spec.Lines = append(spec.Lines, woocommercetest.LineSpec{SKU: l.sku, Name: l.sku, Quantity: l.qty, Price: "12.50"})
		}
		body, err := woocommercetest.BuildOrder(spec)
		if err != nil {
			return nil, nil, err
		}
		id, err := f.AddOrder(body)
		if err != nil {
			return nil, nil, err
		}
		o.ExternalID = strconv.FormatInt(id, 10)
		path := "/webhooks/woocommerce/" + shop.ID
		created1 = loadDelivery{o, path, f.DeliveryHeaders(shop.WebhookSecret, "order.created", 1, body), body, false}
		updated = loadDelivery{o, path, f.DeliveryHeaders(shop.WebhookSecret, "order.updated", 2, body), body, false}
	case config.PlatformBigCommerce:
		f := g.world.bc[shop.ID]
		spec := bigcommercetest.OrderSpec{ID: n, StatusID: 11, CreatedAt: created}
		for _, l := range lines {
			spec.Lines = append(spec.Lines, bigcommercetest.LineSpec{SKU: l.sku, Name: l.sku, Quantity: l.qty, Price: "12.50"})
		}
		oj, pj, aj, err := bigcommercetest.BuildOrder(spec)
		if err != nil {
			return nil, nil, err
		}
		id, err := f.AddOrder(oj, pj, aj)
		if err != nil {
			return nil, nil, err
		}
		o.ExternalID = strconv.FormatInt(id, 10)
		path := "/webhooks/bigcommerce/" + shop.ID
		for _, d := range []struct {
			to    *loadDelivery
			scope string
		}{{&created1, "store/order/created"}, {&updated, "store/order/updated"}} {
			body := f.CallbackBody(d.scope, id)
			h, err := f.DeliveryHeaders(shop.ClientSecret, body, nil)
			if err != nil {
				return nil, nil, err
			}
			*d.to = loadDelivery{o, path, h, body, false}
		}
	default:
		return nil, nil, fmt.Errorf("load: shop %s: unknown platform %q", shop.ID, shop.Platform)
	}
	if reorder {
		return o, []loadDelivery{updated, created1}, nil
	}
	return o, []loadDelivery{created1}, nil
}

// loadAttempts is how often a delivery is tried before the generator gives
// up on it, as a platform would after its retries.
const loadAttempts = 10

// runLoad sends the run's deliveries and measures each answer. It returns
// when every delivery has been answered or has failed, or ctx ends.
func runLoad(ctx context.Context, o loadOptions, shops []config.Shop, world *fakeWorld) (*loadStats, error) {
	if len(o.Targets) == 0 || len(shops) == 0 || len(o.SKUs) == 0 {
		return nil, fmt.Errorf("load: need a target, a shop and a SKU")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Lines <= 0 {
		o.Lines = 3
	}
	g := &loadGenerator{o: o, shops: shops, world: world, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: o.Concurrency * 2, MaxIdleConnsPerHost: o.Concurrency * 2, IdleConnTimeout: 30 * time.Second}}
	defer client.CloseIdleConnections()

	st := &loadStats{Statuses: map[int]int64{}}
	var mu sync.Mutex
	queue := make(chan loadDelivery, o.Concurrency*2)
	var sent atomic.Int64
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range queue {
				// Like a platform, retry what got no answer or a 5xx, with
				// backoff, on the next hub.
				for attempt := 0; ; attempt++ {
					target := o.Targets[int(sent.Add(1))%len(o.Targets)]
					status, took, err := postDelivery(ctx, client, target+d.path, d.header, d.body)
					mu.Lock()
					st.Deliveries++
					if d.dup && attempt == 0 {
						st.Duplicates++
					}
					if attempt > 0 {
						st.Retries++
					}
					switch {
					case err != nil:
						st.Failed++
						if len(st.Errors) < 5 {
							st.Errors = append(st.Errors, err.Error())
						}
					case status == http.StatusOK:
						st.Acked++
						st.Ack = append(st.Ack, took)
						d.order.acked.Store(true)
					default:
						st.Rejected++
					}
					if err == nil {
						st.Statuses[status]++
					}
					mu.Unlock()
					if err == nil && status < 500 || attempt+1 >= loadAttempts || ctx.Err() != nil {
						break
					}
					select {
					case <-ctx.Done():
					case <-time.After(min(100*time.Millisecond<<attempt, 2*time.Second)):
					}
				}
			}
		}()
	}

	// Re-deliveries go out a little later, among other orders' deliveries,
	// as a platform's retry would.
	type later struct {
		due int
		d   loadDelivery
	}
	var pending []later
	st.Start = time.Now()
	var err error
	for i := 0; i < o.Orders; i++ {
		if o.Rate > 0 {
			if wait := time.Until(st.Start.Add(time.Duration(float64(i) / o.Rate * float64(time.Second)))); wait > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(wait):
				}
			}
		}
		if ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		order, ds, gerr := g.next(i)
		if gerr != nil {
			err = gerr
			break
		}
		order.FirstSent = time.Now()
		st.Orders = append(st.Orders, order)
		for _, d := range ds {
			queue <- d
		}
		if g.rng.Float64() < o.Duplicates {
			dup := ds[0]
			dup.dup = true
			pending = append(pending, later{i + 1 + g.rng.IntN(50), dup})
		}
		kept := pending[:0]
		for _, p := range pending {
			if p.due <= i {
				queue <- p.d
			} else {
				kept = append(kept, p)
			}
		}
		pending = kept
	}
	for _, p := range pending {
		if ctx.Err() != nil {
			break
		}
		queue <- p.d
	}
	close(queue)
	wg.Wait()
	st.End = time.Now()
	slices.Sort(st.Ack)
	return st, err
}

// postDelivery sends one delivery and reads the whole answer; took is the
// time to the last byte of the answer.
func postDelivery(ctx context.Context, client *http.Client, url string, header http.Header, body []byte) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header = header.Clone()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, time.Since(start), err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), err
}
