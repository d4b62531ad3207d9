package apiclient

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/orderhub/orderhub"
)

// Limiter paces outbound calls per key (one key per shop and platform). A
// Client waits on it before every attempt. TokenBucket is the in-process
// implementation; a Redis-backed one shares the budget across instances.
type Limiter interface {
	// Wait blocks until a call for key may start, or returns an error when
	// ctx ends first.
	Wait(ctx context.Context, key string) error
}

var _ Limiter = (*TokenBucket)(nil)

// TokenBucketOptions configure a TokenBucket.
type TokenBucketOptions struct {
	PerSecond float64 // sustained calls per second per key; must be > 0
	Burst     int     // calls allowed at once; 0 means 1
	// Now and Sleep are the clock; nil means time.Now and Sleep.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// TokenBucket is an in-process Limiter: one token bucket per key, each
// refilled at PerSecond up to Burst. It is safe for concurrent use.
type TokenBucket struct {
	o       TokenBucketOptions
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewTokenBucket returns a TokenBucket; a PerSecond of 0 or less means no
// limit.
func NewTokenBucket(o TokenBucketOptions) *TokenBucket {
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	return &TokenBucket{o: o, buckets: make(map[string]*rate.Limiter)}
}

func (b *TokenBucket) bucket(key string) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.buckets[key]
	if !ok {
		lim := rate.Limit(b.o.PerSecond)
		if b.o.PerSecond <= 0 {
			lim = rate.Inf
		}
		l = rate.NewLimiter(lim, b.o.Burst)
		b.buckets[key] = l
	}
	return l
}

// Wait takes one token for key, sleeping until it is available. A wait
// that ctx's deadline would cut short fails at once, without sleeping, and
// gives the token back.
func (b *TokenBucket) Wait(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := b.o.Now()
	r := b.bucket(key).ReserveN(now, 1)
	if !r.OK() {
		return orderhub.Errorf(orderhub.EInternal, "rate limiter for %s cannot grant a call", key)
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	// A context's deadline is wall-clock time whatever clock the bucket
	// keeps, so the time left is measured on the wall clock too.
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		r.CancelAt(now)
		return orderhub.Errorf(orderhub.ERateLimited, "rate limiter for %s: the next call is %s away, past the deadline", key, d)
	}
	if err := b.o.Sleep(ctx, d); err != nil {
		r.CancelAt(b.o.Now())
		return err
	}
	return nil
}
