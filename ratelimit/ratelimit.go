// Package ratelimit paces orderhub's outbound calls per shop: a token
// bucket (GCRA) per key that every API client waits on before each
// attempt, and a pause per key that a 429's Retry-After sets, so no call to
// that shop starts until the platform said it may.
//
// With Redis configured the buckets and pauses live in Redis, shared by
// every orderhub instance, and Redis's own clock decides, so instances with
// skewed clocks still share one budget. Without Redis the same limits hold
// in-process. When Redis cannot be reached a call falls back to the
// in-process bucket (and says so in the log) rather than failing: the
// platform's own 429s, which the clients honour, remain the backstop.
//
// It also holds FailureThrottle (failures.go), the inbound side: failed
// credential attempts counted per client address, shared the same way,
// so that guessing admin tokens is slow on every instance at once.
//
// It owns pacing only: it does not retry, read configuration or know any
// platform's API. It implements apiclient.Limiter.
package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

// DefaultPrefix starts every Redis key this package writes.
const DefaultPrefix = "orderhub:ratelimit:"

// Rate is a sustained rate and a burst.
type Rate struct {
	PerSecond float64 // calls per second per key; 0 or less means no limit
	Burst     int     // calls allowed at once; 0 means 1
}

// Options configure a Limiter.
type Options struct {
	// RedisURL, e.g. redis://127.0.0.1:6379/0, shares the buckets across
	// instances; empty keeps them in-process. Ignored when Client is set.
	RedisURL string
	// Client is an opened Redis client to use instead of RedisURL; the
	// Limiter does not close it.
	Client redis.UniversalClient
	// Prefix starts every Redis key; DefaultPrefix when empty.
	Prefix string
	// Rate applies to every key without an entry in Rates.
	Rate Rate
	// Rates by key or key prefix: a key "shopify:acme" takes
	// Rates["shopify:acme"] when there is one, else Rates["shopify"] (the
	// part before the first ':'), so each platform gets its own pace and a
	// shop may have its own.
	Rates map[string]Rate
	// Logger reports fallbacks to the in-process bucket; nil discards.
	Logger *slog.Logger
	// Now and Sleep are the in-process clock; nil means time.Now and
	// apiclient.Sleep. Redis buckets use Redis's clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Limiter is a per-key token bucket with pauses. It is safe for concurrent
// use.
type Limiter struct {
	o       Options
	rdb     redis.UniversalClient
	ownsRDB bool

	mu     sync.Mutex
	local  map[string]*apiclient.TokenBucket // by rate name
	paused map[string]time.Time              // in-process pauses
	warned time.Time
}

var _ apiclient.Limiter = (*Limiter)(nil)

// New returns a Limiter: Redis-backed when o names a Redis, in-process
// otherwise. A bad Redis URL is an Invalid error; an unreachable Redis is
// not an error here (calls fall back until it answers).
func New(o Options) (*Limiter, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = apiclient.Sleep
	}
	l := &Limiter{o: o, local: map[string]*apiclient.TokenBucket{}, paused: map[string]time.Time{}}
	switch {
	case o.Client != nil:
		l.rdb = o.Client
	case o.RedisURL != "":
		opts, err := redis.ParseURL(o.RedisURL)
		if err != nil {
			return nil, orderhub.WrapError(orderhub.EInvalid, err, "redis: %q is not a redis:// URL", redactURL(o.RedisURL))
		}
		// A limiter must answer fast or fall back: no long dial retries.
		opts.DialTimeout, opts.DialerRetries, opts.MaxRetries = 2*time.Second, 1, 1
		l.rdb, l.ownsRDB = redis.NewClient(opts), true
	}
	return l, nil
}

// Shared reports whether the buckets live in Redis.
func (l *Limiter) Shared() bool { return l.rdb != nil }

// Close releases the Redis client the Limiter opened.
func (l *Limiter) Close() error {
	if l.ownsRDB {
		return l.rdb.Close()
	}
	return nil
}

func (l *Limiter) rate(key string) (string, Rate) {
	if r, ok := l.o.Rates[key]; ok {
		return key, r
	}
	name, _, _ := strings.Cut(key, ":")
	if r, ok := l.o.Rates[name]; ok {
		return name, r
	}
	return "", l.o.Rate
}

