package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

func init() {
	exerciseAreas = append(exerciseAreas, func(t *testing.T, newStore NewStore) {
		t.Run("SessionsLookupByHash", func(t *testing.T) { t.Parallel(); testSessionsLookup(t, newStore(t)) })
		t.Run("SessionsExpireIdleAndAbsolute", func(t *testing.T) { t.Parallel(); testSessionsExpiry(t, newStore(t)) })
		t.Run("SessionsListDeletePrune", func(t *testing.T) { t.Parallel(); testSessionsListDelete(t, newStore(t)) })
	})
}

// signIn is the moment the session tests sign in: a fixed time, so that
// nothing here depends on the wall clock.
var signIn = time.Date(2026, 11, 20, 9, 30, 0, 123456000, time.UTC)

func secretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func newSession(t *testing.T, s store.Store, secret, token string, at time.Time, idle, max time.Duration) store.Session {
	t.Helper()
	sess, err := s.CreateSession(ctxT(t), store.CreateSessionParams{SecretHash: secretHash(secret), TokenName: token, TokenCheck: "check-" + secret,
		CSRF: "csrf-" + secret, ClientAddr: "192.0.2.7", UserAgent: "Mozilla/5.0 (test)", Now: at, IdleExpiresAt: at.Add(idle), ExpiresAt: at.Add(max)})
	require.NoError(t, err)
	return sess
}

func testSessionsLookup(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	created := newSession(t, s, "secret-1", "ops", signIn, 8*time.Hour, 7*24*time.Hour)
	require.NotEmpty(t, created.ID)
	require.Equal(t, signIn, created.CreatedAt)

	got, err := s.LookupSession(ctx, secretHash("secret-1"), signIn.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, created.ID, got.ID)
	require.Equal(t, "ops", got.TokenName)
	require.Equal(t, "check-secret-1", got.TokenCheck)
	require.Equal(t, "csrf-secret-1", got.CSRF)
	require.Equal(t, "192.0.2.7", got.ClientAddr)
	require.Equal(t, "Mozilla/5.0 (test)", got.UserAgent)
	require.Equal(t, signIn, got.CreatedAt)
	require.Equal(t, signIn, got.LastSeenAt)
	require.Equal(t, signIn.Add(8*time.Hour), got.IdleExpiresAt)
	require.Equal(t, signIn.Add(7*24*time.Hour), got.ExpiresAt)

	_, err = s.LookupSession(ctx, secretHash("secret-2"), signIn)
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "another secret finds nothing")
	_, err = s.LookupSession(ctx, "secret-1", signIn)
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "the secret itself is not what is stored")
	byID, err := s.GetSession(ctx, created.ID, signIn)
	require.NoError(t, err)
	require.Equal(t, got, byID)

	_, err = s.CreateSession(ctx, store.CreateSessionParams{SecretHash: secretHash("secret-1"), TokenName: "ops", CSRF: "x",
		Now: signIn, IdleExpiresAt: signIn.Add(time.Hour), ExpiresAt: signIn.Add(time.Hour)})
	require.Equal(t, orderhub.EConflict, orderhub.ErrorCode(err), "a secret is stored once")
	_, err = s.CreateSession(ctx, store.CreateSessionParams{SecretHash: secretHash("secret-3"), TokenName: "ops", CSRF: "x",
		Now: signIn, IdleExpiresAt: signIn, ExpiresAt: signIn.Add(time.Hour)})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err), "a session that has already expired is refused")
	_, err = s.CreateSession(ctx, store.CreateSessionParams{SecretHash: secretHash("secret-4"), Now: signIn,
		IdleExpiresAt: signIn.Add(time.Hour), ExpiresAt: signIn.Add(time.Hour)})
	require.Equal(t, orderhub.EInvalid, orderhub.ErrorCode(err))
}

