package admin

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/httpjson"
)

// UIPrefix is where the dashboard is mounted; its links are absolute.
const UIPrefix = "/ui"

// sessionCookieName is the cookie that holds a dashboard session's secret
// (sessions.go): never an admin token, and no use to the API.
const sessionCookieName = "orderhub_session"

const flashCookie = "orderhub_flash"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type uiKey struct{}

// uiSession is what a signed-in request carries: its session's id and
// CSRF token.
type uiSession struct {
	id   string
	csrf string
}

func sessionFrom(ctx context.Context) uiSession {
	s, _ := ctx.Value(uiKey{}).(uiSession)
	return s
}

// dashboard is the parsed templates, built once per Server.
type dashboard struct {
	pages map[string]*template.Template
}

func (s *Server) templates() (*dashboard, error) {
	s.tplOnce.Do(func() { s.tpl, s.tplErr = parseTemplates() })
	return s.tpl, s.tplErr
}

func parseTemplates() (*dashboard, error) {
	base, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	d := &dashboard{pages: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		d.pages[name] = t
	}
	return d, nil
}

// UI returns the web dashboard, to mount at UIPrefix.
func (s *Server) UI() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders)
	r.Use(s.forms)
	static, _ := fs.Sub(staticFS, "static")
	r.Handle("/static/*", http.StripPrefix(UIPrefix+"/static/", cacheStatic(http.FileServer(http.FS(static)))))
	r.Get("/login", s.loginPage)
	r.Post("/login", s.login)
	r.Group(func(r chi.Router) {
		r.Use(s.requireSession)
		r.Post("/logout", s.logout)
		r.Get("/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, UIPrefix+"/orders", http.StatusSeeOther)
		})
		r.Get("/orders", s.ordersPage)
		r.Get("/orders/{id}", s.orderPage)
		r.Post("/orders/{id}/notes", s.notePost)
		r.Get("/inventory", s.inventoryPage)
		r.Post("/inventory", s.inventoryPost)
		r.Get("/backorders", s.backordersPage)
		r.Post("/backorders/{id}/decision", s.decisionPost)
		r.Get("/stuck", s.stuckPage)
		r.Get("/dead-letters", s.deadLettersPage)
		r.Post("/dead-letters/{id}/replay", s.replayPost)
		r.Get("/routing", s.routingPage)
		r.Get("/sessions", s.sessionsPage)
		r.Post("/sessions/{id}/revoke", s.revokePost)
		r.Get("/events", s.events)
		if s.JobsUI != nil {
			r.Handle("/jobs", s.jobsUI())
			r.Handle("/jobs/*", s.jobsUI())
		}
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, orderhub.Errorf(orderhub.ENotFound, "no page %s", r.URL.Path))
	})
	return r
}

// jobsUI serves the River job UI to tokens that see every shop: jobs are
// not scoped to shops.
func (s *Server) jobsUI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ScopeFrom(r.Context()).all {
			s.renderError(w, r, orderhub.Errorf(orderhub.ENotFound, "the job queue is visible to tokens for every shop only"))
			return
		}
		// The River UI is a single-page app with its own scripts and styles.
		w.Header().Del("Content-Security-Policy")
		s.JobsUI.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		next.ServeHTTP(w, r)
	})
}

// sameOrigin rejects a cross-site form post: browsers send Origin on
// POST, and it must name this host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == "" // a missing Origin is an old browser or a tool; the CSRF token still guards
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// secureRequest reports whether the request came over TLS, for the
// flash cookie.
func secureRequest(r *http.Request) bool { return r.TLS != nil }

