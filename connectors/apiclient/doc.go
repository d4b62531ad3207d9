// Package apiclient is the outbound HTTP client every platform and provider
// client of orderhub is built on (Shopify, WooCommerce, BigCommerce, ShipBob,
// ...). It wraps github.com/hashicorp/go-retryablehttp with a retry policy
// and a backoff that know the platforms' rate-limit conventions, paces calls
// per shop, and turns every failure into an *orderhub.Error with a code.
//
// It owns transport concerns only: retries, waits, rate limits and error
// codes. It must not know any platform's resources or payloads (the
// connector packages do), read configuration, or log a secret: credentials
// reach it only inside request headers, which are never logged, and any
// value listed in Options.Secrets is scrubbed from error messages.
//
// # Retries
//
// A call is retried, up to Options.MaxRetries times, on a connection error,
// on 5xx (except 501) and on 429. Any other 4xx is final. A Request marked
// Unsafe (not idempotent: it creates something) is retried only when the
// platform certainly did not act: a 429, a throttled answer, or a
// connection never made; after a 5xx or a timeout it fails at once, so its
// caller can look whether the first attempt landed before trying again.
// The wait before a retry is, in this order:
//
//   - what the server asked for on a 429 (or a 503 with Retry-After):
//     Retry-After in seconds ("2", "2.0") or as an HTTP date; BigCommerce's
//     X-Rate-Limit-Time-Reset-Ms; ShipBob's x-retry-after (seconds). When
//     several are present the longest wins. A wait longer than
//     Options.MaxRetryAfter is not slept in-process: the call fails at once
//     with ERateLimited and StatusError.RetryAfter, so a job can be
//     rescheduled instead of holding a worker;
//   - what a Request.Throttled hook reads from a 2xx body (Shopify GraphQL
//     reports THROTTLED inside a 200);
//   - otherwise exponential backoff from MinBackoff doubling to MaxBackoff,
//     with "equal jitter" (half fixed, half random) so that many workers
//     retrying the same outage do not stampede.
//
// Every wait goes through Options.Sleep, so tests inject a clock and never
// sleep for real.
//
// # Pacing
//
// Besides retrying, the client slows down before the platform has to say
// no. After every answer it reads:
//
//   - Shopify's X-Shopify-Shop-Api-Call-Limit ("32/40"): from 80 % of the
//     bucket, the next call waits until the bucket has drained back below
//     that mark at Options.ShopifyLeakRate (2 calls/s, the standard plan);
//   - BigCommerce's X-Rate-Limit-Requests-Left: at 0, the next call waits
//     X-Rate-Limit-Time-Reset-Ms;
//   - ShipBob's x-remaining-calls: at 0, the next call waits x-retry-after.
//
// Then every attempt, first or retry, waits on the optional per-shop
// Limiter (an in-process TokenBucket here; a Redis bucket can implement the
// same interface for a fleet).
//
// # Errors
//
// A failed call returns an *orderhub.Error whose Err is a *StatusError:
//
//	404                          ENotFound
//	401, 403                     EUnauthorized
//	429 after the retries        ERateLimited
//	5xx or network, after them   EUnavailable
//	any other 4xx                EInvalid, with the platform's own message
//
// The message names the platform, the method and the URL path (never the
// query or credentials) and quotes the platform's message, which
// PlatformMessage extracts from each platform's error shape.
package apiclient
