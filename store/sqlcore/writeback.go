package sqlcore

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

var _ store.OutboxTx = (*Core)(nil)

// EnqueueNotice implements store.OutboxTx.
func (c *Core) EnqueueNotice(ctx context.Context, p store.EnqueueNoticeParams) (store.Notice, bool, error) {
	if strings.TrimSpace(p.Key) == "" || strings.TrimSpace(p.Kind) == "" || p.OrderID == "" {
		return store.Notice{}, false, orderhub.Errorf(orderhub.EInvalid, "a notice needs a key, a kind and an order")
	}
	payload := []byte(p.Payload)
	if len(payload) == 0 {
		payload = []byte("null")
	}
	if !json.Valid(payload) {
		return store.Notice{}, false, orderhub.Errorf(orderhub.EInvalid, "notice %s: payload is not JSON", p.Key)
	}
	var out store.Notice
	var created bool
	err := c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("NoticesInsert"), NewID(), p.Key, p.Kind, p.ShopID, p.OrderID, p.FulfillmentID,
			string(payload), micros(tc.now()))
		if err != nil {
			return tc.mapErr(err)
		}
		created = n == 1
		out, err = tc.GetNoticeByKey(ctx, p.Key)
		return err
	})
	return out, created, err
}

func scanNotice(row Row) (store.Notice, error) {
	var n store.Notice
	var payload, status string
	var claimed, sent *int64
	var created, updated int64
	err := row.Scan(&n.ID, &n.Key, &n.Kind, &n.ShopID, &n.OrderID, &n.FulfillmentID, &payload, &status, &n.Channel,
		&n.Attempts, &n.LastError, &n.ClaimToken, &claimed, &created, &updated, &sent)
	if err != nil {
		return n, err
	}
	n.Payload = json.RawMessage(payload)
	n.Status = store.NoticeStatus(status)
	n.CreatedAt, n.UpdatedAt = fromMicros(created), fromMicros(updated)
	if claimed != nil {
		t := fromMicros(*claimed)
		n.ClaimedUntil = &t
	}
	if sent != nil {
		t := fromMicros(*sent)
		n.SentAt = &t
	}
	return n, nil
}

func (c *Core) getNotice(ctx context.Context, query, arg string) (store.Notice, error) {
	n, err := scanNotice(c.q.QueryRow(ctx, c.sql(query), arg))
	if err != nil {
		if c.d.IsNoRows(err) {
			return n, orderhub.Errorf(orderhub.ENotFound, "notice %s not found", arg)
		}
		return n, c.mapErr(err)
	}
	return n, nil
}

// GetNotice implements store.OutboxTx.
func (c *Core) GetNotice(ctx context.Context, id string) (store.Notice, error) {
	return c.getNotice(ctx, "NoticesGet", id)
}

// GetNoticeByKey implements store.OutboxTx.
func (c *Core) GetNoticeByKey(ctx context.Context, key string) (store.Notice, error) {
	return c.getNotice(ctx, "NoticesGetByKey", key)
}

// ListNotices implements store.OutboxTx.
func (c *Core) ListNotices(ctx context.Context, p store.ListNoticesParams) (store.NoticePage, error) {
	limit := store.ListLimit(p.Limit)
	rows, err := c.q.Query(ctx, c.sql("NoticesList"), p.OrderID, p.Kind, string(p.Status), p.After, limit+1)
	if err != nil {
		return store.NoticePage{}, c.mapErr(err)
	}
	defer rows.Close()
	var page store.NoticePage
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return store.NoticePage{}, err
		}
		page.Notices = append(page.Notices, n)
	}
	if err := rows.Err(); err != nil {
		return store.NoticePage{}, c.mapErr(err)
	}
	if len(page.Notices) > limit {
		page.Notices = page.Notices[:limit]
		page.Next = page.Notices[limit-1].ID
	}
	return page, nil
}

// ClaimNotice implements store.OutboxTx.
func (c *Core) ClaimNotice(ctx context.Context, p store.ClaimNoticeParams) (store.Notice, bool, error) {
	if p.ID == "" || p.Token == "" {
		return store.Notice{}, false, orderhub.Errorf(orderhub.EInvalid, "claiming a notice needs its id and a token")
	}
	var out store.Notice
	var claimed bool
	err := c.write(ctx, func(tc *Core) error {
		now := micros(tc.now())
		n, err := tc.q.Exec(ctx, tc.sql("NoticesClaim"), p.ID, p.Token, micros(p.Until), now)
		if err != nil {
			return tc.mapErr(err)
		}
		claimed = n == 1
		out, err = tc.GetNotice(ctx, p.ID)
		return err
	})
	return out, claimed, err
}

// FinishNotice implements store.OutboxTx.
func (c *Core) FinishNotice(ctx context.Context, p store.FinishNoticeParams) (store.Notice, error) {
	switch p.Status {
	case store.NoticeSent, store.NoticeSkipped, store.NoticePending:
	default:
		return store.Notice{}, orderhub.Errorf(orderhub.EInvalid, "notice status %q is not one of sent, skipped, pending", p.Status)
	}
	var out store.Notice
	err := c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("NoticesFinish"), p.ID, p.Token, string(p.Status), p.Channel, p.Error, micros(tc.now()))
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 0 {
			cur, err := tc.GetNotice(ctx, p.ID)
			if err != nil {
				return err
			}
			return orderhub.Errorf(orderhub.EConflict, "notice %s is %s and no longer held by this claim", p.ID, cur.Status)
		}
		out, err = tc.GetNotice(ctx, p.ID)
		return err
	})
	return out, err
}

// EnsureSecret implements store.OutboxTx.
func (c *Core) EnsureSecret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	if strings.TrimSpace(name) == "" || len(fresh) == 0 {
		return nil, orderhub.Errorf(orderhub.EInvalid, "a secret needs a name and a value")
	}
	var out []byte
	err := c.write(ctx, func(tc *Core) error {
		if _, err := tc.q.Exec(ctx, tc.sql("SecretsInsert"), name, fresh, micros(tc.now())); err != nil {
			return tc.mapErr(err)
		}
		if err := tc.q.QueryRow(ctx, tc.sql("SecretsGet"), name).Scan(&out); err != nil {
			return tc.mapErr(err)
		}
		return nil
	})
	return append([]byte(nil), out...), err
}
