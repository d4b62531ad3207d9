package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/store"
)

// inventoryConfig writes a config with two warehouses on a SQLite file.
func inventoryConfig(t *testing.T) (string, config.Config) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "orderhub.yaml")
	body := "listen: 127.0.0.1:0\ndatabase: sqlite://" + filepath.Join(dir, "hub.db") + `
locations:
  - {id: nyc, kind: warehouse, priority: 1, address: {country: US, lat: 40.75, lon: -73.99}}
  - {id: chi, kind: warehouse, priority: 2, address: {country: US, lat: 41.88, lon: -87.63}}
routing: {backorders: notify, dropship: false}
`
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	return path, cfg
}

func TestInventoryImportReportsBadRowsAndKeepsGoodOnes(t *testing.T) {
	cfgPath, cfg := inventoryConfig(t)
	ctx := context.Background()

	// A paid order waits for RESTOCK, which no location has.
	st, err := openStore(ctx, cfg, store.Options{})
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	rules, err := routingRules(cfg)
	require.NoError(t, err)
	alloc, err := allocator.New(allocator.Config{Store: st, Locations: cfg.DomainLocations(), Rules: rules})
	require.NoError(t, err)
	paid := time.Now().UTC()
	o, err := st.CreateOrder(ctx, store.CreateOrderParams{Order: orderhub.Order{ShopID: "acme", Platform: "shopify", ExternalID: "9", Currency: "USD",
		Status: orderhub.StatusPaid, PaidAt: &paid, Lines: []orderhub.Line{{SKU: "RESTOCK", Quantity: 1, RequiresShp: true}}}})
	require.NoError(t, err)
	res, err := alloc.Route(ctx, o.ID)
	require.NoError(t, err)
	require.Len(t, res.Backorders, 1)
	require.NoError(t, st.Close())

	csvPath := filepath.Join(t.TempDir(), "stock.csv")
	require.NoError(t, os.WriteFile(csvPath, []byte(strings.Join([]string{
		"location,sku,on_hand",
		"nyc,MUG,10",
		"chi,MUG,4",
		"nyc,,5",
		"nyc,TEE,-3",
		"nyc,CAP,lots",
		"mars,MUG,1",
		"nyc,HAT",
		"nyc,RESTOCK,2",
		`"chi", "TEE", "7"`,
		"",
		"chi,MUG,9",
		"chi,BAG,3,extra",
		"nyc,SCARF,0",
	}, "\n")+"\n"), 0o600))

	var out, errOut bytes.Buffer
	err = cmdInventory(ctx, []string{"import", "--config", cfgPath, csvPath}, &out, &errOut)
	require.Error(t, err, "bad rows make the command fail, after the good rows are in")
	require.Contains(t, err.Error(), "7 row(s)")
	report := out.String()
	require.Contains(t, report, "imported 5 row(s)")
	require.Contains(t, report, "filled 1 backorder(s)")
	for _, want := range []string{
		"line 4: sku is empty",
		"line 5: on_hand -3 is negative",
		`line 6: on_hand "lots" is not a whole number`,
		`line 7: location "mars" is not configured (locations: chi, nyc)`,
		"line 8: has 2 column(s); expected 3: location,sku,on_hand",
		"line 12: MUG at chi is already set on line 3",
		"line 13: has 4 column(s)",
	} {
		require.Contains(t, report, want)
	}
	require.Equal(t, 7, strings.Count(report, "  line "), report)
	require.NotContains(t, report, "line 2:")
	require.NotContains(t, report, "line 9:")
	require.Contains(t, errOut.String(), "importing stock", "the progress bar draws on stderr")

	st, err = openStore(ctx, cfg, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	levels, err := st.ListStock(ctx, store.ListStockParams{})
	require.NoError(t, err)
	got := map[string]int64{}
	for _, l := range levels {
		got[l.LocationID+"/"+l.SKU] = l.OnHand
	}
	require.Equal(t, map[string]int64{"nyc/MUG": 10, "chi/MUG": 4, "nyc/RESTOCK": 2, "chi/TEE": 7, "nyc/SCARF": 0}, got,
		"every good row is in, and nothing of a bad one")
	bo, err := st.ListBackorders(ctx, store.ListBackordersParams{OrderID: o.ID})
	require.NoError(t, err)
	require.Equal(t, orderhub.BackorderFilled, bo.Backorders[0].Status, "the restock filled the waiting backorder")
	l, err := st.GetStock(ctx, "nyc", "RESTOCK")
	require.NoError(t, err)
	require.Equal(t, int64(1), l.Reserved)
}

func TestInventoryImportCleanFileAndUsage(t *testing.T) {
	cfgPath, _ := inventoryConfig(t)
	ctx := context.Background()
	csvPath := filepath.Join(t.TempDir(), "stock.csv")
	require.NoError(t, os.WriteFile(csvPath, []byte("nyc,MUG,3\nchi,MUG,2\n"), 0o600))
	var out, errOut bytes.Buffer
	require.NoError(t, cmdInventory(ctx, []string{"import", "--config", cfgPath, "--quiet", csvPath}, &out, &errOut))
	require.Equal(t, "imported 2 row(s) from "+csvPath+"\n", out.String(), "a file without a header imports every row")
	require.Empty(t, errOut.String(), "--quiet draws no bar")

	var ue usageError
	require.ErrorAs(t, cmdInventory(ctx, []string{"export"}, &out, &errOut), &ue)
	require.ErrorAs(t, cmdInventory(ctx, []string{"import", csvPath}, &out, &errOut), &ue)
	err := cmdInventory(ctx, []string{"import", "--config", cfgPath, filepath.Join(t.TempDir(), "missing.csv")}, &out, &errOut)
	require.ErrorIs(t, err, os.ErrNotExist)
}
