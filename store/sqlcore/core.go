package sqlcore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// Core implements store.Tx over a Querier. Bound to a pool, each writing
// operation opens its own transaction; bound to a transaction, it runs in it.
type Core struct {
	d      Dialect
	q      Querier
	inTx   bool
	run    TxRunner
	insert InsertJobFunc
	now    func() time.Time
	// process is the store's own process id: the claimant of the receipts
	// it claims when the caller names none.
	process string
}

var _ store.Tx = (*Core)(nil)

// NewCore returns a Core bound to pool. run starts transactions; insert
// enqueues a job outside any transaction; process is the store's process id
// (store.Options.ProcessID), possibly empty.
func NewCore(d Dialect, pool Querier, run TxRunner, insert InsertJobFunc, now func() time.Time, process string) *Core {
	if now == nil {
		now = time.Now
	}
	return &Core{d: d, q: pool, run: run, insert: insert, now: now, process: process}
}

// Bind returns a Core that runs in the transaction q.
func (c *Core) Bind(q Querier, insert InsertJobFunc) *Core {
	return &Core{d: c.d, q: q, inTx: true, run: c.run, insert: insert, now: c.now, process: c.process}
}

// InTx runs fn in a transaction, or in the current one when c is bound.
func (c *Core) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return c.write(ctx, func(tc *Core) error { return fn(ctx, tc) })
}

func (c *Core) write(ctx context.Context, fn func(tc *Core) error) error {
	if c.inTx {
		return fn(c)
	}
	return c.run(ctx, func(q Querier, ins InsertJobFunc) error { return fn(c.Bind(q, ins)) })
}

func (c *Core) sql(name string) string { return c.d.Queries.Get(name) }

func (c *Core) mapErr(err error) error {
	if err == nil {
		return nil
	}
	if c.d.IsNoRows(err) {
		return orderhub.Errorf(orderhub.ENotFound, "not found")
	}
	return c.d.MapError(err)
}

// NewID returns a time-ordered unique id, so ids sort by creation.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// InsertJob implements store.Tx.
func (c *Core) InsertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := c.insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("insert %s job: %w", args.Kind(), err)
	}
	return res, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // domain values always marshal
	}
	return string(b)
}

func nullMicros(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := micros(*t)
	return &v
}

