package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/store"
)

// Session lifetimes when the Server does not set them.
const (
	DefaultSessionIdle   = 8 * time.Hour
	DefaultSessionMaxAge = 7 * 24 * time.Hour
)

// touchEvery is how stale a session's last-seen time may get before a
// request records it again: a session in use is written once a minute,
// not on every page.
const touchEvery = time.Minute

// formBodyLimit caps a dashboard form; jobsBodyLimit the River UI's JSON.
const (
	formBodyLimit = 64 << 10
	jobsBodyLimit = 1 << 20
)

// Throttle slows down guessing of admin tokens. Wait says how long a
// client must wait before its next attempt is heard (0: now); Fail counts
// a failed attempt and says the wait now in force.
// ratelimit.FailureThrottle implements it, shared through Redis.
type Throttle interface {
	Wait(ctx context.Context, key string) time.Duration
	Fail(ctx context.Context, key string) time.Duration
}

func (s *Server) sessionIdle() time.Duration {
	if s.SessionIdle > 0 {
		return s.SessionIdle
	}
	return DefaultSessionIdle
}

func (s *Server) sessionMaxAge() time.Duration {
	if s.SessionMaxAge > 0 {
		return s.SessionMaxAge
	}
	return DefaultSessionMaxAge
}

// --- client addresses and the failure throttle ------------------------------

// clientAddr is who sent the request: the connection's peer, or, when the
// peer is a trusted proxy, the last address in X-Forwarded-For that is not
// one (proxies append, so the entries left of the first untrusted one are
// whatever the client chose to send).
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !s.trusted(client) {
			break
		}
	}
	return client
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func (s *Server) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// throttleKey is what failures are counted by: the IPv4 address, or the
// IPv6 /64 (one host usually holds a whole /64).
func throttleKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "admin:" + p.String()
	}
	return "admin:" + a.String()
}

func (s *Server) throttleWait(ctx context.Context, client netip.Addr) time.Duration {
	if s.Throttle == nil {
		return 0
	}
	return s.Throttle.Wait(ctx, throttleKey(client))
}

// throttleFail counts a failure. The failure that uses up an address's
// allowance is logged once; the attempts refused after it are not, so a
// flood of guesses does not flood the log.
func (s *Server) throttleFail(ctx context.Context, client netip.Addr) {
	if s.Throttle == nil {
		return
	}
	if wait := s.Throttle.Fail(ctx, throttleKey(client)); wait > 0 {
		s.logger().WarnContext(ctx, "admin credentials: too many failures; throttling the address", "client", client.String(), "retry_after_s", retryAfter(wait))
	}
}

// retryAfter is a wait in whole seconds, at least 1, for Retry-After.
func retryAfter(d time.Duration) int {
	secs := int((d + time.Second - 1) / time.Second)
	return max(secs, 1)
}

// --- request bodies ------------------------------------------------------------

// capBody limits every request body to limit bytes before anything reads
// it; a read past it fails with *http.MaxBytesError and the connection is
// closed after the answer.
func capBody(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
		})
	}
}

// forms caps the dashboard's bodies and parses its forms before any
// handler looks at them. A form must be urlencoded: multipart, which
// net/http would spool to temporary files, is refused before a byte of
// it is read, and nothing else parses a body later.
func (s *Server) forms(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, UIPrefix+"/jobs/") {
			// The River UI's own JSON: capped, not a form.
			r.Body = http.MaxBytesReader(w, r.Body, jobsBodyLimit)
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, formBodyLimit)
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" || r.ContentLength != 0 {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
				w.Header().Set("Connection", "close")
				s.renderStatus(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type",
					"Dashboard forms are sent as application/x-www-form-urlencoded; this request was "+quoteType(ct)+".")
				return
			}
		}
		if err := r.ParseForm(); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				s.renderError(w, r, orderhub.Errorf(orderhub.ETooLarge, "the form is over %d KiB; nothing was changed", formBodyLimit>>10))
				return
			}
			s.renderError(w, r, orderhub.Errorf(orderhub.EInvalid, "the form could not be read: %v", err))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func quoteType(ct string) string {
	if ct == "" {
		return "sent without a Content-Type"
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "of an unreadable type"
	}
	return mt
}

