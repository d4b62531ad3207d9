package fakeplatform_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
)

func TestChaosFaults(t *testing.T) {
	var served atomic.Int64
	target := fakeplatform.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer target.Close()

	for _, tc := range []struct {
		fault       fakeplatform.ChaosFault
		status      int // what the client sees; 0 for a timeout
		reachesFake bool
	}{
		{fakeplatform.ChaosError, 500, false},
		{fakeplatform.ChaosRateLimit, 429, false},
		{fakeplatform.ChaosLostAnswer, 502, true},
		{fakeplatform.ChaosSlow, 0, true},
		{fakeplatform.ChaosNone, 200, true},
	} {
		t.Run(string(tc.fault)+"_", func(t *testing.T) {
			rate := 1.0
			faults := []fakeplatform.ChaosFault{tc.fault}
			if tc.fault == fakeplatform.ChaosNone {
				rate, faults = 0, nil
			}
			c := fakeplatform.StartChaos(target.URL, fakeplatform.ChaosOptions{Rate: rate, Faults: faults, RetryAfter: 1500 * time.Millisecond, SlowFor: time.Second})
			defer c.Close()
			before := served.Load()
			client := &http.Client{Timeout: 200 * time.Millisecond}
			resp, err := client.Post(c.URL+"/x?y=1", "application/json", strings.NewReader(`{"a":1}`))
			if tc.status == 0 {
				require.Error(t, err, "the answer is held past the client's timeout")
			} else {
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, tc.status, resp.StatusCode)
				if tc.fault == fakeplatform.ChaosRateLimit {
					require.Equal(t, "1.500", resp.Header.Get("Retry-After"))
				}
			}
			require.Eventually(t, func() bool { return len(c.Records()) == 1 }, 3*time.Second, 10*time.Millisecond)
			require.Equal(t, tc.reachesFake, served.Load() == before+1, "whether the platform acted")
			r := c.Records()[0]
			require.Equal(t, tc.fault, r.ChaosFault)
			require.Equal(t, "/x", r.Path)
			require.Equal(t, "y=1", r.Query)
		})
	}
}

func TestChaosFindsAnEarlyRetry(t *testing.T) {
	target := fakeplatform.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	c := fakeplatform.StartChaos(target.URL, fakeplatform.ChaosOptions{Rate: 1, Faults: []fakeplatform.ChaosFault{fakeplatform.ChaosRateLimit}, RetryAfter: time.Second})
	defer c.Close()
	post := func(body string) {
		resp, err := http.Post(c.URL+"/calls", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
	}
	post(`{"n":1}`)
	post(`{"n":2}`) // another call: not a retry
	require.Empty(t, c.RetryAfterViolations())
	post(`{"n":1}`) // the same call, far too soon
	v := c.RetryAfterViolations()
	require.Len(t, v, 1)
	require.Greater(t, v[0].Early, 500*time.Millisecond)
	require.Equal(t, 3, c.Counts()[fakeplatform.ChaosRateLimit])
}
