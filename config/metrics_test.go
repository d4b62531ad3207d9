package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/config"
)

func TestMetricsConfig(t *testing.T) {
	t.Parallel()
	d := config.Default()
	if d.Metrics != (config.Metrics{RefreshEvery: 15 * time.Second}) {
		t.Fatalf("Default().Metrics = %+v: served on the main listener, no token, refreshed every 15s", d.Metrics)
	}

	src := "metrics:\n  listen: 127.0.0.1:9090\n  token: ${METRICS_TOKEN}\n  refresh_every: 30s\n"
	c, err := config.Parse([]byte(src), config.MapEnv(map[string]string{"METRICS_TOKEN": "scrape-secret-0123456789"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Metrics != (config.Metrics{Listen: "127.0.0.1:9090", Token: "scrape-secret-0123456789", RefreshEvery: 30 * time.Second}) {
		t.Fatalf("Metrics = %+v", c.Metrics)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if s := c.String(); strings.Contains(s, "scrape-secret") || !strings.Contains(s, "token: '[redacted]'") && !strings.Contains(s, `token: "[redacted]"`) {
		t.Errorf("String() must redact metrics.token:\n%s", s)
	}

	// A token that names an unset variable is an error, never an open
	// endpoint.
	c, err = config.Parse([]byte(src), config.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := "metrics.token: is required when it is written (leave the key out to serve /metrics without a token) (${METRICS_TOKEN} is unset or empty)"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate() = %v, want %q", err, want)
	}

	for _, tt := range []struct {
		mutate func(m *config.Metrics)
		want   string
		hidden string
	}{
		{func(m *config.Metrics) { m.Listen = "9090" }, `metrics.listen: "9090" is not host:port`, ""},
		{func(m *config.Metrics) { m.Listen = "127.0.0.1:8080" }, `metrics.listen: "127.0.0.1:8080" is the main listen address`, ""},
		{func(m *config.Metrics) { m.Token = "short-secret" }, `metrics.token: must be at least 16 characters`, "short-secret"},
		{func(m *config.Metrics) { m.RefreshEvery = 0 }, `metrics.refresh_every: 0s must be at least 1s`, ""},
		{func(m *config.Metrics) { m.RefreshEvery = 100 * time.Millisecond }, `metrics.refresh_every: 100ms must be at least 1s`, ""},
	} {
		c := config.Default()
		tt.mutate(&c.Metrics)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate() = %v, want %q", err, tt.want)
			continue
		}
		if tt.hidden != "" && strings.Contains(err.Error(), tt.hidden) {
			t.Errorf("Validate() shows the secret: %v", err)
		}
	}
}
