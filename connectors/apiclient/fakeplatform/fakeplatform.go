// Package fakeplatform holds what every in-process fake of a platform API
// shares (shopifytest, woocommercetest, bigcommercetest, and the providers'
// fakes to come): a loopback httptest server, a request log, failure
// injection for retry and outage tests, and sending a signed webhook to the
// hub the way a platform does.
//
// It knows no platform: each fake supplies its routes, its auth check and
// its error shape. It is test and demo infrastructure; production code must
// not import it.
package fakeplatform

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Request is one request a fake received, as the request log keeps it.
type Request struct {
	Method string
	Path   string // the URL path
	Query  string // the raw query
	Header http.Header
	Body   []byte
	Status int // the status the fake answered
	At     time.Time
}

// Failure is an answer a fake gives instead of serving a request.
type Failure struct {
	Status int
	Header http.Header // e.g. Retry-After
	Body   []byte      // nil means the fake's own error shape for Status
	// Match limits the failure to some requests (nil means all); requests
	// it does not match are served normally and do not use up the count.
	Match func(*http.Request) bool
}

type failureRule struct {
	f         Failure
	remaining int // < 0: until ClearFailures
}

// Recorder is the request log and failure injector a fake embeds. Its
// methods are safe for concurrent use.
type Recorder struct {
	// ErrorBody renders the fake's error shape for a status and message;
	// set by the fake before serving.
	ErrorBody func(status int, message string) []byte
	// Now is the fake's clock; nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	requests []Request
	failures []*failureRule
}

// Clock returns the fake's current time.
func (r *Recorder) Clock() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Requests returns a copy of the request log, oldest first.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Request, len(r.requests))
	copy(out, r.requests)
	return out
}

// RequestsTo returns the logged requests with method (any when "") whose
// path is path or, when path ends in "*", starts with it.
func (r *Recorder) RequestsTo(method, path string) []Request {
	var out []Request
	for _, q := range r.Requests() {
		if method != "" && q.Method != method {
			continue
		}
		if p, ok := strings.CutSuffix(path, "*"); ok {
			if strings.HasPrefix(q.Path, p) {
				out = append(out, q)
			}
		} else if q.Path == path {
			out = append(out, q)
		}
	}
	return out
}

// ResetRequests empties the request log.
func (r *Recorder) ResetRequests() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = nil
}

// InjectFailure makes the next n matching requests answer f; n < 0 keeps
// failing until ClearFailures (an outage). Rules queue up: the oldest rule
// with calls left applies first.
func (r *Recorder) InjectFailure(n int, f Failure) {
	if n == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, &failureRule{f: f, remaining: n})
}

// FailNext makes the next n requests answer status (500, 503, ...) in the
// fake's error shape.
func (r *Recorder) FailNext(n, status int) {
	r.InjectFailure(n, Failure{Status: status})
}

// ClearFailures drops every injected failure: the outage is over.
func (r *Recorder) ClearFailures() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = nil
}

// PendingFailures returns how many injected failures are left; -1 when an
// outage rule is active.
func (r *Recorder) PendingFailures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, f := range r.failures {
		if f.remaining < 0 {
			return -1
		}
		n += f.remaining
	}
	return n
}

func (r *Recorder) takeFailure(req *http.Request) (Failure, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, f := range r.failures {
		if f.f.Match != nil && !f.f.Match(req) {
			continue
		}
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				r.failures = append(r.failures[:i:i], r.failures[i+1:]...)
			}
		}
		return f.f, true
	}
	return Failure{}, false
}

// Wrap returns next behind the request log and the failure injector.
// Injected failures come before anything else, auth included, as an
// overloaded proxy in front of a platform would answer.
func (r *Recorder) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 32<<20))
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if f, ok := r.takeFailure(req); ok {
			for k, vs := range f.Header {
				for _, v := range vs {
					rec.Header().Add(k, v)
				}
			}
			b := f.Body
			if b == nil && r.ErrorBody != nil {
				b = r.ErrorBody(f.Status, http.StatusText(f.Status))
			}
			if rec.Header().Get("Content-Type") == "" {
				rec.Header().Set("Content-Type", "application/json")
			}
			rec.WriteHeader(f.Status)
			rec.Write(b)
		} else {
			next.ServeHTTP(rec, req)
		}
		r.mu.Lock()
		r.requests = append(r.requests, Request{
			Method: req.Method,
			Path:   req.URL.Path,
			Query:  req.URL.RawQuery,
			Header: req.Header.Clone(),
			Body:   body,
			Status: rec.status,
			At:     r.Clock(),
		})
		r.mu.Unlock()
	})
}

// WriteError writes the fake's error shape.
func (r *Recorder) WriteError(w http.ResponseWriter, status int, message string) {
	var b []byte
	if r.ErrorBody != nil {
		b = r.ErrorBody(status, message)
	} else {
		b = []byte(message)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Start serves h on a fresh 127.0.0.1 port. It never binds another
// interface: the fakes are loopback-only.
func Start(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("fakeplatform: listen on 127.0.0.1: " + err.Error())
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	return srv
}

// Delivery is the hub's answer to one webhook delivery.
type Delivery struct {
	Status int
	Body   []byte
}

// Post sends one webhook delivery: body with headers to url, as a platform
// does, and returns the hub's answer.
func Post(ctx context.Context, client *http.Client, url string, header http.Header, body []byte) (Delivery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Delivery{}, err
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Delivery{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return Delivery{Status: resp.StatusCode, Body: b}, err
}
