package apiclient_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/connectors/apiclient"
)

func TestUnsafeCallsAreRetriedOnlyWhenNothingHappened(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int // answers in turn; the last repeats
		unsafe   bool
		attempts int64
		code     string
	}{
		{"safe 500 is retried", []int{500, 500, 200}, false, 3, ""},
		{"unsafe 500 is not", []int{500, 200}, true, 1, orderhub.EUnavailable},
		{"unsafe 503 is not", []int{503, 200}, true, 1, orderhub.EUnavailable},
		{"unsafe 429 is", []int{429, 429, 201}, true, 3, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				st := tc.statuses[min(i, len(tc.statuses)-1)]
				if st == 429 {
					w.Header().Set("Retry-After", "0.01")
				}
				w.WriteHeader(st)
				w.Write([]byte(`{}`))
			}))
			defer srv.Close()
			c := apiclient.New(apiclient.Options{Platform: "test", MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
			_, err := c.Do(context.Background(), apiclient.Request{Method: "POST", URL: srv.URL + "/things", Body: []byte(`{}`), Unsafe: tc.unsafe})
			require.Equal(t, tc.code, orderhub.ErrorCode(err))
			require.Equal(t, tc.attempts, n.Load())
		})
	}
}

func TestUnsafeCallsTimingOutAreNotRetried(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer srv.Close()
	c := apiclient.New(apiclient.Options{Platform: "test", MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
	_, err := c.Do(context.Background(), apiclient.Request{Method: "POST", URL: srv.URL, Unsafe: true})
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	require.Equal(t, int64(1), n.Load(), "the platform may have acted: no blind retry")
}

func TestUnsafeCallsRetryARefusedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	var sleeps atomic.Int64
	c := apiclient.New(apiclient.Options{Platform: "test", MaxRetries: 2, Sleep: func(ctx context.Context, d time.Duration) error {
		sleeps.Add(1)
		return nil
	}})
	_, err = c.Do(context.Background(), apiclient.Request{Method: "POST", URL: "http://" + addr + "/x", Unsafe: true})
	require.Equal(t, orderhub.EUnavailable, orderhub.ErrorCode(err))
	require.Equal(t, int64(2), sleeps.Load(), "a request never sent is safe to retry")
}