// requireSession authenticates the session cookie against the sessions on
// the server, puts the session's scope in the context, and checks the
// session's own CSRF token on every POST.
func (s *Server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, tok, err := s.sessionOf(r)
		if orderhub.ErrorCode(err) == orderhub.EUnauthorized {
			if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, UIPrefix+"/events") {
				http.Redirect(w, r, UIPrefix+"/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.renderError(w, r, err)
			return
		} else if err != nil {
			s.renderError(w, r, err)
			return
		}
		sc := scopeOf(tok)
		ui := uiSession{id: sess.ID, csrf: sess.CSRF}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// The River UI posts JSON from its own scripts: it gets the
			// same-origin check and the SameSite cookie, not our form token.
			jobs := strings.HasPrefix(r.URL.Path, UIPrefix+"/jobs/")
			if !sameOrigin(r) || (!jobs && subtle.ConstantTimeCompare([]byte(formValue(r, "csrf")), []byte(ui.csrf)) != 1) {
				s.render(w, r.WithContext(WithScope(r.Context(), sc)), http.StatusForbidden, "error", "Not allowed", "",
					errorView{Code: "forbidden", Message: "This form has expired or did not come from this dashboard. Reload the page and try again."})
				return
			}
		}
		ctx := WithScope(context.WithValue(r.Context(), uiKey{}, ui), sc)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type loginView struct {
	Next  string
	Error string
}

func safeNext(next string) string {
	if !strings.HasPrefix(next, UIPrefix+"/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") || strings.HasPrefix(next, UIPrefix+"/login") {
		return UIPrefix + "/orders"
	}
	return next
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", "Sign in", "", loginView{Next: safeNext(r.URL.Query().Get("next"))})
}

// login signs a token in. A client that has failed too often is answered
// 429 with Retry-After before its token is looked at; each wrong token
// counts against its address, as a bad bearer token does.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		s.render(w, r, http.StatusForbidden, "login", "Sign in", "", loginView{Error: "Sign in from this dashboard's own page."})
		return
	}
	ctx := r.Context()
	next := safeNext(formValue(r, "next"))
	client := s.clientAddr(r)
	if wait := s.throttleWait(ctx, client); wait > 0 {
		secs := retryAfter(wait)
		s.logger().DebugContext(ctx, "dashboard sign-in throttled", "client", client.String(), "retry_after_s", secs)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.render(w, r, http.StatusTooManyRequests, "login", "Sign in", "", loginView{Next: next,
			Error: fmt.Sprintf("Too many failed sign-ins from this address. Try again in %d seconds.", secs)})
		return
	}
	tok, ok := s.tokenOf(strings.TrimSpace(formValue(r, "token")))
	if !ok {
		s.throttleFail(ctx, client)
		s.logger().WarnContext(ctx, "dashboard sign-in refused", "client", client.String())
		s.render(w, r, http.StatusUnauthorized, "login", "Sign in", "", loginView{Next: next, Error: "That token is not valid. Use one of the admin tokens from the config."})
		return
	}
	// A session the browser already had ends: a sign-in always starts a
	// new one, so a planted cookie is never promoted.
	if old, _, err := s.sessionOf(r); err == nil {
		_ = s.Store.DeleteSession(ctx, old.ID)
	}
	c, err := s.startSession(ctx, r, tok)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.logger().InfoContext(ctx, "dashboard sign-in", "token", tok.Name, "client", client.String())
	http.SetCookie(w, c)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session on the server, so the cookie is worthless even
// if a copy of it survives.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.DeleteSession(r.Context(), sessionFrom(r.Context()).id); err != nil && orderhub.ErrorCode(err) != orderhub.ENotFound {
		s.renderError(w, r, err)
		return
	}
	http.SetCookie(w, s.sessionCookie(r, "", -1))
	http.Redirect(w, r, UIPrefix+"/login", http.StatusSeeOther)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// setFlash leaves a one-line message for the next page.
func setFlash(w http.ResponseWriter, r *http.Request, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: UIPrefix, HttpOnly: true, Secure: secureRequest(r),
		SameSite: http.SameSiteStrictMode, MaxAge: 60})
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: UIPrefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	msg, _ := url.QueryUnescape(c.Value)
	return msg
}

