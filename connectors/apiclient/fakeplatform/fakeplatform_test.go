package fakeplatform_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/apiclient/fakeplatform"
)

func start(t *testing.T) (*fakeplatform.Recorder, string) {
	rec := &fakeplatform.Recorder{ErrorBody: func(status int, msg string) []byte {
		return []byte(`{"error":"` + msg + `"}`)
	}}
	srv := fakeplatform.Start(rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "served")
	})))
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), "loopback only")
	return rec, srv.URL
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", strings.NewReader("hello"))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestFailureInjectionAndLog(t *testing.T) {
	rec, url := start(t)
	rec.FailNext(2, 503)
	h := http.Header{}
	h.Set("Retry-After", "7")
	rec.InjectFailure(1, fakeplatform.Failure{Status: 429, Header: h})

	code, body, _ := get(t, url+"/a")
	require.Equal(t, 503, code)
	require.JSONEq(t, `{"error":"Service Unavailable"}`, body)
	code, _, _ = get(t, url+"/a")
	require.Equal(t, 503, code)
	code, _, hdr := get(t, url+"/a")
	require.Equal(t, 429, code)
	require.Equal(t, "7", hdr.Get("Retry-After"))
	code, body, _ = get(t, url+"/a?x=1")
	require.Equal(t, http.StatusTeapot, code)
	require.Equal(t, "served", body)
	require.Equal(t, 0, rec.PendingFailures())

	reqs := rec.Requests()
	require.Len(t, reqs, 4)
	require.Equal(t, []int{503, 503, 429, 418}, []int{reqs[0].Status, reqs[1].Status, reqs[2].Status, reqs[3].Status})
	require.Equal(t, "hello", string(reqs[3].Body))
	require.Equal(t, "x=1", reqs[3].Query)
	require.Len(t, rec.RequestsTo(http.MethodPost, "/a"), 4)
	require.Len(t, rec.RequestsTo("", "/b*"), 0)
	rec.ResetRequests()
	require.Empty(t, rec.Requests())
}

func TestOutageAndMatch(t *testing.T) {
	rec, url := start(t)
	rec.InjectFailure(-1, fakeplatform.Failure{Status: 500, Match: func(r *http.Request) bool { return r.URL.Path == "/down" }})
	require.Equal(t, -1, rec.PendingFailures())
	for range 3 {
		code, _, _ := get(t, url+"/down")
		require.Equal(t, 500, code)
		code, _, _ = get(t, url+"/up")
		require.Equal(t, http.StatusTeapot, code, "unmatched requests are served")
	}
	rec.ClearFailures()
	code, _, _ := get(t, url+"/down")
	require.Equal(t, http.StatusTeapot, code)
}

func TestConcurrentUse(t *testing.T) {
	rec, url := start(t)
	rec.FailNext(10, 500)
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, r := range rec.Requests() {
		if r.Status == 500 {
			n++
		}
	}
	require.Equal(t, 10, n, "exactly the injected count, under concurrency")
	require.Len(t, rec.Requests(), 40)
}

func TestPost(t *testing.T) {
	_, url := start(t)
	d, err := fakeplatform.Post(context.Background(), nil, url, http.Header{"X-A": {"1"}}, []byte("b"))
	require.NoError(t, err)
	require.Equal(t, http.StatusTeapot, d.Status)
	require.Equal(t, "served", string(d.Body))
}
