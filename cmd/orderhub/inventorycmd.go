package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/orderhub/orderhub"
	"github.com/orderhub/orderhub/allocator"
	"github.com/orderhub/orderhub/config"
	"github.com/orderhub/orderhub/store"
)

const inventoryUsage = "usage: orderhub inventory import --config FILE [--quiet] stock.csv"

// cmdInventory is `orderhub inventory import --config FILE stock.csv`: it
// sets each location's on-hand count of each SKU from a CSV of
// location,sku,on_hand rows, through the allocator so that restocked SKUs
// fill their backorders, oldest paid first. Every good row is imported;
// every bad row is reported with its line number and why, and makes the
// command exit non-zero once the good rows are in.
func cmdInventory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usageError{inventoryUsage}
	}
	fs := flag.NewFlagSet("inventory import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "path to the YAML config file")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	quiet := fs.Bool("quiet", false, "do not draw the progress bar")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *path == "" || fs.NArg() != 1 {
		return usageError{inventoryUsage}
	}
	logger, err := newLogger(stderr, *level)
	if err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	file := fs.Arg(0)
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, bad, err := readInventoryCSV(f, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}

	st, err := openStore(ctx, cfg, storeOptions(logger))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	rules, err := routingRules(cfg)
	if err != nil {
		return err
	}
	suppliers, err := cfg.DomainSuppliers()
	if err != nil {
		return err
	}
	alloc, err := allocator.New(allocator.Config{Store: st, Locations: cfg.DomainLocations(), Suppliers: suppliers, Rules: rules, Logger: logger})
	if err != nil {
		return err
	}

	bar := progressbar.NewOptions64(int64(len(rows)),
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("importing stock"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetVisibility(!*quiet && len(rows) > 0),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
	)
	imported, filled := 0, 0
	for _, row := range rows {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stopped after %d of %d rows: %w", imported, len(rows), err)
		}
		_, fills, err := alloc.SetStock(ctx, store.SetStockParams{LocationID: row.location, SKU: row.sku, OnHand: row.onHand,
			Reason: "import " + file, Actor: "inventory import"})
		_ = bar.Add(1)
		if err != nil {
			if code := orderhub.ErrorCode(err); code != orderhub.EInvalid && code != orderhub.EConflict {
				return fmt.Errorf("line %d: %w", row.line, err)
			}
			bad = append(bad, badRow{line: row.line, reason: orderhub.ErrorMessage(err)})
			continue
		}
		imported++
		filled += len(fills)
	}
	_ = bar.Finish()

	sort.Slice(bad, func(i, j int) bool { return bad[i].line < bad[j].line })
	fmt.Fprintf(stdout, "imported %d row(s) from %s", imported, file)
	if filled > 0 {
		fmt.Fprintf(stdout, "; filled %d backorder(s)", filled)
	}
	fmt.Fprintln(stdout)
	if len(bad) == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "%d bad row(s) not imported:\n", len(bad))
	for _, b := range bad {
		fmt.Fprintf(stdout, "  line %d: %s\n", b.line, b.reason)
	}
	return fmt.Errorf("%d row(s) of %s were not imported; fix them and import the file again", len(bad), file)
}

// stockRow is one good row of an inventory CSV.
type stockRow struct {
	line          int
	location, sku string
	onHand        int64
}

// badRow is a row that was not imported and why.
type badRow struct {
	line   int
	reason string
}

// readInventoryCSV reads location,sku,on_hand rows, with an optional
// header, and sorts them into good rows and bad ones with their line
// numbers. Only a file it cannot read at all is an error.
func readInventoryCSV(r io.Reader, cfg config.Config) ([]stockRow, []badRow, error) {
	known := map[string]bool{}
	var names []string
	for _, l := range cfg.Locations {
		known[l.ID] = true
		names = append(names, l.ID)
	}
	sort.Strings(names)
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var rows []stockRow
	var bad []badRow
	seen := map[[2]string]int{}
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			bad = append(bad, badRow{line: pe.StartLine, reason: "is not valid CSV: " + pe.Err.Error()})
			first = false
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "location") {
				continue // the header
			}
		}
		if len(rec) != 3 {
			bad = append(bad, badRow{line: line, reason: fmt.Sprintf("has %d column(s); expected 3: location,sku,on_hand", len(rec))})
			continue
		}
		loc, sku, qty := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
		var reasons []string
		switch {
		case loc == "":
			reasons = append(reasons, "location is empty")
		case !known[loc]:
			reasons = append(reasons, fmt.Sprintf("location %q is not configured (locations: %s)", loc, strings.Join(names, ", ")))
		}
		if sku == "" {
			reasons = append(reasons, "sku is empty")
		}
		n, perr := strconv.ParseInt(qty, 10, 64)
		switch {
		case perr != nil:
			reasons = append(reasons, fmt.Sprintf("on_hand %q is not a whole number", qty))
		case n < 0:
			reasons = append(reasons, fmt.Sprintf("on_hand %d is negative", n))
		}
		if len(reasons) == 0 {
			key := [2]string{loc, sku}
			if prev, dup := seen[key]; dup {
				reasons = append(reasons, fmt.Sprintf("%s at %s is already set on line %d", sku, loc, prev))
			} else {
				seen[key] = line
			}
		}
		if len(reasons) > 0 {
			bad = append(bad, badRow{line: line, reason: strings.Join(reasons, "; ")})
			continue
		}
		rows = append(rows, stockRow{line: line, location: loc, sku: sku, onHand: n})
	}
	return rows, bad, nil
}
