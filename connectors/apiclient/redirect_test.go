package apiclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/apiclient"
)

// recorder is a server that records every request it is sent.
type recorder struct {
	mu   sync.Mutex
	seen []http.Header
	srv  *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Header.Clone())
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.seen...)
}

// redirector answers every request with a 302 to target.
func redirector(t *testing.T, target string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, target+req.URL.Path, http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The credential header each connector sets on its calls.
var platformAuth = []struct{ platform, header, value string }{
	{"shopify", "X-Shopify-Access-Token", "shpat_secret"},
	{"woocommerce", "Authorization", "Basic Y2tfa2V5OmNzX3NlY3JldA=="},
	{"bigcommerce", "X-Auth-Token", "bc-secret"},
	{"shipbob", "Authorization", "Bearer shipbob-secret"},
	{"shippo", "Authorization", "ShippoToken shippo_test_secret"},
	{"easypost", "Authorization", "Basic RVpUS3NlY3JldDo="},
}

func TestCrossHostRedirectIsRefusedWithEveryPlatformsCredentials(t *testing.T) {
	for _, p := range platformAuth {
		t.Run(p.platform, func(t *testing.T) {
			other := newRecorder(t) // another host: another port on loopback
			from := redirector(t, other.srv.URL)
			c := newClient(newClock(), apiclient.Options{MaxRetries: 3})
			h := http.Header{}
			h.Set(p.header, p.value)
			_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: from.URL + "/admin/api/orders.json", Header: h})
			require.Error(t, err)
			require.Contains(t, err.Error(), "refused a redirect to another host")
			require.Empty(t, other.requests(), "the other host is never called, so it never sees %s", p.header)
		})
	}
}

func TestSameHostRedirectIsFollowed(t *testing.T) {
	var mu sync.Mutex
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/old" {
			http.Redirect(w, req, "/new", http.StatusMovedPermanently)
			return
		}
		mu.Lock()
		got = req.Header.Get("X-Auth-Token")
		mu.Unlock()
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	c := newClient(newClock(), apiclient.Options{})
	h := http.Header{}
	h.Set("X-Auth-Token", "bc-secret")
	_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: srv.URL + "/old", Header: h})
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, "bc-secret", got, "a redirect within the platform's own host keeps working")
}