// CreateOrder implements store.Tx.
func (c *Core) CreateOrder(ctx context.Context, p store.CreateOrderParams) (orderhub.Order, error) {
	o := p.Order
	if err := validateOrder(o); err != nil {
		return orderhub.Order{}, err
	}
	now := c.now().UTC()
	if o.ID == "" {
		o.ID = NewID()
	}
	if o.Status == "" {
		o.Status = orderhub.StatusPending
	}
	o.CreatedAt, o.UpdatedAt, o.StatusChanged = now, now, now
	for i := range o.Lines {
		if o.Lines[i].ID == "" {
			o.Lines[i].ID = NewID()
		}
	}
	err := c.write(ctx, func(tc *Core) error {
		t := o.Totals
		_, err := tc.q.Exec(ctx, tc.sql("InsertOrder"),
			o.ID, o.ShopID, o.Platform, o.ExternalID, o.ExternalNumber, string(o.Status), o.PlatformStatus,
			o.Currency, mustJSON(o.Customer), mustJSON(o.ShippingAddr), mustJSON(nonNil(o.Shipping)),
			mustJSON(nonNil(o.Attributes)), mustJSON(nonNil(o.Tags)), o.Note, mustJSON(nonNil(o.Explanations)),
			t.Subtotal.Amount, t.Discount.Amount, t.Shipping.Amount, t.Tax.Amount, t.Total.Amount, t.Refunded.Amount, o.TaxesIncluded,
			nullMicros(o.PaidAt), micros(o.PlatformUpdate), micros(now), micros(now))
		if err != nil {
			return tc.mapErr(err)
		}
		for i, l := range o.Lines {
			_, err := tc.q.Exec(ctx, tc.sql("InsertOrderLine"),
				l.ID, o.ID, i, l.ExternalID, l.SKU, l.Name, l.ProductID, l.VariantID, l.Quantity, l.Cancelled,
				l.UnitPrice.Amount, l.Discount.Amount, l.Tax.Amount, l.RequiresShp, mustJSON(nonNil(l.Properties)), l.NoShippingReason)
			if err != nil {
				return tc.mapErr(err)
			}
		}
		_, err = tc.addEvent(ctx, orderhub.OrderEvent{
			OrderID: o.ID, Kind: orderhub.EventCreated, To: o.Status, Actor: p.Actor, Note: p.Note,
		})
		return err
	})
	if err != nil {
		if orderhub.ErrorCode(err) == orderhub.EConflict {
			return orderhub.Order{}, orderhub.WrapError(orderhub.EConflict, err,
				"order %s already exists in shop %s", o.ExternalID, o.ShopID)
		}
		return orderhub.Order{}, fmt.Errorf("create order: %w", err)
	}
	return o, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func validateOrder(o orderhub.Order) error {
	switch {
	case o.ShopID == "":
		return orderhub.Errorf(orderhub.EInvalid, "order has no shop")
	case o.ExternalID == "":
		return orderhub.Errorf(orderhub.EInvalid, "order has no external id")
	case o.Status != "" && !o.Status.Valid():
		_, err := orderhub.ParseStatus(string(o.Status))
		return err
	}
	if _, err := orderhub.CurrencyExponent(o.Currency); err != nil {
		return err
	}
	for i, l := range o.Lines {
		if l.Quantity <= 0 || l.Cancelled < 0 || l.Cancelled > l.Quantity {
			return orderhub.Errorf(orderhub.EInvalid, "line %d (%s): quantity %d with %d cancelled is not valid", i, l.SKU, l.Quantity, l.Cancelled)
		}
		for _, m := range []orderhub.Money{l.UnitPrice, l.Discount, l.Tax} {
			if m.Currency != "" && m.Currency != o.Currency {
				return orderhub.Errorf(orderhub.EInvalid, "line %d (%s): amount in %s on a %s order", i, l.SKU, m.Currency, o.Currency)
			}
		}
	}
	return nil
}

// orderColumns is the order of the columns every order SELECT returns.
func (c *Core) scanOrder(row Row) (orderhub.Order, error) {
	var o orderhub.Order
	var status, customer, addr, ship, attrs, tags, expl string
	var sub, disc, shp, tax, tot, ref int64
	var paidAt *int64
	var platUpd, created, updated, statusChanged int64
	err := row.Scan(&o.ID, &o.ShopID, &o.Platform, &o.ExternalID, &o.ExternalNumber, &status, &o.PlatformStatus,
		&o.Currency, &customer, &addr, &ship, &attrs, &tags, &o.Note, &expl,
		&sub, &disc, &shp, &tax, &tot, &ref, &o.TaxesIncluded, &paidAt, &platUpd, &created, &updated, &statusChanged)
	if err != nil {
		return o, err
	}
	o.Status = orderhub.Status(status)
	for _, j := range []struct {
		src string
		dst any
	}{{customer, &o.Customer}, {addr, &o.ShippingAddr}, {ship, &o.Shipping}, {attrs, &o.Attributes}, {tags, &o.Tags}, {expl, &o.Explanations}} {
		if err := json.Unmarshal([]byte(j.src), j.dst); err != nil {
			return o, fmt.Errorf("order %s: decode stored JSON: %w", o.ID, err)
		}
	}
	m := func(v int64) orderhub.Money { return orderhub.Money{Amount: v, Currency: o.Currency} }
	o.Totals = orderhub.Totals{Subtotal: m(sub), Discount: m(disc), Shipping: m(shp), Tax: m(tax), Total: m(tot), Refunded: m(ref)}
	if paidAt != nil {
		t := fromMicros(*paidAt)
		o.PaidAt = &t
	}
	o.PlatformUpdate = fromMicros(platUpd)
	o.CreatedAt = fromMicros(created)
	o.UpdatedAt = fromMicros(updated)
	o.StatusChanged = fromMicros(statusChanged)
	return o, nil
}

func (c *Core) loadLines(ctx context.Context, o *orderhub.Order) error {
	rows, err := c.q.Query(ctx, c.sql("ListOrderLines"), o.ID)
	if err != nil {
		return c.mapErr(err)
	}
	defer rows.Close()
	o.Lines = o.Lines[:0]
	for rows.Next() {
		var l orderhub.Line
		var up, disc, tax int64
		var props string
		if err := rows.Scan(&l.ID, &l.ExternalID, &l.SKU, &l.Name, &l.ProductID, &l.VariantID, &l.Quantity, &l.Cancelled,
			&up, &disc, &tax, &l.RequiresShp, &props, &l.NoShippingReason); err != nil {
			return err
		}
		l.UnitPrice = orderhub.Money{Amount: up, Currency: o.Currency}
		l.Discount = orderhub.Money{Amount: disc, Currency: o.Currency}
		l.Tax = orderhub.Money{Amount: tax, Currency: o.Currency}
		if err := json.Unmarshal([]byte(props), &l.Properties); err != nil {
			return fmt.Errorf("line %s: decode properties: %w", l.ID, err)
		}
		o.Lines = append(o.Lines, l)
	}
	return rows.Err()
}

func (c *Core) getOrder(ctx context.Context, query string, args ...any) (orderhub.Order, error) {
	o, err := c.scanOrder(c.q.QueryRow(ctx, query, args...))
	if err != nil {
		return orderhub.Order{}, c.mapErr(err)
	}
	if err := c.loadLines(ctx, &o); err != nil {
		return orderhub.Order{}, err
	}
	return o, nil
}

// GetOrder implements store.Tx.
func (c *Core) GetOrder(ctx context.Context, id string) (orderhub.Order, error) {
	o, err := c.getOrder(ctx, c.sql("GetOrder"), id)
	if orderhub.ErrorCode(err) == orderhub.ENotFound {
		return o, orderhub.Errorf(orderhub.ENotFound, "order %s not found", id)
	}
	return o, err
}

// GetOrderByExternalID implements store.Tx.
func (c *Core) GetOrderByExternalID(ctx context.Context, shopID, externalID string) (orderhub.Order, error) {
	o, err := c.getOrder(ctx, c.sql("GetOrderByExternalID"), shopID, externalID)
	if orderhub.ErrorCode(err) == orderhub.ENotFound {
		return o, orderhub.Errorf(orderhub.ENotFound, "order %s not found in shop %s", externalID, shopID)
	}
	return o, err
}

// ListOrders implements store.Tx.
func (c *Core) ListOrders(ctx context.Context, p store.ListOrdersParams) (store.OrderPage, error) {
	limit := store.ListLimit(p.Limit)
	allShops := p.ShopIDs == nil
	before := int64(0)
	if !p.StatusSince.IsZero() {
		before = micros(p.StatusSince)
	}
	rows, err := c.q.Query(ctx, c.sql("ListOrders"),
		allShops, mustJSON(nonNil(p.ShopIDs)), string(p.Status), p.ExternalID, before, p.After, limit+1)
	if err != nil {
		return store.OrderPage{}, c.mapErr(err)
	}
	var page store.OrderPage
	for rows.Next() {
		o, err := c.scanOrder(rows)
		if err != nil {
			rows.Close()
			return store.OrderPage{}, err
		}
		page.Orders = append(page.Orders, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.OrderPage{}, c.mapErr(err)
	}
	if len(page.Orders) > limit {
		page.Orders = page.Orders[:limit]
		page.Next = page.Orders[limit-1].ID
	}
	for i := range page.Orders {
		if err := c.loadLines(ctx, &page.Orders[i]); err != nil {
			return store.OrderPage{}, err
		}
	}
	return page, nil
}

// TransitionOrder implements store.Tx.
func (c *Core) TransitionOrder(ctx context.Context, p store.TransitionParams) (orderhub.Order, orderhub.OrderEvent, error) {
	var ev orderhub.OrderEvent
	err := c.write(ctx, func(tc *Core) error {
		var cur string
		if err := tc.q.QueryRow(ctx, tc.sql("GetOrderStatus"), p.OrderID).Scan(&cur); err != nil {
			if tc.d.IsNoRows(err) {
				return orderhub.Errorf(orderhub.ENotFound, "order %s not found", p.OrderID)
			}
			return tc.mapErr(err)
		}
		from := orderhub.Status(cur)
		if p.From != "" && p.From != from {
			return orderhub.Errorf(orderhub.EConflict, "order %s is %s, not %s: cannot move from %s to %s", p.OrderID, from, p.From, p.From, p.To)
		}
		if err := orderhub.CheckTransition(from, p.To); err != nil {
			return err
		}
		now := tc.now().UTC()
		n, err := tc.q.Exec(ctx, tc.sql("UpdateOrderStatus"), p.OrderID, string(from), string(p.To), micros(now))
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 0 {
			// A concurrent transaction moved the order first.
			return orderhub.Errorf(orderhub.EConflict, "order %s moved concurrently: cannot move from %s to %s", p.OrderID, from, p.To)
		}
		ev, err = tc.addEvent(ctx, orderhub.OrderEvent{
			OrderID: p.OrderID, Kind: orderhub.EventTransition, From: from, To: p.To, Actor: p.Actor, Note: p.Note, OccurredAt: now,
		})
		return err
	})
	if err != nil {
		return orderhub.Order{}, orderhub.OrderEvent{}, err
	}
	o, err := c.GetOrder(ctx, p.OrderID)
	return o, ev, err
}

// AddEvent implements store.Tx.
func (c *Core) AddEvent(ctx context.Context, e orderhub.OrderEvent) (orderhub.OrderEvent, error) {
	if e.Kind == orderhub.EventTransition || e.Kind == orderhub.EventCreated {
		return e, orderhub.Errorf(orderhub.EInvalid, "%s events are written by the state machine only", e.Kind)
	}
	if e.Kind == "" {
		return e, orderhub.Errorf(orderhub.EInvalid, "event has no kind")
	}
	var out orderhub.OrderEvent
	err := c.write(ctx, func(tc *Core) error {
		var err error
		out, err = tc.addEvent(ctx, e)
		return err
	})
	return out, err
}

func (c *Core) addEvent(ctx context.Context, e orderhub.OrderEvent) (orderhub.OrderEvent, error) {
	if e.OccurredAt.IsZero() {
		e.OccurredAt = c.now()
	}
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond)
	data := string(e.Data)
	if data == "" {
		data = "null"
	}
	err := c.q.QueryRow(ctx, c.sql("InsertEvent"), e.OrderID, e.Kind, string(e.From), string(e.To), e.Actor, e.Note, data, micros(e.OccurredAt)).Scan(&e.ID)
	if err != nil {
		if c.d.IsNoRows(err) {
			return e, orderhub.Errorf(orderhub.ENotFound, "order %s not found", e.OrderID)
		}
		err = c.mapErr(err)
		if orderhub.ErrorCode(err) == orderhub.EInvalid { // a foreign key points nowhere
			return e, orderhub.Errorf(orderhub.ENotFound, "order %s not found", e.OrderID)
		}
		return e, err
	}
	return e, nil
}

// ListEvents implements store.Tx.
func (c *Core) ListEvents(ctx context.Context, orderID string) ([]orderhub.OrderEvent, error) {
	rows, err := c.q.Query(ctx, c.sql("ListEvents"), orderID)
	if err != nil {
		return nil, c.mapErr(err)
	}
	defer rows.Close()
	var out []orderhub.OrderEvent
	for rows.Next() {
		var e orderhub.OrderEvent
		var from, to, data string
		var at int64
		if err := rows.Scan(&e.ID, &e.OrderID, &e.Kind, &from, &to, &e.Actor, &e.Note, &data, &at); err != nil {
			return nil, err
		}
		e.From, e.To = orderhub.Status(from), orderhub.Status(to)
		if data != "null" && data != "" {
			e.Data = json.RawMessage(data)
		}
		e.OccurredAt = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