// formValue is a field of the form forms parsed.
func formValue(r *http.Request, name string) string { return r.PostForm.Get(name) }

// --- sessions --------------------------------------------------------------------

// sessionSecret is the random part of a session: 256 bits. The cookie
// holds it in base64url; the store holds only its SHA-256.
type sessionSecret [32]byte

func newSessionSecret() (sessionSecret, error) {
	var s sessionSecret
	_, err := rand.Read(s[:])
	return s, err
}

func (s sessionSecret) cookie() string { return base64.RawURLEncoding.EncodeToString(s[:]) }

func (s sessionSecret) hash() string {
	h := sha256.Sum256(s[:])
	return hex.EncodeToString(h[:])
}

// tokenCheck binds a session to its token's value, so that a token given a
// new value in the config ends the sessions made with the old one.
func (s sessionSecret) tokenCheck(token string) string {
	m := hmac.New(sha256.New, s[:])
	m.Write([]byte("orderhub session token\x00"))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

func parseSessionSecret(v string) (sessionSecret, bool) {
	var s sessionSecret
	if len(v) != base64.RawURLEncoding.EncodedLen(len(s)) {
		return s, false
	}
	n, err := base64.RawURLEncoding.Decode(s[:], []byte(v))
	return s, err == nil && n == len(s)
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// startSession signs tok in: a new session on the server, and the cookie
// that names it.
func (s *Server) startSession(ctx context.Context, r *http.Request, tok Token) (*http.Cookie, error) {
	secret, err := newSessionSecret()
	if err != nil {
		return nil, err
	}
	csrf, err := randomHex(32)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	_, err = s.Store.CreateSession(ctx, store.CreateSessionParams{SecretHash: secret.hash(), TokenName: tok.Name, TokenCheck: secret.tokenCheck(tok.Token),
		CSRF: csrf, ClientAddr: s.clientAddr(r).String(), UserAgent: strings.ToValidUTF8(ua, "?"),
		Now: now, IdleExpiresAt: now.Add(s.sessionIdle()), ExpiresAt: now.Add(s.sessionMaxAge())})
	if err != nil {
		return nil, err
	}
	// Sessions that ended are removed a few at a time as others begin.
	if _, err := s.Store.PruneSessions(ctx, now, 100); err != nil {
		s.logger().WarnContext(ctx, "prune ended dashboard sessions", "err", err)
	}
	return s.sessionCookie(r, secret.cookie(), int(s.sessionMaxAge()/time.Second)), nil
}

// sessionCookie is HttpOnly, so page scripts cannot read it,
// SameSite=Strict, so no other site's page can make the browser send it,
// and Secure whenever operators reach orderhub over https.
func (s *Server) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: sessionCookieName, Value: value, Path: UIPrefix, HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: maxAge}
}

// secure reports whether the operator reaches orderhub over https: TLS
// here, an https public_url, or a trusted proxy that says so.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil || strings.HasPrefix(strings.ToLower(s.PublicURL), "https://") {
		return true
	}
	return s.trusted(peerAddr(r.RemoteAddr)) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sessionOf returns the live session the request's cookie names and the
