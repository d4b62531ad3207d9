// Package redistest gives tests the Redis in ORDERHUB_TEST_REDIS_URL and a
// key prefix of their own, deleted when the test ends. Without the
// variable, or when that Redis does not answer, tests skip with a message;
// under CI=true they fail instead, so a CI run can never pass without
// having run them.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvURL names the variable holding the Redis URL.
const EnvURL = "ORDERHUB_TEST_REDIS_URL"

// URL returns the test Redis's URL, or skips (fails under CI=true) when it
// is unset or does not answer.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		unavailable(tb, EnvURL+" is not set")
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		unavailable(tb, "Redis at "+EnvURL+" is unreachable: "+err.Error())
	}
	return u
}

// Client returns a client of the test Redis, closed when tb ends.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	opts, err := redis.ParseURL(URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(opts)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Unique returns a random name starting with prefix, for keys and channels
// no other run uses.
func Unique(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// DropKeys deletes, when tb ends, every key of the test Redis that matches
// pattern (a SCAN pattern such as "orderhub:*-t1234*").
func DropKeys(tb testing.TB, pattern string) {
	tb.Helper()
	c := Client(tb)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
}

func unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("Redis tests must run under CI=true: %s", why)
	}
	tb.Skipf("skipping Redis test: %s (set %s, e.g. redis://127.0.0.1:6379/0)", why, EnvURL)
}
