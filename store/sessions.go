package store

import (
	"context"
	"time"
)

// SessionsTx is the operations on dashboard sign-ins. A session lives on
// the server so that it can expire and be ended: the browser holds only a
// random secret, and the store only that secret's hash, so reading the
// table does not give anyone a way in.
//
// Every operation that asks whether a session is live takes the time to
// judge by, so callers decide with their own clock.
type SessionsTx interface {
	// CreateSession stores a new session. A secret hash already stored is
	// a Conflict.
	CreateSession(ctx context.Context, p CreateSessionParams) (Session, error)
	// LookupSession returns the session whose secret has the given hash
	// and that is live at now: neither idle past IdleExpiresAt nor past
	// ExpiresAt. Any other is NotFound.
	LookupSession(ctx context.Context, secretHash string, now time.Time) (Session, error)
	// GetSession returns the session with the given id if it is live at
	// now, or NotFound.
	GetSession(ctx context.Context, id string, now time.Time) (Session, error)
	// TouchSession records that a live session was used at p.Now and moves
	// its idle expiry to p.IdleExpiresAt (never past ExpiresAt). A session
	// that is not live at p.Now is NotFound and stays ended.
	TouchSession(ctx context.Context, p TouchSessionParams) (Session, error)
	// ListSessions lists the sessions live at p.Now, newest first.
	ListSessions(ctx context.Context, p ListSessionsParams) (SessionPage, error)
	// DeleteSession ends a session at once; an unknown id is NotFound.
	DeleteSession(ctx context.Context, id string) error
	// PruneSessions deletes up to limit sessions that are no longer live at
	// now, and returns how many it deleted.
	PruneSessions(ctx context.Context, now time.Time, limit int) (int, error)
}

// Session is one dashboard sign-in.
type Session struct {
	ID string `json:"id"` // time-ordered; names the session on the sessions page, not a credential
	// TokenName is the admin token the operator signed in with: the actor
	// of everything done in the session.
	TokenName string `json:"token_name"`
	// TokenCheck binds the session to the token's value, so that changing
	// a token's value in the config ends the sessions made with the old
	// one. It is derived from the session secret and reveals neither.
	TokenCheck string `json:"-"`
	// CSRF is the session's own form token.
	CSRF          string    `json:"-"`
	ClientAddr    string    `json:"client_addr"`
	UserAgent     string    `json:"user_agent"`
	CreatedAt     time.Time `json:"created_at"`
	LastSeenAt    time.Time `json:"last_seen_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// CreateSessionParams are the inputs of CreateSession. Now is the sign-in
// time: the session's CreatedAt and LastSeenAt.
type CreateSessionParams struct {
	SecretHash    string // hex SHA-256 of the secret the cookie holds
	TokenName     string
	TokenCheck    string
	CSRF          string
	ClientAddr    string
	UserAgent     string
	Now           time.Time
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

// TouchSessionParams are the inputs of TouchSession.
type TouchSessionParams struct {
	ID            string
	Now           time.Time
	IdleExpiresAt time.Time
}

// ListSessionsParams filter and page ListSessions.
type ListSessionsParams struct {
	Now time.Time
	// TokenNames keeps the sessions of these tokens; nil means every
	// token, an empty non-nil slice none.
	TokenNames []string
	After      string // the cursor: the last id of the previous page
	Limit      int    // 50 when 0, at most 500
}

// SessionPage is one page of sessions; Next is the cursor of the next page,
// or empty on the last.
type SessionPage struct {
	Sessions []Session
	Next     string
}