func testSessionsExpiry(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	sess := newSession(t, s, "idle", "ops", signIn, time.Hour, 3*time.Hour)

	// Idle: live until the idle expiry, ended from it on.
	_, err := s.LookupSession(ctx, secretHash("idle"), signIn.Add(time.Hour-time.Microsecond))
	require.NoError(t, err)
	_, err = s.LookupSession(ctx, secretHash("idle"), signIn.Add(time.Hour))
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "idle for the whole idle timeout")

	// Being used moves the idle expiry on; an ended session cannot be
	// revived by touching it.
	_, err = s.TouchSession(ctx, store.TouchSessionParams{ID: sess.ID, Now: signIn.Add(time.Hour), IdleExpiresAt: signIn.Add(2 * time.Hour)})
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))

	other := newSession(t, s, "busy", "ops", signIn, time.Hour, 3*time.Hour)
	at := signIn
	for i := 0; i < 5; i++ {
		at = at.Add(50 * time.Minute)
		if !at.Before(signIn.Add(3 * time.Hour)) {
			break
		}
		touched, err := s.TouchSession(ctx, store.TouchSessionParams{ID: other.ID, Now: at, IdleExpiresAt: at.Add(time.Hour)})
		require.NoError(t, err, "touch %d at %s", i, at)
		require.Equal(t, at, touched.LastSeenAt)
		want := at.Add(time.Hour)
		if want.After(signIn.Add(3 * time.Hour)) {
			want = signIn.Add(3 * time.Hour)
		}
		require.Equal(t, want, touched.IdleExpiresAt, "the idle expiry never passes the absolute one")
	}
	_, err = s.LookupSession(ctx, secretHash("busy"), signIn.Add(3*time.Hour-time.Second))
	require.NoError(t, err, "in use, so still live just before its absolute expiry")
	_, err = s.LookupSession(ctx, secretHash("busy"), signIn.Add(3*time.Hour))
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "however busy, a session ends at its absolute expiry")
	_, err = s.GetSession(ctx, other.ID, signIn.Add(3*time.Hour))
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err))
}

func testSessionsListDelete(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	var ids []string
	for i := 0; i < 5; i++ {
		token := "ops"
		if i%2 == 1 {
			token = "warehouse"
		}
		ids = append(ids, newSession(t, s, fmt.Sprintf("list-%d", i), token, signIn, time.Hour, 24*time.Hour).ID)
	}
	expired := newSession(t, s, "list-old", "ops", signIn.Add(-2*time.Hour), time.Hour, 24*time.Hour)
	newest := func(ids ...string) []string {
		out := make([]string, 0, len(ids))
		for i := len(ids) - 1; i >= 0; i-- {
			out = append(out, ids[i])
		}
		return out
	}
	idsOf := func(p store.SessionPage) []string {
		var out []string
		for _, s := range p.Sessions {
			out = append(out, s.ID)
		}
		return out
	}

	var all []string
	after := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		page, err := s.ListSessions(ctx, store.ListSessionsParams{Now: signIn.Add(time.Minute), After: after, Limit: 2})
		require.NoError(t, err)
		all = append(all, idsOf(page)...)
		if after = page.Next; after == "" {
			break
		}
	}
	require.Equal(t, newest(ids...), all, "live sessions, newest first; the expired one is not listed")
	require.NotContains(t, all, expired.ID)

	page, err := s.ListSessions(ctx, store.ListSessionsParams{Now: signIn.Add(time.Minute), TokenNames: []string{"warehouse"}})
	require.NoError(t, err)
	require.Equal(t, newest(ids[1], ids[3]), idsOf(page))
	page, err = s.ListSessions(ctx, store.ListSessionsParams{Now: signIn.Add(time.Minute), TokenNames: []string{}})
	require.NoError(t, err)
	require.Empty(t, page.Sessions)

	require.NoError(t, s.DeleteSession(ctx, ids[0]))
	_, err = s.LookupSession(ctx, secretHash("list-0"), signIn.Add(time.Minute))
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(err), "a deleted session ends at once")
	require.Equal(t, orderhub.ENotFound, orderhub.ErrorCode(s.DeleteSession(ctx, ids[0])))

	// Pruning removes what has ended, and nothing live.
	n, err := s.PruneSessions(ctx, signIn.Add(time.Minute), 100)
	require.NoError(t, err)
	require.Equal(t, 1, n, "only the expired session")
	n, err = s.PruneSessions(ctx, signIn.Add(2*time.Hour), 2)
	require.NoError(t, err)
	require.Equal(t, 2, n, "at most limit at a time")
	n, err = s.PruneSessions(ctx, signIn.Add(2*time.Hour), 100)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	page, err = s.ListSessions(ctx, store.ListSessionsParams{Now: signIn})
	require.NoError(t, err)
	require.Empty(t, page.Sessions)
}
