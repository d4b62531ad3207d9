package sqlcore

import (
	"context"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

var _ store.AlertsTx = (*Core)(nil)

// RecordAlert implements store.AlertsTx.
func (c *Core) RecordAlert(ctx context.Context, p store.RecordAlertParams) (store.Alert, bool, error) {
	if p.OrderID == "" || strings.TrimSpace(p.Kind) == "" {
		return store.Alert{}, false, orderhub.Errorf(orderhub.EInvalid, "an alert needs an order and a kind")
	}
	var out store.Alert
	var created bool
	err := c.write(ctx, func(tc *Core) error {
		var status string
		if err := tc.q.QueryRow(ctx, tc.sql("GetOrderStatus"), p.OrderID).Scan(&status); err != nil {
			if tc.d.IsNoRows(err) {
				return orderhub.Errorf(orderhub.ENotFound, "order %s not found", p.OrderID)
			}
			return tc.mapErr(err)
		}
		n, err := tc.q.Exec(ctx, tc.sql("AlertsInsert"), NewID(), p.OrderID, p.ShopID, p.Kind, micros(tc.now()))
		if err != nil {
			return tc.mapErr(err)
		}
		created = n == 1
		out, err = tc.GetAlert(ctx, p.OrderID, p.Kind)
		return err
	})
	return out, created, err
}

func (c *Core) scanAlert(row Row) (store.Alert, error) {
	var a store.Alert
	var status string
	var created, updated int64
	var sent *int64
	if err := row.Scan(&a.ID, &a.OrderID, &a.ShopID, &a.Kind, &status, &a.Attempts, &a.LastError, &created, &updated, &sent); err != nil {
		return a, err
	}
	a.Status = store.AlertStatus(status)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	if sent != nil {
		t := fromMicros(*sent)
		a.SentAt = &t
	}
	return a, nil
}

// GetAlert implements store.AlertsTx.
func (c *Core) GetAlert(ctx context.Context, orderID, kind string) (store.Alert, error) {
	a, err := c.scanAlert(c.q.QueryRow(ctx, c.sql("AlertsGet"), orderID, kind))
	if err != nil {
		if c.d.IsNoRows(err) {
			return a, orderhub.Errorf(orderhub.ENotFound, "no %s alert for order %s", kind, orderID)
		}
		return a, c.mapErr(err)
	}
	return a, nil
}

// ListAlerts implements store.AlertsTx.
func (c *Core) ListAlerts(ctx context.Context, p store.ListAlertsParams) (store.AlertPage, error) {
	limit := store.ListLimit(p.Limit)
	rows, err := c.q.Query(ctx, c.sql("AlertsList"), p.ShopIDs == nil, mustJSON(nonNil(p.ShopIDs)),
		p.Kind, string(p.Status), p.OrderID, p.After, limit+1)
	if err != nil {
		return store.AlertPage{}, c.mapErr(err)
	}
	defer rows.Close()
	var page store.AlertPage
	for rows.Next() {
		a, err := c.scanAlert(rows)
		if err != nil {
			return store.AlertPage{}, err
		}
		page.Alerts = append(page.Alerts, a)
	}
	if err := rows.Err(); err != nil {
		return store.AlertPage{}, c.mapErr(err)
	}
	if len(page.Alerts) > limit {
		page.Alerts = page.Alerts[:limit]
		page.Next = page.Alerts[limit-1].ID
	}
	return page, nil
}

// MarkAlert implements store.AlertsTx.
func (c *Core) MarkAlert(ctx context.Context, p store.MarkAlertParams) (store.Alert, error) {
	switch p.Status {
	case store.AlertPending, store.AlertSent, store.AlertResolved:
	default:
		return store.Alert{}, orderhub.Errorf(orderhub.EInvalid, "alert status %q is not one of pending, sent, resolved", p.Status)
	}
	attempted := 0
	if p.Attempted {
		attempted = 1
	}
	var out store.Alert
	err := c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("AlertsMark"), p.OrderID, p.Kind, string(p.Status), attempted, p.Error, micros(tc.now()))
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 0 {
			return orderhub.Errorf(orderhub.ENotFound, "no %s alert for order %s", p.Kind, p.OrderID)
		}
		out, err = tc.GetAlert(ctx, p.OrderID, p.Kind)
		return err
	})
	return out, err
}
