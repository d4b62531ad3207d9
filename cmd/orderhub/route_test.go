package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/shopify/shopifytest"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/connectors/woocommerce/woocommercetest"
	"github.com/orderhub/orderhub/examples"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
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

// TestRouteDryRunAgreesWithLiveRouting routes the same platform orders
// twice against the same stock: as a dry run with `orderhub route --json`,
// and live, from the stored order, as the route job does. Both must place
// every unit alike (own stock, dropship, backorder, held for the operator,
// or left out because it needs no shipping) and explain it alike, and live
// routing must store exactly that placement.
func TestRouteDryRunAgreesWithLiveRouting(t *testing.T) {
	shop := shopifytest.MustBuildOrder(shopifytest.OrderSpec{Number: 4242, Lines: []shopifytest.LineSpec{
		{SKU: "IPOD2008GREEN", Title: "iPod green", Quantity: 3},
		{SKU: "SKU-HOODIE-L", Title: "Hoodie", Quantity: 1},
		{SKU: "IPOD2008BLACK", Title: "iPod black", Quantity: 1},
		{SKU: "", Title: "Custom engraving plate", Quantity: 2},
		{SKU: "EBOOK-1", Title: "E-book", Quantity: 1, NoShipping: true},
	}})
	// The WooCommerce delivery of the report: a product without a SKU.
	woo := woocommercetest.MustBuildOrder(woocommercetest.OrderSpec{ID: 7270, Lines: []woocommercetest.LineSpec{
		{SKU: "SKU-MUG", Name: "Mug", Quantity: 1},
		{SKU: "", Name: "Woo Single #1", Quantity: 2, Price: "3.00"},
	}})
	for _, tc := range []struct {
		shop      string
		body      []byte
		normalize func([]byte) (orderhub.Order, error)
		want      routing.Totals
	}{
		{"acme-shopify", shop, shopify.NormalizeOrder, routing.Totals{Open: 7, Allocated: 3, Dropshipped: 1, Backordered: 1, Held: 2, NotShipped: 1}},
		{"acme-woo", woo, woocommerce.NormalizeOrder, routing.Totals{Open: 3, Allocated: 1, Held: 2}},
	} {
		t.Run(tc.shop, func(t *testing.T) {
			ctx := context.Background()
			cfgPath := exampleConfig(t)
			cfg, err := config.Load(cfgPath)
			require.NoError(t, err)
			require.NoError(t, cfg.Validate())
			st, err := openStore(ctx, cfg, store.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			require.NoError(t, st.Migrate(ctx))
			inv, err := examples.Files.ReadFile("inventory.csv")
			require.NoError(t, err)
			for _, row := range strings.Split(strings.TrimSpace(string(inv)), "\n")[1:] {
				f := strings.Split(row, ",")
				n, err := strconv.ParseInt(f[2], 10, 64)
				require.NoError(t, err)
				_, err = st.SetStock(ctx, store.SetStockParams{LocationID: f[0], SKU: f[1], OnHand: n})
				require.NoError(t, err)
			}

			// The dry run, against the database's stock.
			path := filepath.Join(t.TempDir(), "order.json")
			require.NoError(t, os.WriteFile(path, tc.body, 0o600))
			var out, errOut bytes.Buffer
			require.Equal(t, 0, run(ctx, []string{"route", "--config", cfgPath, "--shop", tc.shop, "--json", path}, &out, &errOut), errOut.String())
			var dry struct {
				Lines        []routing.LinePlan     `json:"lines"`
				Totals       routing.Totals         `json:"totals"`
				Explanations []orderhub.Explanation `json:"explanations"`
			}
			require.NoError(t, json.Unmarshal(out.Bytes(), &dry), out.String())
			require.Equal(t, tc.want, dry.Totals)

			// Live: the order as the intake stores it, routed as the job does.
			o, err := tc.normalize(tc.body)
			require.NoError(t, err)
			o.ShopID = tc.shop
			up, err := st.UpsertPlatformOrder(ctx, store.UpsertPlatformOrderParams{Order: o, Actor: o.Platform, Topic: "test", ReceiptID: "r-1"})
			require.NoError(t, err)
			require.Equal(t, orderhub.StatusPaid, up.Order.Status)
			rules, err := routingRules(cfg)
			require.NoError(t, err)
			suppliers, err := cfg.DomainSuppliers()
			require.NoError(t, err)
			alloc, err := allocator.New(allocator.Config{Store: st, Locations: cfg.DomainLocations(), Suppliers: suppliers, Rules: rules})
			require.NoError(t, err)
			res, err := alloc.Route(ctx, up.Order.ID)
			require.NoError(t, err)
			got, err := st.GetOrder(ctx, up.Order.ID)
			require.NoError(t, err)

			// The same decision, line by line, and the same words.
			require.Equal(t, dry.Totals, res.Plan.Totals())
			require.Len(t, res.Plan.Lines, len(dry.Lines))
			require.Len(t, got.Explanations, len(dry.Explanations))
			for i := range dry.Lines {
				require.Equal(t, got.Lines[i].ID, res.Plan.Lines[i].LineID)
				live, d := asJSON(t, res.Plan.Lines[i]), dry.Lines[i]
				live.LineID, d.LineID = "", ""
				require.Equal(t, d, live, "line %d placement", i)
				le, de := got.Explanations[i], dry.Explanations[i]
				le.LineID, de.LineID = "", ""
				require.Equal(t, de, le, "line %d explanation", i)
			}

			// What live routing stored is that placement: fulfillments per
			// source, backorders, held events, and nothing for unshipped lines.
			placed := map[string]int64{} // line index|source → units
			for _, f := range res.Fulfillments {
				for _, fl := range f.Lines {
					placed[lineIndex(t, got, fl.LineID)+"|"+f.SourceID] += fl.Quantity
				}
			}
			backordered := map[string]int64{}
			for _, b := range res.Backorders {
				backordered[lineIndex(t, got, b.LineID)] += b.Quantity
			}
			held := map[string]int64{}
			events, err := st.ListEvents(ctx, got.ID)
			require.NoError(t, err)
			for _, e := range events {
				if e.Kind == orderhub.EventHeld {
					var h allocator.HeldUnits
					require.NoError(t, json.Unmarshal(e.Data, &h))
					held[lineIndex(t, got, h.LineID)] += h.Quantity
					require.Contains(t, e.Note, "held: no SKU")
				}
			}
			wantPlaced, wantBack, wantHeld := map[string]int64{}, map[string]int64{}, map[string]int64{}
			for i, d := range dry.Lines {
				k := strconv.Itoa(i)
				for _, a := range d.Assignments {
					wantPlaced[k+"|"+a.SourceID] += a.Quantity
				}
				if d.Backordered > 0 {
					wantBack[k] = d.Backordered
				}
				if d.Held > 0 {
					wantHeld[k] = d.Held
				}
			}
			require.Equal(t, wantPlaced, placed)
			require.Equal(t, wantBack, backordered)
			require.Equal(t, wantHeld, held)

			// The text form says the same.
			out.Reset()
			require.Equal(t, 0, run(ctx, []string{"route", "--config", cfgPath, "--shop", tc.shop, "--explain", path}, &out, &errOut), errOut.String())
			require.Contains(t, out.String(), "(no SKU) × 2: 2 held for the operator (no SKU, so no location or supplier can be asked for it)")
			require.Contains(t, out.String(), fmt.Sprintf("%d held; %d left out (no shipping needed)", tc.want.Held, tc.want.NotShipped))
			if tc.want.NotShipped > 0 {
				require.Contains(t, out.String(), "EBOOK-1 × 1: 1 left out, needs no shipping: Shopify says requires_shipping: false")
			}
		})
	}
}

// asJSON is what --json prints of a line plan, read back.
func asJSON(t *testing.T, lp routing.LinePlan) routing.LinePlan {
	t.Helper()
	b, err := json.Marshal(lp)
	require.NoError(t, err)
	var out routing.LinePlan
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func lineIndex(t *testing.T, o orderhub.Order, lineID string) string {
	t.Helper()
	for i, l := range o.Lines {
		if l.ID == lineID {
			return strconv.Itoa(i)
		}
	}
	t.Fatalf("order %s has no line %s", o.ID, lineID)
	return ""
}
