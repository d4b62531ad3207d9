package fakeplatform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// ChaosFault is one way a Chaos proxy breaks a request.
type ChaosFault string

// Chaos faults. The first two answer before the platform sees the request; the
// last two let the platform act and then lose or delay its answer, which is
// what makes a client that retries blindly create things twice.
const (
	ChaosNone       ChaosFault = ""
	ChaosError      ChaosFault = "error"       // 500 before the platform sees it
	ChaosRateLimit  ChaosFault = "rate_limit"  // 429 with Retry-After before the platform sees it
	ChaosLostAnswer ChaosFault = "lost_answer" // forwarded; the answer replaced by a 502
	ChaosSlow       ChaosFault = "slow"        // forwarded; the answer held back past the client's timeout
)

// ChaosOptions configure a Chaos proxy.
type ChaosOptions struct {
	// Rate is the fraction of requests that get a fault, from 0 to 1.
	Rate float64
	// Seed seeds the random choices, so a failing run can be replayed.
	Seed uint64
	// Faults to choose from, evenly; all four when empty.
	Faults []ChaosFault
	// RetryAfter is what a rate-limit fault asks for; 1 s when zero. It is
	// sent in seconds with a fraction, as Shopify's "2.0".
	RetryAfter time.Duration
	// SlowFor is how long a slow answer is held; 2 s when zero. Set it
	// past the client's timeout to make the client give up.
	SlowFor time.Duration
}

// ChaosRecord is one request the proxy received.
type ChaosRecord struct {
	Method     string
	Path       string
	Query      string
	BodyHash   string // identifies a retry of the same call
	ChaosFault ChaosFault
	Status     int           // what the client was answered (0: nothing, it gave up)
	RetryAfter time.Duration // for a rate-limit fault
	Arrived    time.Time
	Answered   time.Time
}

// Same reports whether r and o are the same call: method, path, query and
// body.
func (r ChaosRecord) Same(o ChaosRecord) bool {
	return r.Method == o.Method && r.Path == o.Path && r.Query == o.Query && r.BodyHash == o.BodyHash
}

// Chaos is a loopback proxy in front of a fake that fails a share of the
// requests at random, as a flaky network and an overloaded platform do.
// Point a client at URL instead of the fake. It is safe for concurrent use.
type Chaos struct {
	// URL is the proxy's base URL.
	URL string

	target string
	srv    *httptest.Server
	client *http.Client

	mu      sync.Mutex
	o       ChaosOptions
	rng     *rand.Rand
	records []ChaosRecord
}

// StartChaos starts a proxy to target (a fake's base URL); Close stops it.
func StartChaos(target string, o ChaosOptions) *Chaos {
	if len(o.Faults) == 0 {
		o.Faults = []ChaosFault{ChaosError, ChaosRateLimit, ChaosLostAnswer, ChaosSlow}
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	if o.SlowFor <= 0 {
		o.SlowFor = 2 * time.Second
	}
	c := &Chaos{target: target, o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		client: &http.Client{Timeout: 30 * time.Second}}
	c.srv = Start(http.HandlerFunc(c.serve))
	c.URL = c.srv.URL
	return c
}

// Close stops the proxy.
func (c *Chaos) Close() { c.srv.Close() }

// SetRate changes the share of requests that fail: 0 ends the chaos.
func (c *Chaos) SetRate(rate float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.o.Rate = rate
}

// Records returns every request received, in arrival order.
func (c *Chaos) Records() []ChaosRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ChaosRecord(nil), c.records...)
}

// Counts counts the faults injected, by kind.
func (c *Chaos) Counts() map[ChaosFault]int {
	out := map[ChaosFault]int{}
	for _, r := range c.Records() {
		if r.ChaosFault != ChaosNone {
			out[r.ChaosFault]++
		}
	}
	return out
}

// RetryAfterViolation is a call that came back before the Retry-After the
// proxy answered it had passed.
type RetryAfterViolation struct {
	RateLimited ChaosRecord
	Retry       ChaosRecord
	Early       time.Duration
}

// RetryAfterViolations lists every request that arrived before the
// Retry-After of an earlier 429 to the same call (method, path, query and
// body) had passed, counted from when the 429 was sent.
func (c *Chaos) RetryAfterViolations() []RetryAfterViolation {
	recs := c.Records()
	var out []RetryAfterViolation
	for i, r := range recs {
		if r.ChaosFault != ChaosRateLimit {
			continue
		}
		due := r.Answered.Add(r.RetryAfter)
		for _, q := range recs[i+1:] {
			if q.Same(r) && q.Arrived.Before(due) {
				out = append(out, RetryAfterViolation{RateLimited: r, Retry: q, Early: due.Sub(q.Arrived)})
			}
		}
	}
	return out
}

func (c *Chaos) pick() ChaosFault {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.o.Rate <= 0 || c.rng.Float64() >= c.o.Rate {
		return ChaosNone
	}
	return c.o.Faults[c.rng.IntN(len(c.o.Faults))]
}

func (c *Chaos) record(r ChaosRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r)
}

func (c *Chaos) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 32<<20))
	req.Body.Close()
	sum := sha256.Sum256(body)
	rec := ChaosRecord{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, BodyHash: hex.EncodeToString(sum[:8]),
		Arrived: time.Now(), ChaosFault: c.pick()}
	c.mu.Lock()
	retryAfter, slowFor := c.o.RetryAfter, c.o.SlowFor
	c.mu.Unlock()
	defer func() { c.record(rec) }()

	switch rec.ChaosFault {
	case ChaosError:
		rec.Status = http.StatusInternalServerError
		writeChaos(w, rec.Status, nil)
		rec.Answered = time.Now()
		return
	case ChaosRateLimit:
		rec.Status, rec.RetryAfter = http.StatusTooManyRequests, retryAfter
		h := http.Header{}
		h.Set("Retry-After", strconv.FormatFloat(retryAfter.Seconds(), 'f', 3, 64))
		writeChaos(w, rec.Status, h)
		rec.Answered = time.Now()
		return
	}

	out, err := http.NewRequestWithContext(req.Context(), req.Method, c.target+req.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		rec.Status = http.StatusBadGateway
		writeChaos(w, rec.Status, nil)
		return
	}
	out.Header = req.Header.Clone()
	// The fake acts even if the client gives up: detach from its context.
	out = out.WithContext(context.WithoutCancel(req.Context()))
	resp, err := c.client.Do(out)
	if err != nil {
		rec.Status = http.StatusBadGateway
		writeChaos(w, rec.Status, nil)
		rec.Answered = time.Now()
		return
	}
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	resp.Body.Close()

	switch rec.ChaosFault {
	case ChaosLostAnswer:
		rec.Status = http.StatusBadGateway
		writeChaos(w, rec.Status, nil)
		rec.Answered = time.Now()
		return
	case ChaosSlow:
		select {
		case <-req.Context().Done():
			rec.Answered = time.Now() // the client gave up waiting
			return
		case <-time.After(slowFor):
		}
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
	rec.Status, rec.Answered = resp.StatusCode, time.Now()
}

func writeChaos(w http.ResponseWriter, status int, h http.Header) {
	for k, vs := range h {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":%q}`, http.StatusText(status))
}
