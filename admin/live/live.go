// Package live carries "something changed" events from where orderhub
// changes an order to the dashboards watching it, through server-sent
// events. A Broker fans events out to the subscribers of this process; with
// a Relay (see package redislive) it sends them through a shared channel
// first, so every instance's dashboards hear every instance's changes.
//
// Events say what changed, never what it now holds: a dashboard that hears
// one reloads what it shows through the scoped admin API, so an event can
// never leak another tenant's data. The package must not hold business
// rules or storage; a lost event only delays a refresh.
package live

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Event kinds.
const (
	// OrderChanged says an order's status, lines, fulfillments, backorders
	// or timeline changed.
	OrderChanged = "order_changed"
	// StockChanged says a location's stock of a SKU changed.
	StockChanged = "stock_changed"
	// DeadLetterChanged says a dead letter appeared or was replayed.
	DeadLetterChanged = "dead_letter_changed"
)

// Event is one change. ShopID scopes it: a dashboard signed in for other
// shops never hears it. An event with no shop (stock, jobs) reaches only
// dashboards that see every shop.
type Event struct {
	Type    string    `json:"type"`
	ShopID  string    `json:"shop_id,omitempty"`
	OrderID string    `json:"order_id,omitempty"`
	Status  string    `json:"status,omitempty"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
}

// Publisher is what a part that changes orders needs.
type Publisher interface {
	Publish(ctx context.Context, e Event)
}

// Relay sends events to every instance, this one included; each instance
// hands what it receives to its Broker's Deliver.
type Relay interface {
	Send(ctx context.Context, e Event) error
}

// Broker fans events out to this process's subscribers. The zero value is
// not usable; call NewBroker.
type Broker struct {
	mu     sync.Mutex
	closed bool
	subs   map[chan Event]struct{}
	relay  Relay
	logger *slog.Logger
	now    func() time.Time
}

var _ Publisher = (*Broker)(nil)

// NewBroker returns a broker with no subscribers and no relay.
func NewBroker(logger *slog.Logger) *Broker {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Broker{subs: map[chan Event]struct{}{}, logger: logger, now: time.Now}
}

// SetRelay routes published events through r, or back to local delivery
// when r is nil.
func (b *Broker) SetRelay(r Relay) {
	b.mu.Lock()
	b.relay = r
	b.mu.Unlock()
}

// Publish sends e to every subscriber, through the relay when there is
// one. A relay that fails falls back to this process's subscribers, so a
// Redis outage degrades live updates to one instance instead of none.
func (b *Broker) Publish(ctx context.Context, e Event) {
	if b == nil {
		return
	}
	if e.At.IsZero() {
		e.At = b.now().UTC()
	}
	b.mu.Lock()
	r := b.relay
	b.mu.Unlock()
	if r != nil {
		err := r.Send(ctx, e)
		if err == nil {
			return
		}
		b.logger.WarnContext(ctx, "live relay failed; delivering locally", "err", err, "order_id", e.OrderID, "shop", e.ShopID)
	}
	b.Deliver(e)
}

// Deliver hands e to this process's subscribers. A subscriber whose buffer
// is full misses the event rather than slowing the publisher.
func (b *Broker) Deliver(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribe returns a channel of events and a function that ends the
// subscription. The channel is closed when the subscription ends or the
// broker closes; a closed broker returns a closed channel.
func (b *Broker) Subscribe(buffer int) (<-chan Event, func()) {
	if buffer <= 0 {
		buffer = 16
	}
	ch := make(chan Event, buffer)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		close(ch)
		return ch, func() {}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
	}
}

// Close ends every subscription, so that long-lived streams return and a
// server can shut down; later subscriptions end at once.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}

// Subscribers returns how many subscriptions are open.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
