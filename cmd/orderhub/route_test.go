package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/examples"
)

// exampleConfig writes examples/orderhub.yaml to a file with the demo
// environment set, on a SQLite file in a temporary folder.
func exampleConfig(t *testing.T) string {
	t.Helper()
	env, err := examples.Files.ReadFile("demo.env")
	require.NoError(t, err)
	vars, err := config.ParseEnvFile(env)
	require.NoError(t, err)
	for k, v := range vars {
		t.Setenv(k, v)
	}
	data, err := examples.Files.ReadFile("orderhub.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	data = bytes.Replace(data, []byte("sqlite://./orderhub.db"), []byte("sqlite://"+filepath.Join(dir, "hub.db")), 1)
	path := filepath.Join(dir, "orderhub.yaml")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func TestRouteExplainDryRun(t *testing.T) {
	cfg := exampleConfig(t)
	inv := filepath.Join(t.TempDir(), "stock.csv")
	data, err := examples.Files.ReadFile("inventory.csv")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, data, 0o600))
	order := filepath.Join(t.TempDir(), "order.json")
	require.NoError(t, os.WriteFile(order, []byte(`{"currency":"USD","shipping_address":{"province":"MA","country":"US","lat":42.36,"lon":-71.06},
 "lines":[{"sku":"IPOD2008GREEN","quantity":3},{"sku":"SKU-HOODIE-L","quantity":1},{"sku":"IPOD2008BLACK","quantity":1}]}`), 0o600))

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"route", "--config", cfg, "--explain", "--inventory", inv, order}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	s := out.String()
	require.Contains(t, s, "dropco (supplier): 1 × SKU-HOODIE-L")
	require.Contains(t, s, "1 backordered")
	require.Contains(t, s, "no supplier carries IPOD2008BLACK")
	require.Contains(t, s, "✓ #1", "the chosen source is marked")

	// Against the database: empty stock, so everything own-stock is short.
	out.Reset()
	code = run(context.Background(), []string{"route", "--config", cfg, order}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	require.Contains(t, out.String(), "0 from own stock")

	code = run(context.Background(), []string{"route", "--config", cfg, "--shop", "acme-bc", order}, &out, &errOut)
	require.Equal(t, 1, code)
	require.Contains(t, errOut.String(), "bigcommerce webhooks carry no order")
}