// pageView is what every page's layout reads.
type pageView struct {
	Title      string
	Active     string
	Brand      string
	SignedIn   bool
	AllShops   bool
	ScopeLabel string
	Actor      string // the signed-in token's name
	CSRF       string
	StuckCount int
	StuckMore  bool
	JobsUI     bool
	Flash      string
	Live       string // what the page refreshes on: "orders", "order:<id>", …
	Data       any
}

type errorView struct {
	Code    string
	Message string
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title, active string, data any) {
	d, err := s.templates()
	if err != nil {
		http.Error(w, "dashboard templates are broken", http.StatusInternalServerError)
		s.logger().Error("dashboard templates", "err", err)
		return
	}
	t, ok := d.pages[name]
	if !ok {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	ctx := r.Context()
	_, signedIn := ctx.Value(uiKey{}).(uiSession)
	pv := pageView{Title: title, Active: active, Brand: s.DashboardTitle, SignedIn: signedIn, Data: data}
	if pv.Brand == "" {
		pv.Brand = "orderhub"
	}
	if signedIn {
		sc := ScopeFrom(ctx)
		pv.AllShops = sc.all
		pv.ScopeLabel = "all shops"
		if !sc.all {
			pv.ScopeLabel = strings.Join(sc.shops, ", ")
		}
		pv.CSRF = sessionFrom(ctx).csrf
		pv.Actor = sc.Actor()
		pv.JobsUI = s.JobsUI != nil && sc.all
		pv.Flash = takeFlash(w, r)
		pv.StuckCount, pv.StuckMore = s.stuckCount(ctx)
		if lv, ok := data.(interface{ liveKey() string }); ok {
			pv.Live = lv.liveKey()
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout.html", pv); err != nil {
		s.logger().ErrorContext(ctx, "render dashboard page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// renderStatus shows an error page with a status of its own.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	s.render(w, r, status, "error", http.StatusText(status), "", errorView{Code: code, Message: message})
}

// renderError shows an error page with the status its code maps to.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code := orderhub.ErrorCode(err)
	status := httpjson.StatusFor(code)
	if status >= 500 {
		s.logger().ErrorContext(r.Context(), "dashboard request failed", "err", err, "path", r.URL.Path)
	}
	s.render(w, r, status, "error", http.StatusText(status), "", errorView{Code: code, Message: orderhub.ErrorMessage(err)})
}

// stuckCount counts stuck orders in scope for the header badge, up to 100.
func (s *Server) stuckCount(ctx context.Context) (int, bool) {
	page, err := s.Store.ListOrders(ctx, s.listParams(ctx, ordersQuery{Stuck: true, Limit: 100}))
	if err != nil {
		return 0, false
	}
	return len(page.Orders), page.Next != ""
}

// events streams live changes in the caller's scope as server-sent events.
// Each event only says what changed; the page reloads what it shows.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if s.Broker == nil {
		http.Error(w, "live updates are off", http.StatusNotImplemented)
		return
	}
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout.
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ch, stop := s.Broker.Subscribe(32)
	defer stop()
	sc := ScopeFrom(r.Context())
	fmt.Fprint(w, "retry: 3000\n: connected\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	every := s.heartbeat
	if every <= 0 {
		every = 25 * time.Second
	}
	heartbeat := time.NewTicker(every)
	defer heartbeat.Stop()
	// Streams end now and then so that a shutting-down server is not held
	// open; the browser reconnects on its own.
	maxAge := time.NewTimer(10 * time.Minute)
	defer maxAge.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-maxAge.C:
			return
		case <-heartbeat.C:
			// A stream ends soon after its session does (sign-out,
			// revocation, expiry): it is checked at every heartbeat.
			if _, err := s.Store.GetSession(r.Context(), sessionFrom(r.Context()).id, s.now()); orderhub.ErrorCode(err) == orderhub.ENotFound {
				return
			}
			fmt.Fprint(w, ": ping\n\n")
		case e, ok := <-ch:
			if !ok {
				return
			}
			if !visible(sc, e.ShopID) {
				continue
			}
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "event: change\ndata: %s\n\n", b)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
