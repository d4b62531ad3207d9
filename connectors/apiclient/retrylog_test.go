package apiclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/connectors/apiclient"
)

func TestRetryLogSaysWhyAndWhenInHumanUnits(t *testing.T) {
	s := newScript(t, answer(503, `{}`), answer(200, `{}`))
	var buf bytes.Buffer
	c := newClient(newClock(), apiclient.Options{MaxRetries: 2, MinBackoff: 1500 * time.Millisecond, MaxBackoff: 1500 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	_, err := c.Do(context.Background(), apiclient.Request{Method: http.MethodGet, URL: s.srv.URL + "/orders.json"})
	require.NoError(t, err)
	var rec map[string]any
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &rec), buf.String())
	require.Equal(t, "retrying API call: answered 503 Service Unavailable; next attempt in 750ms", rec["msg"])
	require.Equal(t, "750ms", rec["wait"], "the wait is in human units, not nanoseconds")
	require.Equal(t, "2026-11-28T12:00:00.75Z", rec["retry_at"])
}
