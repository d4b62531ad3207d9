package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/connectors/shopify"
	"github.com/orderhub/orderhub/connectors/woocommerce"
	"github.com/orderhub/orderhub/routing"
	"github.com/orderhub/orderhub/store"
)

// cmdRoute is `orderhub route --config FILE --explain ORDER.json`: a dry
// run of routing that reserves nothing.
func cmdRoute(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("route", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "path to the YAML config file")
	explain := fs.Bool("explain", false, "print why each line goes where it goes")
	shop := fs.String("shop", "", "read ORDER.json as this shop's platform payload (Shopify or WooCommerce) instead of an orderhub order")
	inventory := fs.String("inventory", "", "plan against this CSV (location,sku,on_hand) instead of the database's stock")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" || fs.NArg() != 1 {
		return usageError{"usage: orderhub route --config FILE [--explain] [--shop ID] [--inventory stock.csv] ORDER.json"}
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	o, err := decodeOrderFile(cfg, *shop, raw)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	rules, err := routingRules(cfg)
	if err != nil {
		return err
	}
	suppliers, err := cfg.DomainSuppliers()
	if err != nil {
		return err
	}
	eng, err := routing.NewEngine(cfg.DomainLocations(), suppliers, rules)
	if err != nil {
		return err
	}
	var levels []orderhub.StockLevel
	if *inventory != "" {
		if levels, err = readStockCSV(*inventory); err != nil {
			return err
		}
	} else {
		st, err := openStore(ctx, cfg, store.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.Migrate(ctx); err != nil {
			return err
		}
		var skus []string
		for _, l := range o.Lines {
			if l.RequiresShp && l.HasSKU() {
				skus = append(skus, l.SKU)
			}
		}
		if len(skus) > 0 {
			if levels, err = st.ListStock(ctx, store.ListStockParams{SKUs: skus}); err != nil {
				return err
			}
		}
	}
	for i := range o.Lines {
		if o.Lines[i].ID == "" {
			o.Lines[i].ID = "L" + strconv.Itoa(i+1)
		}
	}
	// The same call live routing makes (allocator.RouteTx), so the dry run
	// places and explains every unit as routing the order would.
	plan, err := eng.PlanOrder(o, routing.NewStock(levels))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"lines": plan.Lines, "shipments": plan.Shipments(), "totals": plan.Totals(), "explanations": plan.Explanations()})
	}
	printPlan(stdout, plan, *explain)
	return nil
}

// decodeOrderFile reads an orderhub order, or a shop's platform payload.
func decodeOrderFile(cfg config.Config, shopID string, raw []byte) (orderhub.Order, error) {
	if shopID == "" {
		var o orderhub.Order
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		if err := dec.Decode(&o); err != nil {
			return o, orderhub.Errorf(orderhub.EInvalid, "not an orderhub order: %v (use --shop ID for a platform payload)", err)
		}
		if len(o.Lines) == 0 {
			return o, orderhub.Errorf(orderhub.EInvalid, "order has no lines")
		}
		// A hand-written order's lines ship unless they say otherwise.
		var shape struct {
			Lines []map[string]json.RawMessage `json:"lines"`
		}
		if err := json.Unmarshal(raw, &shape); err == nil && len(shape.Lines) == len(o.Lines) {
			for i, l := range shape.Lines {
				if _, said := l["requires_shipping"]; !said {
					o.Lines[i].RequiresShp = true
				}
			}
		}
		return o, nil
	}
	shop, ok := cfg.Shop(shopID)
	if !ok {
		return orderhub.Order{}, orderhub.Errorf(orderhub.ENotFound, "--shop: no shop %q in the config", shopID)
	}
	switch shop.Platform {
	case orderhub.PlatformShopify:
		return shopify.NormalizeOrder(raw)
	case orderhub.PlatformWooCommerce:
		return woocommerce.NormalizeOrder(raw)
	}
	return orderhub.Order{}, orderhub.Errorf(orderhub.EUnsupported, "--shop %s: %s webhooks carry no order; save the order as orderhub JSON instead", shopID, shop.Platform)
}

// readStockCSV reads location,sku,on_hand rows.
func readStockCSV(path string) ([]orderhub.StockLevel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 3
	var out []orderhub.StockLevel
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if line == 1 && rec[0] == "location" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(rec[2]), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s line %d: on_hand %q is not a whole number", path, line, rec[2])
		}
		out = append(out, orderhub.StockLevel{LocationID: strings.TrimSpace(rec[0]), SKU: strings.TrimSpace(rec[1]), OnHand: n})
	}
}

func printPlan(w io.Writer, plan routing.Plan, explain bool) {
	exByLine := map[string]orderhub.Explanation{}
	for _, e := range plan.Explanations() {
		exByLine[e.LineID] = e
	}
	for _, lp := range plan.Lines {
		e := exByLine[lp.LineID]
		sku := lp.SKU
		if strings.TrimSpace(sku) == "" {
			sku = "(no SKU)"
		}
		fmt.Fprintf(w, "%s  %s × %d: %s\n", lp.LineID, sku, lp.Quantity, e.Summary)
		if !explain {
			continue
		}
		for _, c := range e.Candidates {
			mark := " "
			if c.Chosen {
				mark = "✓"
			}
			fmt.Fprintf(w, "    %s #%d %-10s %-9s %s\n", mark, c.Rank, c.Source, c.Kind, c.Reason)
		}
	}
	fmt.Fprintln(w, "shipments:")
	for _, sh := range plan.Shipments() {
		var parts []string
		for _, l := range sh.Lines {
			parts = append(parts, fmt.Sprintf("%d × %s", l.Quantity, l.SKU))
		}
		fmt.Fprintf(w, "  %s (%s): %s\n", sh.SourceID, sh.SourceKind, strings.Join(parts, ", "))
	}
	t := plan.Totals()
	fmt.Fprintf(w, "units: %d open, %d from own stock, %d dropshipped, %d backordered, %d refused, %d held; %d left out (no shipping needed)\n",
		t.Open, t.Allocated, t.Dropshipped, t.Backordered, t.Unfilled, t.Held, t.NotShipped)
}