// token it was signed in with. A session whose token is gone from the
// config, or has a new value, is ended here.
func (s *Server) sessionOf(r *http.Request) (store.Session, Token, error) {
	unauthenticated := orderhub.Errorf(orderhub.EUnauthorized, "sign in first")
	c, err := r.Cookie(sessionCookieName)
	if err != nil {
		return store.Session{}, Token{}, unauthenticated
	}
	secret, ok := parseSessionSecret(c.Value)
	if !ok {
		return store.Session{}, Token{}, unauthenticated
	}
	ctx, now := r.Context(), s.now()
	sess, err := s.Store.LookupSession(ctx, secret.hash(), now)
	if orderhub.ErrorCode(err) == orderhub.ENotFound {
		return sess, Token{}, unauthenticated
	} else if err != nil {
		return sess, Token{}, err
	}
	tok, ok := s.tokenNamed(sess.TokenName)
	if !ok || !hmac.Equal([]byte(secret.tokenCheck(tok.Token)), []byte(sess.TokenCheck)) {
		if err := s.Store.DeleteSession(ctx, sess.ID); err != nil && orderhub.ErrorCode(err) != orderhub.ENotFound {
			s.logger().WarnContext(ctx, "end a session of a token no longer configured", "err", err)
		}
		return store.Session{}, Token{}, unauthenticated
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		sess, err = s.Store.TouchSession(ctx, store.TouchSessionParams{ID: sess.ID, Now: now, IdleExpiresAt: now.Add(s.sessionIdle())})
		if orderhub.ErrorCode(err) == orderhub.ENotFound {
			return sess, Token{}, unauthenticated
		} else if err != nil {
			return sess, Token{}, err
		}
	}
	return sess, tok, nil
}

// --- the sessions page ---------------------------------------------------------------

type sessionRow struct {
	store.Session
	Current bool
	Ends    time.Time
}

type sessionsView struct {
	Rows    []sessionRow
	AllSeen bool // the token sees every token's sessions
	NextURL string
}

// sessionNames is whose sessions the caller may see and end: every
// token's for a token that sees every shop, else its own token's.
func sessionNames(ctx context.Context) []string {
	sc := ScopeFrom(ctx)
	if sc.all {
		return nil
	}
	return []string{sc.actor}
}

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	page, err := s.Store.ListSessions(ctx, store.ListSessionsParams{Now: s.now(), TokenNames: sessionNames(ctx), After: r.URL.Query().Get("after"), Limit: 100})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	v := sessionsView{AllSeen: ScopeFrom(ctx).all}
	me := sessionFrom(ctx).id
	for _, sess := range page.Sessions {
		ends := sess.IdleExpiresAt
		if sess.ExpiresAt.Before(ends) {
			ends = sess.ExpiresAt
		}
		v.Rows = append(v.Rows, sessionRow{Session: sess, Current: sess.ID == me, Ends: ends})
	}
	if page.Next != "" {
		v.NextURL = UIPrefix + "/sessions?after=" + url.QueryEscape(page.Next)
	}
	s.render(w, r, http.StatusOK, "sessions", "Sessions", "sessions", v)
}

func (s *Server) revokePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	sess, err := s.Store.GetSession(ctx, id, s.now())
	if err == nil && !canSeeSession(ctx, sess) {
		err = orderhub.Errorf(orderhub.ENotFound, "session %s not found", id)
	}
	if err == nil {
		err = s.Store.DeleteSession(ctx, sess.ID)
	}
	switch orderhub.ErrorCode(err) {
	case "":
		s.logger().InfoContext(ctx, "dashboard session revoked", "session", sess.ID, "token", sess.TokenName, "by", ScopeFrom(ctx).Actor())
		if sess.ID == sessionFrom(ctx).id {
			http.SetCookie(w, s.sessionCookie(r, "", -1))
			http.Redirect(w, r, UIPrefix+"/login", http.StatusSeeOther)
			return
		}
		setFlash(w, r, "Signed out "+sess.TokenName+" at "+sess.ClientAddr+".")
	case orderhub.ENotFound:
		setFlash(w, r, "That session has already ended.")
	default:
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, UIPrefix+"/sessions", http.StatusSeeOther)
}

func canSeeSession(ctx context.Context, sess store.Session) bool {
	names := sessionNames(ctx)
	if names == nil {
		return true
	}
	for _, n := range names {
		if n == sess.TokenName {
			return true
		}
	}
	return false
}
