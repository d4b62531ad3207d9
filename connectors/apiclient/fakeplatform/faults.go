package fakeplatform

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Faults delays or drops requests before they reach a fake, for the
// timeout and slow-answer cases the Recorder's failures do not cover. It
// sits outside the request log: a dropped request never reached the
// platform, so it is not logged; a slow one is logged once served. The zero
// value injects nothing; embed it in a fake's server.
type Faults struct {
	mu    sync.Mutex
	rules []*delayRule
}

type delayRule struct {
	remaining  int
	d          time.Duration
	drop       bool // hang up before serving
	dropAnswer bool // serve, then hang up instead of answering
	match      func(*http.Request) bool
}

func (f *Faults) add(rule delayRule) {
	if rule.remaining == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &rule)
}

func (f *Faults) take(r *http.Request) *delayRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, rule := range f.rules {
		if rule.match != nil && !rule.match(r) {
			continue
		}
		if rule.remaining > 0 {
			rule.remaining--
			if rule.remaining == 0 {
				f.rules = append(f.rules[:i:i], f.rules[i+1:]...)
			}
		}
		return rule
	}
	return nil
}

func (f *Faults) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

// Wrap applies the injected faults in front of next.
func (f *Faults) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rule := f.take(r)
		if rule == nil {
			next.ServeHTTP(w, r)
			return
		}
		t := time.NewTimer(rule.d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
		switch {
		case rule.drop:
			hangUp(w)
		case rule.dropAnswer:
			next.ServeHTTP(httptest.NewRecorder(), r)
			hangUp(w)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// hangUp closes the connection without an answer, as a dead proxy does.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// TimeoutNext makes the next n requests matching match (all when nil) hang
// for d and then drop the connection unanswered and unprocessed: a client
// with a shorter timeout sees a timeout, one with a longer one a broken
// connection.
func (f *Faults) TimeoutNext(n int, d time.Duration, match func(*http.Request) bool) {
	f.add(delayRule{remaining: n, d: d, drop: true, match: match})
}

// SlowNext makes the next n requests matching match (all when nil) wait d
// before they are served, and then served normally: a client that gives up
// first has still caused the change.
func (f *Faults) SlowNext(n int, d time.Duration, match func(*http.Request) bool) {
	f.add(delayRule{remaining: n, d: d, match: match})
}

// LoseAnswerNext makes the next n requests matching match (all when nil)
// be served, their change made, and then the connection dropped instead of
// the answer: the crash window between a remote create and the client
// learning of it.
func (f *Faults) LoseAnswerNext(n int, match func(*http.Request) bool) {
	f.add(delayRule{remaining: n, dropAnswer: true, match: match})
}

// ClearDelays drops every injected delay and drop.
func (f *Faults) ClearDelays() { f.clear() }
