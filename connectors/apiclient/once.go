package apiclient

import (
	"context"
	"errors"
	"time"

	"github.com/orderhub/orderhub"
)

// maxCreateAttempts bounds CreateOnce's own attempts.
const maxCreateAttempts = 4

// CreateOnce sends a create that the remote API cannot deduplicate, without
// repeating one that may have landed: each attempt is sent once (create
// must use the client without retries). A 429 was not processed: it is
// waited out (up to maxWait) and sent again. A 5xx, a timeout or a lost
// answer may have been processed: find looks for the object first, after
// a short pause, and only a miss sends the create again. Any other error
// is returned as is.
func CreateOnce[T any](ctx context.Context, sleep func(context.Context, time.Duration) error, maxWait time.Duration,
	create func(context.Context) (T, error), find func(context.Context) (T, bool, error)) (T, error) {
	var zero T
	var lastErr error
	mustLook := false
	for attempt := 0; attempt < maxCreateAttempts; attempt++ {
		if mustLook {
			v, found, err := find(ctx)
			if err != nil {
				return zero, err
			}
			if found {
				return v, nil
			}
		}
		v, err := create(ctx)
		if err == nil {
			return v, nil
		}
		lastErr = err
		var wait time.Duration
		switch orderhub.ErrorCode(err) {
		case orderhub.ERateLimited:
			wait = time.Second << attempt
			var se *StatusError
			if errors.As(err, &se) && se.RetryAfter > 0 {
				wait = se.RetryAfter
			}
			if wait > maxWait {
				return zero, err
			}
		case orderhub.EUnavailable:
			mustLook = true
			wait = time.Duration(attempt+1) * 500 * time.Millisecond
		default:
			return zero, err
		}
		if err := sleep(ctx, wait); err != nil {
			return zero, orderhub.WrapError(orderhub.EUnavailable, err, "%s: interrupted", orderhub.ErrorMessage(lastErr))
		}
	}
	if mustLook {
		if v, found, err := find(ctx); err == nil && found {
			return v, nil
		}
	}
	return zero, lastErr
}
