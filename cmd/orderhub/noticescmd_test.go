package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/notify"
	"github.com/orderhub/orderhub/store"
)

// fixedClock is a clock only the test moves.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fixedClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func TestNoticeLinksExpireOnTheAppClockAndConfig(t *testing.T) {
	a, _ := writebackApp(t, nil)
	ctx := context.Background()
	clock := &fixedClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	a.now = clock.Now
	a.cfg.Notifications.LinkTTL = 2 * time.Hour
	o := orderhub.Order{Platform: "shopify", ExternalID: "9002", Currency: "USD",
		Lines: []orderhub.Line{{SKU: "NOWHERE", Name: "Ghost", Quantity: 1, UnitPrice: orderhub.MustParseMoney("5.00", "USD"), RequiresShp: true}}}
	shop, err := configShop(a.cfg, config.PlatformShopify)
	require.NoError(t, err)
	_, res := placeOrder(t, a, o, shop.ID, "NOWHERE")
	bid := res.Backorders[0].ID

	r := chi.NewRouter()
	a.noticeRoutes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	links, err := notify.LoadLinks(ctx, a.store, a.linkSettings())
	require.NoError(t, err)
	require.Equal(t, clock.Now().Add(2*time.Hour), links.Expiry(), "notifications.link_ttl")
	cancel := srv.URL + strings.TrimPrefix(links.BackorderURL(bid, allocator.DecisionCancel), strings.TrimRight(a.cfg.PublicURL, "/"))
	status := func(method string) int {
		req, err := http.NewRequest(method, cancel, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, status("GET"))
	clock.Advance(2 * time.Hour)
	require.Equal(t, http.StatusGone, status("GET"))
	require.Equal(t, http.StatusGone, status("POST"))
	b, err := a.store.GetBackorder(ctx, bid)
	require.NoError(t, err)
	require.Equal(t, orderhub.BackorderPending, b.Status, "the expired link changed nothing")
}

// noticesConfig writes a config on a SQLite file of its own.
func noticesConfig(t *testing.T, extra string) (string, config.Config) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "orderhub.yaml")
	body := "listen: 127.0.0.1:0\ndatabase: sqlite://" + filepath.Join(dir, "hub.db") + "\n" + extra
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	return path, cfg
}

func TestNoticesRotateKey(t *testing.T) {
	path, cfg := noticesConfig(t, "notifications: {link_ttl: 240h}\n")
	ctx := context.Background()

	var out, errOut bytes.Buffer
	require.Equal(t, 0, run(ctx, []string{"notices", "rotate-key", "--config", path}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "notice link key rotated")
	st, err := openStore(ctx, cfg, store.Options{})
	require.NoError(t, err)
	first, err := st.GetSecret(ctx, notify.LinkSecretName)
	require.NoError(t, err)
	require.Len(t, first.Value, 32)
	require.Nil(t, first.Previous, "the first rotation creates the key")
	require.NoError(t, st.Close())

	// Rotating again keeps that key as the previous one, for the window.
	clock := &fixedClock{now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	out.Reset()
	require.NoError(t, rotateNoticeKey(ctx, cfg, &out, clock.Now, slog.New(slog.DiscardHandler)))
	require.Contains(t, out.String(), "links signed with the previous key work until 2026-12-07T12:00:00Z",
		"previous_key_for defaults to link_ttl")
	st, err = openStore(ctx, cfg, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	second, err := st.GetSecret(ctx, notify.LinkSecretName)
	require.NoError(t, err)
	require.Equal(t, first.Value, second.Previous)
	require.NotEqual(t, first.Value, second.Value)
	require.Equal(t, clock.Now(), *second.RetiredAt)

	require.Equal(t, 2, run(ctx, []string{"notices", "spin"}, &out, &errOut))
	require.Equal(t, 2, run(ctx, []string{"notices", "rotate-key", "--config", path, "extra"}, &out, &errOut))
	require.Equal(t, 2, run(ctx, []string{"notices", "rotate-key"}, &out, &errOut), "--config is required")
}