// Wait implements apiclient.Limiter: it waits out any pause on key, then
// takes a token from key's bucket. A wait that ctx's deadline would cut
// short fails at once with ERateLimited, so a job can be rescheduled.
func (l *Limiter) Wait(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name, r := l.rate(key)
	if err := l.waitLocalPause(ctx, key); err != nil {
		return err
	}
	for {
		d, err := l.reserve(ctx, key, r)
		if err != nil {
			l.fallbackWarning(ctx, key, err)
			return l.localBucket(name, r).Wait(ctx, key)
		}
		if d <= 0 {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return orderhub.Errorf(orderhub.ERateLimited, "rate limiter for %s: the next call is %s away, past the deadline", key, d)
		}
		if err := l.o.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// reserve asks the shared bucket for a call now: 0 means granted, else how
// long to wait before asking again. Without Redis it reports errLocal.
func (l *Limiter) reserve(ctx context.Context, key string, r Rate) (time.Duration, error) {
	if l.rdb == nil {
		return 0, errLocal
	}
	interval, tau := gcra(r)
	res, err := takeScript.Run(ctx, l.rdb, []string{l.o.Prefix + "bucket:" + key, l.o.Prefix + "pause:" + key},
		interval.Microseconds(), tau.Microseconds()).Int64()
	if err != nil {
		return 0, err
	}
	return time.Duration(res) * time.Microsecond, nil
}

// gcra returns the emission interval and the burst tolerance of r; a zero
// interval means no limit.
func gcra(r Rate) (interval, tau time.Duration) {
	if r.PerSecond <= 0 {
		return 0, 0
	}
	burst := r.Burst
	if burst <= 0 {
		burst = 1
	}
	interval = time.Duration(float64(time.Second) / r.PerSecond)
	return interval, interval * time.Duration(burst-1)
}

// takeScript is GCRA on Redis's clock. KEYS[1] holds the bucket's
// theoretical arrival time, KEYS[2] a pause end, both in microseconds.
// ARGV are the emission interval and the burst tolerance. It returns 0
// when a call may start now, else the microseconds to wait.
var takeScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > now then
  return pause - now
end
local interval = tonumber(ARGV[1])
if interval <= 0 then
  return 0
end
local tau = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
if tat - now > tau then
  return tat - now - tau
end
local nexttat = tat + interval
redis.call('SET', KEYS[1], nexttat, 'PX', math.ceil((nexttat - now) / 1000) + 1000)
return 0
`)

// pauseScript sets a pause of ARGV[1] microseconds from Redis's now,
// unless a longer one is set.
var pauseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untilt = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilt > cur then
  redis.call('SET', KEYS[1], untilt, 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return untilt
`)

// Pause holds every call for key for d from now, as a 429's Retry-After
// asks: the platform limits the app per shop, not per request, so the other
// workers calling that shop must wait too. A shorter pause never cuts a
// longer one.
func (l *Limiter) Pause(ctx context.Context, key string, d time.Duration) {
	if d <= 0 {
		return
	}
	if l.rdb != nil {
		if err := pauseScript.Run(ctx, l.rdb, []string{l.o.Prefix + "pause:" + key}, d.Microseconds()).Err(); err == nil {
			return
		} else {
			l.fallbackWarning(ctx, key, err)
		}
	}
	until := l.o.Now().Add(d)
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.paused[key]) {
		l.paused[key] = until
	}
}

func (l *Limiter) waitLocalPause(ctx context.Context, key string) error {
	l.mu.Lock()
	until := l.paused[key]
	l.mu.Unlock()
	d := until.Sub(l.o.Now())
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d { // deadlines are wall-clock time
		return orderhub.Errorf(orderhub.ERateLimited, "rate limiter for %s: paused for %s, past the deadline", key, d)
	}
	return l.o.Sleep(ctx, d)
}

func (l *Limiter) localBucket(name string, r Rate) *apiclient.TokenBucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.local[name]
	if !ok {
		b = apiclient.NewTokenBucket(apiclient.TokenBucketOptions{PerSecond: r.PerSecond, Burst: r.Burst, Now: l.o.Now, Sleep: l.o.Sleep})
		l.local[name] = b
	}
	return b
}

// errLocal says the limiter runs in-process.
var errLocal = fmt.Errorf("in-process limiter")

// fallbackWarning logs, at most once a minute, that Redis failed and the
// in-process bucket paces calls meanwhile.
func (l *Limiter) fallbackWarning(ctx context.Context, key string, err error) {
	if err == errLocal {
		return
	}
	l.mu.Lock()
	now := l.o.Now()
	warn := now.Sub(l.warned) > time.Minute
	if warn {
		l.warned = now
	}
	l.mu.Unlock()
	if warn {
		l.o.Logger.WarnContext(ctx, "rate limiter: redis is unavailable; pacing in-process for now", "err", err, "key", key)
	}
}

// redactURL hides a password in a Redis URL.
func redactURL(raw string) string {
	if i := strings.Index(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "…@" + raw[i+1:]
		}
	}
	return raw
}
