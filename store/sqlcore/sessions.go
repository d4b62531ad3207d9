package sqlcore

import (
	"context"
	"time"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

var _ store.SessionsTx = (*Core)(nil)

// CreateSession implements store.SessionsTx.
func (c *Core) CreateSession(ctx context.Context, p store.CreateSessionParams) (store.Session, error) {
	switch {
	case p.SecretHash == "" || p.TokenName == "" || p.CSRF == "":
		return store.Session{}, orderhub.Errorf(orderhub.EInvalid, "a session needs a secret hash, a token name and a CSRF token")
	case p.Now.IsZero() || !p.IdleExpiresAt.After(p.Now) || !p.ExpiresAt.After(p.Now):
		return store.Session{}, orderhub.Errorf(orderhub.EInvalid, "a session's expiries must be after its sign-in")
	}
	idle := p.IdleExpiresAt
	if idle.After(p.ExpiresAt) {
		idle = p.ExpiresAt
	}
	s := store.Session{ID: NewID(), TokenName: p.TokenName, TokenCheck: p.TokenCheck, CSRF: p.CSRF, ClientAddr: p.ClientAddr, UserAgent: p.UserAgent,
		CreatedAt: fromMicros(micros(p.Now)), LastSeenAt: fromMicros(micros(p.Now)), IdleExpiresAt: fromMicros(micros(idle)), ExpiresAt: fromMicros(micros(p.ExpiresAt))}
	_, err := c.q.Exec(ctx, c.sql("SessionsInsert"), s.ID, p.SecretHash, s.TokenName, s.TokenCheck, s.CSRF, s.ClientAddr, s.UserAgent,
		micros(p.Now), micros(idle), micros(p.ExpiresAt))
	if err != nil {
		if err = c.mapErr(err); orderhub.ErrorCode(err) == orderhub.EConflict {
			return store.Session{}, orderhub.WrapError(orderhub.EConflict, err, "a session with that secret already exists")
		}
		return store.Session{}, err
	}
	return s, nil
}

func scanSession(row Row) (store.Session, error) {
	var s store.Session
	var created, seen, idle, expires int64
	if err := row.Scan(&s.ID, &s.TokenName, &s.TokenCheck, &s.CSRF, &s.ClientAddr, &s.UserAgent, &created, &seen, &idle, &expires); err != nil {
		return s, err
	}
	s.CreatedAt, s.LastSeenAt, s.IdleExpiresAt, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(idle), fromMicros(expires)
	return s, nil
}

func (c *Core) oneSession(row Row) (store.Session, error) {
	s, err := scanSession(row)
	if err != nil {
		if c.d.IsNoRows(err) {
			return store.Session{}, orderhub.Errorf(orderhub.ENotFound, "no such session, or it has ended")
		}
		return store.Session{}, c.mapErr(err)
	}
	return s, nil
}

// LookupSession implements store.SessionsTx.
func (c *Core) LookupSession(ctx context.Context, secretHash string, now time.Time) (store.Session, error) {
	return c.oneSession(c.q.QueryRow(ctx, c.sql("SessionsLookup"), secretHash, micros(now)))
}

// GetSession implements store.SessionsTx.
func (c *Core) GetSession(ctx context.Context, id string, now time.Time) (store.Session, error) {
	return c.oneSession(c.q.QueryRow(ctx, c.sql("SessionsGet"), id, micros(now)))
}

// TouchSession implements store.SessionsTx.
func (c *Core) TouchSession(ctx context.Context, p store.TouchSessionParams) (store.Session, error) {
	var out store.Session
	err := c.write(ctx, func(tc *Core) error {
		n, err := tc.q.Exec(ctx, tc.sql("SessionsTouch"), p.ID, micros(p.Now), micros(p.IdleExpiresAt))
		if err != nil {
			return tc.mapErr(err)
		}
		if n == 0 {
			return orderhub.Errorf(orderhub.ENotFound, "no such session, or it has ended")
		}
		out, err = tc.GetSession(ctx, p.ID, p.Now)
		return err
	})
	return out, err
}

// ListSessions implements store.SessionsTx.
func (c *Core) ListSessions(ctx context.Context, p store.ListSessionsParams) (store.SessionPage, error) {
	limit := store.ListLimit(p.Limit)
	rows, err := c.q.Query(ctx, c.sql("SessionsList"), micros(p.Now), p.TokenNames == nil, mustJSON(nonNil(p.TokenNames)), p.After, limit+1)
	if err != nil {
		return store.SessionPage{}, c.mapErr(err)
	}
	defer rows.Close()
	var page store.SessionPage
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return store.SessionPage{}, c.mapErr(err)
		}
		page.Sessions = append(page.Sessions, s)
	}
	if err := rows.Err(); err != nil {
		return store.SessionPage{}, c.mapErr(err)
	}
	if len(page.Sessions) > limit {
		page.Sessions = page.Sessions[:limit]
		page.Next = page.Sessions[limit-1].ID
	}
	return page, nil
}

// DeleteSession implements store.SessionsTx.
func (c *Core) DeleteSession(ctx context.Context, id string) error {
	n, err := c.q.Exec(ctx, c.sql("SessionsDelete"), id)
	if err != nil {
		return c.mapErr(err)
	}
	if n == 0 {
		return orderhub.Errorf(orderhub.ENotFound, "session %s not found", id)
	}
	return nil
}

// PruneSessions implements store.SessionsTx.
func (c *Core) PruneSessions(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 1000
	}
	n, err := c.q.Exec(ctx, c.sql("SessionsPrune"), micros(now), limit)
	if err != nil {
		return 0, c.mapErr(err)
	}
	return int(n), nil
}
