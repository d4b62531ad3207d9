package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderhub/orderhub"
)

// Failure throttle defaults.
const (
	DefaultFailures      = 10
	DefaultFailureWindow = 15 * time.Minute
	defaultFailureKeys   = 100_000
)

// FailureOptions configure a FailureThrottle.
type FailureOptions struct {
	// RedisURL shares the counts across instances; empty keeps them
	// in-process. Ignored when Client is set.
	RedisURL string
	// Client is an opened Redis client to use instead of RedisURL; the
	// throttle does not close it.
	Client redis.UniversalClient
	// Prefix starts every Redis key; DefaultPrefix when empty.
	Prefix string
	// Failures is how many failed attempts a key may make in a row before
	// it must wait; DefaultFailures when 0.
	Failures int
	// Window is how long a key takes to earn its whole allowance back:
	// one attempt every Window/Failures. DefaultFailureWindow when 0.
	Window time.Duration
	// Now is the clock, for the in-process counts and the Redis ones
	// alike, so that instances agree on windows only as far as their
	// clocks do; time.Now when nil.
	Now func() time.Time
	// Logger reports fallbacks to the in-process counts; nil discards.
	Logger *slog.Logger
	// MaxKeys bounds the in-process counts; 100 000 when 0. Past it, keys
	// that may try again are forgotten first.
	MaxKeys int
}

// FailureThrottle slows down guessing: it counts failed attempts per key
// (a client address) and, past the allowance, says how long the key must
// wait before its next attempt is even heard. It is a GCRA bucket of
// failures: Failures in a row, then one more every Window/Failures, and a
// key that fails no more is forgiven within Window.
//
// With Redis the counts are shared by every instance, so an attacker does
// not get an allowance per instance; when Redis does not answer they fall
// back to this process (and say so in the log) rather than letting every
// attempt through. It is safe for concurrent use.
type FailureThrottle struct {
	o        FailureOptions
	interval time.Duration // one failure's worth
	tau      time.Duration // the burst tolerance: Window - interval
	rdb      redis.UniversalClient
	ownsRDB  bool

	mu     sync.Mutex
	tat    map[string]time.Time // in-process: when each key's allowance is whole again
	fails  int                  // since the last sweep
	warned time.Time
}

// NewFailureThrottle returns a FailureThrottle: Redis-backed when o names a
// Redis, in-process otherwise. A bad Redis URL is an Invalid error.
func NewFailureThrottle(o FailureOptions) (*FailureThrottle, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Failures <= 0 {
		o.Failures = DefaultFailures
	}
	if o.Window <= 0 {
		o.Window = DefaultFailureWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = defaultFailureKeys
	}
	interval := o.Window / time.Duration(o.Failures)
	if interval < time.Millisecond {
		interval = time.Millisecond
	}
	f := &FailureThrottle{o: o, interval: interval, tau: time.Duration(o.Failures-1) * interval, tat: map[string]time.Time{}}
	switch {
	case o.Client != nil:
		f.rdb = o.Client
	case o.RedisURL != "":
		opts, err := redis.ParseURL(o.RedisURL)
		if err != nil {
			return nil, orderhub.WrapError(orderhub.EInvalid, err, "redis: %q is not a redis:// URL", redactURL(o.RedisURL))
		}
		opts.DialTimeout, opts.DialerRetries, opts.MaxRetries = 2*time.Second, 1, 1
		f.rdb, f.ownsRDB = redis.NewClient(opts), true
	}
	return f, nil
}

// Shared reports whether the counts live in Redis.
func (f *FailureThrottle) Shared() bool { return f.rdb != nil }

// Close releases the Redis client the throttle opened.
func (f *FailureThrottle) Close() error {
	if f.ownsRDB {
		return f.rdb.Close()
	}
	return nil
}

func (f *FailureThrottle) redisKey(key string) string { return f.o.Prefix + "failures:" + key }

// waitScript reads a key's bucket. KEYS[1] holds the time, in unix
// milliseconds of the callers' clock, at which its allowance is whole
// again; ARGV are now and the burst tolerance in milliseconds. It returns
// the milliseconds to wait, 0 when an attempt may be made now.
var waitScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local wait = tat - now - tau
if wait < 0 then
  return 0
end
return wait
`)

// failScript counts one failure: ARGV are now, the emission interval and
// the burst tolerance, in milliseconds. It returns the wait now in force.
var failScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tau = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', tat - now + 1000)
local wait = tat - now - tau
if wait < 0 then
  return 0
end
return wait
`)

// Wait reports how long key must wait before its next attempt may be
// heard; 0 means now. Callers check it before they check the credential,
// so that a throttled guess learns nothing, right or wrong.
func (f *FailureThrottle) Wait(ctx context.Context, key string) time.Duration {
	now := f.o.Now()
	if f.rdb != nil {
		ms, err := waitScript.Run(ctx, f.rdb, []string{f.redisKey(key)}, now.UnixMilli(), f.tau.Milliseconds()).Int64()
		if err == nil {
			return time.Duration(ms) * time.Millisecond
		}
		f.fallbackWarning(ctx, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.localWait(f.tat[key], now)
}

// Fail counts a failed attempt by key and returns how long key must now
// wait before its next attempt; 0 means it may try again at once.
func (f *FailureThrottle) Fail(ctx context.Context, key string) time.Duration {
	now := f.o.Now()
	if f.rdb != nil {
		ms, err := failScript.Run(ctx, f.rdb, []string{f.redisKey(key)}, now.UnixMilli(), f.interval.Milliseconds(), f.tau.Milliseconds()).Int64()
		if err == nil {
			return time.Duration(ms) * time.Millisecond
		}
		f.fallbackWarning(ctx, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tat := f.tat[key]
	if tat.Before(now) {
		tat = now
	}
	tat = tat.Add(f.interval)
	f.tat[key] = tat
	if f.fails++; f.fails >= 1024 || len(f.tat) > f.o.MaxKeys {
		f.sweep(now)
	}
	return f.localWait(tat, now)
}

func (f *FailureThrottle) localWait(tat, now time.Time) time.Duration {
	if !tat.After(now) {
		return 0
	}
	if d := tat.Sub(now) - f.tau; d > 0 {
		return d
	}
	return 0
}

// sweep forgets keys whose allowance is whole again and, when that is not
// enough to get under MaxKeys, keys that may try again now: only keys that
// must wait are worth their memory. Call it with mu held.
func (f *FailureThrottle) sweep(now time.Time) {
	f.fails = 0
	for k, tat := range f.tat {
		if !tat.After(now) {
			delete(f.tat, k)
		}
	}
	if len(f.tat) <= f.o.MaxKeys {
		return
	}
	for k, tat := range f.tat {
		if f.localWait(tat, now) == 0 {
			delete(f.tat, k)
		}
	}
}

// Keys reports how many keys the in-process counts hold.
func (f *FailureThrottle) Keys() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tat)
}

// fallbackWarning logs, at most once a minute, that Redis failed and the
// in-process counts decide meanwhile.
func (f *FailureThrottle) fallbackWarning(ctx context.Context, err error) {
	f.mu.Lock()
	now := f.o.Now()
	warn := now.Sub(f.warned) > time.Minute || now.Before(f.warned)
	if warn {
		f.warned = now
	}
	f.mu.Unlock()
	if warn {
		f.o.Logger.WarnContext(ctx, "failure throttle: redis is unavailable; counting in-process for now", "err", err)
	}
}
