package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDemoServeKeepsTheDashboardOpen runs `orderhub demo --serve`, signs in
// with the token it prints and opens the dashboard on the demo's data.
func TestDemoServeKeepsTheDashboardOpen(t *testing.T) {
	var out, errOut syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, []string{"demo", "--serve"}, &out, &errOut) }()
	defer func() {
		cancel()
		select {
		case code := <-exited:
			require.Equal(t, 0, code, "stderr: %s", errOut.String())
		case <-time.After(60 * time.Second):
			t.Fatal("demo --serve did not stop when interrupted")
		}
		require.Contains(t, out.String(), "demo finished")
	}()
	re := regexp.MustCompile(`dashboard:\s+(http://\S+)/ui/\n\s+sign in with the admin token: (\S+)`)
	var m []string
	require.Eventually(t, func() bool {
		m = re.FindStringSubmatch(out.String())
		return m != nil
	}, 3*time.Minute, 50*time.Millisecond, "the demo prints the dashboard and a token; output so far:\n%s", &out)
	base, token := m[1], m[2]

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, Timeout: 15 * time.Second}
	req, err := http.NewRequest(http.MethodPost, base+"/ui/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "signed in and sent on to the dashboard")

	resp, err = c.Get(base + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "/ui/orders", resp.Request.URL.Path, "GET / leads to the dashboard's home")
	for _, shop := range []string{"acme-shopify", "acme-woo", "acme-bc"} {
		require.Contains(t, string(body), shop, "the demo's orders are there to explore")
	}
}
