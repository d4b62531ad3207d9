package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/config"
)

func TestHubConfigRoundTrips(t *testing.T) {
	cfg, err := demoConfig(t.TempDir())
	require.NoError(t, err)
	cfg.Jobs.RescueAfter = 90 * time.Second
	path := filepath.Join(t.TempDir(), "hub.yaml")
	require.NoError(t, writeHubConfig(path, cfg))
	back, err := config.Load(path)
	require.NoError(t, err, "a load hub reads back the config written for it")
	require.Equal(t, cfg, back)
}
